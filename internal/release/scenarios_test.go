package release

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
)

// The scenarios of issue 9: how an operator, a cancelled CI runner, a colleague at a
// laptop and a stale checkout met the tool. Each test failed before its fix.

func shiftTo(c infra.Color, steps ...int) ShiftOptions {
	return ShiftOptions{Target: c, Steps: steps, Pause: 5 * time.Minute, Interval: time.Minute}
}

// Scenario 1: after a first release (blue → green, complete), the second release goes
// into blue. Its shift fails before any traffic moves (DescribeTargetHealth throttled);
// the workflow's rollback step must not send everything to blue, the colour being
// released into, unverified.
func TestScenario1RollbackAfterAFailedStartKeepsTheServingColour(t *testing.T) {
	f := newFixture(100, infra.Blue) // green serves everything; blue served before it
	f.health.targetErr[tgBlue] = errors.New("operation error Elastic Load Balancing v2: DescribeTargetHealth, Throttling: Rate exceeded")
	err := f.r.Shift(context.Background(), shiftTo(infra.Blue, 10, 50, 100))
	require.Error(t, err)
	assert.Equal(t, infra.Weights{Green: 100}, f.aws.live(), "the failed shift moved nothing")

	delete(f.health.targetErr, tgBlue) // the throttling was brief
	rerr := f.rerun().Rollback(context.Background(), RollbackOptions{})
	assert.Equal(t, infra.Weights{Green: 100}, f.aws.live(), "green, which served before the failed release, keeps all traffic")
	assert.Empty(t, f.aws.greens(), "no listener update at all")
	assert.NotContains(t, f.out.String(), "rolled back to blue 100%")
	assert.Equal(t, ExitRefused, ExitCode(rerr), "nothing to roll back: %v", rerr)
}

// Scenario 2a: the runner dies in the first step's update, before the listener changed.
// The re-run must apply the 10% canary and watch it for a full pause: nothing skipped.
func TestScenario2KillBeforeTheListenerUpdateSkipsNoStep(t *testing.T) {
	f := newFixture(0, infra.Blue)
	f.eng.kill[0] = true
	f.killedDuring(f.eng, func() { _ = f.r.Shift(context.Background(), shiftTo(infra.Green, 10, 50, 100)) })
	require.Equal(t, infra.Weights{Blue: 100}, f.aws.live(), "killed before the listener changed")

	start := f.clock.now
	require.NoError(t, f.rerun().Shift(context.Background(), shiftTo(infra.Green, 10, 50, 100)), f.out.String())
	assert.Equal(t, []int{10, 50, 100}, f.aws.greens(), "the re-run applied every step, the canary first")
	assert.Equal(t, 3*(5+3)*time.Minute, f.clock.now.Sub(start), "and watched each for a full pause, and the metric lag after it")
}

// Scenario 2b: the runner dies in the last step's update (to 100%) while the listener
// still serves 50/50. No command may believe green has everything: idle names no colour,
// and the re-run applies 100% and watches it; it does not say "nothing to shift".
func TestScenario2KillDuringTheLastStepLeavesNoFalseIdleColour(t *testing.T) {
	f := newFixture(0, infra.Blue)
	f.eng.kill[2] = true
	f.killedDuring(f.eng, func() { _ = f.r.Shift(context.Background(), shiftTo(infra.Green, 10, 50, 100)) })
	require.Equal(t, infra.Weights{Blue: 50, Green: 50}, f.aws.live(), "killed before the listener left 50/50")

	idle, err := f.rerun().Idle(context.Background())
	assert.Equal(t, ExitRefused, ExitCode(err), "blue serves half the traffic: it is not idle (idle said %q)", idle)

	start := f.clock.now
	require.NoError(t, f.rerun().Shift(context.Background(), shiftTo(infra.Green, 10, 50, 100)), f.out.String())
	assert.NotContains(t, f.out.String(), "nothing to shift")
	assert.Equal(t, infra.Weights{Green: 100}, f.aws.live())
	assert.GreaterOrEqual(t, f.clock.now.Sub(start), 5*time.Minute, "the 100% step was watched for a full pause")
}

