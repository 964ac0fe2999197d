package release

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
)

// --scale-up changes the group's capacity and nothing else: a change of the edge's
// target group (any resource outside the fleet) in this checkout refuses it too.
func TestScaleUpRefusesAChangeOutsideTheFleetToo(t *testing.T) {
	f := newFixture(0, infra.Blue)
	f.fleets.fleets[asgGreen] = servingFleet(asgGreen, 3, "1")
	f.health.targets[tgGreen] = TargetCounts{Healthy: 3, Total: 3}
	pausedAt10(t, f)
	f.fleets.fleets[asgBlue] = Fleet{Name: asgBlue, Max: 4}
	f.health.targets[tgBlue] = TargetCounts{}
	r := f.rerun()
	var configs []map[string]string
	r.Engine = scalingEngine{f.eng, f, &configs}
	tgURN := "urn:pulumi:blue::webapi::" + infra.TypeEdge + "$aws:lb/targetGroup:TargetGroup::edge-tg-blue"
	f.eng.preview = previewChanging(map[string][]string{blueASG: {"desiredCapacity"}, tgURN: {"healthCheck"}})
	err := r.Rollback(context.Background(), RollbackOptions{ScaleUp: true})
	assert.Equal(t, ExitRefused, ExitCode(err), "want refused: the target group's health check would change too; got %v", err)
}

// The ELB 5xx baseline is bounded (half the 5xx limit): when the minutes before a
// release hold a failing colour's 5xx (a re-run right after a rollback), they must not
// become a baseline that hides the receiving colour's own errors at its first step.
func TestELB5xxBaselineIsCappedAtHalfTheLimit(t *testing.T) {
	f := newFixture(0, infra.Blue)
	h := &lbHealth{fakeHealth: f.health, minute: func(time.Time) Minute { return Minute{ELB5xx: 300, ALBRequests: 10000} }}
	f.r.Health = h
	f.greenTraffic(func(m time.Time) (Minute, bool) {
		return Minute{Requests: 1000, ELB5xx: 300, ALBRequests: 10000, P99: 200 * time.Millisecond, HasLatency: true}, true
	})
	err := f.r.Shift(context.Background(), shiftToGreen(10, 100))
	assert.Equal(t, ExitRolledBack, ExitCode(err), "want rolled back: 30%% of green's requests fail; got %v (baseline %.3f)", err, f.store.load().Plan.ELB5xxBaseline)
}

// The baseline's minutes start after the last time traffic moved: the minutes of a
// rollback a few minutes ago hold the failed colour's errors, not the background.
func TestELB5xxBaselineStartsAfterTheLastTrafficMove(t *testing.T) {
	ctx := context.Background()
	f := newFixture(0, infra.Blue)
	h := &lbHealth{fakeHealth: f.health, minute: func(time.Time) Minute { return Minute{ELB5xx: 5, ALBRequests: 10000} }}
	f.r.Health = h
	require.NoError(t, f.r.Rollback(ctx, RollbackOptions{To: infra.Blue, Force: true}))
	rolledBack := f.clock.now
	f.clock.now = f.clock.now.Add(8 * time.Minute)
	require.NoError(t, f.r.Shift(ctx, shiftToGreen(10, 100)))
	require.NotEmpty(t, h.asked)
	q := h.asked[0]
	assert.Equal(t, rolledBack.Truncate(time.Minute).Add(time.Minute), q.Start, "from the minute after the rollback")
	assert.Equal(t, 4*time.Minute, q.End.Sub(q.Start), "8 minutes since, less the 3-minute lag and the minute of the move")

	f = newFixture(0, infra.Blue)
	h = &lbHealth{fakeHealth: f.health, minute: func(time.Time) Minute { return Minute{ELB5xx: 5, ALBRequests: 10000} }}
	f.r.Health = h
	require.NoError(t, f.r.Rollback(ctx, RollbackOptions{To: infra.Blue, Force: true}))
	require.NoError(t, f.r.Shift(ctx, shiftToGreen(10, 100)))
	assert.Empty(t, h.asked, "traffic moved within the lag: no minute to measure")
	assert.Contains(t, f.out.String(), "every ELB 5xx during the release is charged to the receiving colour")
}
