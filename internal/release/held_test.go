package release

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// heldAt50 is a --hold release into green that ended holding blue 50 / green 50.
func heldAt50(t *testing.T, f *fixture) {
	t.Helper()
	opts := shiftToGreen(10, 50)
	opts.Hold = true
	require.NoError(t, f.r.Shift(context.Background(), opts), f.out.String())
	require.Equal(t, infra.Weights{Blue: 50, Green: 50}, f.aws.live())
	require.True(t, record.Holding(f.store.load()))
}

// A held split is a live split: plain `rollback` sends everything to the stable colour
// and records the held release rolled back.
func TestRollbackOfAHeldSplitRestoresTheStableColour(t *testing.T) {
	f := newFixture(0, infra.Blue)
	heldAt50(t, f)
	require.NoError(t, f.rerun().Rollback(context.Background(), RollbackOptions{}), f.out.String())
	assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
	rec := f.store.load()
	assert.False(t, record.Holding(rec))
	assert.Equal(t, record.OutcomeRolledBack, rec.Release.Outcome)
	assert.Nil(t, rec.Lease)
}

// The break-glass rollback (no engine) ends a held split too.
func TestDirectRollbackOfAHeldSplitRestoresTheStableColour(t *testing.T) {
	f := newFixture(0, infra.Blue)
	heldAt50(t, f)
	r, eng, _ := direct(f)
	require.NoError(t, r.RollbackDirect(context.Background(), DirectOptions{}), f.out.String())
	assert.Empty(t, eng.calls, "no engine call")
	assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
	rec := f.store.load()
	assert.False(t, record.Holding(rec))
	assert.Equal(t, record.OutcomeRolledBack, rec.Release.Outcome)
}

// `rollback --to` of a held split closes the held release in the record: status no
// longer says holding, a later promote is refused without leaving its lease behind, and
// the next shift is not refused.
func TestRollbackToOfAHeldSplitClosesTheHeldRelease(t *testing.T) {
	for _, to := range []infra.Color{infra.Blue, infra.Green} {
		t.Run(string(to), func(t *testing.T) {
			f := newFixture(0, infra.Blue)
			heldAt50(t, f)
			require.NoError(t, f.rerun().Rollback(context.Background(), RollbackOptions{To: to}), f.out.String())
			require.Equal(t, with(to, 100), f.aws.live())
			rec := f.store.load()
			assert.False(t, record.Holding(rec), "the split is gone: the record must not say held")
			rep, err := f.r.StatusReport(context.Background())
			require.NoError(t, err)
			require.NotNil(t, rep.Release)
			assert.False(t, rep.Release.Holding)

			err = f.rerun().Promote(context.Background(), false)
			assert.Equal(t, ExitRefused, ExitCode(err), "%v", err)
			assert.Nil(t, f.store.load().Lease, "a refused promote must not leave its lease behind")
			_, op := f.operator()
			err = op.Shift(context.Background(), shiftToGreen(10, 50, 100))
			assert.NotEqual(t, ExitRefused, ExitCode(err), "%v", err)
		})
	}
}

// A promote refused after it took the lease (someone else moved traffic) gives the
// lease up.
func TestPromoteRefusedAfterTakingTheLeaseGivesItUp(t *testing.T) {
	f := newFixture(0, infra.Blue)
	heldAt50(t, f)
	f.aws.setListener(infra.Weights{Blue: 70, Green: 30})
	err := f.rerun().Promote(context.Background(), false)
	assert.Equal(t, ExitRefused, ExitCode(err), "%v", err)
	assert.Nil(t, f.store.load().Lease, "the refused promote's lease would block every other owner for %s", DefaultLeaseTTL)
}
