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

// blipAlarms fails the first alarm read, as a throttled DescribeAlarms.
type blipAlarms struct {
	*fakeAlarms
	calls int
}

func (a *blipAlarms) AlarmStates(ctx context.Context, names []string) (map[string]AlarmState, error) {
	a.calls++
	if a.calls == 1 {
		return nil, errors.New("Throttling: Rate exceeded")
	}
	return a.fakeAlarms.AlarmStates(ctx, names)
}

// blipTargets fails the first target health read, as a throttled DescribeTargetHealth.
type blipTargets struct {
	*fakeHealth
	calls int
}

func (h *blipTargets) TargetHealth(ctx context.Context, tg string) (TargetCounts, error) {
	h.calls++
	if h.calls == 1 {
		return TargetCounts{}, errors.New("Throttling: Rate exceeded")
	}
	return h.fakeHealth.TargetHealth(ctx, tg)
}

// The reads before a new shift's first step (the receiving colour's alarms, the stable
// colour's targets) are retried like the watch's: one blip does not abort a release.
func TestReadsBeforeTheFirstStepAreRetried(t *testing.T) {
	t.Run("the precheck's alarm read", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.r.Alarms = &blipAlarms{fakeAlarms: f.alarms}
		require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(10, 100)), f.out.String())
	})
	t.Run("the stable colour's readiness", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.r.Health = &blipTargets{fakeHealth: f.health}
		require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(10, 100)), f.out.String())
	})
}

// The gate alarms are recorded in the plan: a release resumed (or promoted) from a
// checkout whose webapi:gateAlarms differ is gated by the alarms it started with.
func TestGateAlarmsAreRecordedInThePlan(t *testing.T) {
	f := newFixture(0, infra.Blue)
	f.eng.config[infra.Green]["gateAlarms"] = `["team-orders-errors"]`
	f.alarms.states["team-orders-errors"] = AlarmState{Value: "OK"}
	pausedAt10(t, f)
	assert.Equal(t, []string{"team-orders-errors"}, f.store.load().Plan.GateAlarms)

	eng, _ := f.operator()
	delete(eng.config[infra.Green], "gateAlarms") // a stale checkout
	f.alarms.states["team-orders-errors"] = AlarmState{Value: AlarmStateAlarm, Reason: "orders failing"}
	r := f.release(eng, "ci")
	err := r.Promote(context.Background(), false)
	assert.Equal(t, ExitRolledBack, ExitCode(err), "%v", err)
	assert.ErrorContains(t, err, "team-orders-errors is in ALARM")
}

// A record written by an older tool with a pause of 0 is watched with a sane extension
// for traffic, not failed at once as inconclusive.
func TestOlderRecordWithPauseZeroGetsAnExtension(t *testing.T) {
	g := gatesOf(record.Plan{Steps: []int{100}, Max5xxPercent: 1, MaxP99: record.Duration(time.Second)})
	assert.Equal(t, DefaultMaxExtend, g.MaxExtend)
	assert.Equal(t, 7*time.Minute, gatesOf(record.Plan{Pause: record.Duration(7 * time.Minute)}).MaxExtend, "the pause, as before")
	assert.Equal(t, time.Minute, gatesOf(record.Plan{Pause: record.Duration(7 * time.Minute), MaxExtend: record.Duration(time.Minute)}).MaxExtend)
}
