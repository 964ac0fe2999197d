package release

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// pausedAt10 is a manual release into green paused at its first step (blue 90 / green 10).
func pausedAt10(t *testing.T, f *fixture) {
	t.Helper()
	opts := shiftToGreen(10, 50, 100)
	opts.Manual = true
	require.NoError(t, f.r.Shift(context.Background(), opts), f.out.String())
	require.Equal(t, infra.Weights{Blue: 90, Green: 10}, f.aws.live())
	f.eng.ups = nil
}

// degraded is blue's group with desired instances of which inService are in service.
func degraded(desired, inService int) Fleet {
	g := servingFleet(asgBlue, desired, "1")
	for i := inService; i < desired; i++ {
		g.Instances[i].LifecycleState = "Pending"
	}
	return g
}

// A rollback sends everything to the stable colour only when it is ready to carry it:
// healthy = in service = desired, and desired at least what the serving colour runs.
// Refused with the numbers (exit 3) otherwise; --force goes anyway.
func TestRollbackRefusedWhenTheStableColourIsNotReady(t *testing.T) {
	for name, tc := range map[string]struct {
		setup func(f *fixture)
		want  []string
	}{
		"fewer healthy than desired": {
			setup: func(f *fixture) {
				f.health.targets[tgBlue] = TargetCounts{Healthy: 1, Total: 2, Others: 1, Problems: []TargetProblem{{ID: "i-blue-1", State: "unhealthy", Reason: "Target.FailedHealthChecks"}}}
			},
			want: []string{"1 healthy / 2 in service / 2 desired", "i-blue-1 unhealthy (Target.FailedHealthChecks)"},
		},
		"in service below desired": {
			setup: func(f *fixture) { f.fleets.fleets[asgBlue] = degraded(2, 1) },
			want:  []string{"2 healthy / 1 in service / 2 desired"},
		},
		"draining targets do not count": {
			setup: func(f *fixture) { f.health.targets[tgBlue] = TargetCounts{Healthy: 1, Total: 2, Draining: 1} },
			want:  []string{"1 healthy / 2 in service / 2 desired"},
		},
		"desired below what the serving colour runs": {
			setup: func(f *fixture) {
				f.fleets.fleets[asgBlue] = servingFleet(asgBlue, 1, "1")
				f.health.targets[tgBlue] = TargetCounts{Healthy: 1, Total: 1}
			},
			want: []string{"1 healthy / 1 in service / 1 desired", "it must carry at least 2", "`bluegreen deploy blue --desired-capacity 2`"},
		},
		"retired": {
			setup: func(f *fixture) {
				f.fleets.fleets[asgBlue] = Fleet{Name: asgBlue, Max: 4}
				f.health.targets[tgBlue] = TargetCounts{}
			},
			want: []string{"0 healthy / 0 in service / 0 desired", "scaled to zero", "`bluegreen deploy blue --desired-capacity 2`", "`bluegreen rollback --scale-up`"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(0, infra.Blue)
			pausedAt10(t, f)
			tc.setup(f)
			err := f.rerun().Rollback(context.Background(), RollbackOptions{})
			assert.Equal(t, ExitRefused, ExitCode(err), "%v", err)
			for _, w := range tc.want {
				assert.ErrorContains(t, err, w)
			}
			assert.ErrorContains(t, err, "--force")
			assert.Empty(t, f.eng.ups, "nothing was updated")
			assert.Equal(t, infra.Weights{Blue: 90, Green: 10}, f.aws.live())
			assert.Equal(t, record.PhasePaused, f.store.load().Release.Phase, "the release stays where it was")

			require.NoError(t, f.rerun().Rollback(context.Background(), RollbackOptions{Force: true}), f.out.String())
			assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live(), "--force goes anyway")
			assert.Contains(t, f.out.String(), "--force: rolling back to blue although")
		})
	}
}

// scalingEngine is a checkout whose updates of a colour with a desired capacity bring
// that many instances into service, healthy, as Auto Scaling and the ALB would.
type scalingEngine struct {
	*fakeEngine
	f       *fixture
	configs *[]map[string]string // each up's run config
}

func (e scalingEngine) Up(ctx context.Context, c infra.Color, opts UpOptions) (Changes, error) {
	*e.configs = append(*e.configs, opts.Config)
	ch, err := e.fakeEngine.Up(ctx, c, opts)
	if n := opts.Config["desiredCapacity"]; err == nil && c == infra.Blue && n == "3" {
		e.f.fleets.fleets[asgBlue] = servingFleet(asgBlue, 3, "1")
		e.f.health.targets[tgBlue] = TargetCounts{Healthy: 3, Total: 3}
	}
	return ch, err
}

