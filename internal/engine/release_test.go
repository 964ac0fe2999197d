package engine_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/enginetest"
	"github.com/webapi-platform/infra/internal/preview"
	"github.com/webapi-platform/infra/internal/record"
	"github.com/webapi-platform/infra/internal/release"
)

// The tool's release on the real program, on the AWS double: deploy blue (the edge) and
// green (through a real StackReference), preview a config weight change (it moves
// nothing), shift to green with every step a listener-only update carrying its weights
// as run options and checked on the live listener, the refusals that protect a colour
// with traffic, a rollback of the completed release (explicit: --revert), then retire
// and destroy the idle colour. The release record lives under the backend directory;
// nothing of the release is written to the checkout.
func TestEngineReleaseLifecycle(t *testing.T) {
	t.Parallel()
	f := newReleased(t, newSteppingClock())
	ctx := context.Background()

	f.deploy(t, infra.Blue, release.DeployOptions{})
	f.deploy(t, infra.Green, release.DeployOptions{AppRef: "v2.0.0"})
	green := f.outputs(t, infra.Green)
	assert.Equal(t, infra.RoleColor, green[infra.OutRole])
	assert.NotContains(t, f.stackFile(t, infra.Green), "appRef", "the release inputs are run options, never written into the checkout")
	assert.Equal(t, "prebaked:"+engineGreen["amiId"], green[infra.OutAppRef], "on a prebaked AMI the AMI is what runs, whatever the appRef")
	ev := f.edge(t)
	assert.Equal(t, infra.Weights{Blue: 100}, f.liveWeights(t, ev), "the first deploy sends everything to blue")
	blueFile := f.stackFile(t, infra.Blue)

	previewConfigWeightsMoveNothing(t, f)
	// Blue, serving, has a background of one ELB 5xx a minute: the release's baseline.
	f.w.ServeTraffic(t, infra.Blue, enginetest.Traffic{Requests: 1000, ELB5xx: 1, P99: 200 * time.Millisecond})
	f.w.ServeTraffic(t, infra.Green, healthyTraffic)
	shiftToGreen(t, f, ev)
	assert.InDelta(t, 1.0/2000, f.record(t).Plan.ELB5xxBaseline, 1e-9,
		"the ELB 5xx baseline: 1 of the load balancer's 2000 requests a minute, from the double's CloudWatch")
	assert.Equal(t, blueFile, f.stackFile(t, infra.Blue), "the shift wrote nothing into Pulumi.blue.yaml")
	refusalsWhileGreenServes(t, f, ev)

	// Rollback of a completed release is explicit; then one targeted update of the
	// listener, back to the recorded stable colour.
	err := f.r.Rollback(ctx, release.RollbackOptions{})
	assert.Equal(t, release.ExitRefused, release.ExitCode(err), "%v", err)
	assert.ErrorContains(t, err, "--revert")
	f.r.Touched = nil
	start := time.Now()
	require.NoError(t, f.r.Rollback(ctx, release.RollbackOptions{Revert: true}), f.logs())
	elapsed := time.Since(start)
	require.Len(t, f.r.Touched, 1)
	t.Logf("rollback (--revert) took %s (wall clock, engine and double included); engine summary %v, touched %v",
		elapsed.Round(time.Millisecond), f.r.Touched[0].Counts, f.r.Touched[0].Touched)
	assert.Contains(t, f.out.String(), "sending all traffic to blue, the colour that served before it")
	assert.Equal(t, 1, f.r.Touched[0].Modified(), "a rollback modifies one resource")
	assert.Equal(t, []string{ev.ListenerURN}, f.r.Touched[0].Touched)
	assert.Equal(t, infra.Weights{Blue: 100}, f.liveWeights(t, ev), "blue has everything back on the live listener")
	assert.Equal(t, 0, f.stateWeights(t).Green)
	assert.Equal(t, blueFile, f.stackFile(t, infra.Blue), "nor did the rollback")

	// Green is idle again: retire scales it to zero for real, then destroy removes it.
	require.NoError(t, f.r.Retire(ctx, infra.Green, 0), f.logs())
	assert.Equal(t, float64(0), f.outputs(t, infra.Green)[infra.OutDesired])
	desired, instances := f.liveDesired(t, infra.Green)
	assert.Equal(t, 0, desired, "the live group is scaled to zero")
	assert.Equal(t, 0, instances)
	require.NoError(t, f.r.Destroy(ctx, infra.Green), f.logs())
	assert.Empty(t, f.outputs(t, infra.Green))
	assert.Equal(t, infra.Weights{Blue: 100}, f.liveWeights(t, ev), "destroying green leaves the shared listener alone")
	recordLivesBesideTheBackend(t, f)
}

