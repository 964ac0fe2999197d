package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
	"github.com/webapi-platform/infra/internal/release"
)

// Flag combinations that make no sense are usage errors before anything is built.
func TestRollbackFlagUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"rollback", "--direct", "--revert"},
		{"rollback", "--direct", "--scale-up"},
		{"rollback", "--listener-arn", "arn:l"},
		{"rollback", "--target-groups", "blue=arn:b,green=arn:g"},
		{"rollback", "--direct", "--target-groups", "red=arn:r"},
		{"rollback", "--direct", "--to", "purple"},
	} {
		t.Run(fmt.Sprint(args), func(t *testing.T) {
			requireUsageError(t, args)
		})
	}
}

// failingEngine fails the test on any call: --direct must not run the engine, not even for
// the region.
type failingEngine struct{ t *testing.T }

func (e failingEngine) fail(what string) error {
	e.t.Errorf("rollback --direct called the engine: %s", what)
	return fmt.Errorf("no engine: %s", what)
}
func (e failingEngine) Config(context.Context, infra.Color) (map[string]string, error) {
	return nil, e.fail("Config")
}
func (e failingEngine) Outputs(context.Context, infra.Color) (map[string]any, error) {
	return nil, e.fail("Outputs")
}
func (e failingEngine) Up(context.Context, infra.Color, release.UpOptions) (release.Changes, error) {
	return release.Changes{}, e.fail("Up")
}
func (e failingEngine) Preview(context.Context, infra.Color, release.UpOptions) ([]events.EngineEvent, error) {
	return nil, e.fail("Preview")
}
func (e failingEngine) Destroy(context.Context, infra.Color) error { return e.fail("Destroy") }
func (e failingEngine) Refresh(context.Context, infra.Color, []string) error {
	return e.fail("Refresh")
}
func (e failingEngine) CreateStack(context.Context, infra.Color) error { return e.fail("CreateStack") }

// listenerAWS is a listener and two healthy target groups, with ModifyListener.
type listenerAWS struct {
	mu      sync.Mutex
	weights map[string]int
	sets    int
}

func (a *listenerAWS) TargetHealth(context.Context, string) (release.TargetCounts, error) {
	return release.TargetCounts{Healthy: 2, Total: 2}, nil
}
func (a *listenerAWS) ListenerWeights(context.Context, string) (map[string]int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return map[string]int{"arn:b": a.weights["arn:b"], "arn:g": a.weights["arn:g"]}, nil
}
func (a *listenerAWS) Metrics(context.Context, release.MetricsQuery) ([]release.Minute, error) {
	return nil, nil
}
func (a *listenerAWS) SetListenerWeights(_ context.Context, _ string, w map[string]int) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.weights, a.sets = w, a.sets+1
	return nil
}

// `bluegreen rollback --direct` with no region anywhere builds no engine call: the
// listener is set from the record's ARNs, and the release is recorded rolled back.
func TestRollbackDirectCommandRunsNoEngine(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	wd, err := os.Getwd()
	require.NoError(t, err)
	t.Cleanup(func() { os.Chdir(wd) })
	store := record.NewFileStore(t.TempDir())
	owner := record.Owner{User: "ci", Host: "runner", PID: 1, RunID: "run-1"}
	_, _, err = record.Update(context.Background(), store, func(rec record.Record) (record.Record, error) {
		rec.Edge = &record.Edge{Stack: infra.Blue, ListenerArn: "arn:l", TargetGroupArns: map[string]string{"blue": "arn:b", "green": "arn:g"}}
		return record.StartRelease(rec, record.Start{ID: "r1", Target: infra.Green, Plan: record.Plan{Steps: []int{10, 100}},
			Current: infra.Weights{Blue: 100}, Who: owner.String()}, time.Now())
	})
	require.NoError(t, err)
	aws := &listenerAWS{weights: map[string]int{"arn:b": 90, "arn:g": 10}}
	out := &bytes.Buffer{}
	d := deps{out: out, clock: release.RealClock{}, owner: owner,
		newEngine: func(string, io.Writer) (release.Engine, error) { return failingEngine{t}, nil },
		newHealth: func(_ context.Context, region string) (release.Health, error) {
			assert.Empty(t, region, "no region from the stack's config")
			return aws, nil
		},
		newStore: func(context.Context, release.Engine) (record.Store, error) { return store, nil },
	}
	err = execute(context.Background(), newRootCommand(d), []string{"--workdir", projectWorkdir(t), "rollback", "--direct"})
	require.NoError(t, err, out.String())
	assert.Equal(t, 1, aws.sets)
	assert.Equal(t, map[string]int{"arn:b": 100, "arn:g": 0}, aws.weights)
	rec, _, err := store.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, record.OutcomeRolledBack, rec.Release.Outcome)
	assert.Contains(t, out.String(), "rolled back directly to blue 100% / green 0%")
}
