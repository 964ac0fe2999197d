package release

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// ShiftOptions describes one shift.
type ShiftOptions struct {
	Target   infra.Color
	Steps    []int         // ascending percentages for Target, ending at 100 for a full shift
	Pause    time.Duration // health watch after each step
	Interval time.Duration // between health checks during a pause
	Manual   bool          // stop after each step until `promote`
	Hold     bool          // the last step is below 100 and the release ends holding it
	Limits   *Limits       // nil: from config
	// The evidence gates; zero: MinRequests from the receiving colour's
	// webapi:minRequests, the others their Default* (MaxExtend: the pause).
	MinRequests            int
	MetricLag              time.Duration
	P99Breaches, P99Window int
	MaxExtend              time.Duration
}

// Shift moves traffic to opts.Target step by step, under the release lease. A new
// release is written to the record (the stable colour first) before any AWS call that
// can fail; each step is recorded before it is applied and verified on the live
// listener, then watched for the full pause. A release found in progress for the same
// target is resumed where the record says it stopped, with its recorded plan. Any
// failure restores all traffic to the stable colour.
func (r *Release) Shift(ctx context.Context, opts ShiftOptions) error {
	st, err := r.lookDeployed(ctx)
	if err != nil {
		return err
	}
	if err := r.takeLease(ctx); err != nil {
		return err
	}
	defer r.stopKeeping()
	defer r.watchInterrupt(ctx)()
	if err := r.reconcile(ctx, st); err != nil {
		return r.settle(ctx, err)
	}
	if rel := st.active(); rel != nil {
		if rel.Target != opts.Target {
			return Refusef("release %s (%s into %s) is in progress: finish it with `bluegreen shift %s` or `bluegreen rollback` first", rel.ID, rel.AppRef, rel.Target, rel.Target)
		}
		return r.settle(ctx, r.resume(ctx, st))
	}
	return r.settle(ctx, r.startShift(ctx, st, opts))
}

// settle leaves the lease as the release needs it when a command ends: given up with no
// release in progress (done, or refused before it began), kept for PausedLeaseTTL while
// a manual release waits for promote, as it is otherwise (a release left in progress by
// a failure keeps its owner's lease until it expires). It returns err.
func (r *Release) settle(ctx context.Context, err error) error {
	if r.lease == nil {
		return err
	}
	rec, _, lerr := r.Store.Load(ctx)
	if lerr != nil {
		return err
	}
	switch record.Resume(rec) {
	case record.NextNothing:
		r.endLease(ctx)
	case record.NextPromote:
		if kerr := r.keepLeaseFor(ctx, PausedLeaseTTL); err == nil {
			err = kerr
		}
	}
	return err
}

// startShift begins a new release from the live weights.
func (r *Release) startShift(ctx context.Context, st *state, opts ShiftOptions) error {
	current := st.live.Of(opts.Target)
	if !slices.ContainsFunc(opts.Steps, func(s int) bool { return s > current }) {
		r.printf("%s already has %d%% (%s): nothing to shift\n", opts.Target, current, st.live)
		return r.endLease(ctx)
	}
	// Moving part of the traffic back towards the stable colour is a rollback, not a
	// release; checked before anything is asked of AWS or written.
	if current > 0 && st.rec.StableColor == opts.Target {
		return Refusef("%s is the stable colour of the current release; use `bluegreen rollback` to send traffic back to it", opts.Target)
	}
	if err := r.refuseShiftWithoutRollback(ctx, st, opts.Target); err != nil {
		return err
	}
	plan, err := r.plan(ctx, opts)
	if err != nil {
		return err
	}
	plan.ELB5xxBaseline = r.elb5xxBaseline(ctx, st, time.Duration(plan.MetricLag), plan.MinRequests, plan.Max5xxPercent)
	outs, err := r.Engine.Outputs(ctx, opts.Target)
	if err != nil {
		return err
	}
	appRef, _ := outs[infra.OutAppRef].(string)
	r.checkpoint(CheckpointBeforeRecord)
	rec, err := r.write(ctx, func(rec record.Record, now time.Time) (record.Record, error) {
		return record.StartRelease(rec, record.Start{ID: releaseID(now, opts.Target), Target: opts.Target, AppRef: appRef, Plan: plan, Current: st.live, Who: r.who()}, now)
	})
	if err != nil {
		return err
	}
	rel := rec.Release
	r.printf("release %s: %s into %s, steps %v; stable colour %s (a rollback sends everything there)\n", rel.ID, orDash(rel.AppRef), rel.Target, plan.Steps, rec.StableColor)
	if current > 0 {
		r.printf("resuming from the live weights: %s has %d%%\n", opts.Target, current)
	}
	if err := r.checkBeforeShift(ctx, st, rec); err != nil {
		return r.abort(ctx, err)
	}
	return r.steps(ctx, st, rec)
}

