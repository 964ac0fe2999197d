package release

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// Gates are what a step's watch needs before it passes: the limits, and the evidence
// that the limits were judged on real traffic.
type Gates struct {
	Limits
	// MinRequests is the fewest requests the receiving colour must serve in a step's
	// judged minutes; fewer is no evidence and the step is inconclusive.
	MinRequests int
	// MetricLag is how long after a minute ends CloudWatch has all of its datapoints:
	// a minute is judged only once it is that old.
	MetricLag time.Duration
	// P99Breaches slow minutes (p99 above Limits.MaxP99) within any P99Window judged
	// minutes fail a step; a single slow minute (a cold start) does not.
	P99Breaches, P99Window int
	// MaxExtend is how much longer than the pause a step waits for MinRequests.
	MaxExtend time.Duration
	// ELB5xxBaseline is the load balancer's own 5xx per ALB request before the release
	// started (Plan.ELB5xxBaseline).
	ELB5xxBaseline float64
}

// The gates' defaults: what ShiftOptions leave zero and what an older record lacks.
//
// DefaultMetricLag: ALB metrics are published to CloudWatch in 60-second intervals
// ("Elastic Load Balancing reports metrics to CloudWatch only when requests are flowing
// through the load balancer ... measured and sent in 60-second intervals", ELB User
// Guide, "CloudWatch metrics for your Application Load Balancer"), and a minute's
// datapoints are seen to arrive one to three minutes after it ends; a minute younger
// than that would be judged on part of its data.
const (
	DefaultMinRequests = 100
	DefaultMetricLag   = 3 * time.Minute
	DefaultP99Breaches = 2
	DefaultP99Window   = 3
	// DefaultMaxExtend is the extension of a plan that has neither an extension nor a
	// pause (a record written by an older tool with a pause of 0): the default --pause.
	DefaultMaxExtend = 5 * time.Minute
)

// apiAttempts is how many consecutive failures of one AWS read (Health, Fleets, Alarms)
// during a watch fail the step: throttling and 5xx from AWS APIs are transient (the
// SDK's own retryer already retried each call a few times), so one failed read must not
// roll a healthy release back; three in a row, backed off 5 s and 10 s, are not a blip.
const apiAttempts = 3

// apiBackoff is the first wait after a failed AWS read; it doubles after each failure.
const apiBackoff = 5 * time.Second

// gatesOf is a plan's gates, with the defaults for what a record written before the
// gates lacks (the extension defaults to the pause, else DefaultMaxExtend).
func gatesOf(p record.Plan) Gates {
	return Gates{
		Limits:         Limits{Max5xxPercent: p.Max5xxPercent, MaxP99: time.Duration(p.MaxP99)},
		MinRequests:    cmp.Or(p.MinRequests, DefaultMinRequests),
		MetricLag:      cmp.Or(time.Duration(p.MetricLag), DefaultMetricLag),
		P99Breaches:    cmp.Or(p.P99Breaches, DefaultP99Breaches),
		P99Window:      cmp.Or(p.P99Window, DefaultP99Window),
		MaxExtend:      cmp.Or(time.Duration(p.MaxExtend), time.Duration(p.Pause), DefaultMaxExtend),
		ELB5xxBaseline: p.ELB5xxBaseline,
	}
}

// judgement is what a step's judged minutes add up to.
type judgement struct {
	Minutes    int     // minutes judged (with data)
	Requests   float64 // requests to the receiving colour in them
	Errors     float64 // target 5xx + ELB 5xx (above the baseline) + connection errors in them
	WorstP99   time.Duration
	HasLatency bool
	Slow       int // slow minutes in the worst P99Window of them
}

// ErrorPercent is the judged minutes' errors as a percentage of their requests.
func (j judgement) ErrorPercent() float64 {
	if j.Requests == 0 {
		return 0
	}
	return 100 * j.Errors / j.Requests
}

