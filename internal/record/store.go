package record

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Version identifies one stored state of the record: what Save compares against.
// It is opaque to callers (a generation for the file store, an ETag for S3).
type Version string

// NoVersion is the version of a record that does not exist yet: saving with it creates
// the record, and fails if someone else created it first.
const NoVersion Version = ""

// Store loads and conditionally saves the release record. Implementations are exclusive
// by conditional write only: Save succeeds for at most one writer of a given expected
// version, across goroutines, processes and machines.
type Store interface {
	// Load returns the record and its version; a missing record is the empty Record and
	// NoVersion, not an error.
	Load(ctx context.Context) (Record, Version, error)
	// Save writes rec if the stored version is still expected, and returns the new
	// version. Otherwise it writes nothing and returns an error that Is ErrConflict.
	Save(ctx context.Context, rec Record, expected Version) (Version, error)
	// Where names the record's location for messages (a path or an s3:// URL).
	Where() string
}

// ErrConflict says the record changed between Load and Save: re-read and decide again.
var ErrConflict = errors.New("release record was changed by someone else since it was read")

// ConflictError is the ErrConflict of one save: where, and against which version.
type ConflictError struct {
	Where    string
	Expected Version
	Detail   string
}

func (e *ConflictError) Error() string {
	exp := string(e.Expected)
	if e.Expected == NoVersion {
		exp = "none (creating it)"
	}
	return fmt.Sprintf("saving %s: %v (expected version %s): %s", e.Where, ErrConflict, exp, e.Detail)
}

func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// MaxAttempts bounds Update's read-modify-write retries. Each conflict means another
// writer succeeded, so with n concurrent writers every one finishes within n attempts;
// 64 covers the busiest case the tool meets (a handful of writers) with a wide margin.
const MaxAttempts = 64

// Update reads the record, applies change, and saves it against the version it read,
// re-reading and re-applying on a conflict (at most MaxAttempts times). change must be a
// pure function of the record it is given: it runs once per attempt. An error from
// change stops the loop and is returned as is. Update bumps Revision.
func Update(ctx context.Context, s Store, change func(Record) (Record, error)) (Record, Version, error) {
	for attempt := 1; ; attempt++ {
		rec, ver, err := s.Load(ctx)
		if err != nil {
			return Record{}, NoVersion, err
		}
		next, err := change(rec.Clone())
		if err != nil {
			return Record{}, NoVersion, err
		}
		next.Revision = rec.Revision + 1
		newVer, err := s.Save(ctx, next, ver)
		if err == nil {
			return next, newVer, nil
		}
		if !errors.Is(err, ErrConflict) {
			return Record{}, NoVersion, err
		}
		if attempt >= MaxAttempts {
			return Record{}, NoVersion, fmt.Errorf("gave up after %d conflicting writes to %s: %w", attempt, s.Where(), err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return Record{}, NoVersion, err
		}
	}
}

// backoff waits a short random time, growing with the attempt, so writers that keep
// colliding spread out instead of retrying in lockstep.
func backoff(ctx context.Context, attempt int) error {
	ceiling := min(time.Duration(attempt)*2*time.Millisecond, 100*time.Millisecond)
	return SystemClock{}.Sleep(ctx, rand.N(ceiling)+time.Millisecond)
}

// newID returns 16 random bytes in hex: write ids and lease tokens.
func newID() string {
	b := make([]byte, 16)
	crand.Read(b) // never fails since Go 1.24 (it crashes the program instead)
	return hex.EncodeToString(b)
}
