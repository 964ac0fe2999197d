package release

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
	"github.com/webapi-platform/infra/internal/testutil"
)

func shiftToGreen(steps ...int) ShiftOptions {
	return ShiftOptions{Target: infra.Green, Steps: steps, Pause: 5 * time.Minute, Interval: time.Minute}
}

func TestShiftSuccess(t *testing.T) {
	f := newFixture(0, infra.Blue)
	start := f.clock.now
	require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(10, 50, 100)))
	assert.Equal(t, infra.Weights{Blue: 0, Green: 100}, f.aws.live())
	assert.Equal(t, []int{10, 50, 100}, f.aws.greens())
	assert.Equal(t, []string{"blue[" + lURN + "]", "blue[" + lURN + "]", "blue[" + lURN + "]"}, f.eng.ups, "every step updates the listener alone")
	assert.Equal(t, []*infra.Weights{{Blue: 90, Green: 10}, {Blue: 50, Green: 50}, {Green: 100}}, f.eng.upWeights, "each step's weights are the run's options")
	assert.Equal(t, "0", f.eng.config[infra.Blue]["greenWeight"], "nothing is written to the checkout's config")
	rec := f.store.load()
	assert.Equal(t, infra.Blue, rec.StableColor, "blue served before the shift")
	require.NotNil(t, rec.Release)
	assert.Equal(t, record.PhaseDone, rec.Release.Phase)
	assert.Equal(t, record.OutcomeSucceeded, rec.Release.Outcome)
	assert.Equal(t, "v2", rec.Release.AppRef, "the version is green's appRef output")
	assert.Nil(t, rec.Lease, "the lease is released when the release ends")
	assert.Equal(t, 3*(5+3)*time.Minute, f.clock.now.Sub(start), "a 5m pause after each of 3 steps, and 3m for its last minute's metrics to arrive")
	assert.Equal(t, 3*5, f.health.calls, "metrics read each minute once the step's first minute arrived")
	assert.Contains(t, f.out.String(), "step 2/3 green 50% | targets 2/2 healthy, 2 in service | 5xx 0.10% of 5000 requests in 5 minutes (max 2.00%, needs 100 requests) | p99 200ms (max 800ms; 0 slow minutes, 2 of 3 fail) | 2 alarms OK | 0s left\n",
		"the receiving colour's own alarm thresholds are the gates, judged on the pause's five whole minutes")
	assert.Contains(t, f.out.String(), "step 2/3 green 50% | targets 2/2 healthy, 2 in service | 5xx 0.00% of 0 requests in 0 minutes (max 2.00%, needs 100 requests) | p99 n/a (max 800ms; 0 slow minutes, 2 of 3 fail) | 2 alarms OK | 5m0s left\n",
		"nothing is judged before a minute has fully arrived")
	rec = f.store.load()
	var passed []string
	for _, e := range rec.History {
		if e.Action == "step-passed" {
			passed = append(passed, e.Message)
		}
	}
	assert.Equal(t, []string{
		"step 1/3 green 10%: 5000 requests, 5xx 0.10%, worst p99 200ms, 5 minutes judged",
		"step 2/3 green 50%: 5000 requests, 5xx 0.10%, worst p99 200ms, 5 minutes judged",
		"step 3/3 green 100%: 5000 requests, 5xx 0.10%, worst p99 200ms, 5 minutes judged",
	}, passed, "each passed step's gate figures are in its history entry")
	assert.Equal(t, &record.Plan{Steps: []int{10, 50, 100}, Pause: record.Duration(5 * time.Minute), Interval: record.Duration(time.Minute), Max5xxPercent: 2, MaxP99: record.Duration(800 * time.Millisecond),
		MinRequests: 100, MetricLag: record.Duration(3 * time.Minute), P99Breaches: 2, P99Window: 3, MaxExtend: record.Duration(5 * time.Minute)}, rec.Plan, "the plan records every gate")
	assert.Contains(t, f.out.String(), "shift complete: blue 0% / green 100%")
	for _, ch := range f.r.Touched {
		assert.Equal(t, 1, ch.Modified())
	}
}

