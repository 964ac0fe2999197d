package release

import (
	"context"
	"fmt"
	"time"

	"github.com/webapi-platform/infra/internal/record"
)

// watch checks the receiving colour for the recorded pause: the listener still serves
// the step's weights and the lease is still this command's (else it stops at once,
// touching nothing), every target healthy, 5xx rate and p99 latency within the limits.
func (r *Release) watch(ctx context.Context, st *state, rec record.Record, label string) error {
	rel, plan := rec.Release, rec.Plan
	limits := Limits{Max5xxPercent: plan.Max5xxPercent, MaxP99: time.Duration(plan.MaxP99)}
	since := r.Clock.Now()
	end := since.Add(time.Duration(plan.Pause))
	tg := st.targetGroup(rel.Target)
	for first := true; ; first = false {
		if err := r.stillOurs(ctx, st, rec); err != nil {
			return err
		}
		counts, err := r.Health.TargetHealth(ctx, tg)
		if err != nil {
			return err
		}
		if counts.Total == 0 || counts.Healthy < counts.Total {
			return fmt.Errorf("%s: %d of %d targets healthy", rel.Target, counts.Healthy, counts.Total)
		}
		now := r.Clock.Now()
		m, err := r.Health.Metrics(ctx, st.deployed.AlbArnSuffix, st.deployed.TargetGroupArnSuffixes[string(rel.Target)], since, now)
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
			return fmt.Errorf("%s: 5xx rate %.2f%% is above %.2f%%", rel.Target, m.ErrorPercent(), limits.Max5xxPercent)
		}
		if m.HasLatency && m.P99 > limits.MaxP99 {
			return fmt.Errorf("%s: p99 latency %s is above %s", rel.Target, m.P99.Round(time.Millisecond), limits.MaxP99)
		}
		if left <= 0 {
			return nil
		}
		if first {
			r.checkpoint(CheckpointMidPause)
		}
		wait := time.Duration(plan.Interval)
		if wait <= 0 || wait > left {
			wait = left
		}
		if err := r.Clock.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// stillOurs renews the lease and re-reads the listener: if it no longer serves the
// step's weights, someone else moved traffic and the release stops where it is.
func (r *Release) stillOurs(ctx context.Context, st *state, rec record.Record) error {
	if err := r.renew(ctx); err != nil {
		return err
	}
	live, err := r.readLive(ctx, st)
	if err != nil {
		return err
	}
	if want := rec.Release.To; live != want {
		return Refusef("the listener serves %s, not the %s this release set: someone else moved traffic; stopped without touching it (release %s aborted; the stable colour is %s)",
			live, want, rec.Release.ID, rec.StableColor)
	}
	return nil
}

// restore sends all traffic back to the stable colour after a failure, recorded first
// (phase restoring: a command that dies here leaves the next one to finish it).
func (r *Release) restore(ctx context.Context, st *state, rec record.Record, label string, cause error) error {
	live, err := r.readLive(ctx, st)
	if err != nil {
		live = rec.Release.To // the best guess: where the release was going
	}
	rec, err = r.write(ctx, func(rec record.Record, now time.Time) (record.Record, error) {
		return record.StartRestore(rec, live, cause.Error(), now)
	})
	if err != nil {
		return fmt.Errorf("ROLLBACK FAILED (recording the restore: %v; the listener serves %s; run `bluegreen rollback`) (shift failure: %w)", err, live, cause)
	}
	to := rec.Release.To
	r.warnUnready(ctx, st, rec.StableColor, label)
	r.printf("%s: restoring %s\n", label, to)
	if err := r.applyRestore(ctx, st, to); err != nil {
		if ctx.Err() != nil {
			return r.interrupted(ctx, st, rec, label, err)
		}
		return fmt.Errorf("ROLLBACK FAILED (the listener may serve %s; the release record says restoring, so `bluegreen rollback` finishes it): %v (shift failure: %w)", live, err, cause)
	}
	if _, err := r.write(ctx, func(rec record.Record, now time.Time) (record.Record, error) {
		return record.Restored(rec, r.who(), now)
	}); err != nil {
		r.printf("warning: the restore is done but recording it failed: %v\n", err)
	}
	r.printf("%s: restored and verified %s\n", label, to)
	r.endLease(ctx)
	return RolledBack{Cause: cause, Restored: to}
}