// recordLivesBesideTheBackend: the record is a directory under the file backend's
// root, with the release's history; the checkout has none.
func recordLivesBesideTheBackend(t *testing.T, f *released) {
	t.Helper()
	backendDir := strings.TrimPrefix(f.w.Backend, "file://")
	assert.DirExists(t, filepath.Join(backendDir, ".webapi", "release", "webapi"))
	assert.Equal(t, filepath.Join(backendDir, ".webapi", "release", "webapi"), f.store.Where())
	assert.NoDirExists(t, filepath.Join(f.w.Dir, ".webapi"))
	rec := f.record(t)
	assert.Nil(t, rec.Lease, "no lease is left behind")
	var actions []string
	for _, e := range rec.History {
		actions = append(actions, e.Action)
	}
	assert.Equal(t, []string{"deploy", "deploy", "release-start", "step-passed", "step-passed", "step-passed", "release-complete", "rollback"}, actions,
		"each deploy (blue, then green) is in the history too")
	assert.Regexp(t, `^step 1/3 green 10%: \d+000 requests, 5xx 0.10%, worst p99 200ms, \d+ minutes judged$`, rec.History[3].Message,
		"each passed step's gate figures, from the double's CloudWatch")
}

// previewConfigWeightsMoveNothing: webapi:greenWeight is only a new listener's split; a
// preview with greenWeight 30 in the checkout keeps what the listener serves.
func previewConfigWeightsMoveNothing(t *testing.T, f *released) {
	t.Helper()
	f.w.SetConfig(t, infra.Blue, "greenWeight", "30")
	previews, err := f.r.Preview(context.Background(), infra.Colors)
	require.NoError(t, err, f.logs())
	md := preview.RenderMarkdown(previews)
	t.Logf("preview of greenWeight 0 → 30:\n%s", md)
	assert.Contains(t, md, "**Traffic:** unchanged (blue 100% / green 0%)")
	assert.NotContains(t, md, "`"+infra.ListenerName("edge", 80)+"`", "the listener is not touched")
	assert.Contains(t, md, "### Stack `green`\n\nNo changes:")
	f.w.SetConfig(t, infra.Blue, "greenWeight", "0")
}

// shiftToGreen shifts 10, 50, 100 on scripted traffic: each step a targeted update that
// touches the traffic listener alone, the listener on the double serves each step's
// weights, and each step passes its gates on the double's CloudWatch minutes.
func shiftToGreen(t *testing.T, f *released, ev *infra.EdgeValues) {
	t.Helper()
	f.r.Touched = nil
	f.health.watched()
	opts := release.ShiftOptions{Target: infra.Green, Steps: []int{10, 50, 100}, Pause: 30 * time.Second, Interval: 30 * time.Second}
	require.NoError(t, f.r.Shift(context.Background(), opts), f.logs())
	require.Len(t, f.r.Touched, 3)
	for i, ch := range f.r.Touched {
		t.Logf("shift step %d: engine summary %v, touched %v", i+1, ch.Counts, ch.Touched)
		assert.Equal(t, 1, ch.Modified(), "a shift step modifies one resource")
		assert.Equal(t, []string{ev.ListenerURN}, ch.Touched, "a shift step touches the traffic listener alone")
	}
	var live []int
	for _, seen := range f.health.watched() {
		live = append(live, enginetest.WeightsOf(t, seen, ev).Green)
	}
	t.Logf("green's live weight at each health read: %v", live)
	assert.Subset(t, live, []int{10, 50, 100}, "each step's health watch saw its weights live")
	assert.IsNonDecreasing(t, live, "the live listener only ever moved towards green")
	assert.Equal(t, infra.Weights{Green: 100}, f.liveWeights(t, ev))
	assert.Equal(t, 100, f.stateWeights(t).Green)
	rec := f.record(t)
	assert.Equal(t, infra.Blue, rec.StableColor, "the record, not the stack file, knows blue served before")
	assert.Equal(t, "prebaked:"+engineGreen["amiId"], rec.Release.AppRef, "the version is green's appRef output")
}