func TestShiftFailureAtEachStepRestoresTheWeights(t *testing.T) {
	failures := map[string]func(f *fixture, failStep int){
		"unhealthy target": func(f *fixture, failStep int) {
			f.health.traffic = func(string, time.Time) (Minute, bool) {
				if f.aws.live().Green == []int{10, 50, 100}[failStep] {
					f.health.targets[tgGreen] = TargetCounts{Healthy: 1, Total: 2, Others: 1}
				}
				return Minute{Requests: 100}, true
			}
		},
		"5xx above the limit": func(f *fixture, failStep int) {
			f.health.traffic = func(string, time.Time) (Minute, bool) {
				if f.aws.live().Green == []int{10, 50, 100}[failStep] {
					return Minute{Requests: 100, Target5xx: 5}, true
				}
				return Minute{Requests: 100}, true
			}
		},
		"latency above the limit": func(f *fixture, failStep int) {
			f.health.traffic = func(string, time.Time) (Minute, bool) {
				if f.aws.live().Green == []int{10, 50, 100}[failStep] {
					return Minute{Requests: 100, P99: 3 * time.Second, HasLatency: true}, true
				}
				return Minute{Requests: 100}, true
			}
		},
		"listener update fails": func(f *fixture, failStep int) {
			f.eng.failUp[failStep] = errors.New("AccessDenied: elasticloadbalancing:ModifyListener")
		},
		"listener does not take the weights": func(f *fixture, failStep int) {
			// The step's update "succeeds" but the listener keeps the previous step's
			// weights; only the restore's update takes. The restore is verified on a
			// fresh reading after its own update, never on a reading taken before it.
			f.eng.stuck[failStep] = true
		},
	}
	for name, inject := range failures {
		for step := 0; step < 3; step++ {
			t.Run(fmt.Sprintf("%s at step %d", name, step+1), func(t *testing.T) {
				f := newFixture(0, infra.Blue)
				inject(f, step)
				err := f.r.Shift(context.Background(), shiftToGreen(10, 50, 100))
				require.Error(t, err)
				assert.Equal(t, ExitRolledBack, ExitCode(err), err.Error())
				assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live(), "listener back where the shift began")
				assert.Contains(t, f.out.String(), "restored and verified blue 100% / green 0%")
				assert.Equal(t, "blue["+lURN+"]", f.eng.ups[len(f.eng.ups)-1], "the restore is a listener-only update too")
				assert.Equal(t, &infra.Weights{Blue: 100}, f.eng.upWeights[len(f.eng.upWeights)-1])
				rec := f.store.load()
				assert.Equal(t, record.OutcomeRolledBack, rec.Release.Outcome)
				assert.Nil(t, rec.Lease)
			})
		}
	}
}

// A verification that reads the restore target while it expects a step's weights
// fails: the reading that counts is the one of the weights the update set.
func TestVerifyWantsTheWeightsItSet(t *testing.T) {
	f := newFixture(0, infra.Blue)
	st, err := f.r.look(context.Background())
	require.NoError(t, err)
	err = f.r.verify(context.Background(), st, infra.Weights{Blue: 90, Green: 10})
	assert.ErrorContains(t, err, "listener serves blue 100% / green 0%, want blue 90% / green 10%")
	require.NoError(t, f.r.verify(context.Background(), st, infra.Weights{Blue: 100}))
}

// The restore itself fails: ROLLBACK FAILED, exit 1, the record left saying restoring;
// the next rollback finishes it.
func TestRollbackFailedLeavesTheRestoreToTheNextCommand(t *testing.T) {
	f := newFixture(0, infra.Blue)
	f.health.traffic = func(string, time.Time) (Minute, bool) { return Minute{Requests: 100, Target5xx: 50}, true }
	f.eng.failUp[1] = errors.New("ThrottlingException: Rate exceeded")
	err := f.r.Shift(context.Background(), shiftToGreen(10, 50, 100))
	assert.Equal(t, ExitFailed, ExitCode(err), "%v", err)
	assert.ErrorContains(t, err, "ROLLBACK FAILED (the listener may serve blue 90% / green 10%")
	assert.ErrorContains(t, err, "5xx rate 50.00% is above 2.00%", "and the shift's own failure")
	assert.Equal(t, infra.Weights{Blue: 90, Green: 10}, f.aws.live())
	rec := f.store.load()
	assert.Equal(t, record.PhaseRestoring, rec.Release.Phase, "the record says what is left to do")
	assert.NotNil(t, rec.Lease, "and the release keeps its lease")

	require.NoError(t, f.rerun().Rollback(context.Background(), RollbackOptions{}), f.out.String())
	assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
	assert.Equal(t, record.OutcomeRolledBack, f.store.load().Release.Outcome)
}

