package release

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/webapi-platform/infra/internal/record"
)

// recordWriteTimeout bounds a write of the release record. Writes run on a context that
// an interrupt does not cancel: where the release stopped must be recorded.
const recordWriteTimeout = 15 * time.Second

func (r *Release) ttl() time.Duration { return cmp.Or(r.LeaseTTL, DefaultLeaseTTL) }

func (r *Release) requireStore() error {
	if r.Store == nil {
		return errors.New("no release record store: this command changes traffic or fleets and needs the release record (see WEBAPI_RELEASE_STORE)")
	}
	return nil
}

// takeLease takes the release lease, or takes over the one this owner (the same CI run,
// the same user@host) already holds, with a token of its own: another process of the
// owner still running stops at its next renewal. Under a job lease (JobLease) the run's
// lease is renewed with its token. Anyone else's unexpired lease refuses the command.
func (r *Release) takeLease(ctx context.Context) error {
	if err := r.requireStore(); err != nil {
		return err
	}
	acquire := record.AcquireLease
	if r.JobLease {
		acquire = record.AcquireJobLease
	}
	l, err := acquire(ctx, r.Store, r.Owner, r.ttl(), r.Clock.Now())
	if he := new(record.HeldError); errors.As(err, &he) {
		return Refusal{msg: he.Error(), err: he}
	}
	if err != nil {
		return fmt.Errorf("taking the release lease: %w", err)
	}
	r.lease = &l
	// Outputs read before the lease (look) may predate another owner's update that ended
	// just before it: from here on, nobody else changes the stacks, so read them afresh.
	if c, ok := r.Engine.(OutputsCache); ok {
		c.ForgetOutputs()
	}
	if r.RenewEvery > 0 {
		kctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		r.stopKeep = stop
		r.lost = record.KeepLease(kctx, r.Store, l, r.ttl(), r.RenewEvery, r.Clock)
	}
	return nil
}

// stopKeeping ends the background renewer, if any, and waits for it.
func (r *Release) stopKeeping() {
	if r.stopKeep != nil {
		r.stopKeep()
		for range r.lost { // drains until the renewer has stopped and closed it
		}
		r.stopKeep, r.lost = nil, nil
	}
}

// endLease gives the lease up: the release is over (complete, rolled back, aborted, or
// the fleet change done). A run that holds the lease for all its commands (JobLease)
// keeps it: its last step (`bluegreen lease release`) gives it up.
func (r *Release) endLease(ctx context.Context) error {
	if r.lease == nil {
		return nil
	}
	r.stopKeeping()
	if r.JobLease {
		r.lease = nil
		return nil
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordWriteTimeout)
	defer cancel()
	if err := record.ReleaseLease(wctx, r.Store, r.lease.Token); err != nil {
		r.printf("warning: could not release the release lease on %s: %v\n", r.Store.Where(), err)
	}
	r.lease = nil
	return nil
}

// keepLeaseFor ends this command's renewals and leaves the lease to run for ttl: a
// manual release waits for promote, a deployed colour for its shift.
func (r *Release) keepLeaseFor(ctx context.Context, ttl time.Duration) error {
	if r.lease == nil {
		return nil
	}
	r.stopKeeping()
	l, err := record.RenewLease(ctx, r.Store, r.lease.Token, ttl, r.Clock.Now())
	if err != nil {
		return r.lostOr(err)
	}
	r.printf("the release lease stays with %s until %s\n", l.Owner, l.Expires.UTC().Format(time.RFC3339))
	return nil
}

// renew extends the lease now, and says whether it is still this command's. Only a lost
// lease (taken over or broken: *record.LostError) or one that expired while renewing it
// failed stops the command: a store that fails for a moment (S3 503 SlowDown, a network
// blip outlasting the SDK's retries) is a warning, as it is to the background renewer
// (record.KeepLease), and the next renewal tries again.
func (r *Release) renew(ctx context.Context) error {
	select {
	case err, ok := <-r.lost:
		if ok {
			return r.lostOr(err)
		}
	default:
	}
	if r.lease == nil {
		return nil
	}
	now := r.Clock.Now()
	l, err := record.RenewLease(ctx, r.Store, r.lease.Token, r.ttl(), now)
	switch {
	case err == nil:
		r.lease.Renewed, r.lease.Expires = l.Renewed, l.Expires
		return nil
	case errors.As(err, new(*record.LostError)) || ctx.Err() != nil:
		return r.lostOr(err)
	case !now.Before(r.lease.Expires):
		return fmt.Errorf("renewing the release lease on %s failed until it expired at %s (it may be someone else's now): %w",
			r.Store.Where(), r.lease.Expires.UTC().Format(time.RFC3339), err)
	}
	r.printf("warning: renewing the release lease failed (it stays this run's until %s; the next renewal tries again): %v\n",
		r.lease.Expires.UTC().Format(time.RFC3339), err)
	return nil
}

// errLeaseLost marks the refusal of a command whose lease was broken or taken over.
var errLeaseLost = errors.New("release lease lost")

// lostOr turns a lost lease into a refusal to go on: someone broke or took it over,
// and this command must not touch traffic any more.
func (r *Release) lostOr(err error) error {
	if lost := new(record.LostError); errors.As(err, &lost) {
		r.lease = nil
		return Refusal{msg: lost.Error() + ": stopped without touching traffic", err: errLeaseLost}
	}
	return err
}

// write applies a transition to the record, fenced by the lease, on a context an
// interrupt does not cancel.
func (r *Release) write(ctx context.Context, change func(rec record.Record, now time.Time) (record.Record, error)) (record.Record, error) {
	if r.lease == nil {
		return record.Record{}, errors.New("writing the release record without the lease")
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordWriteTimeout)
	defer cancel()
	rec, _, err := record.UpdateHeld(wctx, r.Store, r.lease.Token, func(rec record.Record) (record.Record, error) {
		return change(rec, r.Clock.Now())
	})
	return rec, r.lostOr(err)
}

// note appends a history entry (no lease needed: appends never conflict).
func (r *Release) note(ctx context.Context, e record.Entry) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordWriteTimeout)
	defer cancel()
	e.At, e.Who = r.Clock.Now(), r.who()
	if err := record.AppendHistory(wctx, r.Store, e); err != nil {
		r.printf("warning: could not write the release history on %s: %v\n", r.Store.Where(), err)
	}
}
