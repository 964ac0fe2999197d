package release

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
)

const (
	greenLT    = "urn:pulumi:green::webapi::" + infra.TypeFleet + "$aws:ec2/launchTemplate:LaunchTemplate::fleet-green-lt"
	greenASG   = "urn:pulumi:green::webapi::" + infra.TypeFleet + "$aws:autoscaling/group:Group::fleet-green-asg"
	greenAlarm = "urn:pulumi:green::webapi::" + infra.TypeMonitoring + "$aws:cloudwatch/metricAlarm:MetricAlarm::monitoring-green-5xx"
)

// deployEngine is a checkout whose updates report what they changed, and run onUp:
// what AWS does when the update returns (the provider starts an instance refresh).
type deployEngine struct {
	*fakeEngine
	touched []string
	runs    []UpOptions
	onUp    func()
}

func (e *deployEngine) Up(ctx context.Context, c infra.Color, opts UpOptions) (Changes, error) {
	e.runs = append(e.runs, opts)
	if _, err := e.fakeEngine.Up(ctx, c, opts); err != nil {
		return Changes{}, err
	}
	if e.onUp != nil {
		e.onUp()
	}
	ch := Changes{Counts: map[string]int{"same": 40}, Touched: e.touched}
	if len(e.touched) > 0 {
		ch.Counts["update"] = len(e.touched)
	}
	return ch, nil
}

// deployFixture is green idle (blue serves) with weight greenWeight, an engine whose
// update changes touched, and polls: each of the wait's sleeps runs the next one (AWS
// moving on), the last one repeating.
func deployFixture(greenWeight int, touched ...string) (*fixture, *deployEngine) {
	f := newFixture(greenWeight, infra.Blue)
	eng := &deployEngine{fakeEngine: f.eng, touched: touched}
	f.r.Engine = eng
	return f, eng
}

func (f *fixture) polls(steps ...func()) *int {
	n := new(int)
	f.r.Clock = sleepHook{f.clock, func() {
		steps[min(*n, len(steps)-1)]()
		*n++
	}}
	return n
}

func (f *fixture) setRefresh(ref InstanceRefresh) {
	f.fleets.mu.Lock()
	defer f.fleets.mu.Unlock()
	f.fleets.refreshes[asgGreen] = []InstanceRefresh{ref}
}

func (f *fixture) setFleet(g Fleet) {
	f.fleets.mu.Lock()
	defer f.fleets.mu.Unlock()
	f.fleets.fleets[asgGreen] = g
}

// rolling is green mid-refresh to launch template version 2: the two old instances in
// service, two new ones pending.
func rolling() Fleet {
	g := servingFleet(asgGreen, 2, "2")
	for i := range g.Instances {
		g.Instances[i].LaunchTemplateVersion = "1"
	}
	g.Instances = append(g.Instances,
		Instance{ID: "i-new-0", LifecycleState: "Pending", LaunchTemplateVersion: "2"},
		Instance{ID: "i-new-1", LifecycleState: "Pending", LaunchTemplateVersion: "2"})
	return g
}

func TestDeployWaitsForTheRefreshAndTheNewVersion(t *testing.T) {
	f, eng := deployFixture(0, greenLT, greenASG)
	began := f.clock.now
	eng.onUp = func() {
		f.setRefresh(InstanceRefresh{ID: "ref-1", Status: "InProgress", StartTime: f.clock.now.Add(time.Second)})
		f.setFleet(rolling())
	}
	f.polls(
		func() {
			f.setRefresh(InstanceRefresh{ID: "ref-1", Status: "InProgress", PercentComplete: 50, StartTime: began})
		},
		func() {
			f.setRefresh(InstanceRefresh{ID: "ref-1", Status: "Successful", PercentComplete: 100, StartTime: began, EndTime: f.clock.now})
			f.setFleet(servingFleet(asgGreen, 2, "2"))
		},
	)
	require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{AppRef: "v3"}))
	out := f.out.String()
	assert.Contains(t, out, "instance refresh ref-1: InProgress 0%")
	assert.Contains(t, out, "instance refresh ref-1: InProgress 50%")
	assert.Contains(t, out, "instances 2 InService, 2 Pending")
	assert.Contains(t, out, "/ 30m0s")
	assert.Contains(t, out, "green runs launch template version 2 on 2 of 2 instances, 2 of 2 targets healthy")

	rep := f.r.Deployed
	require.NotNil(t, rep)
	assert.Equal(t, "green", rep.Color)
	assert.Equal(t, "v3", rep.AppRef)
	assert.True(t, rep.Changed)
	assert.True(t, rep.FleetChanged)
	assert.Empty(t, rep.Deferred)
	require.NotNil(t, rep.Refresh)
	assert.Equal(t, RefreshReport{ID: "ref-1", Status: "Successful"}, *rep.Refresh)
	assert.Equal(t, 30.0, rep.WaitSeconds, "two polls of 15s")
	assert.GreaterOrEqual(t, rep.ElapsedSeconds, rep.WaitSeconds)

	hist := f.store.load().History
	require.NotEmpty(t, hist)
	last := hist[len(hist)-1]
	assert.Equal(t, "deploy", last.Action)
	assert.Equal(t, "v3", last.Version)
	assert.Contains(t, last.Message, "2 resources changed, the fleet among them")
	assert.Contains(t, last.Message, "instance refresh ref-1 Successful")
	assert.Contains(t, last.Message, "waited 30s")

	b, err := json.Marshal(rep)
	require.NoError(t, err)
	assert.JSONEq(t, `{"color":"green","appRef":"v3","changed":true,"fleetChanged":true,"deferred":[],
		"refresh":{"id":"ref-1","status":"Successful","reason":""},"waitSeconds":30,"elapsedSeconds":30}`, string(b))
}

