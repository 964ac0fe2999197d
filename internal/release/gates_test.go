package release

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// greenTraffic scripts green's minutes (blue's stay steady).
func (f *fixture) greenTraffic(minute func(m time.Time) (Minute, bool)) {
	f.health.traffic = func(tg string, m time.Time) (Minute, bool) {
		if tg != "tg/green" {
			return steadyMinute(), true
		}
		return minute(m)
	}
}

// onSleep runs hook before each of the release's sleeps, with the sleep's number (1, 2, …).
func (f *fixture) onSleep(hook func(n int)) {
	n := 0
	f.r.Clock = sleepHook{fakeClock: f.clock, hook: func() { n++; hook(n) }}
}

// shiftRolledBack runs a shift that must fail its gates and be restored (exit 4).
func shiftRolledBack(t *testing.T, f *fixture, opts ShiftOptions) error {
	t.Helper()
	err := f.r.Shift(context.Background(), opts)
	require.Error(t, err)
	assert.Equal(t, ExitRolledBack, ExitCode(err), "%v\n%s", err, f.out.String())
	assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live(), "restored")
	assert.Equal(t, record.OutcomeRolledBack, f.store.load().Release.Outcome)
	return err
}

// shiftRefused runs a shift that must be refused before any traffic moved (exit 3).
func shiftRefused(t *testing.T, f *fixture, opts ShiftOptions) error {
	t.Helper()
	err := f.r.Shift(context.Background(), opts)
	require.Error(t, err)
	assert.Equal(t, ExitRefused, ExitCode(err), "%v\n%s", err, f.out.String())
	assert.Empty(t, f.eng.ups, "nothing was updated")
	assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
	return err
}

func TestZeroTrafficExtendsThenFailsInconclusive(t *testing.T) {
	f := newFixture(0, infra.Blue)
	f.greenTraffic(func(time.Time) (Minute, bool) { return Minute{}, false })
	start := f.clock.now
	err := shiftRolledBack(t, f, shiftToGreen(10, 100))
	assert.ErrorContains(t, err, "green: not enough traffic to judge: 0 requests in 0 minutes, at least 100 needed")
	assert.Contains(t, f.out.String(), "not enough traffic to judge yet (0 of 100 requests): extending the pause to 6m0s")
	assert.Equal(t, []int{10, 0}, f.aws.greens(), "never beyond the first step")
	assert.Equal(t, (5+5+3)*time.Minute, f.clock.now.Sub(start), "the pause, its extension (the pause again) and the metric lag")
}

func TestLowTrafficPassesOnceTheExtensionHasEnough(t *testing.T) {
	f := newFixture(0, infra.Blue)
	f.greenTraffic(func(time.Time) (Minute, bool) { return Minute{Requests: 15}, true })
	require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(100)), f.out.String())
	assert.Contains(t, f.out.String(), "extending the pause to 7m0s")
	assert.NotContains(t, f.out.String(), "extending the pause to 8m0s", "7 minutes of 15 requests are 105")
}

func TestLateRegressionInTheLastMinuteFails(t *testing.T) {
	f := newFixture(0, infra.Blue)
	last := f.clock.now.Add(4 * time.Minute) // the last minute of the first step's pause
	f.greenTraffic(func(m time.Time) (Minute, bool) {
		if m.Equal(last) {
			return Minute{Requests: 1000, Target5xx: 60}, true
		}
		return Minute{Requests: 1000, Target5xx: 1}, true
	})
	err := shiftRolledBack(t, f, shiftToGreen(10, 100))
	// Over the whole window it is (4+60)/5000 = 1.28%, under green's 2%: a cumulative
	// rate would have passed it.
	assert.ErrorContains(t, err, "green: 5xx rate 6.00% is above 2.00% (60 of 1000 requests, 12:04 to 12:05)")
}