// checkBeforeShift runs the checks a release passes before its first step: the
// receiving colour's precheck, then its smoke test (smoke.go), before any weight moves.
func (r *Release) checkBeforeShift(ctx context.Context, st *state, rec record.Record) error {
	if err := r.precheck(ctx, st, rec); err != nil {
		return err
	}
	return r.smokeBeforeShift(ctx, st, rec)
}

// releaseID names a release by when it started and where it goes.
func releaseID(now time.Time, target infra.Color) string {
	return now.UTC().Format("20060102T150405Z") + "-" + string(target)
}

// plan is the recorded plan of a new release: the steps, the watch, the limits (flags,
// else the receiving colour's alarm thresholds) and the evidence gates (flags, else the
// receiving colour's webapi:minRequests and the defaults), every gate written out so a
// resumed release is judged exactly as it began.
func (r *Release) plan(ctx context.Context, opts ShiftOptions) (record.Plan, error) {
	cfg, _, err := r.config(ctx, opts.Target)
	if err != nil {
		return record.Plan{}, err
	}
	var limits Limits
	if opts.Limits != nil {
		limits = *opts.Limits
	} else if limits, err = r.limitsFor(ctx, opts.Target); err != nil {
		return record.Plan{}, err
	}
	return record.Plan{Steps: slices.Clone(opts.Steps), Pause: record.Duration(opts.Pause), Interval: record.Duration(opts.Interval),
		GateAlarms: slices.Clone(cfg.Release.GateAlarms),
		Manual:     opts.Manual, Hold: opts.Hold, Max5xxPercent: limits.Max5xxPercent, MaxP99: record.Duration(limits.MaxP99),
		MinRequests: cmp.Or(opts.MinRequests, cfg.Release.MinRequests, DefaultMinRequests),
		MetricLag:   record.Duration(cmp.Or(opts.MetricLag, DefaultMetricLag)),
		P99Breaches: cmp.Or(opts.P99Breaches, DefaultP99Breaches), P99Window: cmp.Or(opts.P99Window, DefaultP99Window),
		MaxExtend: record.Duration(cmp.Or(opts.MaxExtend, opts.Pause))}, nil
}

// abort ends a release that never moved traffic (a refusal or an error before the
// first update): the record says so and the lease is given up; cause is returned.
func (r *Release) abort(ctx context.Context, cause error) error {
	if _, err := r.write(ctx, func(rec record.Record, now time.Time) (record.Record, error) {
		return record.Abort(rec, r.who(), cause.Error(), now)
	}); err != nil {
		return fmt.Errorf("%w (and recording the abort failed: %v)", cause, err)
	}
	r.endLease(ctx)
	return cause
}

