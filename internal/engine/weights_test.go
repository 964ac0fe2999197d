package engine_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/enginetest"
	"github.com/webapi-platform/infra/internal/record"
	"github.com/webapi-platform/infra/internal/release"
	"github.com/webapi-platform/infra/internal/testutil"
)

const engineTestCert = "arn:aws:acm:eu-west-1:111122223333:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"

// The weight rows of the day-two matrix, through the tool: a manual release paused at
// 50/50; the same CI run on a second checkout whose Pulumi.blue.yaml says greenWeight
// 100 deploys the edge (live weights stay); TLS is turned on (the new HTTPS traffic
// listener starts at 50/50); then a rollback goes to the recorded stable colour, says
// so, and is timed.
func TestEngineWeightRowsThroughTheTool(t *testing.T) {
	t.Parallel()
	f := newDeployed(t, newSteppingClock())
	ctx := context.Background()
	ev := f.edge(t)
	f.w.ServeTraffic(t, infra.Green, healthyTraffic)
	opts := release.ShiftOptions{Target: infra.Green, Steps: []int{50, 100}, Pause: time.Minute, Interval: 30 * time.Second, Manual: true}
	require.NoError(t, f.r.Shift(ctx, opts), f.logs())
	require.Equal(t, infra.Weights{Blue: 50, Green: 50}, f.liveWeights(t, ev), "paused at 50/50")

	// A checkout whose config weights differ from live deploys the edge: live stays.
	stale := f.w.SecondCheckout(t, enginetest.Options{Stacks: map[infra.Color]testutil.StackConfig{
		infra.Blue: engineBlue.With("greenWeight", "100"), infra.Green: engineGreen,
	}})
	r2 := &release.Release{Engine: stale.Engine, Health: f.health, Clock: f.r.Clock, Out: f.out, Store: f.store, Owner: f.r.Owner}
	require.NoError(t, r2.Deploy(ctx, infra.Blue, release.DeployOptions{}), f.logs())
	assert.Equal(t, infra.Weights{Blue: 50, Green: 50}, f.liveWeights(t, ev), "a stale checkout's deploy of the edge leaves the live weights")
	assert.Equal(t, infra.Weights{Blue: 50, Green: 50}, f.stateWeights(t), "and the weights output follows the listener")

	// TLS on at 50/50, through the tool: the HTTPS listener is the traffic listener now.
	f.w.SetConfig(t, infra.Blue, "certificateArn", engineTestCert)
	f.deploy(t, infra.Blue, release.DeployOptions{})
	tls := f.edge(t)
	assert.NotEqual(t, ev.ListenerArn, tls.ListenerArn, "the traffic listener is the HTTPS one")
	assert.Equal(t, infra.Weights{Blue: 50, Green: 50}, f.liveWeights(t, tls), "TLS on keeps 50/50")

	// A Pulumi CLI of this host killed earlier left its lock: the rollback, as the
	// lease holder, clears it (its process is gone) and goes on.
	lock := leaveStaleLock(t, f)
	f.r.Touched = nil
	start := time.Now()
	require.NoError(t, f.r.Rollback(ctx, release.RollbackOptions{}), f.logs())
	elapsed := time.Since(start)
	t.Logf("rollback of the paused release took %s (wall clock: record, a targeted update that met the stale lock, the lock cleared, the update again, verification on the double)", elapsed.Round(time.Millisecond))
	assert.NoFileExists(t, lock)
	assert.Contains(t, f.out.String(), "removed the stale backend lock "+lock)
	assert.Contains(t, f.out.String(), "sending all traffic to blue, the colour that served before its first shift")
	assert.Equal(t, infra.Weights{Blue: 100}, f.liveWeights(t, tls))
	require.Len(t, f.r.Touched, 1)
	assert.Equal(t, []string{tls.ListenerURN}, f.r.Touched[0].Touched, "one update, of the HTTPS traffic listener alone")
	rec := f.record(t)
	assert.Equal(t, record.OutcomeRolledBack, rec.Release.Outcome)
	assert.Nil(t, rec.Lease)
}

// A second operator's ModifyListener during a shift (the console, another tool) stops
// the shift at its next look at the listener: exit 3, no further update, no restore.
func TestEngineSecondOperatorStopsTheShift(t *testing.T) {
	t.Parallel()
	f := newDeployed(t, newSteppingClock())
	ctx := context.Background()
	ev := f.edge(t)
	blueTG, greenTG := ev.TargetGroupArns[string(infra.Blue)], ev.TargetGroupArns[string(infra.Green)]
	f.w.ServeTraffic(t, infra.Green, healthyTraffic)
	moved := false
	f.health.onWatch = func(ctx context.Context, live map[string]int, _, _ time.Time) error {
		if live[greenTG] == 50 && !moved {
			moved = true
			return f.w.Double.ModifyListenerWeights(ctx, ev.ListenerArn, map[string]int{blueTG: 100, greenTG: 0})
		}
		return nil
	}
	f.r.Touched = nil
	opts := release.ShiftOptions{Target: infra.Green, Steps: []int{10, 50, 100}, Pause: 2 * time.Minute, Interval: time.Minute}
	err := f.r.Shift(ctx, opts)
	assert.Equal(t, release.ExitRefused, release.ExitCode(err), "%v\n%s", err, f.logs())
	assert.ErrorContains(t, err, "someone else moved traffic")
	assert.True(t, moved)
	assert.Len(t, f.r.Touched, 2, "the 10% and 50% steps, and nothing after the operator's change")
	assert.Equal(t, infra.Weights{Blue: 100}, f.liveWeights(t, ev), "the operator's weights stand")
	assert.Equal(t, record.OutcomeAborted, f.record(t).Release.Outcome)
}

// leaveStaleLock writes the lock a killed Pulumi CLI of this host leaves behind for the
// edge stack, for a process that has exited: pulumi pkg/backend/diy/lock.go puts it at
// .pulumi/locks/<fully qualified stack name>/<id>.json, and a DIY backend's fully
// qualified name is organization/<project>/<stack> (diyBackendReference).
func leaveStaleLock(t *testing.T, f *released) string {
	t.Helper()
	backendDir := strings.TrimPrefix(f.w.Backend, "file://")
	gone := exec.Command("true")
	require.NoError(t, gone.Run())
	host, err := os.Hostname()
	require.NoError(t, err)
	body, err := json.Marshal(map[string]any{"pid": gone.ProcessState.Pid(), "username": "ci", "hostname": host, "timestamp": time.Now()})
	require.NoError(t, err)
	lock := filepath.Join(backendDir, ".pulumi", "locks", "organization", "webapi", "blue", "7c0d1e2f-stale.json")
	require.NoError(t, os.MkdirAll(filepath.Dir(lock), 0o755))
	require.NoError(t, os.WriteFile(lock, body, 0o644))
	return lock
}