func TestP99FailsOnlyOnNOfMSlowMinutes(t *testing.T) {
	slow := func(f *fixture, slowMinutes ...int) {
		start := f.clock.now
		f.greenTraffic(func(m time.Time) (Minute, bool) {
			minute := steadyMinute()
			for _, s := range slowMinutes {
				if m.Equal(start.Add(time.Duration(s) * time.Minute)) {
					minute.P99 = 3 * time.Second
				}
			}
			return minute, true
		})
	}
	t.Run("one slow minute (a cold start) passes", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		slow(f, 0)
		require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(100)), f.out.String())
		assert.Contains(t, f.out.String(), "p99 3s (max 800ms; 1 slow minutes, 2 of 3 fail)")
	})
	t.Run("two slow minutes three apart pass", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		slow(f, 0, 3)
		require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(100)), f.out.String())
	})
	t.Run("two of three slow fail", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		slow(f, 1, 3)
		err := shiftRolledBack(t, f, shiftToGreen(100))
		assert.ErrorContains(t, err, "green: p99 latency above 800ms in 2 of 3 consecutive minutes (worst 3s)")
	})
	t.Run("N of M from the flags", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		slow(f, 1, 3)
		opts := shiftToGreen(100)
		opts.P99Breaches, opts.P99Window = 3, 5
		require.NoError(t, f.r.Shift(context.Background(), opts), f.out.String())
		assert.Equal(t, 3, f.store.load().Plan.P99Breaches)
	})
}

func TestELBOnly5xxAndConnectionErrorsCount(t *testing.T) {
	for name, bad := range map[string]Minute{
		"the load balancer's own 5xx": {Requests: 1000, ELB5xx: 50},
		"connection errors":           {Requests: 1000, ConnectionErrors: 50},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(0, infra.Blue)
			f.greenTraffic(func(time.Time) (Minute, bool) { return bad, true })
			err := shiftRolledBack(t, f, shiftToGreen(10, 100))
			assert.ErrorContains(t, err, "green: 5xx rate 5.00% is above 2.00%")
		})
	}
}

func TestTransientAWSErrorsAreRetried(t *testing.T) {
	throttled := errors.New("ThrottlingException: Rate exceeded")
	t.Run("one that recovers passes", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.health.metricsErr = []error{throttled, throttled}
		f.fleets.err = nil
		require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(100)), f.out.String())
		assert.Contains(t, f.out.String(), "reading green's metrics failed (attempt 2 of 3), retrying in 10s: ThrottlingException")
	})
	t.Run("three in a row fail the step", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.health.metricsErr = []error{throttled, throttled, throttled}
		err := shiftRolledBack(t, f, shiftToGreen(100))
		assert.ErrorContains(t, err, "reading green's metrics failed 3 times in a row: ThrottlingException")
	})
	t.Run("Auto Scaling and alarm reads too", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.onSleep(func(n int) {
			switch n {
			case 2:
				f.fleets.mu.Lock()
				f.fleets.err = throttled
				f.fleets.mu.Unlock()
			case 3:
				f.fleets.mu.Lock()
				f.fleets.err = nil
				f.fleets.mu.Unlock()
				f.alarms.mu.Lock()
				f.alarms.err = throttled
				f.alarms.mu.Unlock()
			case 4:
				f.alarms.mu.Lock()
				f.alarms.err = nil
				f.alarms.mu.Unlock()
			}
		})
		require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(100)), f.out.String())
		assert.Contains(t, f.out.String(), "reading Auto Scaling group asg-green failed (attempt 1 of 3)")
		assert.Contains(t, f.out.String(), "reading the alarms of green failed (attempt 1 of 3)")
	})
}

