package record

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Clock is the time the renewer runs on; internal/release's Clock satisfies it, and
// tests step it by hand.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now() }

func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// KeepLease renews the lease held with token every `every` (ttl/3 is a good choice)
// until ctx is cancelled. If the lease is lost — taken over or broken (*LostError), or
// not renewed before it expired because the store kept failing — the returned channel
// receives that error once; the caller must stop changing traffic. The channel is closed
// when the renewer stops, so receiving from it also waits for the goroutine to end.
func KeepLease(ctx context.Context, s Store, lease Lease, ttl, every time.Duration, clock Clock) <-chan error {
	lost := make(chan error, 1)
	go func() {
		defer close(lost)
		expires := lease.Expires
		for {
			if clock.Sleep(ctx, every) != nil {
				return
			}
			l, err := RenewLease(ctx, s, lease.Token, ttl, clock.Now())
			switch {
			case err == nil:
				expires = l.Expires
				continue
			case ctx.Err() != nil:
				return
			case errors.As(err, new(*LostError)):
				lost <- err
				return
			case !clock.Now().Before(expires):
				lost <- fmt.Errorf("the release lease on %s expired at %s while renewing it failed: %w", s.Where(), expires.UTC().Format(time.RFC3339), err)
				return
			}
			// A failed renewal before expiry (the store unreachable for a moment) is
			// retried at the next tick.
		}
	}()
	return lost
}
