package record

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAcquireDecision(t *testing.T) {
	ci, laptop := owner(1), Owner{User: "alice", Host: "laptop", PID: 7}
	ciRerun := ci
	ciRerun.PID = 4242
	laptopRun := Owner{User: "alice", Host: "laptop", PID: 7, RunID: "alice@laptop"}
	laptopRun2 := laptopRun
	laptopRun2.PID = 8
	held := func(o Owner, expires time.Time) Record {
		return Record{Lease: &Lease{Owner: o, Token: "old", Acquired: t0.Add(-time.Hour), Expires: expires}}
	}
	tests := []struct {
		name      string
		rec       Record
		asking    Owner
		wantToken string // "new": the fresh token
		wantHeld  bool
		takeover  bool
		shared    bool // a job lease
	}{
		{"free", Record{}, laptop, "new", false, false, false},
		{"held by another, live", held(ci, t0.Add(time.Second)), laptop, "", true, false, false},
		{"held by the same user elsewhere, live", held(Owner{User: "alice", Host: "desktop"}, t0.Add(time.Second)), laptop, "", true, false, false},
		{"same laptop user and host, new process", held(laptop, t0.Add(time.Second)), Owner{User: "alice", Host: "laptop", PID: 8}, "", true, false, false},
		{"expired exactly now", held(ci, t0), laptop, "new", false, true, false},
		{"expired long ago", held(ci, t0.Add(-time.Hour)), laptop, "new", false, true, false},
		{"same CI run, another process, live: taken over with a new token", held(ci, t0.Add(time.Second)), ciRerun, "new", false, false, false},
		{"same CI run, another process, expired: a new token", held(ci, t0.Add(-time.Second)), ciRerun, "new", false, false, false},
		{"same CI run, the same process: renewed", held(ci, t0.Add(time.Second)), ci, "old", false, false, false},
		{"same CI run, job lease: renewed", held(ci, t0.Add(time.Second)), ciRerun, "old", false, false, true},
		{"same laptop owner (user@host run id), another process: a new token", held(laptopRun, t0.Add(time.Second)), laptopRun2, "new", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.rec.Clone()
			next, l, err := acquire(tt.rec, "here", tt.asking, time.Minute, t0, "new", tt.shared)
			assert.Equal(t, before, tt.rec, "the input record is not modified")
			if tt.wantHeld {
				var heldErr *HeldError
				require.ErrorAs(t, err, &heldErr)
				assert.Equal(t, "old", heldErr.Lease.Token)
				for _, want := range []string{heldErr.Lease.Owner.User, heldErr.Lease.Owner.Host, "here", "expires", "bluegreen unlock"} {
					assert.Contains(t, err.Error(), want)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantToken, l.Token)
			assert.Equal(t, tt.asking, l.Owner)
			assert.Equal(t, t0.Add(time.Minute), l.Expires)
			assert.Equal(t, &l, next.Lease)
			assert.Equal(t, tt.takeover, len(next.History) == 1, "a takeover is written to the history")
		})
	}
	_, _, err := acquire(Record{}, "here", laptop, 0, t0, "new", false)
	assert.ErrorContains(t, err, "lease duration 0s")
}

func TestHeldErrorNamesTheHolder(t *testing.T) {
	err := &HeldError{Where: "s3://b/k", Now: t0, Lease: Lease{Owner: owner(3), Acquired: t0.Add(-time.Minute), Expires: t0.Add(4 * time.Minute)}}
	assert.Equal(t, "a release is in progress: the lease on s3://b/k is held by user3@host (pid 1003, run https://ci.example/runs/3) since 2026-11-03T08:59:00Z and expires at 2026-11-03T09:04:00Z (in 4m0s); wait for it, or run `bluegreen unlock` if that release is dead", err.Error())
}

func TestLeaseLifecycle(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t, kind)
			a, err := AcquireLease(ctx, s, owner(1), time.Minute, t0)
			require.NoError(t, err)

			_, err = RenewLease(ctx, s, "not-the-token", time.Minute, t0)
			assert.ErrorAs(t, err, new(*LostError))
			renewed, err := RenewLease(ctx, s, a.Token, time.Minute, t0.Add(30*time.Second))
			require.NoError(t, err)
			assert.Equal(t, t0.Add(90*time.Second), renewed.Expires)
			assert.Equal(t, a.Acquired, renewed.Acquired)

			assert.ErrorAs(t, ReleaseLease(ctx, s, "not-the-token"), new(*LostError), "only the holder releases")
			_, _, err = UpdateHeld(ctx, s, "not-the-token", func(r Record) (Record, error) { r.StableColor = "green"; return r, nil })
			assert.ErrorAs(t, err, new(*LostError), "a write fenced by someone else's lease is refused")
			rec, _, err := UpdateHeld(ctx, s, a.Token, func(r Record) (Record, error) { r.StableColor = "green"; return r, nil })
			require.NoError(t, err)
			assert.EqualValues(t, "green", rec.StableColor)

			require.NoError(t, ReleaseLease(ctx, s, a.Token))
			require.NoError(t, ReleaseLease(ctx, s, a.Token), "releasing a lease already gone is fine")
			rec, _, err = s.Load(ctx)
			require.NoError(t, err)
			assert.Nil(t, rec.Lease)
			assert.EqualValues(t, "green", rec.StableColor, "releasing keeps the rest of the record")
		})
	}
}

func TestBreakLeaseClearsAnyHolderAndRecordsIt(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t, kind)
			none, err := BreakLease(ctx, s, owner(2), "stuck", t0)
			require.NoError(t, err)
			assert.Nil(t, none)
			_, ver, err := s.Load(ctx)
			require.NoError(t, err)
			assert.Equal(t, NoVersion, ver, "breaking no lease writes nothing")

			a, err := AcquireLease(ctx, s, owner(1), time.Hour, t0)
			require.NoError(t, err)
			broken, err := BreakLease(ctx, s, owner(2), "CI runner died", t0.Add(time.Minute))
			require.NoError(t, err)
			require.NotNil(t, broken)
			assert.Equal(t, a.Token, broken.Token)

			_, err = RenewLease(ctx, s, a.Token, time.Minute, t0.Add(2*time.Minute))
			var lost *LostError
			require.ErrorAs(t, err, &lost, "the old holder finds out at its next renewal")
			rec, _, err := s.Load(ctx)
			require.NoError(t, err)
			assert.Nil(t, rec.Lease)
			require.Len(t, rec.History, 1)
			e := rec.History[0]
			assert.Equal(t, "unlock", e.Action)
			assert.Equal(t, owner(2).String(), e.Who)
			assert.Contains(t, e.Message, owner(1).String())
			assert.Contains(t, e.Message, "CI runner died")
		})
	}
}