func TestTargetsGates(t *testing.T) {
	t.Run("a draining target is ignored", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.health.targets[tgGreen] = TargetCounts{Healthy: 2, Draining: 1, Total: 3}
		require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(100)), f.out.String())
	})
	t.Run("an initial target that becomes healthy passes", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		initial := TargetCounts{Healthy: 1, Initial: 1, Total: 2, Problems: []TargetProblem{{ID: "i-new", State: "initial", Reason: "Elb.RegistrationInProgress"}}}
		f.onSleep(func(n int) {
			switch n {
			case 1:
				f.health.targets[tgGreen] = initial
			case 3:
				f.health.targets[tgGreen] = TargetCounts{Healthy: 2, Total: 2}
			}
		})
		require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(100)), f.out.String())
		assert.Contains(t, f.out.String(), "targets 1/2 healthy", "it was waited for")
	})
	t.Run("an initial target that never becomes healthy fails with its id and reason", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.onSleep(func(n int) {
			if n == 1 {
				f.health.targets[tgGreen] = TargetCounts{Healthy: 1, Initial: 1, Total: 2,
					Problems: []TargetProblem{{ID: "i-new", State: "initial", Reason: "Elb.RegistrationInProgress", Description: "Target registration is in progress"}}}
			}
		})
		err := shiftRolledBack(t, f, shiftToGreen(10, 100))
		assert.ErrorContains(t, err, "green: 1 targets never became healthy: i-new (initial, Elb.RegistrationInProgress: Target registration is in progress)")
	})
	t.Run("an unhealthy target fails at once, named", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.onSleep(func(n int) {
			if n == 1 {
				f.health.targets[tgGreen] = TargetCounts{Healthy: 1, Others: 1, Total: 2,
					Problems: []TargetProblem{{ID: "i-bad", State: "unhealthy", Reason: "Target.FailedHealthChecks"}}}
			}
		})
		err := shiftRolledBack(t, f, shiftToGreen(10, 100))
		assert.ErrorContains(t, err, "green: 1 of 2 targets unhealthy: i-bad (unhealthy, Target.FailedHealthChecks)")
	})
	t.Run("in service below desired is refused before the first step", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		g := servingFleet(asgGreen, 2, "1")
		g.Instances[1].LifecycleState = "Pending"
		f.fleets.fleets[asgGreen] = g
		err := shiftRefused(t, f, shiftToGreen(10, 100))
		assert.ErrorContains(t, err, "green: 1 of 2 desired instances in service in Auto Scaling group asg-green")
		assert.Equal(t, record.OutcomeAborted, f.store.load().Release.Outcome)
	})
	t.Run("healthy below desired is refused before the first step", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.fleets.fleets[asgGreen] = servingFleet(asgGreen, 3, "1")
		f.fleets.fleets[asgBlue] = servingFleet(asgBlue, 3, "1")
		f.health.targets[tgBlue] = TargetCounts{Healthy: 3, Total: 3} // the stable colour is ready
		err := shiftRefused(t, f, shiftToGreen(10, 100))
		assert.ErrorContains(t, err, "green: 2 healthy targets, want 3 (the desired capacity of Auto Scaling group asg-green, all in service)")
	})
	t.Run("in service below desired during a step fails it", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.onSleep(func(n int) {
			if n == 2 {
				f.fleets.mu.Lock()
				g := servingFleet(asgGreen, 2, "1")
				g.Instances[0].LifecycleState = "Terminating"
				f.fleets.fleets[asgGreen] = g
				f.fleets.mu.Unlock()
			}
		})
		err := shiftRolledBack(t, f, shiftToGreen(10, 100))
		assert.ErrorContains(t, err, "green: 1 of 2 desired instances in service")
	})
	t.Run("desired below the serving colour's is refused before 100%", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.fleets.fleets[asgBlue] = servingFleet(asgBlue, 4, "1")
		f.health.targets[tgBlue] = TargetCounts{Healthy: 4, Total: 4}
		err := shiftRefused(t, f, shiftToGreen(10, 100))
		assert.ErrorContains(t, err, "green's desired capacity 2 is below the 4 of blue, which serves now")
		assert.ErrorContains(t, err, "`bluegreen deploy green --desired-capacity 4`")

		f = newFixture(0, infra.Blue)
		f.fleets.fleets[asgBlue] = servingFleet(asgBlue, 4, "1")
		f.health.targets[tgBlue] = TargetCounts{Healthy: 4, Total: 4}
		opts := shiftToGreen(10, 50)
		opts.Hold = true
		require.NoError(t, f.r.Shift(context.Background(), opts), "a partial shift (held) is allowed: %s", f.out.String())
	})
	t.Run("desired scaled below the serving colour's mid-release fails before 100%", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.onSleep(func(n int) {
			if n == 1 {
				f.fleets.mu.Lock()
				f.fleets.fleets[asgBlue] = servingFleet(asgBlue, 4, "1")
				f.fleets.mu.Unlock()
			}
		})
		err := shiftRolledBack(t, f, shiftToGreen(10, 100))
		assert.ErrorContains(t, err, "green's desired capacity 2 is below the 4 of blue")
		assert.Equal(t, []int{10, 0}, f.aws.greens(), "100% was never applied")
	})
	t.Run("without an Auto Scaling client it refuses rather than skip", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.r.Fleets = nil
		err := shiftRefused(t, f, shiftToGreen(10, 100))
		assert.ErrorContains(t, err, "this run has no Auto Scaling or CloudWatch alarms client")
	})
}