// resume continues the release the record has in progress, after checking that the
// listener serves what the record says (else someone else moved traffic: refused).
func (r *Release) resume(ctx context.Context, st *state) error {
	rec := st.rec
	rel := rec.Release
	if err := consistent(rec, st.live); err != nil {
		return err
	}
	if record.Resume(rec) == record.NextPromote {
		return Refusef("release %s is paused at %s: run `bluegreen promote` to continue, or `bluegreen rollback`", rel.ID, rel.To)
	}
	r.printf("resuming release %s (%s into %s) at %s, phase %s: the listener serves %s\n", rel.ID, orDash(rel.AppRef), rel.Target, stepLabel(rec), rel.Phase, st.live)
	// Recorded, then killed before its first step reached the listener: whether its
	// checks passed is unknown, so they run again (a listener already at the step's
	// weights means they did: a step is applied only after them).
	if rel.ChecksPending && rel.Phase == record.PhaseApplying && st.live == rel.From {
		r.printf("release %s was recorded but no step was applied: checking %s again before any weight moves\n", rel.ID, rel.Target)
		if err := r.checkBeforeShift(ctx, st, rec); err != nil {
			return r.abort(ctx, err)
		}
	}
	return r.steps(ctx, st, rec)
}

// consistent says whether the listener serves what the record says the release did.
func consistent(rec record.Record, live infra.Weights) error {
	rel := rec.Release
	switch {
	case rel.Phase == record.PhaseRestoring:
		return nil
	case live == rel.To:
		return nil
	case live == rel.From && rel.Phase == record.PhaseApplying:
		return nil
	}
	return Refusef("the release record says release %s is at %s (phase %s, %s), but the listener serves %s: someone else moved traffic, so nothing was changed; "+
		"decide with `bluegreen rollback` (all traffic to %s, the stable colour) or `bluegreen rollback --to <colour>`",
		rel.ID, stepLabel(rec), rel.Phase, rel.To, live, rec.StableColor)
}

// stepLabel names the release's current step: "step 2/3 green 50%".
func stepLabel(rec record.Record) string {
	rel := rec.Release
	if rec.Plan == nil || rel.Step >= len(rec.Plan.Steps) {
		return "step ?"
	}
	return fmt.Sprintf("step %d/%d %s %d%%", rel.Step+1, len(rec.Plan.Steps), rel.Target, rec.Plan.Steps[rel.Step])
}

// steps runs the release from wherever the record says it stands until it is done,
// paused or failed: the record is written before each action and after it.
func (r *Release) steps(ctx context.Context, st *state, rec record.Record) error {
	for {
		rel := rec.Release
		label := stepLabel(rec)
		var err error
		switch record.Resume(rec) {
		case record.NextNothing:
			if record.Holding(rec) {
				r.printf("holding %s: the plan ends here; `bluegreen promote` takes %s to 100%%, `bluegreen rollback --to %s` sends everything back\n", rel.To, rel.Target, rec.StableColor)
				return nil
			}
			r.printf("shift complete: %s\n", rel.To)
			return nil // settle gives the lease up
		case record.NextPromote:
			r.printf("paused at %s: check it, then run `bluegreen promote` to continue (or `bluegreen rollback`)\n", rel.To)
			return nil // settle keeps the lease for the pause
		case record.NextRestore:
			return r.restore(ctx, st, rec, label, errors.New(rel.Message))
		case record.NextApply:
			r.checkpoint(CheckpointAfterRecord)
			r.printf("%s: setting %s\n", label, rel.To)
			if err = r.readyFor(ctx, rec); err == nil {
				err = r.apply(ctx, st, rel.To)
			}
			if err == nil {
				r.printf("%s: listener verified at %s\n", label, rel.To)
				rec, err = r.write(ctx, func(rec record.Record, now time.Time) (record.Record, error) { return record.MarkApplied(rec, now) })
			}
		case record.NextWatch:
			rec, err = r.watchStep(ctx, st, rec, label)
		}
		if err != nil {
			return r.fail(ctx, st, rec, label, err)
		}
	}
}

// readyFor checks, before a step gives the receiving colour 100%, that its desired
// capacity is still at least the serving colour's (precheck refused a release that
// began without it; a group scaled in since is a step failure, and the stable colour
// gets its traffic back).
func (r *Release) readyFor(ctx context.Context, rec record.Record) error {
	rel := rec.Release
	if rel.To.Of(rel.Target) != 100 {
		return nil
	}
	g, err := r.colorGatesFor(ctx, rel.Target)
	if err != nil {
		return err
	}
	return r.capacityFor100(ctx, g)
}