// Scenario 3: Ctrl-C (or a cancelled job's SIGINT) during the 50% step's pause. The
// tool must not try its restore on the cancelled context (exec.CommandContext refuses to
// start, so that always ended in ROLLBACK FAILED with the weights split); it stops, and
// the next command puts the traffic back.
func TestScenario3InterruptMidPauseLeavesARecoverableRelease(t *testing.T) {
	f := newFixture(0, infra.Blue)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.r.Clock = sleepHook{f.clock, func() {
		if f.aws.live().Green == 50 {
			cancel() // SIGINT
		}
	}}
	err := f.r.Shift(ctx, shiftTo(infra.Green, 10, 50, 100))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "ROLLBACK FAILED", "no restore on a cancelled context")
	assert.Contains(t, err.Error(), "interrupted")
	assert.Equal(t, []int{10, 50}, f.aws.greens(), "nothing was sent to the listener after the interrupt")

	require.NoError(t, f.rerun().Rollback(context.Background(), RollbackOptions{}), f.out.String())
	assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live(), "the next command restored the stable colour")
}

// Scenario 4a: CI watches the 50% step; an operator runs `bluegreen rollback` from a
// laptop. One release at a time: the laptop is refused, naming who holds the release,
// and traffic is not moved under CI's feet.
func TestScenario4SecondOperatorIsRefusedDuringARelease(t *testing.T) {
	f := newFixture(0, infra.Blue)
	_, laptop := f.operator()
	var laptopErr error
	tried := false
	f.r.Clock = sleepHook{f.clock, func() {
		if f.aws.live().Green == 50 && !tried {
			tried = true
			laptopErr = laptop.Rollback(context.Background(), RollbackOptions{})
		}
	}}
	require.NoError(t, f.r.Shift(context.Background(), shiftTo(infra.Green, 10, 50, 100)), f.out.String())
	require.True(t, tried)
	assert.Equal(t, ExitRefused, ExitCode(laptopErr), "the laptop's rollback is refused: %v", laptopErr)
	assert.ErrorContains(t, laptopErr, "bluegreen unlock")
	assert.Equal(t, []int{10, 50, 100}, f.aws.greens(), "only CI's steps reached the listener")
}

// Scenario 4b: someone moves the traffic on the console (ModifyListener) during CI's
// 50% watch. CI's next look at the listener stops the shift at once, exit 3, and CI
// touches the traffic no more: the next step would undo the emergency change.
func TestScenario4WatchStopsWhenSomeoneElseMovesTraffic(t *testing.T) {
	f := newFixture(0, infra.Blue)
	moved := false
	f.r.Clock = sleepHook{f.clock, func() {
		if f.aws.live().Green == 50 && !moved {
			moved = true
			f.aws.setListener(infra.Weights{Blue: 100}) // the console
		}
	}}
	err := f.r.Shift(context.Background(), shiftTo(infra.Green, 10, 50, 100))
	assert.Equal(t, ExitRefused, ExitCode(err), "%v", err)
	assert.Equal(t, []int{10, 50, 0}, f.aws.greens(), "after the console's change, no update from the tool")
	assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
}

