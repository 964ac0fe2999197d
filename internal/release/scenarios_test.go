package release

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
)

// The scenarios of issue 9: how an operator, a cancelled CI runner, a colleague at a
// laptop and a stale checkout met the tool. Each test failed before its fix.

func shiftTo(c infra.Color, steps ...int) ShiftOptions {
	return ShiftOptions{Target: c, Steps: steps, Pause: 5 * time.Minute, Interval: time.Minute}
}

// Scenario 1: after a first release (blue → green, complete), the second release goes
// into blue. Its shift fails before any traffic moves (DescribeTargetHealth throttled);
// the workflow's rollback step must not send everything to blue, the colour being
// released into, unverified.
func TestScenario1RollbackAfterAFailedStartKeepsTheServingColour(t *testing.T) {
	f := newFixture(100, infra.Blue) // green serves everything; blue served before it
	f.health.targetErr[tgBlue] = errors.New("operation error Elastic Load Balancing v2: DescribeTargetHealth, Throttling: Rate exceeded")
	err := f.r.Shift(context.Background(), shiftTo(infra.Blue, 10, 50, 100))
	require.Error(t, err)
	assert.Equal(t, infra.Weights{Green: 100}, f.aws.live(), "the failed shift moved nothing")

	delete(f.health.targetErr, tgBlue) // the throttling was brief
	rerr := f.rerun().Rollback(context.Background(), false)
	assert.Equal(t, infra.Weights{Green: 100}, f.aws.live(), "green, which served before the failed release, keeps all traffic")
	assert.Empty(t, f.aws.greens(), "no listener update at all")
	assert.NotContains(t, f.out.String(), "rolled back to blue 100%")
	assert.Equal(t, ExitRefused, ExitCode(rerr), "nothing to roll back: %v", rerr)
}
