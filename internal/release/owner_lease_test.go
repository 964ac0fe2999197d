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

// Two processes of the same laptop owner (user@host, no CI run): the second one's lease
// has its own token, so the first, still watching, finds its lease gone and stops
// without touching traffic instead of running a second watch alongside.
func TestTwoProcessesOfOneOwnerDoNotShareTheLeaseToken(t *testing.T) {
	f := newFixture(0, infra.Blue)
	first := f.release(f.eng, "laptop")
	second := owners["laptop"]
	second.PID++
	var taken record.Lease
	first.Clock = sleepHook{f.clock, func() {
		if taken.Token != "" {
			return
		}
		var err error
		taken, err = record.AcquireLease(context.Background(), f.store, second, time.Hour, f.clock.now)
		require.NoError(t, err, "the same owner takes its lease over")
	}}
	err := first.Shift(context.Background(), shiftToGreen(10, 50, 100))
	assert.Equal(t, ExitRefused, ExitCode(err), "%v\n%s", err, f.out.String())
	assert.ErrorIs(t, err, errLeaseLost)
	assert.Equal(t, []int{10}, f.aws.greens(), "the first process stopped where it was")
	assert.Equal(t, taken.Token, f.store.load().Lease.Token, "the second process holds the lease")
}

// The job lease is shared by the run's commands on purpose: each of them renews it with
// its token (and `lease release` gives it up whoever took it).
func TestJobLeaseKeepsItsTokenAcrossTheRunsCommands(t *testing.T) {
	ctx := context.Background()
	f := newFixture(0, infra.Blue)
	require.NoError(t, f.r.LeaseTake(ctx, time.Hour))
	token := f.store.load().Lease.Token
	next := f.rerun()
	next.Owner.PID++
	next.JobLease = true
	require.NoError(t, next.Shift(ctx, shiftToGreen(10, 100)), f.out.String())
	require.NotNil(t, f.store.load().Lease, "the job keeps its lease")
	assert.Equal(t, token, f.store.load().Lease.Token)
}