func TestAlarmsAreGates(t *testing.T) {
	t.Run("the colour's own alarm in ALARM mid-step", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.onSleep(func(n int) {
			if n == 2 {
				f.alarms.mu.Lock()
				f.alarms.states["webapi-green-p99"] = AlarmState{Value: AlarmStateAlarm, Reason: "Threshold Crossed: 3 datapoints"}
				f.alarms.mu.Unlock()
			}
		})
		err := shiftRolledBack(t, f, shiftToGreen(10, 100))
		assert.ErrorContains(t, err, "green: alarm webapi-green-p99 is in ALARM (Threshold Crossed: 3 datapoints)")
	})
	t.Run("a gateAlarms alarm in ALARM mid-step", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.eng.config[infra.Green]["gateAlarms"] = `["team-orders-errors"]`
		f.alarms.states["team-orders-errors"] = AlarmState{Value: "OK"}
		f.onSleep(func(n int) {
			if n == 2 {
				f.alarms.mu.Lock()
				f.alarms.states["team-orders-errors"] = AlarmState{Value: AlarmStateAlarm, Reason: "orders failing"}
				f.alarms.mu.Unlock()
			}
		})
		err := shiftRolledBack(t, f, shiftToGreen(10, 100))
		assert.ErrorContains(t, err, "green: alarm team-orders-errors is in ALARM (orders failing)")
	})
	t.Run("a gate alarm that does not exist is refused", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.eng.config[infra.Green]["gateAlarms"] = `["team-orders-erorrs"]`
		err := shiftRefused(t, f, shiftToGreen(10, 100))
		assert.ErrorContains(t, err, `webapi:gateAlarms of stack green names alarm "team-orders-erorrs", which does not exist in CloudWatch`)
	})
	t.Run("an alarm already in ALARM is refused", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.alarms.states["webapi-green-5xx"] = AlarmState{Value: AlarmStateAlarm, Reason: "5xx"}
		err := shiftRefused(t, f, shiftToGreen(10, 100))
		assert.ErrorContains(t, err, "green: alarm webapi-green-5xx is in ALARM (5xx)")
	})
}

// A record written before the gates (no gate fields in its plan) resumes with the
// defaults, the extension being its pause.
func TestGatesOfAnOlderPlanAreTheDefaults(t *testing.T) {
	g := gatesOf(record.Plan{Steps: []int{100}, Pause: record.Duration(2 * time.Minute), Max5xxPercent: 1, MaxP99: record.Duration(time.Second)})
	assert.Equal(t, Gates{Limits: Limits{Max5xxPercent: 1, MaxP99: time.Second}, MinRequests: 100, MetricLag: 3 * time.Minute, P99Breaches: 2, P99Window: 3, MaxExtend: 2 * time.Minute}, g)
}

func TestJudge(t *testing.T) {
	g := Gates{Limits: Limits{Max5xxPercent: 1, MaxP99: time.Second}, MinRequests: 100, P99Breaches: 2, P99Window: 3}
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	minutes := func(ms ...Minute) []Minute {
		for i := range ms {
			ms[i].Start = at.Add(time.Duration(i) * time.Minute)
		}
		return ms
	}
	cases := []struct {
		name    string
		minutes []Minute
		wantErr string
	}{
		{"no minutes", nil, ""},
		{"low traffic is no evidence either way", minutes(Minute{Requests: 3, Target5xx: 3}), ""},
		{"runs reach MinRequests backwards", minutes(Minute{Requests: 60, Target5xx: 0}, Minute{Requests: 60, Target5xx: 3}), "5xx rate 2.50% is above 1.00% (3 of 120 requests, 12:00 to 12:02)"},
		{"healthy", minutes(Minute{Requests: 500, Target5xx: 1}, Minute{Requests: 500, ELB5xx: 1}), ""},
		{"p99 without data is not slow", minutes(Minute{Requests: 500}, Minute{Requests: 500}), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := judge(infra.Green, tc.minutes, g)
			if tc.wantErr == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, tc.wantErr)
			}
		})
	}
}
