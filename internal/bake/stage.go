// Package bake runs the image chain's Packer bakes and knows what goes into them: the
// stages and their templates, the input hash that decides when a stage re-bakes, Packer's
// manifest, the app ref's commit, and deregistering a stage's AMIs. It imports nothing of
// Pulumi, so `go run ./scripts/bake` (which the bake's local.Command runs on every create)
// compiles only this and the AWS SDK.
package bake

// Stage is one Packer template of the image chain.
type Stage struct {
	Name     string // prerequisites | app; also the AMI's role tag
	Template string // relative to the repository root
}

// The two stages: the prerequisites image (IIS, the Hosting Bundle, tooling), and the
// application image baked on it.
var (
	StagePrerequisites = Stage{Name: "prerequisites", Template: "images/windows-prerequisites.pkr.hcl"}
	StageApp           = Stage{Name: "app", Template: "images/windows-app.pkr.hcl"}
)

// Stages lists the chain in build order.
var Stages = []Stage{StagePrerequisites, StageApp}

// StageByName finds a stage; an unknown name is an InputError.
func StageByName(name string) (Stage, error) {
	for _, s := range Stages {
		if s.Name == name {
			return s, nil
		}
	}
	return Stage{}, inputErrorf("stage %q is not allowed: want prerequisites or app", name)
}
