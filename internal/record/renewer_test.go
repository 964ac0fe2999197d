package record

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeepLeaseRenewsUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := NewFileStore(t.TempDir())
	l, err := AcquireLease(ctx, s, owner(1), time.Minute, t0)
	require.NoError(t, err)
	clock := newStepClock(t0)
	lost := KeepLease(ctx, s, l, time.Minute, 20*time.Second, clock)
	clock.ticks <- struct{}{} // 20s later: renewed
	clock.ticks <- struct{}{} // the second tick is taken only after the first renewal
	require.Eventually(t, func() bool {
		rec, _, err := s.Load(ctx)
		return err == nil && rec.Lease.Expires.Equal(t0.Add(40*time.Second+time.Minute))
	}, 5*time.Second, time.Millisecond)
	cancel()
	err, open := <-lost
	assert.False(t, open, "cancelled: closed without an error (got %v)", err)
}

func TestKeepLeaseReportsALostLease(t *testing.T) {
	ctx := context.Background()
	s := NewFileStore(t.TempDir())
	l, err := AcquireLease(ctx, s, owner(1), time.Minute, t0)
	require.NoError(t, err)
	clock := newStepClock(t0)
	lost := KeepLease(ctx, s, l, time.Minute, 20*time.Second, clock)
	_, err = BreakLease(ctx, s, owner(2), "", t0)
	require.NoError(t, err)
	clock.ticks <- struct{}{}
	err = <-lost
	var lostErr *LostError
	require.ErrorAs(t, err, &lostErr)
	_, open := <-lost
	assert.False(t, open, "the renewer stopped")
}

// failingStore fails every call, as an unreachable bucket would.
type failingStore struct{ Store }

func (failingStore) Load(context.Context) (Record, Version, error) {
	return Record{}, NoVersion, errors.New("connection refused")
}

func TestKeepLeaseGivesUpWhenTheLeaseExpiresUnrenewed(t *testing.T) {
	s := failingStore{NewFileStore(t.TempDir())}
	clock := newStepClock(t0)
	lost := KeepLease(context.Background(), s, Lease{Token: "t", Expires: t0.Add(time.Minute)}, time.Minute, 20*time.Second, clock)
	// 20s, 40s: failures before expiry are retried; a tick is taken only by a renewer
	// that is still running, so an early report fails here.
	for range 3 {
		select {
		case clock.ticks <- struct{}{}:
		case err := <-lost:
			t.Fatalf("reported before the lease expired: %v", err)
		}
	}
	err := <-lost // 60s: expired
	assert.ErrorContains(t, err, "expired at 2026-11-03T09:01:00Z while renewing it failed: connection refused")
}