// A refresh that ends without success fails the deploy with AWS's reason; nothing
// moves traffic (a deploy never does).
func TestDeployFailsOnARefreshThatDoesNotSucceed(t *testing.T) {
	for _, tc := range []struct{ status, reason string }{
		{"Failed", "Group has 1 instances that failed to launch: InsufficientInstanceCapacity"},
		{"Cancelled", "Cancelled by a newer instance refresh"},
		{"RollbackSuccessful", "Rolled back: instances failed health checks"},
	} {
		t.Run(tc.status, func(t *testing.T) {
			f, eng := deployFixture(0, greenLT, greenASG)
			eng.onUp = func() {
				f.setRefresh(InstanceRefresh{ID: "ref-1", Status: "InProgress", StartTime: f.clock.now})
				f.setFleet(rolling())
			}
			f.polls(func() {
				f.setRefresh(InstanceRefresh{ID: "ref-1", Status: tc.status, StatusReason: tc.reason, StartTime: f.clock.now, EndTime: f.clock.now})
			})
			err := f.r.Deploy(context.Background(), infra.Green, DeployOptions{AppRef: "v3"})
			require.Error(t, err)
			assert.Equal(t, ExitFailed, ExitCode(err))
			assert.ErrorContains(t, err, "instance refresh ref-1 of asg-green ended "+tc.status+": "+tc.reason)
			assert.Equal(t, &RefreshReport{ID: "ref-1", Status: tc.status, Reason: tc.reason}, f.r.Deployed.Refresh)
			assert.Empty(t, f.aws.greens(), "no listener update")
			last := f.store.load().History
			assert.Equal(t, "deploy", last[len(last)-1].Action)
			assert.Contains(t, last[len(last)-1].Message, tc.reason)
		})
	}
}

// The wait gives up after the colour's deployTimeoutMinutes (or --timeout), naming
// what is not in service.
func TestDeployWaitTimesOut(t *testing.T) {
	unhealthy := TargetCounts{Healthy: 1, Total: 2, Others: 1, Problems: []TargetProblem{
		{ID: "i-asg-green-1", State: "unhealthy", Reason: "Target.FailedHealthChecks", Description: "Health checks failed"}}}
	initial := TargetCounts{Healthy: 0, Total: 2, Initial: 2, Problems: []TargetProblem{
		{ID: "i-asg-green-0", State: "initial", Reason: "Elb.RegistrationInProgress"}, {ID: "i-asg-green-1", State: "initial", Reason: "Elb.RegistrationInProgress"}}}
	oldVersion := servingFleet(asgGreen, 2, "2")
	oldVersion.Instances[1].LaunchTemplateVersion = "1"
	for _, tc := range []struct {
		name    string
		fleet   Fleet
		targets TargetCounts
		timeout time.Duration
		config  string
		want    []string
		waited  time.Duration
	}{
		{"a target never healthy", servingFleet(asgGreen, 2, "2"), unhealthy, 0, "", []string{"1 of 2 targets healthy", "i-asg-green-1 unhealthy (Target.FailedHealthChecks: Health checks failed)", "after 30m0s (webapi:deployTimeoutMinutes)"}, 30 * time.Minute},
		{"targets stay initial", servingFleet(asgGreen, 2, "2"), initial, 0, "45", []string{"0 of 2 targets healthy", "i-asg-green-0 initial (Elb.RegistrationInProgress)", "after 45m0s"}, 45 * time.Minute},
		{"an instance on the old version after the refresh", oldVersion, TargetCounts{Healthy: 2, Total: 2}, 10 * time.Minute, "", []string{"i-asg-green-1 runs launch template version 1, the group's is 2", "after 10m0s (--timeout)"}, 10 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, eng := deployFixture(0, greenLT, greenASG)
			if tc.config != "" {
				f.eng.config[infra.Green]["deployTimeoutMinutes"] = tc.config
			}
			eng.onUp = func() {
				f.setRefresh(InstanceRefresh{ID: "ref-1", Status: "Successful", PercentComplete: 100, StartTime: f.clock.now, EndTime: f.clock.now})
				f.setFleet(tc.fleet)
				f.health.targets[tgGreen] = tc.targets
			}
			start := f.clock.now
			err := f.r.Deploy(context.Background(), infra.Green, DeployOptions{AppRef: "v3", Timeout: tc.timeout})
			require.Error(t, err)
			assert.Equal(t, ExitFailed, ExitCode(err))
			for _, w := range tc.want {
				assert.ErrorContains(t, err, w)
			}
			assert.ErrorContains(t, err, "green is not serving the new version")
			waited := f.clock.now.Sub(start)
			assert.GreaterOrEqual(t, waited, tc.waited)
			assert.Less(t, waited, tc.waited+time.Minute)
			assert.Empty(t, f.aws.greens(), "nothing moved traffic")
		})
	}
}

