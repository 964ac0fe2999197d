package release

import (
	"context"
	"time"

	"github.com/webapi-platform/infra/internal/record"
)

// baselineWindow is how long before a release its ELB 5xx baseline is measured over:
// long enough to smooth a single noisy minute, short enough to be the traffic of now.
const baselineWindow = 10 * time.Minute

// elb5xxBaseline measures the load balancer's own 5xx per ALB request over the
// baselineWindow of fully arrived minutes (older than lag) before a release starts, for
// chargeELB5xx (gates.go). It is 0 — every ELB 5xx charged to the receiving colour, the
// safe side — when the Health cannot answer for the load balancer alone, the read fails,
// or the load balancer served fewer than minRequests requests (too few to be a rate).
// The window starts no earlier than the last time the history says traffic moved (a
// rollback's minutes hold the failed colour's errors, not the background), and the rate
// is capped at half the 5xx limit: a baseline that large is an incident, not background,
// and must not absorb the receiving colour's own errors.
func (r *Release) elb5xxBaseline(ctx context.Context, st *state, lag time.Duration, minRequests int, limitPercent float64) float64 {
	lb, ok := r.Health.(LoadBalancerMetrics)
	if !ok || st.deployed == nil || st.deployed.AlbArnSuffix == "" {
		return 0
	}
	end := r.Clock.Now().Add(-lag).Truncate(time.Minute)
	q := MetricsQuery{AlbArnSuffix: st.deployed.AlbArnSuffix, Start: end.Add(-baselineWindow), End: end}
	if moved := lastTrafficMove(st.rec.History); moved.After(q.Start) {
		q.Start = moved
	}
	if !q.Start.Before(q.End) {
		r.printf("ELB 5xx baseline: traffic moved less than %s ago: every ELB 5xx during the release is charged to the receiving colour\n", lag)
		return 0
	}
	minutes, err := retried(ctx, r, "reading the load balancer's 5xx before the release", func() ([]Minute, error) { return lb.LoadBalancerMinutes(ctx, q) })
	if err != nil {
		r.printf("warning: no ELB 5xx baseline (%v): every ELB 5xx during the release is charged to the receiving colour\n", err)
		return 0
	}
	var elb5xx, requests float64
	for _, m := range minutes {
		elb5xx += m.ELB5xx
		requests += m.ALBRequests
	}
	span := q.Start.UTC().Format("15:04") + " to " + q.End.UTC().Format("15:04")
	if requests < float64(minRequests) {
		r.printf("ELB 5xx baseline: %.0f ALB requests %s, fewer than %d: every ELB 5xx during the release is charged to the receiving colour\n", requests, span, minRequests)
		return 0
	}
	baseline := elb5xx / requests
	if limit := limitPercent / 200; baseline > limit {
		r.printf("ELB 5xx baseline: %.3f%% of ALB requests %s is more than half the %.2f%% limit: capped at %.3f%%\n", 100*baseline, span, limitPercent, 100*limit)
		return limit
	}
	r.printf("ELB 5xx baseline: %.0f of %.0f ALB requests (%.3f%%) %s: only ELB 5xx above that rate are charged to the receiving colour\n", elb5xx, requests, 100*baseline, span)
	return baseline
}

// lastTrafficMove is when the history last records weights set on the listener (an entry
// with To: a step, a rollback, a restore); zero when none.
func lastTrafficMove(history []record.Entry) time.Time {
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].To != nil {
			return history[i].At.Truncate(time.Minute).Add(time.Minute)
		}
	}
	return time.Time{}
}