// refusalsWhileGreenServes: with all traffic on green, the program refuses to empty it
// (green reads blue's weights through the StackReference) and the tool refuses to
// retire or destroy it, or to destroy blue under it; state and AWS are left as they were.
func refusalsWhileGreenServes(t *testing.T, f *released, ev *infra.EdgeValues) {
	t.Helper()
	ctx := context.Background()
	f.w.SetConfig(t, infra.Green, "minSize", "0", "desiredCapacity", "0")
	_, err := f.w.Engine.Up(ctx, infra.Green, release.UpOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "webapi:desiredCapacity")
	assert.Contains(t, err.Error(), "green still has 100% of traffic")
	assert.Equal(t, float64(2), f.outputs(t, infra.Green)[infra.OutDesired], "refused update left green's state as it was")
	desired, instances := f.liveDesired(t, infra.Green)
	assert.Equal(t, 2, desired, "and green's live group")
	assert.Equal(t, 2, instances)
	f.w.SetConfig(t, infra.Green, "minSize", "2", "desiredCapacity", "2")

	before := f.outputs(t, infra.Green)
	err = f.r.Destroy(ctx, infra.Green)
	assert.Equal(t, release.ExitRefused, release.ExitCode(err), "%v", err)
	assert.ErrorContains(t, err, "green has 100% of traffic")
	err = f.r.Retire(ctx, infra.Green, 0)
	assert.Equal(t, release.ExitRefused, release.ExitCode(err), "%v", err)
	err = f.r.Destroy(ctx, infra.Blue)
	assert.Equal(t, release.ExitRefused, release.ExitCode(err), "%v", err)
	assert.ErrorContains(t, err, "green still runs in its network")
	assert.Equal(t, before, f.outputs(t, infra.Green))
	assert.NotEmpty(t, f.outputs(t, infra.Blue))
	desired, instances = f.liveDesired(t, infra.Green)
	assert.Equal(t, []int{2, 2}, []int{desired, instances}, "green still runs on the double")
	assert.Equal(t, infra.Weights{Green: 100}, f.liveWeights(t, ev))
}

// A shift whose second step meets a 5xx storm on green is put back where it began, on
// the live listener, in state and in the config.
func TestEngineFailedShiftStepIsRestored(t *testing.T) {
	t.Parallel()
	f := newDeployed(t, newSteppingClock())
	ev := f.edge(t)
	f.w.ServeTraffic(t, infra.Green, healthyTraffic)

	// Once green serves half the traffic, every minute it serves has 30% 5xx (the
	// tool asks for whole minutes, which have arrived).
	stormed := 0
	f.health.onWatch = func(_ context.Context, live map[string]int, start, end time.Time) error {
		if live[ev.TargetGroupArns[string(infra.Green)]] < 50 {
			return nil
		}
		for m := start; m.Before(end); m = m.Add(time.Minute) {
			if err := f.w.Double.PutDatapoint(enginetest.ALBMetric(ev, infra.Green, "RequestCount"), m, 200); err != nil {
				return err
			}
			if err := f.w.Double.PutDatapoint(enginetest.ALBMetric(ev, infra.Green, "HTTPCode_Target_5XX_Count"), m, 60); err != nil {
				return err
			}
			stormed++
		}
		return nil
	}
	opts := release.ShiftOptions{Target: infra.Green, Steps: []int{25, 50, 100}, Pause: 3 * time.Minute, Interval: time.Minute}
	err := f.r.Shift(context.Background(), opts)
	assert.Equal(t, release.ExitRolledBack, release.ExitCode(err), "%v\n%s", err, f.logs())
	assert.ErrorContains(t, err, "5xx rate 30.00% is above 1.00%")
	assert.Positive(t, stormed, "the storm was scripted")
	require.Len(t, f.r.Touched, 3, "two steps and the restore")
	for _, ch := range f.r.Touched {
		assert.Equal(t, []string{ev.ListenerURN}, ch.Touched)
	}
	assert.Equal(t, infra.Weights{Blue: 100}, f.liveWeights(t, ev), "weights restored where the shift began, live")
	assert.Equal(t, 0, f.stateWeights(t).Green)
	assert.Equal(t, record.OutcomeRolledBack, f.record(t).Release.Outcome)
	assert.Contains(t, f.out.String(), "step 1/3 green 25%: listener verified", "the first step passed its watch")
	assert.Contains(t, f.out.String(), "step 2/3 green 50%: FAILED")
	assert.Contains(t, f.out.String(), "restored and verified blue 100% / green 0%")
	t.Logf("the tool said:\n%s", f.out.String())
}

