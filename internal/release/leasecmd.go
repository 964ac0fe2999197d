package release

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/webapi-platform/infra/internal/record"
)

// JobLeaseEnv names the variable that, set to "true", says a run holds the release lease
// for all its commands (`bluegreen lease take` at its start, `bluegreen lease release`
// at its end, as the workflows do): each command then renews the lease while it runs but
// leaves it held when it ends, so no other owner can slip in between two steps of a job.
const JobLeaseEnv = "WEBAPI_JOB_LEASE"

// JobLeaseFromEnv reads JobLeaseEnv: "true" or nothing; anything else is bad input.
func JobLeaseFromEnv(getenv func(string) string) (bool, error) {
	switch v := getenv(JobLeaseEnv); v {
	case "true":
		return true, nil
	case "", "false":
		return false, nil
	default:
		return false, Usagef("%s=%q: want true (the run holds the release lease from `bluegreen lease take` to `bluegreen lease release`) or false", JobLeaseEnv, v)
	}
}

// LeaseWaitPoll is how often LeaseTakeWaiting asks again for a lease another owner holds.
const LeaseWaitPoll = 30 * time.Second

// LeaseTake takes the release lease for this run for ttl, or renews the one it already
// holds (the same run id: a re-run of the job, or an earlier step), and leaves it held:
// the run's commands renew it, and LeaseRelease gives it up. Another owner's unexpired
// lease refuses (exit 3) and changes nothing.
func (r *Release) LeaseTake(ctx context.Context, ttl time.Duration) error {
	return r.LeaseTakeWaiting(ctx, ttl, 0)
}

// LeaseTakeWaiting is LeaseTake that, while another owner holds the lease, asks again
// every LeaseWaitPoll for up to wait before it refuses: the workflows run in separate
// concurrency groups, and the lease is what keeps their jobs from overlapping. A
// cancelled ctx ends the wait with its error.
func (r *Release) LeaseTakeWaiting(ctx context.Context, ttl, wait time.Duration) error {
	if err := r.requireStore(); err != nil {
		return err
	}
	if ttl <= 0 {
		return Usagef("--ttl %s: want a duration above 0", ttl)
	}
	if wait < 0 {
		return Usagef("--wait %s: want 0 (do not wait) or a duration above 0", wait)
	}
	deadline := r.Clock.Now().Add(wait)
	var holder string
	for {
		// The job's lease: the run's later commands keep its token (record.AcquireJobLease).
		l, err := record.AcquireJobLease(ctx, r.Store, r.Owner, ttl, r.Clock.Now())
		he := new(record.HeldError)
		if err == nil {
			r.printf("the release lease on %s is held by %s (since %s) until %s\n", r.Store.Where(), l.Owner,
				l.Acquired.UTC().Format(time.RFC3339), l.Expires.UTC().Format(time.RFC3339))
			return nil
		}
		if !errors.As(err, &he) {
			return fmt.Errorf("taking the release lease: %w", err)
		}
		left := deadline.Sub(r.Clock.Now())
		if left <= 0 {
			if wait > 0 {
				return Refusal{msg: fmt.Sprintf("%s (after waiting %s)", he.Error(), wait), err: he}
			}
			return Refusal{msg: he.Error(), err: he}
		}
		if h := he.Error(); h != holder {
			holder = h
			r.printf("waiting up to %s for the release lease: %s\n", wait, h)
		}
		if err := r.Clock.Sleep(ctx, min(LeaseWaitPoll, left)); err != nil {
			return fmt.Errorf("waiting for the release lease: %w", err)
		}
	}
}

// LeaseRelease gives up the release lease if this run holds it (by run id: the lease
// LeaseTake or any command of the same run took). A free lease is nothing to do. Another
// owner's unexpired lease is refused (exit 3) and left as it is; an expired one is left
// too, for the next command to take over.
func (r *Release) LeaseRelease(ctx context.Context) error {
	if err := r.requireStore(); err != nil {
		return err
	}
	rec, _, err := r.Store.Load(ctx)
	if err != nil {
		return fmt.Errorf("reading the release record: %w", err)
	}
	l := rec.Lease
	now := r.Clock.Now()
	switch {
	case l == nil:
		r.printf("the release lease on %s is free: nothing to release\n", r.Store.Where())
		return nil
	case !ownLease(*l, r.Owner) && now.Before(l.Expires):
		return Refusef("the release lease on %s is held by %s, not by this run (%s): left as it is", r.Store.Where(), l.Owner, r.Owner.RunID)
	case !ownLease(*l, r.Owner):
		r.printf("the release lease on %s is %s's, expired at %s: left for the next command to take over\n", r.Store.Where(), l.Owner, l.Expires.UTC().Format(time.RFC3339))
		return nil
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordWriteTimeout)
	defer cancel()
	if err := record.ReleaseLease(wctx, r.Store, l.Token); err != nil {
		if lost := new(record.LostError); errors.As(err, &lost) {
			return Refusal{msg: lost.Error() + ": left as it is", err: lost}
		}
		return fmt.Errorf("releasing the release lease: %w", err)
	}
	r.printf("released the release lease on %s (held by %s since %s)\n", r.Store.Where(), l.Owner, l.Acquired.UTC().Format(time.RFC3339))
	return nil
}

// ownLease says whether the lease belongs to owner's run, as record.AcquireLease decides
// it: the same non-empty run id.
func ownLease(l record.Lease, owner record.Owner) bool {
	return l.Owner.RunID != "" && l.Owner.RunID == owner.RunID
}