// rollback --scale-up deploys a retired stable colour at the serving colour's capacity
// (a run option: the checkout keeps its config), waits until it is ready, then rolls back.
func TestRollbackScaleUpDeploysTheStableColourThenRollsBack(t *testing.T) {
	f := newFixture(0, infra.Blue)
	f.fleets.fleets[asgGreen] = servingFleet(asgGreen, 3, "1")
	f.health.targets[tgGreen] = TargetCounts{Healthy: 3, Total: 3}
	pausedAt10(t, f)
	f.fleets.fleets[asgBlue] = Fleet{Name: asgBlue, Max: 4}
	f.health.targets[tgBlue] = TargetCounts{}

	err := f.rerun().Rollback(context.Background(), RollbackOptions{})
	assert.Equal(t, ExitRefused, ExitCode(err))
	assert.ErrorContains(t, err, "`bluegreen deploy blue --desired-capacity 3`", "the serving colour's capacity")

	r := f.rerun()
	var configs []map[string]string
	r.Engine = scalingEngine{f.eng, f, &configs}
	require.NoError(t, r.Rollback(context.Background(), RollbackOptions{ScaleUp: true}), f.out.String())
	assert.Equal(t, []string{"blue[]", "blue[" + lURN + "]"}, f.eng.ups, "a deploy of blue, then the listener")
	require.Len(t, configs, 2)
	assert.Equal(t, "3", configs[0]["desiredCapacity"], "at green's capacity, as a run option")
	assert.Equal(t, "2", f.eng.config[infra.Blue]["desiredCapacity"], "the checkout's config is not written")
	assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
	assert.Equal(t, record.OutcomeRolledBack, f.store.load().Release.Outcome)
	assert.Contains(t, f.out.String(), "--scale-up: deploying blue at desired capacity 3")
}

// A shift whose rollback would have nowhere to go does not start.
func TestShiftRefusedWhenTheStableColourIsNotReady(t *testing.T) {
	for name, setup := range map[string]func(f *fixture){
		"in service below desired": func(f *fixture) { f.fleets.fleets[asgBlue] = degraded(2, 1) },
		"retired": func(f *fixture) {
			f.fleets.fleets[asgBlue] = Fleet{Name: asgBlue, Max: 4}
			f.health.targets[tgBlue] = TargetCounts{}
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(0, infra.Blue)
			setup(f)
			err := f.r.Shift(context.Background(), shiftToGreen(10, 100))
			assert.Equal(t, ExitRefused, ExitCode(err), "%v", err)
			assert.ErrorContains(t, err, "a rollback of this shift would have nowhere to go")
			assert.ErrorContains(t, err, "bluegreen deploy blue --desired-capacity")
			assert.Empty(t, f.eng.ups)
			assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
			rec := f.store.load()
			assert.Nil(t, rec.Release, "no release was started")
			assert.Nil(t, rec.Lease)
		})
	}
}

// A failed step restores even to a degraded stable colour (staying on the failing one
// is worse), and says loudly what is wrong and how to scale it.
func TestAutomaticRestoreToADegradedStableColourRestoresAndWarns(t *testing.T) {
	f := newFixture(0, infra.Blue)
	f.greenTraffic(func(time.Time) (Minute, bool) {
		if f.aws.live().Green == 50 {
			f.fleets.fleets[asgBlue] = degraded(2, 1)
			return Minute{Requests: 1000, Target5xx: 500}, true
		}
		return steadyMinute(), true
	})
	err := f.r.Shift(context.Background(), shiftToGreen(10, 50, 100))
	assert.Equal(t, ExitRolledBack, ExitCode(err), "%v", err)
	assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live(), "restored all the same")
	out := f.out.String()
	assert.Contains(t, out, "WARNING: restoring to blue although it is not ready to take all traffic: 2 healthy / 1 in service / 2 desired")
	assert.Contains(t, out, "`bluegreen deploy blue --desired-capacity 2`")
	assert.Equal(t, record.OutcomeRolledBack, f.store.load().Release.Outcome)
}

// The readiness rule alone: healthy = in service = desired ≥ what it must carry.
func TestReadinessProblem(t *testing.T) {
	fleet := func(desired, inService, min int) *Fleet {
		g := degraded(desired, inService)
		g.Min = min
		return &g
	}
	for _, tc := range []struct {
		name  string
		rd    readiness
		ready bool
	}{
		{"ready", readiness{color: infra.Blue, targets: TargetCounts{Healthy: 2, Total: 2}, fleet: fleet(2, 2, 2), need: 2}, true},
		{"more than needed", readiness{color: infra.Blue, targets: TargetCounts{Healthy: 4, Total: 5, Draining: 1}, fleet: fleet(4, 4, 2), need: 2}, true},
		{"below need", readiness{color: infra.Blue, targets: TargetCounts{Healthy: 1, Total: 1}, fleet: fleet(1, 1, 1), need: 2}, false},
		{"unhealthy", readiness{color: infra.Blue, targets: TargetCounts{Healthy: 1, Total: 2}, fleet: fleet(2, 2, 2), need: 2}, false},
		{"pending", readiness{color: infra.Blue, targets: TargetCounts{Healthy: 2, Total: 2}, fleet: fleet(3, 2, 2), need: 2}, false},
		{"zero", readiness{color: infra.Blue, fleet: fleet(0, 0, 0), need: 1}, false},
		{"fleet unknown, healthy", readiness{color: infra.Blue, targets: TargetCounts{Healthy: 2, Total: 2}, need: 1}, true},
		{"fleet unknown, none healthy", readiness{color: infra.Blue, targets: TargetCounts{Total: 2}, need: 1}, false},
	} {
		assert.Equal(t, tc.ready, tc.rd.ready(), tc.name)
	}
}

