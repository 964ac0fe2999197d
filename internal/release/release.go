// Package release is the blue/green release logic: the shift state machine and its
// health gates, rollback, deploy, retire and destroy with their safety checks, status,
// history and previews. It reaches Pulumi through Engine, AWS through Health (adapters
// in internal/engine and internal/awsops) and the release record through record.Store,
// never prints except to Release.Out, and reports outcomes as errors that ExitCode maps
// to the tool's documented exit codes.
//
// The traffic model: the live listener on the ALB is the truth. Every command reads the
// weights it serves, the edge stack's outputs and the release record before deciding;
// the record (beside the Pulumi backend, never in git) holds the stable colour, the step
// plan, where a release stands (step and phase) and who holds the release lease.
package release

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// Limits are the health gates of a shift. Defaults come from the colour's alarm config,
// so the tool and the CloudWatch alarms use the same thresholds.
type Limits struct {
	Max5xxPercent float64
	MaxP99        time.Duration
}

// Default lease durations: while a command runs (renewed at every health check, and in
// the background when RenewEvery is set) and while a manual release waits for promote.
const (
	DefaultLeaseTTL = 30 * time.Minute
	PausedLeaseTTL  = 24 * time.Hour
)

// Release runs the release operations against an Engine, AWS and the release record.
type Release struct {
	Engine Engine
	Health Health // may be nil for commands that do not ask AWS (status says why)
	// ResolveRef resolves a deploy's --app-ref in the app repository to the commit it
	// names (bake.ResolveCommit: git ls-remote); nil: refs are deployed as given.
	ResolveRef func(ctx context.Context, repo, ref string) (string, error)
	// Fleets and Alarms answer from Auto Scaling and CloudWatch; nil like Health.
	Fleets Fleets
	Alarms Alarms
	Clock  Clock
	Out    io.Writer
	// Store is the release record; commands that change traffic or fleets need it.
	Store record.Store
	// Owner is who runs this command: the lease's owner and the history's "who".
	Owner record.Owner
	// LeaseTTL is how long the lease lasts without renewal (0: DefaultLeaseTTL).
	LeaseTTL time.Duration
	// RenewEvery renews the lease in the background at this interval while a command
	// holds it (0: only at each health check and record write).
	RenewEvery time.Duration
	// JobLease says the run holds the lease from `lease take` to `lease release`
	// (JobLeaseEnv): a command renews it but leaves it held when it ends.
	JobLease bool
	// Locks lists and removes the backend's stack locks: the lease holder clears a stale
	// one (nil: locks are never cleared).
	Locks BackendLocks
	// ProcessAlive says whether a process of this host runs (nil: always assumed to).
	ProcessAlive func(pid int) bool
	// InterruptBudget bounds the direct restore after an interrupt, counted from the
	// interrupt (0: InterruptBudget, a cancelled GitHub job's SIGINT-to-SIGKILL time).
	InterruptBudget time.Duration
	// Checkpoint, when set, is called at the named points of a release (Checkpoint*
	// constants): a seam for tests that kill the tool there.
	Checkpoint func(name string)
	// Touched records, per targeted update, what the engine changed (for reporting and tests).
	Touched []Changes
	// Deployed reports the last deploy this Release ran (set even when it failed).
	Deployed *DeployReport

	// Smoke sends the receiving colour's smoke test through the ALB before a release
	// moves any weight and after each step's watch (nil: no smoke test).
	Smoke Smoker

	intr     *interruptClock // when the command's context ended, for the restore budget
	lease    *record.Lease   // the lease this command holds, nil when none
	lost     <-chan error    // the background renewer's report of a lost lease
	stopKeep context.CancelFunc
}

// The named points of a release where Checkpoint is called.
const (
	CheckpointBeforeRecord = "before-record" // a step is about to be written to the record
	CheckpointAfterRecord  = "after-record"  // the record says the step is being applied
	CheckpointUpdate       = "update"        // the listener update is about to start
	CheckpointAfterUpdate  = "after-update"  // the update returned, not yet verified
	CheckpointMidPause     = "mid-pause"     // the step's watch has begun
)

func (r *Release) checkpoint(name string) {
	if r.Checkpoint != nil {
		r.Checkpoint(name)
	}
}

func (r *Release) printf(format string, a ...any) { fmt.Fprintf(r.Out, format, a...) }

func (r *Release) who() string { return r.Owner.String() }

// config reads a colour's stack config through the program's own loader, so the tool
// sees exactly the values (defaults included) and the errors the program would. raw is
// the engine's map.
func (r *Release) config(ctx context.Context, c infra.Color) (cfg *infra.Config, raw map[string]string, err error) {
	raw, err = r.Engine.Config(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	cfg, err = loadConfig(c, raw)
	return cfg, raw, err
}

// loadConfig reads a colour's stack config map through the program's own loader.
func loadConfig(c infra.Color, raw map[string]string) (*infra.Config, error) {
	cfg, err := infra.LoadConfig(infra.MapSource(raw))
	if err != nil {
		// The program's wording (infra.Build), so the tool and `pulumi up` say the same.
		return nil, fmt.Errorf("config of stack %s: %w", c, err)
	}
	return cfg, nil
}

// with returns the weights that give target the percent and the other colour the rest.
func with(target infra.Color, percent int) infra.Weights {
	gw, _ := infra.GreenWeightFor(target, percent)
	return infra.WeightsFor(gw)
}

// limitsFor reads the alarm thresholds of a colour's stack config.
func (r *Release) limitsFor(ctx context.Context, c infra.Color) (Limits, error) {
	cfg, _, err := r.config(ctx, c)
	if err != nil {
		return Limits{}, err
	}
	return Limits{Max5xxPercent: float64(cfg.Alarm5xxPercent), MaxP99: time.Duration(cfg.AlarmLatencyMs) * time.Millisecond}, nil
}

// apply updates the listener alone to w (a run option: nothing is written to config),
// then checks through the AWS API that the listener really has w.
func (r *Release) apply(ctx context.Context, st *state, w infra.Weights) error {
	r.checkpoint(CheckpointUpdate)
	ch, err := r.up(ctx, st.edge, UpOptions{Targets: []string{st.deployed.ListenerURN}, Weights: &w})
	if err != nil {
		return fmt.Errorf("listener update to %s: %w", w, err)
	}
	r.Touched = append(r.Touched, ch)
	r.checkpoint(CheckpointAfterUpdate)
	return r.verify(ctx, st, w)
}

// verify compares fresh readings of the listener's live weights with w, a few times to
// let the ALB settle. Only a reading of w itself counts: a listener that serves anything
// else (the weights before, or a restore target) fails the check.
func (r *Release) verify(ctx context.Context, st *state, w infra.Weights) error {
	var last string
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			if err := r.Clock.Sleep(ctx, 5*time.Second); err != nil {
				return err
			}
		}
		live, err := r.readLive(ctx, st)
		if err != nil {
			last = err.Error()
			continue
		}
		if live == w {
			return nil
		}
		last = fmt.Sprintf("listener serves %s, want %s", live, w)
	}
	return fmt.Errorf("verify listener weights: %s", last)
}