// 0 → N: the group launches its instances, which register and turn healthy; a colour
// at desired 0 has nothing to wait for.
func TestDeployWaitFromZero(t *testing.T) {
	t.Run("0 → 2", func(t *testing.T) {
		f, eng := deployFixture(0, greenASG)
		eng.onUp = func() {
			f.setFleet(Fleet{Name: asgGreen, Desired: 2, Min: 2, Max: 4, LaunchTemplateVersion: "2"})
			f.health.targets[tgGreen] = TargetCounts{}
		}
		f.polls(
			func() {
				g := rolling()
				g.Instances = g.Instances[2:]
				f.setFleet(g)
			},
			func() {
				f.setFleet(servingFleet(asgGreen, 2, "2"))
				f.health.targets[tgGreen] = TargetCounts{Total: 2, Initial: 2, Problems: []TargetProblem{{ID: "i-asg-green-0", State: "initial"}, {ID: "i-asg-green-1", State: "initial"}}}
			},
			func() { f.health.targets[tgGreen] = TargetCounts{Healthy: 2, Total: 2} },
		)
		two := 2
		require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{AppRef: "v3", DesiredCapacity: &two}))
		assert.Contains(t, f.out.String(), "instances 2 Pending")
		assert.Nil(t, f.r.Deployed.Refresh, "no refresh: nothing to follow")
		assert.Equal(t, 45.0, f.r.Deployed.WaitSeconds)
	})
	t.Run("desired 0", func(t *testing.T) {
		f, eng := deployFixture(0, greenASG)
		eng.onUp = func() {
			f.setFleet(Fleet{Name: asgGreen, LaunchTemplateVersion: "2"})
			f.health.targets[tgGreen] = TargetCounts{}
		}
		start := f.clock.now
		zero := 0
		require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{DesiredCapacity: &zero}))
		assert.Equal(t, start, f.clock.now, "no wait")
		assert.Contains(t, f.out.String(), "green is at desired capacity 0: nothing to wait for")
	})
}

// An update that changes nothing reports so, and the check finds the fleet settled at
// once.
func TestDeployOfAnUnchangedVersion(t *testing.T) {
	f, _ := deployFixture(0)
	start := f.clock.now
	require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{}))
	assert.Equal(t, start, f.clock.now)
	rep := f.r.Deployed
	assert.False(t, rep.Changed)
	assert.False(t, rep.FleetChanged)
	assert.Nil(t, rep.Refresh)
	assert.Equal(t, "v2", rep.AppRef, "the version the colour runs")
	assert.Zero(t, rep.WaitSeconds)
}

