package release

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
)

func TestLeaseTakeHoldsTheLeaseForTheRun(t *testing.T) {
	ctx := context.Background()
	f := newFixture(0, infra.Blue)
	require.NoError(t, f.r.LeaseTake(ctx, time.Hour))
	first := f.store.load().Lease
	require.NotNil(t, first)
	assert.Equal(t, owners["ci"].RunID, first.Owner.RunID)
	assert.Equal(t, f.clock.now.Add(time.Hour), first.Expires)
	assert.Contains(t, f.out.String(), "is held by runner@runner-1")

	f.clock.now = f.clock.now.Add(10 * time.Minute)
	require.NoError(t, f.rerun().LeaseTake(ctx, time.Hour), "a later step of the same run renews its own lease")
	again := f.store.load().Lease
	assert.Equal(t, first.Token, again.Token, "the same lease, renewed")
	assert.Equal(t, first.Acquired, again.Acquired)
	assert.Equal(t, f.clock.now.Add(time.Hour), again.Expires)

	_, laptop := f.operator()
	err := laptop.LeaseTake(ctx, time.Hour)
	assert.Equal(t, ExitRefused, ExitCode(err), "%v", err)
	assert.ErrorContains(t, err, "held by runner@runner-1")
	assert.Equal(t, again, f.store.load().Lease, "a refused take changes nothing")

	assert.Equal(t, ExitUsage, ExitCode(f.r.LeaseTake(ctx, 0)))
}

func TestLeaseReleaseGivesUpOnlyTheRunsOwnLease(t *testing.T) {
	ctx := context.Background()
	f := newFixture(0, infra.Blue)
	require.NoError(t, f.r.LeaseRelease(ctx), "a free lease: nothing to do")
	assert.Contains(t, f.out.String(), "is free: nothing to release")

	_, laptop := f.operator()
	require.NoError(t, laptop.LeaseTake(ctx, time.Hour))
	held := f.store.load().Lease
	err := f.r.LeaseRelease(ctx)
	assert.Equal(t, ExitRefused, ExitCode(err), "another owner's lease: %v", err)
	assert.ErrorContains(t, err, "alice@laptop-7")
	assert.Equal(t, held, f.store.load().Lease, "left as it is")

	f.clock.now = f.clock.now.Add(2 * time.Hour)
	require.NoError(t, f.r.LeaseRelease(ctx), "another owner's expired lease is not this run's to release")
	assert.Equal(t, held, f.store.load().Lease, "left for the next command to take over")
	assert.Contains(t, f.out.String(), "left for the next command to take over")

	require.NoError(t, f.r.LeaseTake(ctx, time.Hour), "the expired lease is taken over")
	require.NoError(t, f.rerun().LeaseRelease(ctx), "any step of the run releases the run's lease")
	assert.Nil(t, f.store.load().Lease)
}

// A run that holds the lease for the whole job: the shift renews it and leaves it held,
// so no other owner gets in before the job's last step releases it.
func TestJobLeaseOutlivesTheCommandsOfTheRun(t *testing.T) {
	ctx := context.Background()
	f := newFixture(0, infra.Blue)
	require.NoError(t, f.r.LeaseTake(ctx, time.Hour))
	token := f.store.load().Lease.Token

	shift := f.rerun()
	shift.JobLease = true
	require.NoError(t, shift.Shift(ctx, shiftToGreen(10, 100)))
	assert.Equal(t, infra.Weights{Green: 100}, f.aws.live())
	l := f.store.load().Lease
	require.NotNil(t, l, "the shift ended but the job's lease stays")
	assert.Equal(t, token, l.Token)

	_, laptop := f.operator()
	assert.Equal(t, ExitRefused, ExitCode(laptop.LeaseTake(ctx, time.Hour)), "nobody else gets in between two steps")

	require.NoError(t, f.rerun().LeaseRelease(ctx))
	assert.Nil(t, f.store.load().Lease)
}

// The cancelled() step's rollback touches nothing when the lease is another owner's.
func TestRollbackRefusesAnotherOwnersLease(t *testing.T) {
	ctx := context.Background()
	f := newFixture(50, infra.Blue)
	_, laptop := f.operator()
	require.NoError(t, laptop.LeaseTake(ctx, time.Hour))
	before := f.store.load()
	err := f.r.Rollback(ctx, RollbackOptions{})
	assert.Equal(t, ExitRefused, ExitCode(err), "%v", err)
	assert.Equal(t, infra.Weights{Blue: 50, Green: 50}, f.aws.live(), "traffic untouched")
	assert.Empty(t, f.eng.ups)
	assert.Equal(t, before.Lease, f.store.load().Lease)
}

func TestJobLeaseFromEnv(t *testing.T) {
	for v, want := range map[string]bool{"": false, "false": false, "true": true} {
		got, err := JobLeaseFromEnv(func(string) string { return v })
		require.NoError(t, err, v)
		assert.Equal(t, want, got, v)
	}
	_, err := JobLeaseFromEnv(func(string) string { return "yes" })
	assert.Equal(t, ExitUsage, ExitCode(err))
	assert.ErrorContains(t, err, `WEBAPI_JOB_LEASE="yes"`)
}

// forgetfulEngine counts how often the release made it forget its cached outputs.
type forgetfulEngine struct {
	*fakeEngine
	forgot int
}

func (e *forgetfulEngine) ForgetOutputs() { e.forgot++ }

// Outputs read before the lease (look) may predate another owner's last update: taking
// the lease makes a caching engine read them afresh.
func TestTakingTheLeaseForgetsCachedOutputs(t *testing.T) {
	f := newFixture(0, infra.Blue)
	eng := &forgetfulEngine{fakeEngine: f.eng}
	f.r.Engine = eng
	require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{}))
	assert.Equal(t, 1, eng.forgot)
}