func TestShiftRefusals(t *testing.T) {
	t.Run("no healthy targets in the receiving colour", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.health.targets[tgGreen] = TargetCounts{Healthy: 0, Total: 2}
		err := f.r.Shift(context.Background(), shiftToGreen(10, 100))
		assert.Equal(t, ExitRefused, ExitCode(err))
		assert.ErrorContains(t, err, "green has no healthy targets (2 registered)")
		assert.Empty(t, f.eng.ups, "nothing was updated")
		rec := f.store.load()
		assert.Equal(t, infra.Blue, rec.StableColor)
		assert.Equal(t, record.OutcomeAborted, rec.Release.Outcome, "the release that never moved traffic is aborted")
		assert.Nil(t, rec.Lease)
	})
	t.Run("edge not deployed", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.aws.outputs[infra.Blue] = map[string]any{}
		err := f.r.Shift(context.Background(), shiftToGreen(100))
		assert.Equal(t, ExitRefused, ExitCode(err))
		assert.ErrorContains(t, err, "has not been deployed")
	})
	t.Run("towards the stable colour mid-shift", func(t *testing.T) {
		f := newFixture(50, infra.Blue)
		err := f.r.Shift(context.Background(), ShiftOptions{Target: infra.Blue, Steps: []int{100}})
		assert.Equal(t, ExitRefused, ExitCode(err))
		assert.ErrorContains(t, err, "use `bluegreen rollback`")
		assert.Empty(t, f.eng.ups)
	})
	t.Run("another target while a release is in progress", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		opts := shiftToGreen(10, 100)
		opts.Manual = true
		require.NoError(t, f.r.Shift(context.Background(), opts))
		err := f.rerun().Shift(context.Background(), ShiftOptions{Target: infra.Blue, Steps: []int{100}})
		assert.Equal(t, ExitRefused, ExitCode(err))
		assert.ErrorContains(t, err, "is in progress")
	})
}

// Without a release in the record (an older tool stopped mid-shift), a shift starts
// from the live weights: only the steps above what green serves run.
func TestShiftStartsFromTheLiveWeight(t *testing.T) {
	f := newFixture(50, infra.Blue)
	require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(10, 50, 100)))
	assert.Len(t, f.eng.ups, 1, "only the step above 50% runs")
	assert.Equal(t, infra.Weights{Green: 100}, f.aws.live())
	assert.Contains(t, f.out.String(), "took blue from webapi:stableColor of stack blue", "the old stack file's stable colour seeds the record once")
	assert.Contains(t, f.out.String(), "resuming from the live weights: green has 50%")

	f = newFixture(100, infra.Blue)
	require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(10, 50, 100)))
	assert.Empty(t, f.eng.ups, "already complete: nothing to do")
	assert.Contains(t, f.out.String(), "nothing to shift")
}

func TestManualShiftWaitsForPromote(t *testing.T) {
	f := newFixture(0, infra.Blue)
	opts := shiftToGreen(10, 50, 100)
	opts.Manual = true
	require.NoError(t, f.r.Shift(context.Background(), opts))
	assert.Equal(t, infra.Weights{Blue: 90, Green: 10}, f.aws.live(), "stops after the first step")
	assert.Contains(t, f.out.String(), "paused at blue 90% / green 10%")
	rec := f.store.load()
	assert.Equal(t, record.PhasePaused, rec.Release.Phase)
	require.NotNil(t, rec.Lease, "a paused release keeps its lease")
	assert.Equal(t, f.clock.now.Add(PausedLeaseTTL), rec.Lease.Expires)

	require.NoError(t, f.rerun().Promote(context.Background(), false))
	assert.Equal(t, infra.Weights{Blue: 50, Green: 50}, f.aws.live(), "promote runs the next step")
	require.NoError(t, f.rerun().Promote(context.Background(), true))
	assert.Equal(t, infra.Weights{Green: 100}, f.aws.live(), "promote --full goes to 100%")

	f = newFixture(0, infra.Blue)
	err := f.r.Promote(context.Background(), false)
	assert.Equal(t, ExitRefused, ExitCode(err), "nothing to promote")
	assert.ErrorContains(t, err, "no release is paused")

	t.Run("a failing promote rolls back to the stable colour", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		require.NoError(t, f.r.Shift(context.Background(), opts))
		f.health.traffic = func(string, time.Time) (Minute, bool) { return Minute{Requests: 100, Target5xx: 100}, true }
		err := f.rerun().Promote(context.Background(), false)
		assert.Equal(t, ExitRolledBack, ExitCode(err))
		assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
	})
}

