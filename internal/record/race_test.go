package record

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const contenders = 32

// acquireResult is one contender's outcome.
type acquireResult struct {
	lease Lease
	err   error
}

// requireOneWinner checks that exactly one contender got the lease, that every other
// one got *HeldError naming the winner, and that the record agrees.
func requireOneWinner(t *testing.T, s Store, results []acquireResult) Lease {
	t.Helper()
	var winners []Lease
	for i, r := range results {
		if r.err == nil {
			winners = append(winners, r.lease)
			continue
		}
		var held *HeldError
		require.ErrorAs(t, r.err, &held, "contender %d", i)
	}
	require.Len(t, winners, 1, "exactly one contender takes the lease")
	w := winners[0]
	for _, r := range results {
		var held *HeldError
		if errors.As(r.err, &held) {
			assert.Equal(t, w.Token, held.Lease.Token, "the refusal names the winner")
		}
	}
	rec, _, err := s.Load(context.Background())
	require.NoError(t, err)
	require.NotNil(t, rec.Lease)
	assert.Equal(t, w.Token, rec.Lease.Token)
	assert.Equal(t, w.Owner, rec.Lease.Owner)
	return w
}

func TestRaceOfAcquirersHasExactlyOneWinner(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			s := &countingStore{Store: newStore(t, kind)}
			results := together(contenders, func(i int) acquireResult {
				l, err := AcquireLease(context.Background(), s, owner(i), time.Minute, t0)
				return acquireResult{l, err}
			})
			requireOneWinner(t, s, results)
			t.Logf("%d contenders, 1 winner, %d saves met a conflict", contenders, s.count())
		})
	}
}

func TestRaceForAnExpiredLeaseHasExactlyOneWinner(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t, kind)
			old, err := AcquireLease(ctx, s, owner(99), time.Minute, t0)
			require.NoError(t, err)
			later := t0.Add(time.Minute) // the old lease expires exactly now
			results := together(contenders, func(i int) acquireResult {
				l, err := AcquireLease(ctx, s, owner(i), time.Minute, later)
				return acquireResult{l, err}
			})
			w := requireOneWinner(t, s, results)
			assert.NotEqual(t, old.Token, w.Token)
			rec, _, err := s.Load(ctx)
			require.NoError(t, err)
			var takeovers []Entry
			for _, e := range rec.History {
				if e.Action == "lease-takeover" {
					takeovers = append(takeovers, e)
				}
			}
			require.Len(t, takeovers, 1, "one takeover, written by the winner")
			assert.Equal(t, w.Owner.String(), takeovers[0].Who)
			assert.Contains(t, takeovers[0].Message, old.Owner.String())
		})
	}
}

func TestConcurrentHistoryAppendsAreNeverLost(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			s := &countingStore{Store: newStore(t, kind)}
			errs := together(contenders, func(i int) error {
				return AppendHistory(ctx, s, Entry{At: t0, Who: owner(i).String(), Action: "note", Message: fmt.Sprint(i)})
			})
			for i, err := range errs {
				require.NoError(t, err, "appender %d", i)
			}
			rec, _, err := s.Load(ctx)
			require.NoError(t, err)
			seen := map[string]bool{}
			for _, e := range rec.History {
				seen[e.Message] = true
			}
			assert.Len(t, rec.History, contenders)
			assert.Len(t, seen, contenders, "every appender's entry is there once")
			assert.EqualValues(t, contenders, rec.Revision, "one revision per append")
			t.Logf("%d appenders, %d saves met a conflict and retried", contenders, s.count())
		})
	}
}

// A writer that read version 5 while someone saved 6 gets ErrConflict, and 6 stays.
func TestStaleWriterGetsConflictAndNothingIsLost(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t, kind)
			var versions []Version
			ver := NoVersion
			for i := 1; i <= 6; i++ {
				var err error
				ver, err = s.Save(ctx, Record{Revision: int64(i), History: []Entry{{Action: fmt.Sprint(i)}}}, ver)
				require.NoError(t, err, "save %d", i)
				versions = append(versions, ver)
			}
			_, err := s.Save(ctx, Record{Revision: 6, History: []Entry{{Action: "stale"}}}, versions[4])
			require.ErrorIs(t, err, ErrConflict)
			assert.Contains(t, err.Error(), s.Where())
			rec, got, err := s.Load(ctx)
			require.NoError(t, err)
			assert.Equal(t, versions[5], got)
			assert.Equal(t, "6", rec.History[0].Action)
		})
	}
}

// Racing Saves against one version, without retries: exactly one succeeds.
func TestRaceOfSavesAgainstOneVersion(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t, kind)
			base, err := s.Save(ctx, Record{Revision: 1}, NoVersion)
			require.NoError(t, err)
			errs := together(contenders, func(i int) error {
				_, err := s.Save(ctx, Record{Revision: 2, StableColor: "blue", History: []Entry{{Message: fmt.Sprint(i)}}}, base)
				return err
			})
			wins := 0
			for _, err := range errs {
				if err == nil {
					wins++
				} else {
					require.ErrorIs(t, err, ErrConflict)
				}
			}
			assert.Equal(t, 1, wins)
		})
	}
}
