package release

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
)

// The load balancer's own 5xx have no target group: at a 10% step, a background of
// ELB 5xx that the stable colour's 90% always had must not be charged to the receiving
// colour; only the excess over the rate before the release is.
func TestJudgeChargesOnlyTheELB5xxAboveTheBaseline(t *testing.T) {
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	minutes := func(elb5xx float64) []Minute {
		var out []Minute
		for i := range 5 {
			out = append(out, Minute{Start: at.Add(time.Duration(i) * time.Minute), Requests: 1000, Target5xx: 1, ELB5xx: elb5xx, ALBRequests: 10000,
				P99: 200 * time.Millisecond, HasLatency: true})
		}
		return out
	}
	gates := func(baseline float64) Gates {
		return Gates{Limits: Limits{Max5xxPercent: 1, MaxP99: time.Second}, MinRequests: 100, P99Breaches: 2, P99Window: 3, ELB5xxBaseline: baseline}
	}
	for name, tc := range map[string]struct {
		elb5xx, baseline float64
		wantErr          string
		wantErrors       float64
	}{
		"the stable colour's background (0.1% of the ALB's requests) passes": {elb5xx: 10, baseline: 0.001, wantErrors: 5 * 1},
		"no baseline: every ELB 5xx is the receiving colour's":               {elb5xx: 10, baseline: 0, wantErr: "5xx rate 1.10% is above 1.00%"},
		"a rise above the baseline is charged":                               {elb5xx: 30, baseline: 0.001, wantErr: "5xx rate 2.10% is above 1.00%"},
	} {
		t.Run(name, func(t *testing.T) {
			j, err := judge(infra.Green, minutes(tc.elb5xx), gates(tc.baseline))
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantErrors, j.Errors)
		})
	}
	t.Run("a minute without the load balancer's requests charges all its ELB 5xx", func(t *testing.T) {
		m := minutes(10)
		for i := range m {
			m[i].ALBRequests = 0
		}
		_, err := judge(infra.Green, m, gates(0.001))
		assert.ErrorContains(t, err, "5xx rate 1.10% is above 1.00%")
	})
}

// lbHealth is a Health that also answers for the load balancer alone, as awsops does.
type lbHealth struct {
	*fakeHealth
	minute func(m time.Time) Minute
	asked  []MetricsQuery
}

func (h *lbHealth) LoadBalancerMinutes(_ context.Context, q MetricsQuery) ([]Minute, error) {
	h.asked = append(h.asked, q)
	var out []Minute
	for m := q.Start; m.Before(q.End); m = m.Add(time.Minute) {
		minute := h.minute(m)
		minute.Start = m
		out = append(out, minute)
	}
	return out, nil
}

// A release measures the ELB 5xx per ALB request in the minutes before it starts,
// records it in its plan, and charges the receiving colour only with the excess.
func TestShiftMeasuresTheELB5xxBaselineBeforeItStarts(t *testing.T) {
	background := func(time.Time) Minute { return Minute{ELB5xx: 25, ALBRequests: 10000} }
	setup := func(elb5xxAfterStart float64) (*fixture, *lbHealth) {
		f := newFixture(0, infra.Blue)
		start := f.clock.now
		f.greenTraffic(func(m time.Time) (Minute, bool) {
			elb := 25.0
			if !m.Before(start.Add(2 * time.Minute)) {
				elb = elb5xxAfterStart
			}
			return Minute{Requests: 1000, Target5xx: 1, ELB5xx: elb, ALBRequests: 10000, P99: 200 * time.Millisecond, HasLatency: true}, true
		})
		h := &lbHealth{fakeHealth: f.health, minute: background}
		f.r.Health = h
		return f, h
	}
	t.Run("the stable colour's background passes", func(t *testing.T) {
		f, h := setup(25)
		require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(10, 100)), f.out.String())
		require.NotEmpty(t, h.asked)
		q := h.asked[0]
		assert.Equal(t, "app/x/1", q.AlbArnSuffix)
		assert.Equal(t, 10*time.Minute, q.End.Sub(q.Start), "the minutes before the release")
		assert.False(t, q.End.After(f.store.load().Release.Started.Add(-DefaultMetricLag)), "only minutes that have fully arrived")
		assert.InDelta(t, 0.0025, f.store.load().Plan.ELB5xxBaseline, 1e-9, "recorded in the plan, so a resume judges the same")
	})
	t.Run("a rise after the release started is charged", func(t *testing.T) {
		f, _ := setup(60)
		err := shiftRolledBack(t, f, shiftToGreen(10, 100))
		assert.ErrorContains(t, err, "5xx rate 3.60% is above 2.00%")
	})
	t.Run("without the load balancer's metrics, every ELB 5xx is charged", func(t *testing.T) {
		f, _ := setup(25)
		f.r.Health = f.health
		err := shiftRolledBack(t, f, shiftToGreen(10, 100))
		assert.ErrorContains(t, err, "5xx rate 2.60% is above 2.00%")
	})
}