// A refresh of an earlier update that is still running is followed too: the group is
// not settled while it rolls. A finished one from before the update is not.
func TestDeployFollowsOnlyTheRefreshThatMatters(t *testing.T) {
	long := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	refs := []InstanceRefresh{
		{ID: "old-done", Status: "Failed", StatusReason: "long ago", StartTime: long, EndTime: long},
	}
	assert.Nil(t, ourRefresh(refs, long.Add(time.Hour)))
	running := append([]InstanceRefresh{{ID: "old-running", Status: "InProgress", StartTime: long}}, refs...)
	assert.Equal(t, "old-running", ourRefresh(running, long.Add(time.Hour)).ID)
	mine := append([]InstanceRefresh{{ID: "mine", Status: "Successful", StartTime: long.Add(time.Hour)}}, refs...)
	assert.Equal(t, "mine", ourRefresh(mine, long.Add(time.Hour)).ID)
}

func previewOf(ops map[string]apitype.OpType) []events.EngineEvent {
	var evs []events.EngineEvent
	for _, u := range []string{greenLT, greenASG, greenAlarm} {
		if op, ok := ops[u]; ok {
			evs = append(evs, events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: apitype.StepEventMetadata{Op: op, URN: u}}}})
		}
	}
	return evs
}

// --defer-fleet: on a colour that serves, everything but the fleet is applied, and the
// fleet changes are reported as deferred instead of refusing.
func TestDeployDefersTheFleetOfAServingColour(t *testing.T) {
	f, eng := deployFixture(30, greenAlarm)
	f.eng.preview = previewOf(map[string]apitype.OpType{greenLT: apitype.OpUpdate, greenASG: apitype.OpUpdate, greenAlarm: apitype.OpUpdate})
	require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{DeferFleet: true}))
	require.Len(t, eng.runs, 1)
	assert.Equal(t, []string{greenLT, greenASG}, eng.runs[0].Exclude, "the fleet's changes are left out of the update")
	rep := f.r.Deployed
	assert.Equal(t, []string{greenLT, greenASG}, rep.Deferred)
	assert.True(t, rep.Changed)
	assert.False(t, rep.FleetChanged)
	assert.Contains(t, f.out.String(), "deferred 2 fleet changes of green (30% of traffic)")
	hist := f.store.load().History
	assert.Contains(t, hist[len(hist)-1].Message, "deferred "+greenLT)

	t.Run("nothing to defer: a plain update", func(t *testing.T) {
		f, eng := deployFixture(30, greenAlarm)
		f.eng.preview = previewOf(map[string]apitype.OpType{greenLT: apitype.OpSame, greenAlarm: apitype.OpUpdate})
		require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{DeferFleet: true}))
		assert.Empty(t, eng.runs[0].Exclude)
		assert.Empty(t, f.r.Deployed.Deferred)
	})
	t.Run("an idle colour is never deferred", func(t *testing.T) {
		f, eng := deployFixture(0, greenLT)
		f.eng.preview = previewOf(map[string]apitype.OpType{greenLT: apitype.OpUpdate})
		require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{DeferFleet: true}))
		assert.Empty(t, eng.runs[0].Exclude)
	})
	t.Run("a version or capacity is a fleet change: no deferring it", func(t *testing.T) {
		f, eng := deployFixture(30)
		err := f.r.Deploy(context.Background(), infra.Green, DeployOptions{DeferFleet: true, AppRef: "v3"})
		assert.Equal(t, ExitUsage, ExitCode(err))
		assert.ErrorContains(t, err, "--defer-fleet")
		assert.Empty(t, eng.runs)
		err = f.r.Deploy(context.Background(), infra.Green, DeployOptions{DeferFleet: true, InPlace: true})
		assert.Equal(t, ExitUsage, ExitCode(err))
	})
}

// --in-place: the serving colour's fleet rolls through its instance refresh (launch
// before terminate) and the deploy waits for it.
func TestDeployInPlaceRollsTheServingColour(t *testing.T) {
	f, eng := deployFixture(30, greenLT, greenASG)
	f.eng.preview = previewOf(map[string]apitype.OpType{greenLT: apitype.OpUpdate, greenASG: apitype.OpUpdate})
	eng.onUp = func() {
		f.setRefresh(InstanceRefresh{ID: "ref-1", Status: "InProgress", StartTime: f.clock.now})
		f.setFleet(rolling())
	}
	f.polls(func() {
		f.setRefresh(InstanceRefresh{ID: "ref-1", Status: "Successful", PercentComplete: 100, StartTime: f.clock.now, EndTime: f.clock.now})
		f.setFleet(servingFleet(asgGreen, 2, "2"))
	})
	require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{AppRef: "v3", InPlace: true}))
	require.Len(t, eng.runs, 1)
	assert.Empty(t, eng.runs[0].Exclude)
	assert.Contains(t, f.out.String(), "rolling green's fleet in place (30% of traffic)")
	assert.Equal(t, "Successful", f.r.Deployed.Refresh.Status)
}