func TestRollback(t *testing.T) {
	ctx := context.Background()
	manual := shiftToGreen(10, 50, 100)
	manual.Manual = true
	t.Run("a release in progress goes back to its stable colour and says so", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		require.NoError(t, f.r.Shift(ctx, manual))
		f.eng.ups = nil
		require.NoError(t, f.rerun().Rollback(ctx, RollbackOptions{}))
		assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
		assert.Equal(t, []string{"blue[" + lURN + "]"}, f.eng.ups, "one targeted update")
		assert.Contains(t, f.out.String(), "sending all traffic to blue, the colour that served before its first shift")
		assert.Contains(t, f.out.String(), "rolled back to blue 100% / green 0%")
		assert.Contains(t, f.out.String(), "1 resource(s) updated")
		assert.Equal(t, record.OutcomeRolledBack, f.store.load().Release.Outcome)
	})
	t.Run("a completed release is reverted only with --revert", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		require.NoError(t, f.r.Shift(ctx, shiftToGreen(100)))
		err := f.rerun().Rollback(ctx, RollbackOptions{})
		assert.Equal(t, ExitRefused, ExitCode(err))
		assert.ErrorContains(t, err, "`bluegreen rollback --revert` sends everything back to blue")
		assert.Equal(t, infra.Weights{Green: 100}, f.aws.live())
		require.NoError(t, f.rerun().Rollback(ctx, RollbackOptions{Revert: true}))
		assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
		assert.Contains(t, f.out.String(), "reverting completed release")
	})
	t.Run("nothing to roll back changes nothing; --to is explicit", func(t *testing.T) {
		f := newFixture(100, infra.Blue) // an older tool's release; no record
		err := f.r.Rollback(ctx, RollbackOptions{})
		assert.Equal(t, ExitRefused, ExitCode(err))
		assert.ErrorContains(t, err, "nothing to roll back, nothing was changed")
		assert.Empty(t, f.eng.ups)
		require.NoError(t, f.rerun().Rollback(ctx, RollbackOptions{To: infra.Blue}))
		assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
		assert.Contains(t, f.out.String(), "rollback --to blue: sending all traffic to blue, as asked")
	})
	t.Run("never to a colour without healthy targets, unless forced", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		require.NoError(t, f.r.Shift(ctx, manual))
		f.health.targets[tgBlue] = TargetCounts{Healthy: 0, Total: 0}
		err := f.rerun().Rollback(ctx, RollbackOptions{})
		assert.Equal(t, ExitRefused, ExitCode(err))
		assert.Equal(t, infra.Weights{Blue: 90, Green: 10}, f.aws.live())
		require.NoError(t, f.rerun().Rollback(ctx, RollbackOptions{Force: true}), "--force overrides")
		assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
	})
}

func fleetPreview() []events.EngineEvent {
	return []events.EngineEvent{{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: apitype.StepEventMetadata{
		Op: apitype.OpUpdate, URN: "urn:pulumi:green::webapi::" + infra.TypeFleet + "$aws:ec2/launchTemplate:LaunchTemplate::fleet-green-lt", Type: "aws:ec2/launchTemplate:LaunchTemplate", Diffs: []string{"imageId"},
	}}}}}
}