// figures are a step's gate figures for its history entry and a job summary.
func (j judgement) figures() string {
	p99 := "n/a"
	if j.HasLatency {
		p99 = j.WorstP99.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("%.0f requests, 5xx %.2f%%, worst p99 %s, %d minutes judged", j.Requests, j.ErrorPercent(), p99, j.Minutes)
}

// judge checks the judged minutes (oldest first) against the gates. The 5xx rate is
// judged over every trailing run of minutes that has MinRequests requests (the shortest
// one ending at each minute), so a regression in the last minute is not diluted by the
// healthy minutes before it, and over all the minutes together; a run with fewer
// requests is no evidence either way. p99 fails when P99Breaches of any P99Window
// consecutive minutes with latency data are above the limit.
func judge(target infra.Color, minutes []Minute, g Gates) (judgement, error) {
	minutes = chargeELB5xx(minutes, g.ELB5xxBaseline)
	var j judgement
	var slow []bool
	for _, m := range minutes {
		j.Minutes++
		j.Requests += m.Requests
		j.Errors += m.Errors()
		if m.HasLatency {
			j.WorstP99, j.HasLatency = max(j.WorstP99, m.P99), true
			slow = append(slow, m.P99 > g.MaxP99)
		}
	}
	for end := range minutes {
		if err := judgeRun(target, minutes, end, g); err != nil {
			return j, err
		}
	}
	if float64(g.MinRequests) <= j.Requests && j.ErrorPercent() > g.Max5xxPercent {
		return j, fmt.Errorf("%s: 5xx rate %.2f%% is above %.2f%% (%.0f of %.0f requests in %d minutes)", target, j.ErrorPercent(), g.Max5xxPercent, j.Errors, j.Requests, j.Minutes)
	}
	for i := range slow {
		n := 0
		for _, s := range slow[max(0, i-g.P99Window+1) : i+1] {
			if s {
				n++
			}
		}
		j.Slow = max(j.Slow, n)
	}
	if j.Slow >= g.P99Breaches {
		return j, fmt.Errorf("%s: p99 latency above %s in %d of %d consecutive minutes (worst %s)", target, g.MaxP99, j.Slow, g.P99Window, j.WorstP99.Round(time.Millisecond))
	}
	return j, nil
}

// chargeELB5xx leaves in each minute the ELB 5xx the receiving colour is charged with.
// The load balancer's own 5xx (HTTPCode_ELB_5XX_Count) exist only per LoadBalancer (and
// AvailabilityZone), never per TargetGroup (ELB User Guide, "CloudWatch metrics for your
// Application Load Balancer", docs.aws.amazon.com/elasticloadbalancing/latest/
// application/load-balancer-cloudwatch-metrics.html): CloudWatch does not say which
// colour's requests they answered. Charging all of them to the receiving colour
// multiplies the stable colour's background by its share (at 10%, ~9 times) against
// the limit; charging none would let a colour whose targets the ALB cannot reach pass.
// So the receiving colour is charged with the excess over the rate the load balancer had
// before the release (baseline: ELB 5xx per ALB request, RequestCount per LoadBalancer
// alone, measured once and recorded in the plan): per minute, ELB5xx − baseline ×
// ALBRequests, never below 0. A minute without the ALB's request count, or a plan
// without a baseline, charges every ELB 5xx, as before.
func chargeELB5xx(minutes []Minute, baseline float64) []Minute {
	if baseline <= 0 {
		return minutes
	}
	out := slices.Clone(minutes)
	for i := range out {
		out[i].ELB5xx = max(0, out[i].ELB5xx-baseline*out[i].ALBRequests)
	}
	return out
}

// judgeRun judges the shortest run of minutes ending at minutes[end] with MinRequests.
func judgeRun(target infra.Color, minutes []Minute, end int, g Gates) error {
	var requests, errs float64
	for i := end; i >= 0; i-- {
		requests += minutes[i].Requests
		errs += minutes[i].Errors()
		if requests < float64(g.MinRequests) {
			continue
		}
		if rate := 100 * errs / requests; rate > g.Max5xxPercent {
			return fmt.Errorf("%s: 5xx rate %.2f%% is above %.2f%% (%.0f of %.0f requests, %s to %s)", target, rate, g.Max5xxPercent, errs, requests,
				minutes[i].Start.UTC().Format("15:04"), minutes[end].Start.Add(time.Minute).UTC().Format("15:04"))
		}
		return nil
	}
	return nil
}

// targetVerdict checks the receiving colour's targets against its Auto Scaling group.
// Draining targets are ignored (deregistering: the ALB sends them no new requests).
// Initial ones (registering) are waited for while settled is false, and named once it is
// true; any other state fails at once. Healthy targets must equal the group's in-service
// instances, which must equal its desired capacity: fewer means part of the fleet the
// step is judged on is missing. waiting says the step cannot pass yet.
func targetVerdict(c infra.Color, tc TargetCounts, f Fleet, settled bool) (waiting bool, err error) {
	initial := tc.Initial > 0 && !settled
	switch inService := f.InService(); {
	case tc.Healthy == 0 && !initial:
		names := problemList(tc, "")
		if names != "" {
			names = ": " + names
		}
		return false, fmt.Errorf("%s has no healthy targets (%d registered)%s", c, tc.Total, names)
	case tc.Others > 0:
		return false, fmt.Errorf("%s: %d of %d targets unhealthy: %s", c, tc.Others, tc.Total-tc.Draining, problemList(tc, "initial"))
	case tc.Initial > 0 && settled:
		return false, fmt.Errorf("%s: %d targets never became healthy: %s", c, tc.Initial, problemList(tc, ""))
	case inService != f.Desired:
		return false, fmt.Errorf("%s: %d of %d desired instances in service in Auto Scaling group %s", c, inService, f.Desired, f.Name)
	case tc.Healthy+tc.Initial != f.Desired:
		return false, fmt.Errorf("%s: %d healthy targets, want %d (the desired capacity of Auto Scaling group %s, all in service)", c, tc.Healthy, f.Desired, f.Name)
	}
	return initial, nil
}

// problemList names the problem targets (but those in state skip): "i-1 (unhealthy,
// Target.FailedHealthChecks: Health checks failed)"; empty without any.
func problemList(tc TargetCounts, skip string) string {
	var parts []string
	for _, p := range tc.Problems {
		if p.State == skip {
			continue
		}
		why := strings.Join(slices.DeleteFunc([]string{p.State, p.Reason}, func(s string) bool { return s == "" }), ", ")
		if p.Description != "" {
			why += ": " + p.Description
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", p.ID, why))
	}
	return strings.Join(parts, ", ")
}

// alarmVerdict fails when an alarm fires, or does not exist (fail closed: a renamed or
// deleted alarm must not quietly stop gating).
func alarmVerdict(c infra.Color, names []string, states map[string]AlarmState) error {
	for _, n := range names {
		s, ok := states[n]
		switch {
		case !ok:
			return fmt.Errorf("%s: alarm %q does not exist in CloudWatch", c, n)
		case s.Value == AlarmStateAlarm:
			return fmt.Errorf("%s: alarm %s is in ALARM (%s)", c, n, s.Reason)
		}
	}
	return nil
}

// retried calls read until it succeeds, apiAttempts times at most, backing off on the
// release's clock; a refusal, a stack the backend does not have and an ended context
// are not retried.
func retried[T any](ctx context.Context, r *Release, what string, read func() (T, error)) (T, error) {
	wait := apiBackoff
	for attempt := 1; ; attempt++ {
		v, err := read()
		if err == nil || errors.As(err, new(Refusal)) || errors.Is(err, ErrStackNotFound) || ctx.Err() != nil {
			return v, err
		}
		if attempt == apiAttempts {
			return v, fmt.Errorf("%s failed %d times in a row: %w", what, apiAttempts, err)
		}
		r.printf("%s failed (attempt %d of %d), retrying in %s: %v\n", what, attempt, apiAttempts, wait, err)
		if serr := r.Clock.Sleep(ctx, wait); serr != nil {
			return v, serr
		}
		wait *= 2
	}
}
