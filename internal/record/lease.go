package record

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// HeldError says the lease belongs to someone else: who, since when, until when.
type HeldError struct {
	Where string
	Lease Lease
	Now   time.Time
}

func (e *HeldError) Error() string {
	l := e.Lease
	return fmt.Sprintf("a release is in progress: the lease on %s is held by %s since %s and expires at %s (in %s); wait for it, or run `bluegreen unlock` if that release is dead",
		e.Where, l.Owner, l.Acquired.UTC().Format(time.RFC3339), l.Expires.UTC().Format(time.RFC3339), l.Expires.Sub(e.Now).Round(time.Second))
}

// LostError says a lease this process held (by token) is no longer its own: it expired
// and was taken over, or was broken with `bluegreen unlock`. Holder is who has it now
// (nil: nobody).
type LostError struct {
	Where  string
	Token  string
	Holder *Lease
}

func (e *LostError) Error() string {
	if e.Holder == nil {
		return fmt.Sprintf("the release lease on %s is no longer held by this run (it was released or broken)", e.Where)
	}
	return fmt.Sprintf("the release lease on %s is no longer held by this run: %s holds it since %s",
		e.Where, e.Holder.Owner, e.Holder.Acquired.UTC().Format(time.RFC3339))
}

// sameOwner says whether a request comes from the lease's owner: the same run id — a CI
// run (a re-run of a run keeps its id), or, as internal/release names a run outside CI,
// the same user@host (or WEBAPI_LEASE_OWNER). An owner without a run id is only ever
// itself through its token.
func sameOwner(held, asking Owner) bool {
	return held.RunID != "" && held.RunID == asking.RunID
}

// sameProcess says whether the asking owner is the very process that holds the lease.
func sameProcess(held, asking Owner) bool {
	return held.PID != 0 && held.PID == asking.PID && held.Host == asking.Host
}

// acquire is the pure decision of AcquireLease: take a free or expired lease (with
// token), refuse one held by anyone else. The same owner takes its own lease over: the
// holding process renews it with its token; another process of that owner gets token,
// so of two of its processes running at once (two terminals of one laptop) the earlier
// one finds its lease lost at its next renewal or write and stops without touching
// traffic — unless shared (a job lease, whose commands pass one lease along on purpose),
// which keeps the token. A takeover of an expired lease is written to the history.
func acquire(rec Record, where string, owner Owner, ttl time.Duration, now time.Time, token string, shared bool) (Record, Lease, error) {
	if ttl <= 0 {
		return rec, Lease{}, fmt.Errorf("lease duration %s: want more than 0", ttl)
	}
	held := rec.Lease
	switch {
	case held != nil && now.Before(held.Expires) && !sameOwner(held.Owner, owner):
		return rec, Lease{}, &HeldError{Where: where, Lease: *held, Now: now}
	case held != nil && sameOwner(held.Owner, owner) && (shared || sameProcess(held.Owner, owner)):
		l := *held
		l.Owner, l.Renewed, l.Expires = owner, now, now.Add(ttl)
		rec.Lease = &l
		return rec, l, nil
	case held != nil && sameOwner(held.Owner, owner):
		// Handed to this process with a new token (below); nothing to record.
	case held != nil:
		rec = appendEntry(rec, Entry{At: now, Who: owner.String(), Action: "lease-takeover",
			Message: fmt.Sprintf("lease of %s expired at %s", held.Owner, held.Expires.UTC().Format(time.RFC3339))})
	}
	l := Lease{Owner: owner, Token: token, Acquired: now, Renewed: now, Expires: now.Add(ttl)}
	rec.Lease = &l
	return rec, l, nil
}

// renew is the pure decision of RenewLease: only the token's holder extends the lease.
func renew(rec Record, where, token string, ttl time.Duration, now time.Time) (Record, Lease, error) {
	if rec.Lease == nil || rec.Lease.Token != token {
		return rec, Lease{}, &LostError{Where: where, Token: token, Holder: rec.Lease}
	}
	l := *rec.Lease
	l.Renewed, l.Expires = now, now.Add(ttl)
	rec.Lease = &l
	return rec, l, nil
}

