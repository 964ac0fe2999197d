package infra

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The bake runner: runs Packer with its log in a file, parses the manifest and prints
// only the AMI id (scripts/bake). Go is already a prerequisite of this repository.
const (
	bakeBuildCommand      = "go run ./scripts/bake build"
	bakeDeregisterCommand = "go run ./scripts/bake deregister"
)

// ImageArgs configures one colour's image chain.
type ImageArgs struct {
	RepoRoot         string // where images/ and scripts/bake are
	Stack            string
	Color            Color
	Region           string
	BakeInstanceType string
	AppRepository    string
	AppRef           string
	HealthCheckPath  string
	// SubnetID is where the builder runs (it needs internet access); empty: the default VPC.
	SubnetID string
	// PrerequisitesAmiID, when set, is used as is and stage one is skipped.
	PrerequisitesAmiID string
	// DeregisterOnDelete deregisters a stage's AMI and deletes its snapshots when the
	// stage is replaced or destroyed.
	DeregisterOnDelete bool
}

// Image is the two-stage bake: prerequisites AMI, then the application AMI built on it.
type Image struct {
	pulumi.ResourceState

	PrerequisitesAmiID pulumi.StringOutput
	AmiID              pulumi.StringOutput
	// Hashes are the stages' trigger hashes (what re-bakes when it changes).
	Hashes map[string]string
}

// NewImage registers the bake stages. Stage inputs are hashed at evaluation time, so a
// preview already shows whether a stage will re-bake.
func NewImage(ctx *pulumi.Context, name string, args *ImageArgs, opts ...pulumi.ResourceOption) (*Image, error) {
	hashes := map[string]string{}
	commonVars := map[string]string{
		"region":        args.Region,
		"instance_type": args.BakeInstanceType,
		"stack":         args.Stack,
		"subnet_id":     args.SubnetID,
	}
	stageVars := map[string]map[string]string{
		StagePrerequisites.Name: commonVars,
		StageApp.Name: merge(commonVars, map[string]string{
			"color":             string(args.Color),
			"app_repository":    args.AppRepository,
			"app_ref":           args.AppRef,
			"health_check_path": args.HealthCheckPath,
		}),
	}
	// Read every input before registering anything: a missing script is a clear error,
	// not a half-registered chain.
	for _, stage := range BakeStages {
		if stage == StagePrerequisites && args.PrerequisitesAmiID != "" {
			continue
		}
		files, err := StageFiles(args.RepoRoot, stage)
		if err != nil {
			return nil, err
		}
		hashes[stage.Name] = TriggerHash(files, stageVars[stage.Name])
	}

	img := &Image{Hashes: hashes}
	if err := ctx.RegisterComponentResource(TypeImage, name, img, opts...); err != nil {
		return nil, fmt.Errorf("image: register: %w", err)
	}
	parent := pulumi.Parent(img)

	bake := func(stage BakeStage, extraEnv pulumi.StringMap, triggers pulumi.Array, deps ...pulumi.Resource) (*local.Command, error) {
		env := pulumi.StringMap{
			"WEBAPI_BAKE_STAGE":     pulumi.String(stage.Name),
			"WEBAPI_BAKE_REGION":    pulumi.String(args.Region),
			"PKR_VAR_template_hash": pulumi.String(hashes[stage.Name]),
		}
		for k, v := range stageVars[stage.Name] {
			env["PKR_VAR_"+k] = pulumi.String(v)
		}
		for k, v := range extraEnv {
			env[k] = v
		}
		cmdArgs := &local.CommandArgs{
			Create:      pulumi.String(bakeBuildCommand),
			Dir:         pulumi.String(args.RepoRoot),
			Environment: env,
			Triggers:    append(pulumi.Array{pulumi.String(hashes[stage.Name])}, triggers...),
			// Packer's output goes to a log file; stdout is the AMI id alone, so nothing
			// large or sensitive is stored in state or handed back through the environment.
			AddPreviousOutputInEnv: pulumi.Bool(false),
			Logging:                local.LoggingStdoutAndStderr,
		}
		if args.DeregisterOnDelete {
			cmdArgs.Delete = pulumi.String(bakeDeregisterCommand)
		}
		ro := []pulumi.ResourceOption{parent}
		if len(deps) > 0 {
			ro = append(ro, pulumi.DependsOn(deps))
		}
		cmd, err := local.NewCommand(ctx, fmt.Sprintf("%s-%s", name, stage.Name), cmdArgs, ro...)
		if err != nil {
			return nil, fmt.Errorf("image: %s stage: %w", stage.Name, err)
		}
		return cmd, nil
	}

	var prereqAmi pulumi.StringOutput
	var deps []pulumi.Resource
	if args.PrerequisitesAmiID != "" {
		prereqAmi = pulumi.String(args.PrerequisitesAmiID).ToStringOutput()
	} else {
		prereq, err := bake(StagePrerequisites, nil, nil)
		if err != nil {
			return nil, err
		}
		prereqAmi = prereq.Stdout
		deps = append(deps, prereq)
	}
	app, err := bake(StageApp,
		pulumi.StringMap{"PKR_VAR_prerequisites_ami_id": prereqAmi},
		// A new prerequisites AMI re-bakes the application on top of it.
		pulumi.Array{prereqAmi},
		deps...)
	if err != nil {
		return nil, err
	}

	img.PrerequisitesAmiID = prereqAmi
	img.AmiID = app.Stdout.ApplyT(strings.TrimSpace).(pulumi.StringOutput)
	if err := ctx.RegisterResourceOutputs(img, pulumi.Map{
		"prerequisitesAmiId": img.PrerequisitesAmiID,
		"amiId":              img.AmiID,
	}); err != nil {
		return nil, fmt.Errorf("image: outputs: %w", err)
	}
	return img, nil
}
