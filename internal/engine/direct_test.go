package engine_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/engine"
	"github.com/webapi-platform/infra/internal/enginetest"
	"github.com/webapi-platform/infra/internal/record"
	"github.com/webapi-platform/infra/internal/release"
)

// deadEngine is an engine that cannot run: every call fails, as the CLI does on a
// backend lock, and is counted.
type deadEngine struct {
	mu    sync.Mutex
	calls []string
}

func (e *deadEngine) fail(what string, c infra.Color) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, what+" "+string(c))
	return fmt.Errorf("stack %s: %s: the stack is currently locked by 1 lock(s)", c, what)
}

func (e *deadEngine) Config(_ context.Context, c infra.Color) (map[string]string, error) {
	return nil, e.fail("config", c)
}

func (e *deadEngine) Outputs(_ context.Context, c infra.Color) (map[string]any, error) {
	return nil, e.fail("outputs", c)
}

func (e *deadEngine) Up(_ context.Context, c infra.Color, _ release.UpOptions) (release.Changes, error) {
	return release.Changes{}, e.fail("up", c)
}

func (e *deadEngine) Preview(_ context.Context, c infra.Color, _ release.UpOptions) ([]events.EngineEvent, error) {
	return nil, e.fail("preview", c)
}

func (e *deadEngine) Destroy(_ context.Context, c infra.Color) error { return e.fail("destroy", c) }
func (e *deadEngine) CreateStack(_ context.Context, c infra.Color) error {
	return e.fail("create stack", c)
}

func (e *deadEngine) Refresh(_ context.Context, c infra.Color, _ []string) error {
	return e.fail("refresh", c)
}

// A release dies mid-step (the record says its 50% step is being applied, the listener
// serves the 10% step) and a killed Pulumi CLI left the edge stack's backend lock. The
// break-glass rollback runs no engine at all: it reads the listener and target groups
// from the release record, sets the double's listener with ModifyListener, verifies it
// and records it. The next command (a rollback: nothing left to roll back) clears the
// stale lock and refreshes the listener into the edge stack's state, so the next
// release's first step — the weights the state held — is a real change.
func TestEngineRollbackDirectWithTheBackendLockedByADeadProcess(t *testing.T) {
	t.Parallel()
	f := newDeployed(t, newSteppingClock())
	f.r.Fleets = f.w.Health()
	ctx := context.Background()
	f.w.ServeTraffic(t, infra.Green, healthyTraffic)
	ev := f.edge(t)

	// The tool dies once the record says the second step is being applied.
	applies := 0
	f.r.Checkpoint = func(name string) {
		if name == release.CheckpointAfterRecord {
			if applies++; applies == 2 {
				runtime.Goexit()
			}
		}
	}
	died := make(chan struct{})
	go func() {
		defer close(died)
		_ = f.r.Shift(ctx, release.ShiftOptions{Target: infra.Green, Steps: []int{10, 50, 100}, Pause: time.Minute, Interval: 30 * time.Second})
	}()
	<-died
	require.Equal(t, infra.Weights{Blue: 90, Green: 10}, f.liveWeights(t, ev), f.logs())
	rec := f.record(t)
	require.Equal(t, record.PhaseApplying, rec.Release.Phase, "mid-step")
	require.NotNil(t, rec.Edge, "the release recorded where the edge is")
	lock := leaveStaleLock(t, f)

	dead := &deadEngine{}
	out := &enginetest.SyncBuffer{}
	h := f.w.Health()
	direct := &release.Release{Engine: dead, Health: h, Fleets: h, Clock: release.RealClock{}, Out: out, Store: f.store, Owner: enginetest.Owner("ci-1")}
	start := time.Now()
	require.NoError(t, direct.RollbackDirect(ctx, release.DirectOptions{}), out.String())
	elapsed := time.Since(start)
	t.Logf("rollback --direct took %s (wall clock: record read, listener read, target health and group read, lease, two record writes, ModifyListener, DescribeListeners, history) and said:\n%s",
		elapsed.Round(time.Millisecond), out.String())
	assert.Empty(t, dead.calls, "no engine call")
	assert.Equal(t, infra.Weights{Blue: 100}, f.liveWeights(t, ev), "the double's listener serves blue alone")
	assert.Equal(t, infra.Weights{Blue: 90, Green: 10}, f.stateWeights(t), "the edge stack's state still holds the weights from before")
	assert.FileExists(t, lock, "--direct leaves the backend alone")
	rec = f.record(t)
	assert.Equal(t, record.OutcomeRolledBack, rec.Release.Outcome)
	assert.True(t, strings.HasPrefix(rec.Release.Message, release.ReconcilePending), rec.Release.Message)
	assert.Equal(t, "rollback --direct", rec.History[len(rec.History)-1].Action)
	assert.Nil(t, rec.Lease)

	// The next command reconciles: the stale lock cleared, a targeted refresh.
	next := &release.Release{Engine: f.w.Engine, Health: h, Fleets: h, Alarms: h, Clock: f.r.Clock, Out: f.out, Store: f.store,
		Owner: enginetest.Owner("ci-1"), Locks: f.w.Engine, ProcessAlive: engine.ProcessAlive}
	err := next.Rollback(ctx, release.RollbackOptions{})
	assert.Equal(t, release.ExitRefused, release.ExitCode(err), "nothing left to roll back: %v\n%s", err, f.logs())
	assert.NoFileExists(t, lock)
	assert.Contains(t, f.out.String(), "removed the stale backend lock "+lock)
	rec = f.record(t)
	assert.True(t, strings.HasPrefix(rec.Release.Message, "restored directly, state reconciled"), rec.Release.Message)
	assert.Equal(t, "reconciled", rec.History[len(rec.History)-1].Action)

	// The refresh put the live weights into the listener's state (not into the stack's
	// outputs, which only an update of the edge recomputes): a new release's first step,
	// the very weights the state held before, really reaches the listener.
	next.Touched = nil
	opts := release.ShiftOptions{Target: infra.Green, Steps: []int{10, 100}, Pause: time.Minute, Interval: 30 * time.Second, Manual: true}
	require.NoError(t, next.Shift(ctx, opts), f.logs())
	require.Len(t, next.Touched, 1)
	assert.Equal(t, 1, next.Touched[0].Modified(), "the 10% step changed the listener")
	assert.Equal(t, infra.Weights{Blue: 90, Green: 10}, f.liveWeights(t, ev))
	assert.Equal(t, infra.Weights{Blue: 90, Green: 10}, f.stateWeights(t))
}