func TestDeployRefusals(t *testing.T) {
	t.Run("fleet change on a colour with weight", func(t *testing.T) {
		f := newFixture(30, infra.Blue)
		f.eng.preview = fleetPreview()
		err := f.r.Deploy(context.Background(), infra.Green, DeployOptions{AppRef: "v3"})
		assert.Equal(t, ExitRefused, ExitCode(err))
		assert.ErrorContains(t, err, "green has 30% of traffic and this deploy would change its fleet")
		assert.Empty(t, f.eng.ups)
		assert.Empty(t, f.eng.config[infra.Green]["appRef"], "nothing is ever written into the checkout")
	})
	t.Run("forced", func(t *testing.T) {
		f := newFixture(30, infra.Blue)
		f.eng.preview = fleetPreview()
		require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{AppRef: "v3", Force: true}))
		assert.Equal(t, []string{"green[]"}, f.eng.ups)
		assert.Equal(t, "v3", f.eng.runConfig[infra.Green]["appRef"], "the version is a run option")
		assert.Empty(t, f.eng.config[infra.Green]["appRef"], "and never written into the checkout")
	})
	t.Run("idle colour deploys", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.eng.preview = fleetPreview()
		zero := 3
		require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{AppRef: "v3", DesiredCapacity: &zero}))
		assert.Equal(t, "3", f.eng.runConfig[infra.Green]["desiredCapacity"])
		assert.NotEqual(t, "3", f.eng.config[infra.Green]["desiredCapacity"], "never written into the checkout")
	})
	t.Run("invalid capacity is refused before anything is written", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		nine := 9
		err := f.r.Deploy(context.Background(), infra.Green, DeployOptions{AppRef: "v3", DesiredCapacity: &nine})
		assert.Equal(t, ExitUsage, ExitCode(err))
		assert.ErrorContains(t, err, "webapi:desiredCapacity")
		assert.Empty(t, f.eng.config[infra.Green]["appRef"], "nothing written")
		assert.Equal(t, "2", f.eng.config[infra.Green]["desiredCapacity"])
		assert.Empty(t, f.eng.ups)
	})
	t.Run("first deploy of the edge: no listener yet, nothing to protect", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.aws.outputs = map[infra.Color]map[string]any{infra.Blue: {}, infra.Green: {}}
		f.eng.preview = []events.EngineEvent{{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: apitype.StepEventMetadata{
			Op: apitype.OpCreate, URN: "urn:pulumi:blue::webapi::" + infra.TypeFleet + "$aws:autoscaling/group:Group::fleet-blue-asg", Type: "aws:autoscaling/group:Group",
		}}}}}
		require.NoError(t, f.r.Deploy(context.Background(), infra.Blue, DeployOptions{}), "blue's config gives it 100% but nothing serves yet")
		assert.Equal(t, []string{"blue[]"}, f.eng.ups)

		f.aws.outputs[infra.Blue] = edgeOutputs(infra.Weights{Blue: 100})
		err := f.r.Deploy(context.Background(), infra.Blue, DeployOptions{})
		assert.Equal(t, ExitRefused, ExitCode(err), "once deployed, blue's 100% is protected")
		assert.ErrorContains(t, err, "blue has 100% of traffic and this deploy would change its fleet")
	})
	t.Run("the edge deploys at the live weights, whatever the checkout says", func(t *testing.T) {
		f := newFixture(0, infra.Blue)                        // the checkout says greenWeight 0
		f.aws.setListener(infra.Weights{Blue: 40, Green: 60}) // the listener serves 40/60
		f.aws.outputs[infra.Blue][infra.OutWeights] = map[string]any{"blue": 100.0, "green": 0.0}
		require.NoError(t, f.r.Deploy(context.Background(), infra.Blue, DeployOptions{Force: true}))
		assert.Equal(t, []*infra.Weights{{Blue: 40, Green: 60}}, f.eng.upWeights, "the run carries the live weights")
		assert.Equal(t, infra.Weights{Blue: 40, Green: 60}, f.aws.live())
		assert.Contains(t, f.out.String(), "drift: the edge stack's state says blue 100% / green 0%, the listener serves blue 40% / green 60%")
	})
}

// Deploying the idle colour takes the release lease and keeps it for the shift into it;
// anyone else's deploy or shift meanwhile is refused, naming the holder.
func TestDeployHoldsTheLeaseForTheRelease(t *testing.T) {
	f := newFixture(0, infra.Blue)
	require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{AppRef: "v3"}))
	rec := f.store.load()
	require.NotNil(t, rec.Lease)
	assert.Equal(t, owners["ci"], rec.Lease.Owner)

	_, laptop := f.operator()
	for name, run := range map[string]func() error{
		"deploy":   func() error { return laptop.Deploy(context.Background(), infra.Green, DeployOptions{}) },
		"shift":    func() error { return laptop.Shift(context.Background(), shiftToGreen(100)) },
		"rollback": func() error { return laptop.Rollback(context.Background(), RollbackOptions{To: infra.Blue}) },
		"retire":   func() error { return laptop.Retire(context.Background(), infra.Green, 0) },
	} {
		err := run()
		assert.Equal(t, ExitRefused, ExitCode(err), name)
		assert.ErrorContains(t, err, "held by runner@runner-1", name)
		assert.ErrorContains(t, err, "bluegreen unlock", name)
	}
	require.NoError(t, f.rerun().Shift(context.Background(), shiftToGreen(100)), "the same CI run goes on")
	assert.Nil(t, f.store.load().Lease, "released at the end of the release")

	// A deploy of the serving colour is no release: the lease is released after it.
	require.NoError(t, f.rerun().Deploy(context.Background(), infra.Green, DeployOptions{Force: true}))
	assert.Nil(t, f.store.load().Lease)
}

