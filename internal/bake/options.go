package bake

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"time"
)

// The environment a bake's command resource (infra/image.go) sets for scripts/bake.
// Packer reads PKR_VAR_<name> as its variable <name> itself.
const (
	EnvStage        = "WEBAPI_BAKE_STAGE"
	EnvRegion       = "WEBAPI_BAKE_REGION"
	EnvPacker       = "WEBAPI_PACKER" // optional: the packer binary to run
	PackerVarPrefix = "PKR_VAR_"
)

var (
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	hashPattern   = regexp.MustCompile(`^[0-9a-f]{64}$`) // a stage's SHA-256 trigger hash
	// Pulumi project names: letters, digits, hyphens, underscores and periods.
	projectPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)
)

// Options says which stage of which stack to bake or deregister. Build uses every field
// but Project (Packer reads PKR_VAR_project itself), Deregister the first five and Log.
type Options struct {
	Stage        Stage
	Region       string
	Project      string // the Pulumi project that owns the image (PKR_VAR_project); empty: DefaultProject
	Stack        string // the Pulumi stack that owns the image (PKR_VAR_stack)
	TemplateHash string // the stage's TriggerHash (PKR_VAR_template_hash)

	// Getenv looks up the rest of the bake's inputs: PKR_VAR_app_repository,
	// PKR_VAR_app_ref and PKR_VAR_app_commit for the app stage, WEBAPI_PACKER and
	// PACKER_PLUGIN_PATH. Nil: os.Getenv.
	Getenv func(string) string
	// WorkDir holds images/, and receives .bake/ (logs, manifests); Packer runs there and
	// the project's pinned .tools/bin/packer is looked for there. Empty: the current
	// directory.
	WorkDir string
	// Log receives progress, and a failed bake's log tail. Nil: discarded.
	Log io.Writer
	// Now is the clock (SupportWarning). Nil: time.Now.
	Now func() time.Time
}

// Validate refuses options that no bake could run with, naming the environment variable
// the value came from. The error is an InputError.
func (o Options) Validate() error {
	if !slices.Contains(Stages, o.Stage) {
		return inputErrorf("%s: stage %q is not allowed: want prerequisites or app", EnvStage, o.Stage.Name)
	}
	if !regionPattern.MatchString(o.Region) {
		return inputErrorf("%s %q is not allowed: want an AWS region such as eu-west-1", EnvRegion, o.Region)
	}
	if o.Project != "" && !projectPattern.MatchString(o.Project) {
		return inputErrorf("PKR_VAR_project %q is not allowed: want the Pulumi project that owns the image", o.Project)
	}
	if o.Stack == "" {
		return inputErrorf("PKR_VAR_stack is empty: want the Pulumi stack that owns the image")
	}
	if !hashPattern.MatchString(o.TemplateHash) {
		return inputErrorf("PKR_VAR_template_hash %q is not allowed: want the stage's 64-hex trigger hash", o.TemplateHash)
	}
	return nil
}

// InputError is bad input, found before anything runs (a command line's usage error).
type InputError struct{ msg string }

func (e InputError) Error() string { return e.msg }

func inputErrorf(format string, a ...any) error { return InputError{fmt.Sprintf(format, a...)} }
