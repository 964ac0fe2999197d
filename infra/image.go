package infra

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webapi-platform/infra/internal/bake"
)

// The bake runner: runs Packer with its log in a file, parses the manifest and prints
// only the AMI id (scripts/bake). Go is already a prerequisite of this repository.
const (
	bakeBuildCommand      = "go run ./scripts/bake build"
	bakeCurrentCommand    = "go run ./scripts/bake current"
	bakeDeregisterCommand = "go run ./scripts/bake deregister"
)

// ImageArgs configures one colour's image chain.
type ImageArgs struct {
	RepoRoot         string // where images/ is read from to hash the stages; never an input
	Project          string // the Pulumi project: tagged on the AMIs, checked by their clean-up
	Stack            string
	Color            Color
	Region           string
	BakeInstanceType string
	AppRepository    string
	AppRef           string
	// AppProject is the project to publish inside AppRepository (empty: its root).
	AppProject      string
	HealthCheckPath string
	// SubnetID is where the builder runs (it needs internet access); empty: the default VPC.
	SubnetID string
	// PrerequisitesAmiID, when set, is used as is and stage one is skipped.
	PrerequisitesAmiID string
	// DeregisterOnDelete deregisters a stage's AMI and deletes its snapshots when the
	// stage is replaced or destroyed.
	DeregisterOnDelete bool
	// Runtime is the .NET the chain installs and publishes for (ResolveRuntime).
	Runtime *Runtime
	// WindowsVersion is the Windows Server base of the prerequisites stage (2022, 2025).
	WindowsVersion string
	// BaseAmiID pins the prerequisites stage's source AMI (Packer's source_ami, an input
	// of its trigger); empty: the newest Amazon image of WindowsVersion, and the trigger
	// the stage had before the pin existed (an optional input, internal/bake/optional.go).
	BaseAmiID string
	// AppRepositoryTokenSecret names the Secrets Manager secret the app stage's builder
	// reads the clone token from; the name alone reaches Packer, never the value.
	AppRepositoryTokenSecret string
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
	plans, err := planStages(args)
	if err != nil {
		return nil, err
	}
	img := &Image{Hashes: map[string]string{}}
	for stage, p := range plans {
		img.Hashes[stage] = p.hash
	}
	if err := ctx.RegisterComponentResource(TypeImage, name, img, opts...); err != nil {
		return nil, fmt.Errorf("image: register: %w", err)
	}
	parent := pulumi.Parent(img)

	var prereqAmi pulumi.StringOutput
	appOpts := []pulumi.ResourceOption{parent}
	if args.PrerequisitesAmiID != "" {
		prereqAmi = pulumi.String(args.PrerequisitesAmiID).ToStringOutput()
	} else {
		prereq, err := newBakeCommand(ctx, name, args, plans[bake.StagePrerequisites.Name], nil, nil, parent)
		if err != nil {
			return nil, err
		}
		prereqAmi = prereq.Stdout
		appOpts = append(appOpts, pulumi.DependsOn([]pulumi.Resource{prereq}))
	}
	app, err := newBakeCommand(ctx, name, args, plans[bake.StageApp.Name],
		pulumi.StringMap{bake.PackerVarPrefix + "prerequisites_ami_id": prereqAmi},
		// A new prerequisites AMI re-bakes the application on top of it.
		pulumi.Array{prereqAmi},
		appOpts...)
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

// stagePlan is what one stage bakes from: its Packer variables and their trigger hash.
type stagePlan struct {
	stage bake.Stage
	vars  map[string]string // Packer variables by name (set as PKR_VAR_<name>)
	hash  string
}

// planStages reads and hashes every stage's inputs before anything is registered, so a
// missing script is a clear error, not a half-registered chain. A stage given as an AMI
// (PrerequisitesAmiID) has no plan.
func planStages(args *ImageArgs) (map[string]stagePlan, error) {
	if args.Runtime == nil {
		return nil, fmt.Errorf("image: no .NET runtime was resolved for the chain (infra.ResolveRuntime)")
	}
	commonVars := map[string]string{
		"region":          args.Region,
		"instance_type":   args.BakeInstanceType,
		"project":         args.Project,
		"stack":           args.Stack,
		"subnet_id":       args.SubnetID,
		"windows_version": args.WindowsVersion,
	}
	prerequisitesVars := merge(commonVars, args.Runtime.prerequisitesVars())
	if args.BaseAmiID != "" {
		// Only when set: an unset optional input is no variable at all, so the bake's
		// environment (an input of its command) stays as it was before the key existed.
		prerequisitesVars["base_ami_id"] = args.BaseAmiID
	}
	stageVars := map[string]map[string]string{
		bake.StagePrerequisites.Name: prerequisitesVars,
		bake.StageApp.Name: merge(commonVars, map[string]string{
			"color":          string(args.Color),
			"app_repository": args.AppRepository,
			"app_ref":        args.AppRef,
			// A stage variable like the others, so a new project re-bakes (the hash).
			"app_project":       args.AppProject,
			"health_check_path": args.HealthCheckPath,
			"dotnet_framework":  args.Runtime.Framework,
			// The secret's name: the builder reads the value itself (deploy-app.ps1).
			"app_repository_token_secret": args.AppRepositoryTokenSecret,
		}),
	}
	plans := map[string]stagePlan{}
	for _, stage := range bake.Stages {
		if stage == bake.StagePrerequisites && args.PrerequisitesAmiID != "" {
			continue
		}
		files, err := bake.StageFiles(args.RepoRoot, stage)
		if err != nil {
			return nil, err
		}
		vars := stageVars[stage.Name]
		plans[stage.Name] = stagePlan{stage: stage, vars: vars, hash: bake.TriggerHash(files, vars)}
	}
	return plans, nil
}

// newBakeCommand registers the local.Command that bakes one stage (scripts/bake reads
// the environment set here). Its trigger is the stage's hash, then extraTriggers.
func newBakeCommand(ctx *pulumi.Context, name string, args *ImageArgs, plan stagePlan,
	extraEnv pulumi.StringMap, extraTriggers pulumi.Array, opts ...pulumi.ResourceOption) (*local.Command, error) {
	env := pulumi.StringMap{
		bake.EnvStage:                          pulumi.String(plan.stage.Name),
		bake.EnvRegion:                         pulumi.String(args.Region),
		bake.PackerVarPrefix + "template_hash": pulumi.String(plan.hash),
	}
	for k, v := range plan.vars {
		env[bake.PackerVarPrefix+k] = pulumi.String(v)
	}
	for k, v := range extraEnv {
		env[k] = v
	}
	// No input may depend on where the checkout is: without dir, pulumi-command runs the
	// command in the provider's working directory (local/commandOutputs.go: os.Getwd()),
	// which the engine sets to the project directory (sdk plugin.go: cmd.Dir = ctx.Pwd),
	// so a laptop and CI deploying the same commit from different folders bake nothing.
	// Only Triggers identify a bake: a trigger change replaces the resource and bakes;
	// any other input change runs Update, which prints the last AMI again.
	cmdArgs := &local.CommandArgs{
		Create:      pulumi.String(bakeBuildCommand),
		Update:      pulumi.String(bakeCurrentCommand),
		Environment: env,
		Triggers:    append(pulumi.Array{pulumi.String(plan.hash)}, extraTriggers...),
		// Packer's output goes to a log file and stdout is the AMI id alone, so handing
		// the last stdout back (for Update) passes one short id, never a build log.
		AddPreviousOutputInEnv: pulumi.Bool(true),
		Logging:                local.LoggingStdoutAndStderr,
	}
	if args.DeregisterOnDelete {
		cmdArgs.Delete = pulumi.String(bakeDeregisterCommand)
	}
	cmd, err := local.NewCommand(ctx, fmt.Sprintf("%s-%s", name, plan.stage.Name), cmdArgs, opts...)
	if err != nil {
		return nil, fmt.Errorf("image: %s stage: %w", plan.stage.Name, err)
	}
	return cmd, nil
}
