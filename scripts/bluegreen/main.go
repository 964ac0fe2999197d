// Command bluegreen previews, deploys, shifts traffic between and rolls back the blue and
// green stacks of the webapi program. It runs infra.Program inline through the
// Automation API with the repository's Pulumi.yaml and Pulumi.<stack>.yaml.
//
//	go run ./scripts/bluegreen --help
//
// The logic lives in internal/release (engine adapter internal/engine, AWS adapter
// internal/awsops, preview rendering internal/preview); this main turns flags into
// options and errors into exit codes.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/awsops"
	"github.com/webapi-platform/infra/internal/bake"
	"github.com/webapi-platform/infra/internal/engine"
	"github.com/webapi-platform/infra/internal/record"
	"github.com/webapi-platform/infra/internal/release"
	"github.com/webapi-platform/infra/internal/smoke"
)

const exitCodesHelp = `Exit codes:
  0  done; also: a --manual release paused at a step (promote continues it), a --hold
     release holding its split, deploy --defer-fleet with deferred changes, status with
     warnings
  1  failed: an engine or AWS error; deploy's instance refresh Failed or Cancelled, or the new
     version not in service before the timeout; a shift that cannot read its gates; a
     rollback --scale-up whose deploy fails; an interrupt that could not restore traffic in
     time; a restore after a failed step that failed too (ROLLBACK FAILED: the release
     record says restoring and the next rollback finishes it)
  2  bad arguments; nothing ran
  3  refused by a safety check; nothing changed: the smoke test fails (before a shift, and
     smoke); a colour not ready (the stable colour for a shift or rollback, the receiving
     colour: healthy = in service = desired, and not below the serving colour's capacity);
     a gating alarm missing or in ALARM; no Auto Scaling or CloudWatch client; idle or
     base-ami mid-release; a change to a serving colour's fleet without --in-place,
     --defer-fleet or --force; rollback --scale-up whose deploy would change more than the
     destination's capacity, without --force; another run holds the release lease; a watch that found the
     traffic moved by someone else, or its lease broken, stopped without touching it
  4  a shift step failed its checks and traffic went back to the stable colour (restored
     and verified): the 5xx rate, p99 in N of M minutes, a target, a gating alarm firing,
     the smoke test after a step, or not enough traffic to judge (inconclusive); also a
     shift interrupted by SIGINT/SIGTERM whose traffic was restored directly in time`

func main() {
	// SIGTERM too: a cancelled GitHub job gets SIGINT, then SIGTERM ~7.5 s later.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	d := defaultDeps()
	for _, wire := range testWiring {
		wire(&d)
	}
	err := execute(ctx, newRootCommand(d), os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bluegreen: %v\n", err)
	}
	os.Exit(release.ExitCode(err))
}

// testWiring changes the deps of a test build of the tool (awsdouble_wiring.go, build
// tag awsdouble); a production build has none.
var testWiring []func(*deps)

// deps builds what the commands use; tests replace it.
type deps struct {
	out       io.Writer
	newEngine func(workDir string, progress io.Writer) (release.Engine, error)
	newHealth func(ctx context.Context, region string) (release.Health, error)
	// newStore opens the release record beside the engine's backend (or where
	// WEBAPI_RELEASE_STORE says).
	newStore func(ctx context.Context, eng release.Engine) (record.Store, error)
	owner    record.Owner
	clock    release.Clock
	// checkpoint is Release.Checkpoint: nil but in a test build.
	checkpoint func(name string)
	// newSmoke is the smoke test's client (Release.Smoke): through the ALB, but in a test build.
	newSmoke func() release.Smoker
	// resolveRef resolves deploy's --app-ref to a commit (Release.ResolveRef).
	resolveRef func(ctx context.Context, repo, ref string) (string, error)
	// newImages answers base-ami from EC2 in a region.
	newImages func(ctx context.Context, region string) (release.Images, error)
}