// Scenario 5: release state lived in the runner's checkout. Job 1 releases blue → green;
// job 2 runs on a fresh checkout (git's Pulumi.blue.yaml: greenWeight 0, stable blue).
// It must see that green serves everything, release into blue, and a rollback of that
// release must go back to green.
func TestScenario5AFreshCheckoutSeesTheLiveStateAndTheRecord(t *testing.T) {
	f := newFixture(0, infra.Blue)
	require.NoError(t, f.r.Shift(context.Background(), shiftTo(infra.Green, 50, 100)), f.out.String())
	require.Equal(t, infra.Weights{Green: 100}, f.aws.live())

	_, job2 := f.nextJob()
	idle, err := job2.Idle(context.Background())
	require.NoError(t, err)
	assert.Equal(t, infra.Blue, idle, "green serves everything: blue is idle, whatever the checkout says")

	opts := shiftTo(infra.Blue, 10, 100)
	opts.Manual = true
	require.NoError(t, job2.Shift(context.Background(), opts), f.out.String())
	require.Equal(t, infra.Weights{Blue: 10, Green: 90}, f.aws.live(), "paused at blue's canary")
	require.NoError(t, job2.Rollback(context.Background(), RollbackOptions{}), f.out.String())
	assert.Equal(t, infra.Weights{Green: 100}, f.aws.live(), "rolled back to green, which served before this release")
}

// Scenario 6: the Pulumi CLI is killed during the 50% step's update and leaves the
// backend's lock. The failed step must still be restored: the release's lease holder
// clears a lock whose host is this one and whose process is dead, says so, and restores.
func TestScenario6StaleBackendLockOfADeadProcessIsClearedForTheRestore(t *testing.T) {
	f := newFixture(0, infra.Blue)
	stale := fakeLock{Path: "/state/.pulumi/locks/organization/webapi/blue/3f2a.json", PID: 4242, Host: runnerHost}
	f.eng.crash[1] = stale
	err := f.r.Shift(context.Background(), shiftTo(infra.Green, 10, 50, 100))
	assert.Equal(t, ExitRolledBack, ExitCode(err), "%v\n%s", err, f.out.String())
	assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live(), "restored despite the dead CLI's lock")
	assert.Empty(t, f.aws.locks, "the stale lock was removed")
	assert.Contains(t, f.out.String(), stale.Path, "and the tool said which lock it removed")
}

// Scenario 6, the other side: a lock held by a live process (another host) is never
// removed. The restore retries with backoff, then fails saying who holds the lock, not
// merely "run rollback" (which would meet the same lock).
func TestScenario6LiveBackendLockIsLeftAloneAndNamed(t *testing.T) {
	f := newFixture(0, infra.Blue)
	other := fakeLock{Path: "/state/.pulumi/locks/organization/webapi/blue/77aa.json", PID: 99, Host: "laptop-7"}
	f.eng.crash[1] = other
	start := f.clock.now
	err := f.r.Shift(context.Background(), shiftTo(infra.Green, 10, 50, 100))
	assert.Equal(t, ExitFailed, ExitCode(err), "%v", err)
	assert.ErrorContains(t, err, "ROLLBACK FAILED")
	assert.ErrorContains(t, err, "laptop-7", "names the lock's holder")
	assert.Equal(t, []fakeLock{other}, f.aws.locks, "a live process's lock is never removed")
	assert.Greater(t, f.clock.now.Sub(start), 5*time.Minute+10*time.Second, "after the 10% step's pause, the restore retried with backoff")
}

// Scenario 4c: the emergency, done right. The operator breaks CI's lease with
// `bluegreen unlock` and rolls back; CI's next look finds the lease gone and stops
// without touching traffic: the rollback stands.
func TestScenario4UnlockAndRollbackStopsCI(t *testing.T) {
	f := newFixture(0, infra.Blue)
	_, laptop := f.operator()
	done := false
	f.r.Clock = sleepHook{f.clock, func() {
		if f.aws.live().Green == 50 && !done {
			done = true
			require.NoError(t, laptop.Unlock(context.Background(), "emergency"))
			require.NoError(t, laptop.Rollback(context.Background(), RollbackOptions{}))
		}
	}}
	err := f.r.Shift(context.Background(), shiftTo(infra.Green, 10, 50, 100))
	assert.Equal(t, ExitRefused, ExitCode(err), "%v", err)
	assert.Equal(t, []int{10, 50, 0}, f.aws.greens(), "CI sent nothing after the operator's rollback")
	assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
	assert.Contains(t, f.out.String(), "sending all traffic to blue, the colour that served before its first shift")
}
