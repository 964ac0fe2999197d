package release

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// setterHealth is fakeHealth with ELBv2 ModifyListener: the direct path of a restore.
type setterHealth struct {
	*fakeHealth
	calls int
}

func (h *setterHealth) SetListenerWeights(_ context.Context, listenerArn string, weights map[string]int) error {
	h.calls++
	h.aws.setListener(infra.Weights{Blue: weights[tgBlue], Green: weights[tgGreen]})
	return nil
}

// interruptAt50 shifts to green and cancels the command's context (SIGINT) during the
// 50% step's pause.
func interruptAt50(t *testing.T, f *fixture) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.r.Clock = sleepHook{f.clock, func() {
		if f.aws.live().Green == 50 {
			cancel()
		}
	}}
	return f.r.Shift(ctx, shiftTo(infra.Green, 10, 50, 100))
}

// An interrupt with AWS access and time left: the stable colour is restored directly
// (one ModifyListener, verified), the release recorded rolled back with the reconcile
// pending, the lease given up, exit 4; the next command refreshes the listener into the
// edge stack's state, once, and records it.
func TestInterruptRestoresDirectlyThenTheNextCommandReconciles(t *testing.T) {
	f := newFixture(0, infra.Blue)
	h := &setterHealth{fakeHealth: f.health}
	f.r.Health = h
	err := interruptAt50(t, f)
	require.Error(t, err)
	assert.Equal(t, ExitRolledBack, ExitCode(err), "%v", err)
	assert.Equal(t, 1, h.calls)
	assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
	assert.Equal(t, []int{10, 50, 0}, f.aws.greens(), "the direct restore is the only change after the interrupt")
	assert.Len(t, f.eng.ups, 2, "no engine run after the interrupt")
	rec := f.store.load()
	assert.Equal(t, record.OutcomeRolledBack, rec.Release.Outcome)
	assert.True(t, strings.HasPrefix(rec.Release.Message, ReconcilePending), rec.Release.Message)
	assert.Nil(t, rec.Lease)
	assert.Contains(t, f.out.String(), "restored directly to blue 100% / green 0%")

	next := f.rerun()
	err = next.Rollback(context.Background(), RollbackOptions{})
	assert.Equal(t, ExitRefused, ExitCode(err), "nothing left to roll back: %v", err)
	assert.Equal(t, []string{"blue[" + lURN + "]"}, f.eng.refreshed, "a targeted refresh of the listener")
	rec = f.store.load()
	assert.True(t, strings.HasPrefix(rec.Release.Message, "restored directly, state reconciled"), rec.Release.Message)
	assert.Equal(t, "reconciled", rec.History[len(rec.History)-1].Action)

	_ = f.rerun().Rollback(context.Background(), RollbackOptions{})
	assert.Len(t, f.eng.refreshed, 1, "reconciled once")
}

// With the budget spent (or no AWS client that can modify listeners) nothing is sent to
// the listener: the record keeps the release where it stopped, exit 1.
func TestInterruptWithoutTimeOrAccessRecordsInterrupted(t *testing.T) {
	for name, setup := range map[string]func(f *fixture) *setterHealth{
		"budget spent": func(f *fixture) *setterHealth {
			h := &setterHealth{fakeHealth: f.health}
			f.r.Health, f.r.InterruptBudget = h, time.Nanosecond
			return h
		},
		"no ModifyListener": func(*fixture) *setterHealth { return &setterHealth{} },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(0, infra.Blue)
			h := setup(f)
			err := interruptAt50(t, f)
			require.Error(t, err)
			assert.Equal(t, ExitFailed, ExitCode(err), "%v", err)
			assert.Contains(t, err.Error(), "interrupted")
			assert.Zero(t, h.calls)
			assert.Equal(t, infra.Weights{Blue: 50, Green: 50}, f.aws.live())
			rec := f.store.load()
			assert.Equal(t, record.PhaseWatching, rec.Release.Phase, "the record keeps where it stopped")
			assert.Equal(t, "interrupted", rec.History[len(rec.History)-1].Action)
			assert.Contains(t, f.out.String(), "no direct restore")
		})
	}
}