// unlock shows the holder and breaks the lease; the holder's next look stops it.
func TestUnlockBreaksTheLease(t *testing.T) {
	f := newFixture(0, infra.Blue)
	require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{}))
	_, laptop := f.operator()
	require.NoError(t, laptop.Unlock(context.Background(), "CI runner lost"))
	assert.Contains(t, f.out.String(), "broke the release lease of runner@runner-1")
	rec := f.store.load()
	assert.Nil(t, rec.Lease)
	last := rec.History[len(rec.History)-1]
	assert.Equal(t, "unlock", last.Action)
	assert.Contains(t, last.Message, "CI runner lost")
	require.NoError(t, laptop.Unlock(context.Background(), ""))
	assert.Contains(t, f.out.String(), "is free: nothing to unlock")
}

func TestDestroyAndRetireRefusals(t *testing.T) {
	f := newFixture(20, infra.Blue)
	err := f.r.Destroy(context.Background(), infra.Green)
	assert.Equal(t, ExitRefused, ExitCode(err))
	assert.ErrorContains(t, err, "green has 20% of traffic")
	err = f.r.Retire(context.Background(), infra.Green, time.Minute)
	assert.Equal(t, ExitRefused, ExitCode(err))
	assert.Empty(t, f.eng.destroys)
	assert.Empty(t, f.eng.ups)

	f = newFixture(100, infra.Blue)
	err = f.r.Destroy(context.Background(), infra.Blue)
	assert.Equal(t, ExitRefused, ExitCode(err), "the edge goes last")
	assert.ErrorContains(t, err, "destroy green first")

	f = newFixture(0, infra.Blue)
	require.NoError(t, f.r.Destroy(context.Background(), infra.Green))
	assert.Equal(t, []infra.Color{infra.Green}, f.eng.destroys)
}

func TestRetireWaitsThenScalesToZero(t *testing.T) {
	f := newFixture(0, infra.Blue)
	start := f.clock.now
	require.NoError(t, f.r.Retire(context.Background(), infra.Green, 10*time.Minute))
	assert.Equal(t, 10*time.Minute, f.clock.now.Sub(start))
	assert.Equal(t, map[string]string{"desiredCapacity": "0", "minSize": "0"}, f.eng.runConfig[infra.Green], "scaled to zero by run options")
	assert.NotEqual(t, "0", f.eng.config[infra.Green]["desiredCapacity"], "never written into the checkout")
	assert.Equal(t, []string{"green[]"}, f.eng.ups)

	// Someone shifts traffic to green during the wait: retire re-checks and refuses.
	f = newFixture(0, infra.Blue)
	f.r.Clock = sleepHook{f.clock, func() { f.aws.setListener(infra.Weights{Blue: 90, Green: 10}) }}
	err := f.r.Retire(context.Background(), infra.Green, time.Minute)
	assert.Equal(t, ExitRefused, ExitCode(err))
	assert.Empty(t, f.eng.ups)
}

func TestStatus(t *testing.T) {
	f := newFixture(10, infra.Blue)
	f.aws.outputs[infra.Blue][infra.OutAlbURL] = "http://alb.example"
	require.NoError(t, f.r.Status(context.Background()))
	out := f.out.String()
	assert.Contains(t, out, "ALB: http://alb.example   weights: blue 90% / green 10%")
	assert.Regexp(t, `blue\s+90%\s+v1\s+ami-1\s+2\s+2/2`, out)
	assert.Regexp(t, `green\s+10%\s+v2\s+ami-2\s+2\s+2/2`, out)
}

func TestIdle(t *testing.T) {
	for gw, want := range map[int]infra.Color{0: infra.Green, 100: infra.Blue} {
		c, err := newFixture(gw, infra.Blue).r.Idle(context.Background())
		require.NoError(t, err)
		assert.Equal(t, want, c)
	}
	_, err := newFixture(40, infra.Blue).r.Idle(context.Background())
	assert.Equal(t, ExitRefused, ExitCode(err))
	assert.ErrorContains(t, err, "a shift is in progress (the listener serves blue 60% / green 40%)")
}