// watchStep watches the step's weights for the full pause and records the outcome.
func (r *Release) watchStep(ctx context.Context, st *state, rec record.Record, label string) (record.Record, error) {
	if rec.Release.Phase == record.PhaseApplied {
		var err error
		if rec, err = r.write(ctx, func(rec record.Record, now time.Time) (record.Record, error) { return record.StartWatch(rec, now) }); err != nil {
			return rec, err
		}
	}
	j, err := r.watch(ctx, st, rec, label)
	if err != nil {
		return rec, err
	}
	if err := r.smokeAfterStep(ctx, st, rec, label); err != nil { // smoke.go: at the step's live weights
		return rec, err
	}
	// The smoke test can take minutes (requests × paths, 10 s each at most): the listener
	// and the lease are checked again before the step is recorded as passed (on the last
	// step, the release as complete); the watch's last look is recent enough without it.
	if r.Smoke != nil {
		if err := r.stillOurs(ctx, st, rec); err != nil {
			return rec, err
		}
	}
	r.checkpoint(CheckpointBeforeRecord)
	return r.write(ctx, func(rec record.Record, now time.Time) (record.Record, error) {
		// The step's own history entry, with the figures it passed on (for a job summary),
		// before StepPassed's: the last step's is the release-complete entry.
		rel := rec.Release
		to := rel.To
		rec.History = append(slices.Clip(rec.History), record.Entry{At: now, Who: r.who(), Action: "step-passed", Version: rel.AppRef, To: &to,
			Outcome: record.OutcomeSucceeded, Message: fmt.Sprintf("%s: %s", stepLabel(rec), j.figures())})
		return record.StepPassed(rec, r.who(), now)
	})
}

// fail handles a step's failure. An interrupt stops and records where; a refusal (the
// listener moved by someone else, the lease lost) stops without touching traffic; any
// other failure restores all traffic to the stable colour.
func (r *Release) fail(ctx context.Context, st *state, rec record.Record, label string, cause error) error {
	if ctx.Err() != nil {
		return r.interrupted(ctx, st, rec, label, cause)
	}
	r.printf("%s: FAILED: %v\n", label, cause)
	if errors.As(cause, new(Refusal)) {
		if r.lease != nil && !errors.Is(cause, errLeaseLost) {
			r.abort(ctx, cause)
		}
		return cause
	}
	return r.restore(ctx, st, rec, label, cause)
}

// Promote continues a paused manual release with the next step of the release's
// recorded plan, or with full every step left (each verified and watched, without
// pausing); a held release (a --hold plan that ended below 100%) is taken to 100%.
func (r *Release) Promote(ctx context.Context, full bool) error {
	st, err := r.lookDeployed(ctx)
	if err != nil {
		return err
	}
	rel := st.active()
	if !record.Holding(st.rec) && (rel == nil || rel.Phase != record.PhasePaused) {
		return Refusef("no release is paused or holding (the listener serves %s): start one with `bluegreen shift <colour> --manual` (or --hold)", st.live)
	}
	if err := r.takeLease(ctx); err != nil {
		return err
	}
	defer r.stopKeeping()
	defer r.watchInterrupt(ctx)()
	// From here every return goes through settle: a refused promote must not leave its
	// lease to block everyone else until it expires.
	if err := consistent(st.rec, st.live); err != nil {
		return r.settle(ctx, err)
	}
	r.checkpoint(CheckpointBeforeRecord)
	rec, err := r.write(ctx, func(rec record.Record, now time.Time) (record.Record, error) { return record.Promote(rec, full, now) })
	if err != nil {
		return r.settle(ctx, err)
	}
	return r.settle(ctx, r.steps(ctx, st, rec))
}
