package release

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// promote follows the plan in the release record: one step, or with --full every step
// left, each verified and watched for its pause; never the tool's default steps.
func TestPromoteFollowsTheRecordedPlan(t *testing.T) {
	ctx := context.Background()
	f := newFixture(0, infra.Blue)
	opts := shiftToGreen(5, 25, 50, 100)
	opts.Manual = true
	require.NoError(t, f.r.Shift(ctx, opts))
	assert.Equal(t, []int{5}, f.aws.greens())

	require.NoError(t, f.rerun().Promote(ctx, false))
	assert.Equal(t, []int{5, 25}, f.aws.greens(), "one step: the recorded plan's next, not the default 50")
	assert.Equal(t, record.PhasePaused, f.store.load().Release.Phase)

	start := f.clock.now
	require.NoError(t, f.rerun().Promote(ctx, true))
	assert.Equal(t, []int{5, 25, 50, 100}, f.aws.greens(), "--full: every step left, none skipped")
	assert.Equal(t, 2*(5*time.Minute+DefaultMetricLag), f.clock.now.Sub(start), "each step watched for the full pause, and its last minutes judged once their metrics arrived")
	rec := f.store.load()
	assert.Equal(t, record.OutcomeSucceeded, rec.Release.Outcome)
	assert.Nil(t, rec.Lease)
}

// A release without --manual never pauses, so there is nothing for promote to do.
func TestPromoteWithoutAPausedReleaseIsRefused(t *testing.T) {
	ctx := context.Background()
	f := newFixture(0, infra.Blue)
	require.NoError(t, f.r.Shift(ctx, shiftToGreen(10, 50, 100)))
	err := f.rerun().Promote(ctx, false)
	assert.Equal(t, ExitRefused, ExitCode(err))
	assert.ErrorContains(t, err, "no release is paused")
	assert.Equal(t, []int{10, 50, 100}, f.aws.greens())
}

// A plan that holds ends at its last step, recorded as held, with the lease given up;
// promote finishes it to 100%.
func TestHeldReleaseHoldsTheSplitUntilPromote(t *testing.T) {
	ctx := context.Background()
	f := newFixture(0, infra.Blue)
	opts := shiftToGreen(10, 50)
	err := f.r.Shift(ctx, opts)
	assert.ErrorContains(t, err, "--hold", "a plan below 100% without hold is refused")
	assert.Empty(t, f.aws.greens(), "before any traffic moved")

	f = newFixture(0, infra.Blue)
	opts.Hold = true
	require.NoError(t, f.r.Shift(ctx, opts))
	assert.Equal(t, infra.Weights{Blue: 50, Green: 50}, f.aws.live())
	rec := f.store.load()
	assert.Equal(t, record.OutcomeHeld, rec.Release.Outcome)
	assert.Nil(t, rec.Lease, "holding needs no lease")
	assert.Contains(t, f.out.String(), "holding blue 50% / green 50%")

	f.out.Reset()
	require.NoError(t, f.r.Status(ctx))
	assert.Contains(t, f.out.String(), "holds blue 50% / green 50%")

	require.NoError(t, f.rerun().Promote(ctx, false))
	assert.Equal(t, []int{10, 50, 100}, f.aws.greens())
	rec = f.store.load()
	assert.Equal(t, record.OutcomeSucceeded, rec.Release.Outcome)
	assert.Equal(t, []int{10, 50, 100}, rec.Plan.Steps)
}