// The tool reads config through the program's loader: a value the program rejects is
// an error naming the key, in the program's words, before anything runs.
func TestInvalidEdgeConfigIsTheProgramsError(t *testing.T) {
	f := newFixture(0, infra.Blue)
	f.eng.config[infra.Blue]["stableColor"] = "purple"
	_, programErr := infra.LoadConfig(infra.MapSource(f.eng.config[infra.Blue]))
	require.Error(t, programErr)
	for name, run := range map[string]func() error{
		"idle":  func() error { _, err := f.r.Idle(context.Background()); return err },
		"shift": func() error { return f.r.Shift(context.Background(), shiftToGreen(10, 100)) },
	} {
		err := run()
		require.Error(t, err, name)
		assert.ErrorContains(t, err, `webapi:stableColor: "purple" is not allowed`, name)
		assert.ErrorContains(t, err, programErr.Error(), "%s: the program's own message", name)
		var ce *infra.ConfigError
		assert.ErrorAs(t, err, &ce, name)
	}
	assert.Empty(t, f.eng.ups)
	assert.Equal(t, "purple", f.eng.config[infra.Blue]["stableColor"], "nothing written")
}

func TestShiftRefusedWhenEdgeOutputsDoNotParse(t *testing.T) {
	f := newFixture(0, infra.Blue)
	delete(f.aws.outputs[infra.Blue], infra.OutVpcID)
	err := f.r.Shift(context.Background(), shiftToGreen(100))
	assert.Equal(t, ExitRefused, ExitCode(err))
	assert.ErrorContains(t, err, "has not been deployed")
	assert.ErrorContains(t, err, `no output "vpcId"`, "says which output is missing")
	assert.Empty(t, f.eng.ups)
}

func TestDeployChangesLowersMinSizeWithTheCapacity(t *testing.T) {
	capacity := func(n int) DeployOptions { return DeployOptions{DesiredCapacity: &n} }
	for _, tc := range []struct {
		name   string
		config map[string]string
		opts   DeployOptions
		want   map[string]string
	}{
		{"app ref only", testutil.Green(), DeployOptions{AppRef: "v3"}, map[string]string{"appRef": "v3"}},
		{"above minSize", testutil.Green("minSize", "1"), capacity(3), map[string]string{"desiredCapacity": "3"}},
		{"below minSize", testutil.Green("minSize", "2"), capacity(0), map[string]string{"desiredCapacity": "0", "minSize": "0"}},
		{"below the default minSize (2)", testutil.Green(), capacity(1), map[string]string{"desiredCapacity": "1", "minSize": "1"}},
		{"current config invalid: minSize left alone", testutil.Green("minSize", "x"), capacity(0), map[string]string{"desiredCapacity": "0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, deployChanges(tc.config, nil, tc.opts))
		})
	}
}

// Without flags, a deploy runs what the colour's outputs say it runs, never what a
// (possibly stale) checkout says: a push-to-main deploy does not downgrade a colour.
func TestDeployChangesKeepTheDeployedVersionAndCapacity(t *testing.T) {
	deployed := map[string]any{infra.OutAppRef: "v2.4.0", infra.OutDesired: 3.0}
	assert.Equal(t, map[string]string{"appRef": "v2.4.0", "desiredCapacity": "3"},
		deployChanges(testutil.Green("appRef", "v1.0.0", "desiredCapacity", "2", "maxSize", "4"), deployed, DeployOptions{}))
	assert.Equal(t, map[string]string{"appRef": "v2.5.0", "desiredCapacity": "3"},
		deployChanges(testutil.Green(), deployed, DeployOptions{AppRef: "v2.5.0"}), "the flag wins")
	retired := map[string]any{infra.OutAppRef: "prebaked:ami-0123456789abcdef0", infra.OutDesired: 0.0}
	assert.Equal(t, map[string]string{"desiredCapacity": "0", "minSize": "0"},
		deployChanges(testutil.Green(), retired, DeployOptions{}), "a retired colour stays at 0; a prebaked AMI is no app ref")
}

func TestFleetChange(t *testing.T) {
	for u, want := range map[string]bool{
		"urn:pulumi:green::webapi::" + infra.TypeFleet + "$aws:ec2/launchTemplate:LaunchTemplate::fleet-green-lt":                        true,
		"urn:pulumi:green::webapi::" + infra.TypeFleet + "$aws:autoscaling/group:Group::fleet-green-asg":                                 true,
		"urn:pulumi:green::webapi::" + infra.TypeImage + "$command:local:Command::image-green-app":                                       true,
		"urn:pulumi:green::webapi::" + infra.TypeFleet:                                                                                   true,
		"urn:pulumi:blue::webapi::" + infra.TypeEdge + "$aws:lb/listener:Listener::edge-listener-80":                                     false,
		"urn:pulumi:blue::webapi::" + infra.TypeMonitoring + "$aws:cloudwatch/metricAlarm:MetricAlarm::alarm-blue-5xx":                   false,
		"urn:pulumi:blue::webapi::" + infra.TypeNetwork + "$aws:ec2/vpc:Vpc::network-vpc":                                                false,
		"urn:pulumi:blue::webapi::" + infra.TypeEdge + "$aws:lb/targetGroup:TargetGroup::" + "edge-tg-" + string(infra.Green) + "-fleet": false,
	} {
		assert.Equal(t, want, fleetChange(u), u)
	}
}

