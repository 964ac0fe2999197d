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

// recordedNeverApplied is what a run killed after writing its release, before its
// precheck and smoke test finished, leaves: the release at its first step, phase
// applying, the listener untouched and the lease held.
func recordedNeverApplied(t *testing.T, f *fixture) {
	t.Helper()
	ctx := context.Background()
	_, err := record.AcquireLease(ctx, f.store, owners["ci"], time.Hour, f.clock.now)
	require.NoError(t, err)
	_, _, err = record.Update(ctx, f.store, func(rec record.Record) (record.Record, error) {
		return record.StartRelease(rec, record.Start{ID: "r1", Target: infra.Green, AppRef: "v2",
			Plan:    record.Plan{Steps: []int{10, 50, 100}, Pause: record.Duration(5 * time.Minute), Interval: record.Duration(time.Minute), Max5xxPercent: 1, MaxP99: record.Duration(time.Second)},
			Current: infra.Weights{Blue: 100}, Who: "ci"}, f.clock.now)
	})
	require.NoError(t, err)
}

// Resuming a release that was recorded but never applied runs its precheck and smoke
// test again: a failure aborts it (exit 3) and no weight moves.
func TestResumeOfAReleaseRecordedButNeverAppliedRerunsItsChecks(t *testing.T) {
	for name, fail := range map[string]func(f *fixture, sm *fakeSmoker){
		"smoke test": func(_ *fixture, sm *fakeSmoker) { sm.fail[0] = errSmoke },
		"precheck": func(f *fixture, _ *fakeSmoker) {
			f.alarms.states["webapi-green-5xx"] = AlarmState{Value: AlarmStateAlarm, Reason: "5xx above 1%"}
		},
	} {
		t.Run(name, func(t *testing.T) {
			f, sm := smokeFixture()
			recordedNeverApplied(t, f)
			fail(f, sm)
			r := f.rerun()
			r.Smoke = sm
			err := r.Shift(context.Background(), shiftToGreen(10, 50, 100))
			t.Log(f.out.String())
			assert.Equal(t, ExitRefused, ExitCode(err), "%v", err)
			assert.Empty(t, f.aws.greens(), "no weight may move before the checks passed")
			rec := f.store.load()
			assert.Equal(t, record.OutcomeAborted, rec.Release.Outcome)
			assert.Nil(t, rec.Lease, "an aborted release gives the lease up")
		})
	}
	t.Run("passing checks resume the release", func(t *testing.T) {
		f, sm := smokeFixture()
		recordedNeverApplied(t, f)
		r := f.rerun()
		r.Smoke = sm
		require.NoError(t, r.Shift(context.Background(), shiftToGreen(10, 50, 100)), f.out.String())
		assert.Equal(t, []int{10, 50, 100}, f.aws.greens())
		assert.Equal(t, infra.Weights{Blue: 100}, sm.seen[0], "the smoke test ran before any weight moved")
	})
}
