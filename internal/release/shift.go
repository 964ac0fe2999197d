package release

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/webapi-platform/infra/infra"
)

// ShiftOptions describes one shift.
type ShiftOptions struct {
	Target   infra.Color
	Steps    []int         // ascending percentages for Target, ending at 100 for a full shift
	Pause    time.Duration // health watch after each step
	Interval time.Duration // between health checks during a pause
	Manual   bool          // stop after each step until `promote`
	Limits   *Limits       // nil: from config
}

// Shift moves traffic to opts.Target step by step. It resumes from the current weights,
// refuses to start without healthy targets in the receiving colour, watches health
// after each step, and on any failure restores all traffic to the stable colour.
func (r *Release) Shift(ctx context.Context, opts ShiftOptions) error {
	st, err := r.edge(ctx)
	if err != nil {
		return err
	}
	if err := st.requireDeployed(); err != nil {
		return err
	}
	current := st.weights.Of(opts.Target)
	var pending []int
	for _, s := range opts.Steps {
		if s > current {
			pending = append(pending, s)
		}
	}
	if len(pending) == 0 {
		r.printf("%s already has %d%% (%s): nothing to shift\n", opts.Target, current, st.weights)
		return nil
	}
	// Moving part of the traffic back towards the stable colour is a rollback, not a
	// release; checked before anything is asked of AWS or written.
	if current > 0 && st.stable == opts.Target {
		return Refusef("%s is the stable colour of the last shift; use `bluegreen rollback` to send traffic back to it", opts.Target)
	}
	limits := Limits{}
	if opts.Limits != nil {
		limits = *opts.Limits
	} else if limits, err = r.limitsFor(ctx, opts.Target); err != nil {
		return err
	}
	counts, err := r.Health.TargetHealth(ctx, st.targetGroup(opts.Target))
	if err != nil {
		return err
	}
	if counts.Healthy == 0 {
		return Refusef("%s has no healthy targets (%d registered): deploy it and wait for its health checks before shifting traffic to it", opts.Target, counts.Total)
	}
	// A shift that starts with the receiving colour at 0% records who served before, so
	// rollback (and a failure here) know where to send everything back.
	if current == 0 {
		if err := r.Engine.SetConfig(ctx, st.color, map[string]string{"stableColor": string(opts.Target.Other())}); err != nil {
			return err
		}
		st.stable = opts.Target.Other()
	}
	if current > 0 {
		r.printf("resuming: %s has %d%%; continuing with steps %v\n", opts.Target, current, pending)
	}
	return r.runSteps(ctx, st, opts, limits, pending)
}

// runSteps applies each pending step and watches it; the first failure restores all
// traffic to the stable colour.
func (r *Release) runSteps(ctx context.Context, st *edgeState, opts ShiftOptions, limits Limits, pending []int) error {
	restore := with(st.stable, 100)
	for i, step := range pending {
		w := with(opts.Target, step)
		stepStart := r.Clock.Now()
		label := fmt.Sprintf("step %d/%d %s %d%%", i+1, len(pending), opts.Target, step)
		r.printf("%s: setting %s\n", label, w)
		err := r.apply(ctx, st, w)
		if err == nil {
			r.printf("%s: listener verified at %s\n", label, w)
			err = r.watch(ctx, st, opts, limits, label, stepStart)
		}
		if err != nil {
			r.printf("%s: FAILED: %v\n%s: restoring %s\n", label, err, label, restore)
			if rerr := r.apply(ctx, st, restore); rerr != nil {
				return fmt.Errorf("ROLLBACK FAILED (weights may be at %s; run `bluegreen rollback`): %v (shift failure: %w)", w, rerr, err)
			}
			r.printf("%s: restored and verified %s\n", label, restore)
			return RolledBack{Cause: err, Restored: restore}
		}
		if opts.Manual && i < len(pending)-1 {
			r.printf("paused at %s: check it, then run `bluegreen promote` to continue (or `bluegreen rollback`)\n", w)
			return nil
		}
	}
	r.printf("shift complete: %s\n", with(opts.Target, pending[len(pending)-1]))
	return nil
}

// watch checks the receiving colour for the pause: every target healthy, 5xx rate and
// p99 latency within limits.
func (r *Release) watch(ctx context.Context, st *edgeState, opts ShiftOptions, limits Limits, label string, since time.Time) error {
	end := since.Add(opts.Pause)
	tg := st.targetGroup(opts.Target)
	for {
		counts, err := r.Health.TargetHealth(ctx, tg)
		if err != nil {
			return err
		}
		if counts.Total == 0 || counts.Healthy < counts.Total {
			return fmt.Errorf("%s: %d of %d targets healthy", opts.Target, counts.Healthy, counts.Total)
		}
		now := r.Clock.Now()
		m, err := r.Health.Metrics(ctx, st.deployed.AlbArnSuffix, st.deployed.TargetGroupArnSuffixes[string(opts.Target)], since, now)
		if err != nil {
			return err
		}
		left := max(end.Sub(now), 0)
		latency := "n/a"
		if m.HasLatency {
			latency = m.P99.Round(time.Millisecond).String()
		}
		r.printf("%s | targets %d/%d healthy | 5xx %.2f%% of %.0f requests (max %.2f%%) | p99 %s (max %s) | %s left\n",
			label, counts.Healthy, counts.Total, m.ErrorPercent(), m.Requests, limits.Max5xxPercent, latency, limits.MaxP99, left.Round(time.Second))
		if m.ErrorPercent() > limits.Max5xxPercent {
			return fmt.Errorf("%s: 5xx rate %.2f%% is above %.2f%%", opts.Target, m.ErrorPercent(), limits.Max5xxPercent)
		}
		if m.HasLatency && m.P99 > limits.MaxP99 {
			return fmt.Errorf("%s: p99 latency %s is above %s", opts.Target, m.P99.Round(time.Millisecond), limits.MaxP99)
		}
		if left <= 0 {
			return nil
		}
		wait := opts.Interval
		if wait <= 0 || wait > left {
			wait = left
		}
		if err := r.Clock.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// Promote continues a manual shift with its next step (or straight to 100% with full).
func (r *Release) Promote(ctx context.Context, opts ShiftOptions, full bool) error {
	st, err := r.edge(ctx)
	if err != nil {
		return err
	}
	target := st.stable.Other()
	if st.weights.Of(target) == 0 {
		return Refusef("no shift is in progress (%s): start one with `bluegreen shift %s --manual`", st.weights, target)
	}
	opts.Target = target
	if full {
		opts.Steps = []int{100}
	}
	return r.Shift(ctx, opts)
}

// Rollback sends all traffic back to the stable colour in one targeted update.
func (r *Release) Rollback(ctx context.Context, force bool) error {
	st, err := r.edge(ctx)
	if err != nil {
		return err
	}
	if err := st.requireDeployed(); err != nil {
		return err
	}
	w := with(st.stable, 100)
	counts, err := r.Health.TargetHealth(ctx, st.targetGroup(st.stable))
	if err != nil {
		return err
	}
	if counts.Healthy == 0 && !force {
		return Refusef("%s (the stable colour) has no healthy targets; rolling back would send all traffic to nothing (use --force to do it anyway)", st.stable)
	}
	start := r.Clock.Now()
	if err := r.apply(ctx, st, w); err != nil {
		return err
	}
	last := r.Touched[len(r.Touched)-1]
	r.printf("rolled back to %s in %s (%d resource(s) updated: %s)\n", w, r.Clock.Now().Sub(start).Round(time.Millisecond), last.Modified(), strings.Join(last.Touched, ", "))
	return nil
}
