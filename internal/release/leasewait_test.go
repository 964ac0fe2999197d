package release

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
)

// lease take --wait: a run that finds another owner's lease waits for it (polling; the
// fake clock makes the waits free) instead of failing, up to the wait; then it refuses
// as without --wait. This is what serialises the workflows, which no longer share one
// concurrency group.
func TestLeaseTakeWaitsForAnotherOwnersLease(t *testing.T) {
	ctx := context.Background()

	t.Run("the holder releases it while we wait", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		_, laptop := f.operator()
		require.NoError(t, laptop.LeaseTake(ctx, 2*time.Hour))
		start, sleeps := f.clock.now, 0
		ci := f.rerun()
		ci.Clock = sleepHook{f.clock, func() {
			if sleeps++; sleeps == 3 {
				require.NoError(t, laptop.LeaseRelease(ctx))
			}
		}}
		require.NoError(t, ci.LeaseTakeWaiting(ctx, 30*time.Minute, time.Hour))
		l := f.store.load().Lease
		require.NotNil(t, l)
		assert.Equal(t, owners["ci"].RunID, l.Owner.RunID, "ours once the laptop let go")
		assert.Equal(t, start.Add(3*LeaseWaitPoll), f.clock.now, "polled until it was free")
		assert.Contains(t, f.out.String(), "waiting up to 1h0m0s for the release lease")
		assert.Contains(t, f.out.String(), "alice@laptop-7")
	})

	t.Run("the wait runs out", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		_, laptop := f.operator()
		require.NoError(t, laptop.LeaseTake(ctx, 4*time.Hour))
		held := f.store.load().Lease
		start := f.clock.now
		err := f.rerun().LeaseTakeWaiting(ctx, 30*time.Minute, 10*time.Minute)
		assert.Equal(t, ExitRefused, ExitCode(err), "%v", err)
		assert.ErrorContains(t, err, "alice@laptop-7")
		assert.ErrorContains(t, err, "after waiting 10m0s")
		assert.Equal(t, start.Add(10*time.Minute), f.clock.now, "waited the whole wait, no longer")
		assert.Equal(t, held, f.store.load().Lease, "a refused take changes nothing")
	})

	t.Run("no wait is the plain take", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		_, laptop := f.operator()
		require.NoError(t, laptop.LeaseTake(ctx, time.Hour))
		start := f.clock.now
		assert.Equal(t, ExitRefused, ExitCode(f.rerun().LeaseTakeWaiting(ctx, time.Hour, 0)))
		assert.Equal(t, start, f.clock.now, "refused at once")
		assert.Equal(t, ExitUsage, ExitCode(f.rerun().LeaseTakeWaiting(ctx, time.Hour, -time.Second)))
	})

	t.Run("a cancelled job stops waiting", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		_, laptop := f.operator()
		require.NoError(t, laptop.LeaseTake(ctx, time.Hour))
		cctx, cancel := context.WithCancel(ctx)
		ci := f.rerun()
		ci.Clock = sleepHook{f.clock, cancel}
		err := ci.LeaseTakeWaiting(cctx, time.Hour, time.Hour)
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, owners["laptop"].RunID, f.store.load().Lease.Owner.RunID)
	})
}