// A resumed release whose listener serves neither the step's from nor its to was moved
// by someone else: refused, and nothing is touched.
func TestResumeRefusesWhenTheListenerWasMovedMeanwhile(t *testing.T) {
	f := newFixture(0, infra.Blue)
	f.eng.kill[1] = true
	f.killedDuring(f.eng, func() { _ = f.r.Shift(context.Background(), shiftToGreen(10, 50, 100)) })
	f.aws.setListener(infra.Weights{Blue: 70, Green: 30}) // the console, meanwhile
	ups := len(f.eng.ups)
	err := f.rerun().Shift(context.Background(), shiftToGreen(10, 50, 100))
	assert.Equal(t, ExitRefused, ExitCode(err), "%v", err)
	assert.ErrorContains(t, err, "is at step 2/3 green 50% (phase applying, blue 50% / green 50%), but the listener serves blue 70% / green 30%")
	assert.Len(t, f.eng.ups, ups, "nothing was updated")
	assert.Equal(t, infra.Weights{Blue: 70, Green: 30}, f.aws.live())
}

func TestHistoryPrintsTheRecord(t *testing.T) {
	f := newFixture(0, infra.Blue)
	require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(50, 100)))
	f.out.Reset()
	require.NoError(t, f.r.History(context.Background()))
	out := f.out.String()
	assert.Contains(t, out, "release record: mem://release-record\nstable colour: blue\n")
	assert.Contains(t, out, "lease: free")
	assert.Regexp(t, `release-start\s+runner@runner-1 \(pid 100, run https://github.com/org/infra/actions/runs/1\)\s+version v2\s+from blue 100% / green 0%\s+steps \[50 100\]`, out)
	assert.Regexp(t, `release-complete .* version v2  blue 50% / green 50% -> blue 0% / green 100%  steps \[50 100\]  succeeded`, out)
}

// A deploy of the edge while a manual release is paused (TLS on, say) leaves the pause's
// lease as long as the pause needs it.
func TestDeployDuringAPauseKeepsThePausedLease(t *testing.T) {
	f := newFixture(0, infra.Blue)
	opts := shiftToGreen(50, 100)
	opts.Manual = true
	require.NoError(t, f.r.Shift(context.Background(), opts))
	f.clock.now = f.clock.now.Add(time.Hour)
	require.NoError(t, f.rerun().Deploy(context.Background(), infra.Blue, DeployOptions{}))
	assert.Equal(t, []*infra.Weights{{Blue: 50, Green: 50}}, f.eng.upWeights[1:], "the edge deploys at the live 50/50")
	rec := f.store.load()
	require.NotNil(t, rec.Lease)
	assert.Equal(t, f.clock.now.Add(PausedLeaseTTL), rec.Lease.Expires)
	assert.Equal(t, record.PhasePaused, rec.Release.Phase)
}

// An edge deployed before the listeners were named by port names its old listener in its
// outputs; `up --target` does not follow aliases, so a shift targeting it would change
// nothing on AWS. The tool refuses and says to deploy the edge once first.
func TestShiftRefusesAnEdgeDeployedWithTheOldListenerName(t *testing.T) {
	f := newFixture(0, infra.Blue)
	f.aws.outputs[infra.Blue][infra.OutListenerURN] = "urn:pulumi:blue::webapi::" + infra.TypeEdge + "$aws:lb/listener:Listener::edge-http"
	err := f.r.Shift(context.Background(), ShiftOptions{Target: infra.Green, Steps: []int{10, 100}, Pause: time.Minute, Interval: time.Minute})
	assert.Equal(t, ExitRefused, ExitCode(err))
	assert.ErrorContains(t, err, "run `bluegreen deploy blue` once to upgrade it in place")
	assert.Empty(t, f.eng.ups, "nothing was updated")
	assert.True(t, infra.IsTrafficListenerURN(lURN))
}