// AcquireLease takes the release lease for owner for ttl: a free or expired lease is
// taken (compare-and-swap, so of several contenders exactly one wins), one held by the
// same owner is taken over with a new token (renewed, when the same process holds it),
// and one held by anyone else fails with *HeldError.
func AcquireLease(ctx context.Context, s Store, owner Owner, ttl time.Duration, now time.Time) (Lease, error) {
	return acquireLease(ctx, s, owner, ttl, now, false)
}

// AcquireJobLease is AcquireLease for a job lease (`bluegreen lease take` and the
// commands of a run that holds it): the same owner's lease is renewed with its token.
func AcquireJobLease(ctx context.Context, s Store, owner Owner, ttl time.Duration, now time.Time) (Lease, error) {
	return acquireLease(ctx, s, owner, ttl, now, true)
}

func acquireLease(ctx context.Context, s Store, owner Owner, ttl time.Duration, now time.Time, shared bool) (Lease, error) {
	token := newID()
	var got Lease
	_, _, err := Update(ctx, s, func(rec Record) (Record, error) {
		next, l, err := acquire(rec, s.Where(), owner, ttl, now, token, shared)
		got = l
		return next, err
	})
	return got, err
}

// RenewLease extends the lease held with token to now+ttl, or fails with *LostError.
func RenewLease(ctx context.Context, s Store, token string, ttl time.Duration, now time.Time) (Lease, error) {
	var got Lease
	_, _, err := Update(ctx, s, func(rec Record) (Record, error) {
		next, l, err := renew(rec, s.Where(), token, ttl, now)
		got = l
		return next, err
	})
	return got, err
}

// ReleaseLease gives the lease up. Only its holder may: anyone else gets *LostError; a
// lease already gone is not an error.
func ReleaseLease(ctx context.Context, s Store, token string) error {
	_, _, err := Update(ctx, s, func(rec Record) (Record, error) {
		if rec.Lease == nil {
			return rec, errNothingToWrite
		}
		if rec.Lease.Token != token {
			return rec, &LostError{Where: s.Where(), Token: token, Holder: rec.Lease}
		}
		rec.Lease = nil
		return rec, nil
	})
	if errors.Is(err, errNothingToWrite) {
		return nil
	}
	return err
}

// BreakLease clears the lease whoever holds it (`bluegreen unlock`) and writes who broke
// whose lease, and why, to the history. It returns the broken lease (nil: there was none,
// and nothing was written).
func BreakLease(ctx context.Context, s Store, who Owner, reason string, now time.Time) (*Lease, error) {
	var broken *Lease
	_, _, err := Update(ctx, s, func(rec Record) (Record, error) {
		broken = rec.Lease
		if rec.Lease == nil {
			return rec, errNothingToWrite
		}
		rec.Lease = nil
		msg := fmt.Sprintf("broke the lease of %s (acquired %s, expires %s)", broken.Owner,
			broken.Acquired.UTC().Format(time.RFC3339), broken.Expires.UTC().Format(time.RFC3339))
		if reason != "" {
			msg += ": " + reason
		}
		return appendEntry(rec, Entry{At: now, Who: who.String(), Action: "unlock", Message: msg}), nil
	})
	if errors.Is(err, errNothingToWrite) {
		return nil, nil
	}
	return broken, err
}

// UpdateHeld is Update fenced by the lease: change runs, and its result is saved, only
// while token holds the lease; otherwise it fails with *LostError and writes nothing.
// Every write of release state goes through it, so a run whose lease was taken over
// cannot overwrite the new holder's release.
func UpdateHeld(ctx context.Context, s Store, token string, change func(Record) (Record, error)) (Record, Version, error) {
	return Update(ctx, s, func(rec Record) (Record, error) {
		if rec.Lease == nil || rec.Lease.Token != token {
			return rec, &LostError{Where: s.Where(), Token: token, Holder: rec.Lease}
		}
		return change(rec)
	})
}

// AppendHistory appends e to the history; concurrent appends each retry on conflict, so
// none is lost.
func AppendHistory(ctx context.Context, s Store, e Entry) error {
	_, _, err := Update(ctx, s, func(rec Record) (Record, error) { return appendEntry(rec, e), nil })
	return err
}

// errNothingToWrite stops an Update whose change would write nothing.
var errNothingToWrite = errors.New("nothing to write")
