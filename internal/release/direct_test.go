package release

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// lockedEngine is an engine that cannot run: every call fails as the CLI does on a
// backend lock held by a dead process, and is counted.
type lockedEngine struct{ calls []string }

func (e *lockedEngine) fail(what string, c infra.Color) error {
	e.calls = append(e.calls, what+" "+string(c))
	return fmt.Errorf("stack %s: %s: %w", c, what, errLocked)
}

func (e *lockedEngine) Config(_ context.Context, c infra.Color) (map[string]string, error) {
	return nil, e.fail("config", c)
}

func (e *lockedEngine) Outputs(_ context.Context, c infra.Color) (map[string]any, error) {
	return nil, e.fail("outputs", c)
}

func (e *lockedEngine) Up(_ context.Context, c infra.Color, _ UpOptions) (Changes, error) {
	return Changes{}, e.fail("up", c)
}

func (e *lockedEngine) Preview(_ context.Context, c infra.Color, _ UpOptions) ([]events.EngineEvent, error) {
	return nil, e.fail("preview", c)
}

func (e *lockedEngine) Destroy(_ context.Context, c infra.Color) error { return e.fail("destroy", c) }
func (e *lockedEngine) CreateStack(_ context.Context, c infra.Color) error {
	return e.fail("create stack", c)
}

func (e *lockedEngine) Refresh(_ context.Context, c infra.Color, _ []string) error {
	return e.fail("refresh", c)
}

// direct is a rerun of the tool whose engine cannot run, with ModifyListener.
func direct(f *fixture) (*Release, *lockedEngine, *setterHealth) {
	r := f.rerun()
	eng := &lockedEngine{}
	h := &setterHealth{fakeHealth: f.health}
	r.Engine, r.Health = eng, h
	return r, eng, h
}

// The shift recorded where the edge is on AWS: what --direct works from.
func TestShiftRecordsTheEdgeForABreakGlassRollback(t *testing.T) {
	f := newFixture(0, infra.Blue)
	pausedAt10(t, f)
	edge := f.store.load().Edge
	require.NotNil(t, edge)
	assert.Equal(t, record.Edge{Stack: infra.Blue, ListenerArn: listener, TargetGroupArns: map[string]string{"blue": tgBlue, "green": tgGreen},
		AsgNames: map[string]string{"blue": asgBlue, "green": asgGreen}}, *edge)
}

// The engine cannot run (every call fails on the backend lock): rollback --direct sets
// the listener with ModifyListener from the record's ARNs, verifies it, records the
// release rolled back with the reconcile pending and a "rollback --direct" history entry,
// says what to reconcile; the next command refreshes the listener into the edge stack's
// state.
func TestRollbackDirectWithALockedEngineRestoresRecordsAndTheNextCommandReconciles(t *testing.T) {
	f := newFixture(0, infra.Blue)
	pausedAt10(t, f)
	r, eng, h := direct(f)
	require.NoError(t, r.RollbackDirect(context.Background(), DirectOptions{}), f.out.String())
	assert.Empty(t, eng.calls, "no engine call on the --direct path")
	assert.Equal(t, 1, h.calls, "one ModifyListener")
	assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
	assert.Empty(t, f.eng.ups)
	rec := f.store.load()
	assert.Equal(t, record.OutcomeRolledBack, rec.Release.Outcome)
	assert.True(t, strings.HasPrefix(rec.Release.Message, ReconcilePending), rec.Release.Message)
	assert.Nil(t, rec.Lease)
	actions := []string{}
	for _, e := range rec.History {
		actions = append(actions, e.Action)
	}
	assert.Contains(t, actions, "rollback --direct")
	out := f.out.String()
	t.Logf("the tool said:\n%s", out)
	assert.Contains(t, out, "rolled back directly to blue 100% / green 0% in ")
	assert.Contains(t, out, "to reconcile:")
	assert.Contains(t, out, "pulumi refresh")

	err := f.rerun().Rollback(context.Background(), RollbackOptions{})
	assert.Equal(t, ExitRefused, ExitCode(err), "nothing left to roll back: %v", err)
	assert.Equal(t, []string{"blue[" + lURN + "]"}, f.eng.refreshed, "the next command refreshes the listener, targeted")
	assert.True(t, strings.HasPrefix(f.store.load().Release.Message, "restored directly, state reconciled"))
}

