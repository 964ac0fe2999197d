package release

import (
	"context"
	"fmt"
	"time"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// watch judges the receiving colour for the recorded pause, and for as long after it as
// its last minute's metrics take to arrive: the listener still serves the step's weights
// and the lease is still this command's (else it stops at once, touching nothing), the
// targets as many and as healthy as the group's desired capacity, none of its alarms in
// ALARM, and every fully arrived minute's 5xx rate and p99 within the gates. With fewer
// than MinRequests requests in the judged minutes the pause extends, up to MaxExtend;
// then the step fails as inconclusive.
func (r *Release) watch(ctx context.Context, st *state, rec record.Record, label string) (judgement, error) {
	rel := rec.Release
	g := gatesOf(*rec.Plan)
	cg, err := r.releaseGates(ctx, rec)
	if err != nil {
		return judgement{}, fmt.Errorf("%w (the gates cannot be read)", err)
	}
	w := newWindow(r.Clock.Now(), time.Duration(rec.Plan.Pause), g)
	query := MetricsQuery{AlbArnSuffix: st.deployed.AlbArnSuffix, TargetGroupArnSuffix: st.deployed.TargetGroupArnSuffixes[string(rel.Target)]}
	for first := true; ; first = false {
		if err := r.stillOurs(ctx, st, rec); err != nil {
			return judgement{}, err
		}
		now := r.Clock.Now()
		j, done, err := r.judgeOnce(ctx, st, cg, &w, query, now, label)
		if err != nil || done {
			return j, err
		}
		if first {
			r.checkpoint(CheckpointMidPause)
		}
		if err := r.Clock.Sleep(ctx, w.nextWait(now, time.Duration(rec.Plan.Interval))); err != nil {
			return j, err
		}
	}
}

// judgeOnce is one look at the receiving colour: targets, alarms, and the minutes
// arrived so far. done says the step passed.
func (r *Release) judgeOnce(ctx context.Context, st *state, cg colorGates, w *window, q MetricsQuery, now time.Time, label string) (judgement, bool, error) {
	c := cg.color
	counts, fleet, err := r.readTargets(ctx, st, cg)
	if err != nil {
		return judgement{}, false, err
	}
	waiting, err := targetVerdict(c, counts, fleet, w.paused(now))
	if err != nil {
		return judgement{}, false, err
	}
	if err := r.checkAlarms(ctx, cg); err != nil {
		return judgement{}, false, err
	}
	var minutes []Minute
	if q.Start, q.End = w.first, w.arrivedEnd(now); q.Start.Before(q.End) {
		if minutes, err = retried(ctx, r, "reading "+string(c)+"'s metrics", func() ([]Minute, error) { return r.Health.Metrics(ctx, q) }); err != nil {
			return judgement{}, false, err
		}
	}
	j, verdict := judge(c, minutes, w.gates)
	latency := "n/a"
	if j.HasLatency {
		latency = j.WorstP99.Round(time.Millisecond).String()
	}
	r.printf("%s | targets %d/%d healthy, %d in service | 5xx %.2f%% of %.0f requests in %d minutes (max %.2f%%, needs %d requests) | p99 %s (max %s; %d slow minutes, %d of %d fail) | %d alarms OK | %s left%s\n",
		label, counts.Healthy, fleet.Desired, fleet.InService(), j.ErrorPercent(), j.Requests, j.Minutes, w.gates.Max5xxPercent, w.gates.MinRequests,
		latency, w.gates.MaxP99, j.Slow, w.gates.P99Breaches, w.gates.P99Window, len(cg.alarms()), max(w.end.Sub(now), 0).Round(time.Second), w.lagNote(now))
	if verdict != nil || !w.paused(now) || !w.allArrived(now) || waiting {
		return j, false, verdict
	}
	if j.Requests >= float64(w.gates.MinRequests) {
		return j, true, nil
	}
	if !w.extend() {
		return j, false, fmt.Errorf("%s: not enough traffic to judge: %.0f requests in %d minutes, at least %d needed (--min-requests); the pause was extended by %s (--max-extend) without reaching them",
			c, j.Requests, j.Minutes, w.gates.MinRequests, w.gates.MaxExtend)
	}
	r.printf("%s: not enough traffic to judge yet (%.0f of %d requests): extending the pause to %s\n", label, j.Requests, w.gates.MinRequests, w.end.Sub(w.start).Round(time.Second))
	return j, false, nil
}

// window is a step's watch in time: from its start to the end of its pause (extended
// when traffic is short, up to limit), judged on the whole minutes it overlaps once each
// is older than the metric lag.
type window struct {
	gates             Gates
	start, end, limit time.Time
	first             time.Time // the first minute judged: the one the watch starts in
}

func newWindow(start time.Time, pause time.Duration, g Gates) window {
	end := start.Add(pause)
	return window{gates: g, start: start, end: end, limit: end.Add(g.MaxExtend), first: start.Truncate(time.Minute)}
}

// lastEnd is the end of the window's last minute.
func (w *window) lastEnd() time.Time {
	if t := w.end.Truncate(time.Minute); t.Before(w.end) {
		return t.Add(time.Minute)
	}
	return w.end
}

// arrivedEnd is where the minutes that have fully arrived at now end, within the window.
func (w *window) arrivedEnd(now time.Time) time.Time {
	t := now.Add(-w.gates.MetricLag).Truncate(time.Minute)
	if t.After(w.lastEnd()) {
		return w.lastEnd()
	}
	return t
}

func (w *window) paused(now time.Time) bool { return !now.Before(w.end) }

func (w *window) allArrived(now time.Time) bool {
	return !now.Before(w.lastEnd().Add(w.gates.MetricLag))
}

// lagNote says, once the pause is over, what the watch still waits for.
func (w *window) lagNote(now time.Time) string {
	if !w.paused(now) || w.allArrived(now) {
		return ""
	}
	return fmt.Sprintf(" (waiting %s for the last minute's metrics: CloudWatch has a minute's ALB metrics up to %s after it ends)",
		w.lastEnd().Add(w.gates.MetricLag).Sub(now).Round(time.Second), w.gates.MetricLag)
}

// extend lengthens the pause by a minute, up to the limit; false when it is reached.
func (w *window) extend() bool {
	if !w.end.Before(w.limit) {
		return false
	}
	w.end = w.end.Add(time.Minute)
	if w.end.After(w.limit) {
		w.end = w.limit
	}
	return true
}

// nextWait is how long to sleep before the next look: the interval, but never past the
// pause's end nor, after it, past the moment the last minute arrives.
func (w *window) nextWait(now time.Time, interval time.Duration) time.Duration {
	next := w.end
	if w.paused(now) {
		next = w.lastEnd().Add(w.gates.MetricLag)
	}
	wait := next.Sub(now)
	if interval > 0 && interval < wait {
		wait = interval
	}
	return max(wait, time.Second)
}

// stillOurs renews the lease and re-reads the listener: if it no longer serves the
// step's weights, someone else moved traffic and the release stops where it is.
func (r *Release) stillOurs(ctx context.Context, st *state, rec record.Record) error {
	if err := r.renew(ctx); err != nil {
		return err
	}
	live, err := retried(ctx, r, "reading the listener's weights", func() (infra.Weights, error) { return r.readLive(ctx, st) })
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