// Shifting to a colour whose targets are all unhealthy on AWS is refused before any
// config, state or listener changes.
func TestEngineRefusesShiftWithoutHealthyTargets(t *testing.T) {
	t.Parallel()
	f := newDeployed(t, release.RealClock{})
	ev := f.edge(t)
	require.NoError(t, f.w.Double.SetTargetHealth(ev.TargetGroupArns[string(infra.Green)], "", "unhealthy", "Target.FailedHealthChecks", "Health checks failed"))
	fileBefore := f.stackFile(t, infra.Blue)

	err := f.r.Shift(context.Background(), release.ShiftOptions{Target: infra.Green, Steps: []int{10, 100}})
	assert.Equal(t, infra.Blue, f.record(t).StableColor, "the stable colour was recorded before asking AWS")
	assert.Equal(t, release.ExitRefused, release.ExitCode(err), "%v", err)
	assert.ErrorContains(t, err, "green has no healthy targets (2 registered)")
	assert.Empty(t, f.r.Touched, "no update ran")
	assert.Equal(t, fileBefore, f.stackFile(t, infra.Blue), "config untouched")
	assert.Equal(t, 0, f.stateWeights(t).Green, "state untouched")
	assert.Equal(t, infra.Weights{Blue: 100}, f.liveWeights(t, ev), "listener untouched")
}

// A team's alarm named in green's webapi:gateAlarms goes to ALARM during the second
// step: the step fails on it and the stable colour gets everything back, live.
func TestEngineGateAlarmMidStepRollsBack(t *testing.T) {
	t.Parallel()
	f := newDeployed(t, newSteppingClock())
	ev := f.edge(t)
	f.w.ServeTraffic(t, infra.Green, healthyTraffic)
	require.NoError(t, f.w.Double.PutExternalAlarm("team-orders-errors", "OK", ""))
	f.w.SetConfig(t, infra.Green, "gateAlarms", `["team-orders-errors"]`)
	f.health.onWatch = func(_ context.Context, live map[string]int, _, _ time.Time) error {
		if live[ev.TargetGroupArns[string(infra.Green)]] < 50 {
			return nil
		}
		return f.w.Double.SetAlarmState("team-orders-errors", "ALARM", "Threshold Crossed: orders failing")
	}
	err := f.r.Shift(context.Background(), release.ShiftOptions{Target: infra.Green, Steps: []int{10, 50, 100}, Pause: time.Minute, Interval: 30 * time.Second})
	assert.Equal(t, release.ExitRolledBack, release.ExitCode(err), "%v\n%s", err, f.logs())
	assert.ErrorContains(t, err, "green: alarm team-orders-errors is in ALARM (Threshold Crossed: orders failing)")
	assert.Regexp(t, `step 1/3 green 10% \| targets 2/2 healthy, 2 in service \| 5xx 0.10% of \d+000 requests in \d+ minutes .* \| 0s left\n`, f.out.String(), "the first step passed on the scripted traffic")
	assert.Equal(t, infra.Weights{Blue: 100}, f.liveWeights(t, ev), "restored, live")
	assert.Equal(t, record.OutcomeRolledBack, f.record(t).Release.Outcome)
}