// --to elsewhere aborts the release, directly too.
func TestRollbackDirectToTheOtherColourAbortsTheRelease(t *testing.T) {
	f := newFixture(0, infra.Blue)
	pausedAt10(t, f)
	r, _, _ := direct(f)
	require.NoError(t, r.RollbackDirect(context.Background(), DirectOptions{To: infra.Green}), f.out.String())
	assert.Equal(t, infra.Weights{Green: 100}, f.aws.live())
	rec := f.store.load()
	assert.Equal(t, record.OutcomeAborted, rec.Release.Outcome)
	assert.True(t, strings.HasPrefix(rec.Release.Message, ReconcilePending), rec.Release.Message)
}

// Without the edge in the record (a release started by an older tool) the ARNs come
// from flags; without either, usage error naming them. Nothing moves.
func TestRollbackDirectWithoutTheEdgeInTheRecordWantsTheFlags(t *testing.T) {
	f := newFixture(0, infra.Blue)
	pausedAt10(t, f)
	rec := f.store.load()
	rec.Edge = nil
	_, err := f.store.Save(context.Background(), rec, record.Version(fmt.Sprint(f.store.saves)))
	require.NoError(t, err)

	r, _, h := direct(f)
	err = r.RollbackDirect(context.Background(), DirectOptions{})
	assert.Equal(t, ExitUsage, ExitCode(err), "%v", err)
	assert.ErrorContains(t, err, "--listener-arn")
	assert.ErrorContains(t, err, "--target-groups")
	assert.Zero(t, h.calls)

	r, _, h = direct(f)
	require.NoError(t, r.RollbackDirect(context.Background(), DirectOptions{ListenerArn: listener, TargetGroupArns: map[string]string{"blue": tgBlue, "green": tgGreen}}), f.out.String())
	assert.Equal(t, 1, h.calls)
	assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
}

// --direct checks the destination's targets (and its group, when the record names it)
// like any rollback: refused with the numbers, unless --force.
func TestRollbackDirectRefusesAnUnreadyDestinationUnlessForced(t *testing.T) {
	f := newFixture(0, infra.Blue)
	pausedAt10(t, f)
	f.fleets.fleets[asgBlue] = degraded(2, 1)
	r, _, h := direct(f)
	err := r.RollbackDirect(context.Background(), DirectOptions{})
	assert.Equal(t, ExitRefused, ExitCode(err), "%v", err)
	assert.ErrorContains(t, err, "2 healthy / 1 in service / 2 desired")
	assert.Zero(t, h.calls)
	assert.Equal(t, infra.Weights{Blue: 90, Green: 10}, f.aws.live())
	assert.NotNil(t, f.store.load().Lease, "the paused release keeps its lease")

	r, _, h = direct(f)
	require.NoError(t, r.RollbackDirect(context.Background(), DirectOptions{Force: true}), f.out.String())
	assert.Equal(t, 1, h.calls)
	assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
}

// With no release in progress --direct changes nothing and says so.
func TestRollbackDirectWithoutAReleaseInProgressIsRefused(t *testing.T) {
	f := newFixture(0, infra.Blue)
	require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(100)))
	r, _, h := direct(f)
	err := r.RollbackDirect(context.Background(), DirectOptions{})
	assert.Equal(t, ExitRefused, ExitCode(err), "%v", err)
	assert.ErrorContains(t, err, "no release is in progress")
	assert.Zero(t, h.calls)
	assert.Equal(t, infra.Weights{Green: 100}, f.aws.live())
}