func defaultDeps() deps {
	return deps{
		out: os.Stdout,
		newEngine: func(workDir string, progress io.Writer) (release.Engine, error) {
			return engine.New(workDir, infra.Run, progress, engine.WithProcessGroup(engine.DefaultInterruptGrace))
		},
		newStore: func(ctx context.Context, eng release.Engine) (record.Store, error) {
			backend := ""
			if b, ok := eng.(interface{ BackendURL() string }); ok {
				backend = b.BackendURL()
			}
			loc, err := record.Locate(backend, os.Getenv(record.StoreEnv))
			if err != nil {
				return nil, err
			}
			return record.Open(ctx, loc)
		},
		owner: currentOwner(),
		newHealth: func(ctx context.Context, region string) (release.Health, error) {
			h, err := awsops.New(ctx, region)
			if err != nil {
				return nil, err // not a nil *awsops.Health inside a non-nil interface
			}
			return h, nil
		},
		clock:      release.RealClock{},
		newSmoke:   func() release.Smoker { return &smoke.Client{} },
		newImages:  newImages,
		resolveRef: bake.ResolveCommit,
	}
}

// currentOwner is who this run is, for the release lease and history.
func currentOwner() record.Owner {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return release.OwnerFromEnv(os.Getenv, name, host, os.Getpid())
}

// globalFlags are the root command's persistent flags.
type globalFlags struct {
	workDir, region string
	quiet           bool
}

