package engine_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/awsdouble"
	"github.com/webapi-platform/infra/internal/release"
)

// skippingClock is the wall clock, moved on by every Sleep instead of waiting: the
// double stamps refreshes with the wall clock, and the deploy's polls cost no time.
type skippingClock struct {
	mu      sync.Mutex
	skipped time.Duration
}

func (c *skippingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skipped)
}

func (c *skippingClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skipped += d
	return ctx.Err()
}

// The deploy's wait on the real program and the double: a deploy of the version green
// already runs changes nothing and checks once; a new image rolls green through the
// instance refresh the provider starts (played out by the double over the tool's
// polls), and the deploy waits for it and reports it; --defer-fleet on blue, which
// serves, applies the alarm change and leaves the fleet's for later.
func TestEngineDeployWaitsForTheVersion(t *testing.T) {
	t.Parallel()
	f := newDeployed(t, &skippingClock{})
	f.r.Fleets = f.w.Health()

	f.deploy(t, infra.Green, release.DeployOptions{})
	rep := f.r.Deployed
	assert.False(t, rep.Changed, "%+v", rep)
	assert.False(t, rep.FleetChanged)
	assert.Nil(t, rep.Refresh)
	assert.Less(t, rep.WaitSeconds, 15.0, "nothing to wait for beyond the check: no poll")
	assert.NotContains(t, f.out.String(), "waiting for green")

	asg := f.outputs(t, infra.Green)[infra.OutAsgName].(string)
	require.NoError(t, f.w.Double.ScriptInstanceRefreshes(asg, awsdouble.RefreshScript{Outcome: awsdouble.RefreshSuccessful, Polls: 3}))
	f.w.SetConfig(t, infra.Green, "amiId", "ami-0cccccccccccccccc")
	before, err := f.w.Double.Instances(asg)
	require.NoError(t, err)
	f.deploy(t, infra.Green, release.DeployOptions{})
	rep = f.r.Deployed
	assert.True(t, rep.Changed)
	assert.True(t, rep.FleetChanged)
	require.NotNil(t, rep.Refresh, f.logs())
	assert.Equal(t, awsdouble.RefreshSuccessful, rep.Refresh.Status)
	assert.GreaterOrEqual(t, rep.WaitSeconds, 30.0, "the wait followed the refresh over its polls")
	assert.Contains(t, f.out.String(), "waiting for green: instance refresh "+rep.Refresh.ID+": InProgress")
	after, err := f.w.Double.Instances(asg)
	require.NoError(t, err)
	require.Len(t, after, len(before))
	for _, in := range after {
		assert.NotEqual(t, before[0].LaunchTemplateVersion, in.LaunchTemplateVersion, "every instance runs the new version")
	}

	deferFleetOfServingBlue(t, f)
}

func deferFleetOfServingBlue(t *testing.T, f *released) {
	ev := f.edge(t)
	require.Equal(t, infra.Weights{Blue: 100}, f.liveWeights(t, ev))
	blueASG := f.outputs(t, infra.Blue)[infra.OutAsgName].(string)
	lts, err := f.w.Double.Resources(awsdouble.TypeLaunchTemplate)
	require.NoError(t, err)
	f.w.SetConfig(t, infra.Blue, "amiId", "ami-0dddddddddddddddd", "alarm5xxPercent", "3")

	err = f.r.Deploy(context.Background(), infra.Blue, release.DeployOptions{})
	assert.Equal(t, release.ExitRefused, release.ExitCode(err), "without a flag the fleet change is refused: %v", err)

	require.NoError(t, f.r.Deploy(context.Background(), infra.Blue, release.DeployOptions{DeferFleet: true}), f.logs())
	rep := f.r.Deployed
	assert.True(t, rep.Changed)
	assert.False(t, rep.FleetChanged)
	require.NotEmpty(t, rep.Deferred)
	for _, u := range rep.Deferred {
		assert.Contains(t, u, infra.TypeFleet, "only the fleet is deferred")
	}
	assert.True(t, strings.Contains(strings.Join(rep.Deferred, " "), "fleet-blue-lt"), "%v", rep.Deferred)
	now, err := f.w.Double.Resources(awsdouble.TypeLaunchTemplate)
	require.NoError(t, err)
	assert.Equal(t, lts, now, "no launch template changed")
	refs, err := f.w.Health().InstanceRefreshes(context.Background(), blueASG)
	require.NoError(t, err)
	assert.Empty(t, refs, "blue's fleet was not rolled")
	alarms, err := f.w.Double.Resources(awsdouble.TypeMetricAlarm)
	require.NoError(t, err)
	var thresholds []any
	for _, a := range alarms {
		if strings.Contains(a.ID, "blue") && strings.Contains(a.ID, "5xx") {
			thresholds = append(thresholds, a.Props["threshold"])
		}
	}
	assert.Equal(t, []any{3.0}, thresholds, "blue's 5xx alarm has its new threshold")
	assert.Equal(t, infra.Weights{Blue: 100}, f.liveWeights(t, ev), "nothing moved traffic")
}