// `rollback` finishing a restore the record says is under way (ROLLBACK FAILED left it
// restoring) goes on with a warning when the stable colour is not ready, as the
// automatic restore does: staying split onto the failing colour is worse.
func TestRollbackFinishingARestoreWarnsOnADegradedStableColour(t *testing.T) {
	f := newFixture(0, infra.Blue)
	pausedAt10(t, f)
	ctx := context.Background()
	_, _, err := record.UpdateHeld(ctx, f.store, f.store.load().Lease.Token, func(rec record.Record) (record.Record, error) {
		return record.StartRestore(rec, infra.Weights{Blue: 90, Green: 10}, "green failed", f.clock.now)
	})
	require.NoError(t, err)
	f.fleets.fleets[asgBlue] = degraded(2, 1)
	require.NoError(t, f.rerun().Rollback(ctx, RollbackOptions{}), f.out.String())
	assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
	assert.Equal(t, record.OutcomeRolledBack, f.store.load().Release.Outcome)
	assert.Contains(t, f.out.String(), "WARNING: restoring to blue although it is not ready to take all traffic: 2 healthy / 1 in service / 2 desired")
}

// blueFleetURNs are blue's launch template and Auto Scaling group in a preview.
const (
	blueLT  = "urn:pulumi:blue::webapi::" + infra.TypeFleet + "$aws:ec2/launchTemplate:LaunchTemplate::fleet-blue-lt"
	blueASG = "urn:pulumi:blue::webapi::" + infra.TypeFleet + "$aws:autoscaling/group:Group::fleet-blue-asg"
)

// previewChanging is a preview in which each URN is updated, with the changed properties.
func previewChanging(diffs map[string][]string) []events.EngineEvent {
	var evs []events.EngineEvent
	for _, u := range slices.Sorted(maps.Keys(diffs)) {
		evs = append(evs, events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{
			Metadata: apitype.StepEventMetadata{Op: apitype.OpUpdate, URN: u, Type: "aws:x", Diffs: diffs[u]}}}})
	}
	return evs
}

// rollback --scale-up changes the destination's capacity only: when the checkout's
// program would also roll or re-bake its fleet (a stale or newer checkout), it is
// refused, naming what would change, before anything runs — unless --force.
func TestRollbackScaleUpRefusesToChangeMoreThanTheCapacity(t *testing.T) {
	setup := func(t *testing.T) (*fixture, *Release, *[]map[string]string) {
		f := newFixture(0, infra.Blue)
		f.fleets.fleets[asgGreen] = servingFleet(asgGreen, 3, "1")
		f.health.targets[tgGreen] = TargetCounts{Healthy: 3, Total: 3}
		pausedAt10(t, f)
		f.fleets.fleets[asgBlue] = Fleet{Name: asgBlue, Max: 4}
		f.health.targets[tgBlue] = TargetCounts{}
		r := f.rerun()
		var configs []map[string]string
		r.Engine = scalingEngine{f.eng, f, &configs}
		return f, r, &configs
	}
	t.Run("the launch template would change: refused", func(t *testing.T) {
		f, r, _ := setup(t)
		f.eng.preview = previewChanging(map[string][]string{blueLT: {"userData"}, blueASG: {"desiredCapacity", "launchTemplate"}})
		err := r.Rollback(context.Background(), RollbackOptions{ScaleUp: true})
		assert.Equal(t, ExitRefused, ExitCode(err), "%v", err)
		assert.ErrorContains(t, err, blueLT)
		assert.ErrorContains(t, err, blueASG+" (launchTemplate)")
		assert.Empty(t, f.eng.ups, "nothing deployed, nothing rolled back")
		assert.Equal(t, infra.Weights{Blue: 90, Green: 10}, f.aws.live())
	})
	t.Run("only the group's capacity would change: scaled", func(t *testing.T) {
		f, r, _ := setup(t)
		f.eng.preview = previewChanging(map[string][]string{blueASG: {"desiredCapacity", "minSize"}})
		require.NoError(t, r.Rollback(context.Background(), RollbackOptions{ScaleUp: true}), f.out.String())
		assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
	})
	t.Run("--force applies the rest too", func(t *testing.T) {
		f, r, configs := setup(t)
		f.eng.preview = previewChanging(map[string][]string{blueLT: {"userData"}})
		require.NoError(t, r.Rollback(context.Background(), RollbackOptions{ScaleUp: true, Force: true}), f.out.String())
		require.NotEmpty(t, *configs)
		assert.Equal(t, "3", (*configs)[0]["desiredCapacity"], "scaled up first, not rolled back unscaled")
		assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
	})
}