func newRootCommand(d deps) *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "bluegreen",
		Short: "Preview, deploy, shift traffic between and roll back the blue and green stacks",
		Long: `bluegreen drives the webapi program (infra.Run) inline through the Pulumi Automation API,
with the repository's Pulumi.yaml and Pulumi.<stack>.yaml. State goes to PULUMI_BACKEND_URL when
set, otherwise to a file backend in <repo>/.pulumi (PULUMI_CONFIG_PASSPHRASE required). AWS calls
use the SDK's normal credential chain.

The live listener on the ALB decides the traffic; the release record (stable colour, step plan,
the release in progress, the lease, the history) lives beside the backend: under a file or S3
backend's root (.webapi/release/webapi), or where WEBAPI_RELEASE_STORE (s3://… or file://…)
points, which a Pulumi Cloud backend needs. Nothing of a release is written to Pulumi.<stack>.yaml:
deploy's --app-ref (resolved to a commit), --desired-capacity and --base-ami (webapi:baseAmiId),
rollback --scale-up's capacity, and the live weights go to the program as run options.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		// No command is bad usage (exit 2), not a help page with exit 0 a script would take
		// for success.
		RunE: func(*cobra.Command, []string) error {
			return release.Usagef("want a command: see bluegreen --help")
		},
	}
	root.PersistentFlags().StringVar(&g.workDir, "workdir", "", "folder with Pulumi.yaml (default: found from the current directory)")
	root.PersistentFlags().StringVar(&g.region, "region", "", "AWS region of the health checks and gates, base-ami's images and rollback --direct (default: AWS_REGION, else AWS_DEFAULT_REGION, else the edge stack's aws:region; rollback --direct: the AWS config's)")
	root.PersistentFlags().BoolVar(&g.quiet, "quiet", false, "do not stream the engine's progress")
	root.SetOut(d.out)

	newRelease := releaseFactory(d, g)
	root.AddCommand(previewCommand(newRelease), deployCommand(newRelease), shiftCommand(newRelease), promoteCommand(newRelease),
		rollbackCommand(newRelease), statusCommand(newRelease), idleCommand(newRelease), destroyCommand(newRelease), retireCommand(newRelease),
		historyCommand(newRelease), unlockCommand(newRelease), smokeCommand(newRelease))
	root.AddCommand(leaseCommand(newRelease), summaryCommand(newRelease), baseAmiCommand(newRelease, d.newImages, g))
	return root
}

// newReleaseFunc builds a Release for a command. A command that changes traffic or
// fleets needs AWS and the release record; the others (status, idle, preview) work
// without either and say what they could not read.
type newReleaseFunc func(cmd *cobra.Command, changes bool) (*release.Release, error)

func releaseFactory(d deps, g *globalFlags) newReleaseFunc {
	return func(cmd *cobra.Command, changes bool) (*release.Release, error) {
		dir, err := projectDir(g.workDir)
		if err != nil {
			return nil, err
		}
		// The program resolves images/ and scripts/ from the project directory.
		if err := os.Chdir(dir); err != nil {
			return nil, fmt.Errorf("--workdir %s: %w", dir, err)
		}
		var progress io.Writer = d.out
		if g.quiet {
			progress = nil
		}
		eng, err := d.newEngine(dir, progress)
		if err != nil {
			return nil, err
		}
		region := cmp.Or(g.region, os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"))
		if region == "" && !directRollback(cmd) {
			if cfg, err := eng.Config(cmd.Context(), infra.Blue); err == nil {
				region = cfg["aws:region"]
			}
		}
		r := &release.Release{Engine: eng, Clock: d.clock, Out: d.out, Owner: d.owner, RenewEvery: release.DefaultLeaseTTL / 3, ResolveRef: d.resolveRef,
			ProcessAlive: engine.ProcessAlive, Checkpoint: d.checkpoint}
		if r.JobLease, err = release.JobLeaseFromEnv(os.Getenv); err != nil {
			return nil, err
		}
		if d.newSmoke != nil {
			r.Smoke = d.newSmoke()
		}
		if locks, ok := eng.(release.BackendLocks); ok {
			r.Locks = locks
		}
		h, err := d.newHealth(cmd.Context(), region)
		if err != nil && changes {
			return nil, err
		}
		if err == nil {
			r.Health = h
			r.Fleets, _ = h.(release.Fleets)
			r.Alarms, _ = h.(release.Alarms)
		}
		store, err := d.newStore(cmd.Context(), eng)
		if err != nil && changes {
			return nil, fmt.Errorf("the release record: %w", err)
		}
		if err == nil {
			r.Store = store
		}
		return r, nil
	}
}

// projectDir is --workdir, or the folder with Pulumi.yaml at or above the current one.
// A --workdir without Pulumi.yaml is bad usage: the Automation API would write a
// Pulumi.yaml of its own there and run against the backend without the stacks' config.
func projectDir(workDir string) (string, error) {
	if workDir != "" {
		if _, err := os.Stat(filepath.Join(workDir, "Pulumi.yaml")); err != nil {
			return "", release.Usagef("--workdir %s: no Pulumi.yaml there (want the repository's folder): %v", workDir, err)
		}
		return workDir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	dir, err := engine.FindProject(wd)
	if errors.Is(err, engine.ErrNoProject) {
		return "", release.Usagef("no Pulumi.yaml here or above: run bluegreen inside the repository or pass --workdir")
	}
	return dir, err
}

// colorArgs is the Args check of a command that takes a colour: cobra's ExactArgs(1)
// would say "accepts 1 arg(s)" without saying which.
func colorArgs(_ *cobra.Command, args []string) error {
	_, err := colorArg(args)
	return err
}

func colorArg(args []string) (infra.Color, error) {
	if len(args) != 1 {
		return "", release.Usagef("want one colour argument: blue or green")
	}
	c, err := infra.ParseColor(args[0])
	if err != nil {
		return "", release.UsageError{Err: err}
	}
	return c, nil
}

// execute runs the root command. An error that comes before any command ran is cobra's
// own (an unknown command or flag, a bad flag value, a wrong number of arguments): bad
// usage, exit 2, like the tool's own usage errors.
func execute(ctx context.Context, root *cobra.Command, args []string) error {
	started := false
	root.PersistentPreRun = func(*cobra.Command, []string) { started = true }
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && !started {
		return release.UsageError{Err: err}
	}
	return err
}
