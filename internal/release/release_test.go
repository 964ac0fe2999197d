package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/testutil"
)

const (
	tgBlue   = "arn:tg/blue"
	tgGreen  = "arn:tg/green"
	listener = "arn:listener"
	lURN     = "urn:pulumi:blue::webapi::" + infra.TypeEdge + "$aws:lb/listener:Listener::edge-listener-80"
)

// fakeEngine keeps stack config and outputs in memory. A targeted up of the edge stack
// copies greenWeight into the "deployed" listener weights, as the real engine would.
type fakeEngine struct {
	config   map[infra.Color]map[string]string
	outputs  map[infra.Color]map[string]any
	deployed infra.Weights // what the listener has after the last up
	ups      []string      // "blue[target]" per up
	failUp   map[int]error // by up index
	preview  []events.EngineEvent
	destroys []infra.Color
}

func newFakeEngine(greenWeight int, stable infra.Color) *fakeEngine {
	w := infra.WeightsFor(greenWeight)
	return &fakeEngine{
		config: map[infra.Color]map[string]string{
			infra.Blue: testutil.Blue("maxSize", "4", "greenWeight", strconv.Itoa(greenWeight), "stableColor", string(stable),
				"alarm5xxPercent", "1", "alarmLatencyMs", "1000", "minSize", "2", "desiredCapacity", "2"),
			infra.Green: testutil.Green("maxSize", "4", "edge", "false", "alarm5xxPercent", "2", "alarmLatencyMs", "800", "minSize", "2", "desiredCapacity", "2"),
		},
		outputs: map[infra.Color]map[string]any{
			infra.Blue: {
				infra.OutVpcID: "vpc-1", infra.OutPrivateSubnetIDs: []any{"subnet-a", "subnet-b"}, infra.OutInstanceSecurityGroupID: "sg-1",
				infra.OutListenerURN: lURN, infra.OutListenerArn: listener, infra.OutAlbArnSuffix: "app/x/1",
				infra.OutTargetGroupArns:        map[string]any{"blue": tgBlue, "green": tgGreen},
				infra.OutTargetGroupArnSuffixes: map[string]any{"blue": "tg/blue", "green": "tg/green"},
				infra.OutWeights:                map[string]any{"blue": float64(w.Blue), "green": float64(w.Green)},
				infra.OutAppRef:                 "v1", infra.OutAmiID: "ami-1", infra.OutDesired: float64(2),
			},
			infra.Green: {infra.OutAppRef: "v2", infra.OutAmiID: "ami-2", infra.OutDesired: float64(2)},
		},
		deployed: w,
		failUp:   map[int]error{},
	}
}

func (f *fakeEngine) Config(_ context.Context, c infra.Color) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range f.config[c] {
		out[k] = v
	}
	return out, nil
}

func (f *fakeEngine) SetConfig(_ context.Context, c infra.Color, kv map[string]string) error {
	for k, v := range kv {
		f.config[c][k] = v
	}
	return nil
}

func (f *fakeEngine) Outputs(_ context.Context, c infra.Color) (map[string]any, error) {
	return f.outputs[c], nil
}

func (f *fakeEngine) Up(_ context.Context, c infra.Color, targets []string) (Changes, error) {
	i := len(f.ups)
	f.ups = append(f.ups, fmt.Sprintf("%s%v", c, targets))
	if err := f.failUp[i]; err != nil {
		return Changes{}, err
	}
	if c == infra.Blue {
		gw, _ := strconv.Atoi(f.config[infra.Blue]["greenWeight"])
		f.deployed = infra.WeightsFor(gw)
		f.outputs[infra.Blue][infra.OutWeights] = map[string]any{"blue": float64(f.deployed.Blue), "green": float64(f.deployed.Green)}
	}
	return Changes{Counts: map[string]int{"update": 1, "same": 40}, Touched: []string{lURN}}, nil
}

func (f *fakeEngine) Preview(context.Context, infra.Color) ([]events.EngineEvent, error) {
	return f.preview, nil
}

func (f *fakeEngine) Destroy(_ context.Context, c infra.Color) error {
	f.destroys = append(f.destroys, c)
	return nil
}

func (f *fakeEngine) greenWeight() int {
	n, _ := strconv.Atoi(f.config[infra.Blue]["greenWeight"])
	return n
}

// fakeHealth answers from the fake engine's deployed listener, with scripted health.
type fakeHealth struct {
	eng       *fakeEngine
	targets   map[string]TargetCounts
	metrics   func(tg string, call int) Metrics
	calls     int
	staleFrom int // listener reads from this verify call on return stale weights (0: never)
	verifies  int
}

func (h *fakeHealth) TargetHealth(_ context.Context, tg string) (TargetCounts, error) {
	return h.targets[tg], nil
}

func (h *fakeHealth) ListenerWeights(context.Context, string) (map[string]int, error) {
	h.verifies++
	if h.staleFrom > 0 && h.verifies >= h.staleFrom {
		return map[string]int{tgBlue: 100, tgGreen: 0}, nil
	}
	return map[string]int{tgBlue: h.eng.deployed.Blue, tgGreen: h.eng.deployed.Green}, nil
}

func (h *fakeHealth) Metrics(_ context.Context, _, tg string, _, _ time.Time) (Metrics, error) {
	h.calls++
	if h.metrics != nil {
		return h.metrics(tg, h.calls), nil
	}
	return Metrics{Requests: 1000, Errors5xx: 1, P99: 200 * time.Millisecond, HasLatency: true}, nil
}

// fakeClock advances on Sleep: pauses take no wall-clock time.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.now = c.now.Add(d)
	return nil
}

type fixture struct {
	eng    *fakeEngine
	health *fakeHealth
	clock  *fakeClock
	out    *bytes.Buffer
	r      *Release
}

func newFixture(greenWeight int, stable infra.Color) *fixture {
	eng := newFakeEngine(greenWeight, stable)
	h := &fakeHealth{eng: eng, targets: map[string]TargetCounts{tgBlue: {2, 2}, tgGreen: {2, 2}}}
	clock := &fakeClock{now: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}
	out := &bytes.Buffer{}
	return &fixture{eng: eng, health: h, clock: clock, out: out, r: &Release{Engine: eng, Health: h, Clock: clock, Out: out}}
}

func shiftToGreen(steps ...int) ShiftOptions {
	return ShiftOptions{Target: infra.Green, Steps: steps, Pause: 5 * time.Minute, Interval: time.Minute}
}

func TestShiftSuccess(t *testing.T) {
	f := newFixture(0, infra.Blue)
	start := f.clock.now
	require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(10, 50, 100)))
	assert.Equal(t, 100, f.eng.greenWeight())
	assert.Equal(t, infra.Weights{Blue: 0, Green: 100}, f.eng.deployed)
	assert.Equal(t, []string{"blue[" + lURN + "]", "blue[" + lURN + "]", "blue[" + lURN + "]"}, f.eng.ups, "every step updates the listener alone")
	assert.Equal(t, "blue", f.eng.config[infra.Blue]["stableColor"], "blue served before the shift")
	assert.Equal(t, 15*time.Minute, f.clock.now.Sub(start), "a 5m pause after each of 3 steps")
	assert.Equal(t, 3*6, f.health.calls, "health checked every minute of each pause, at both ends")
	assert.Contains(t, f.out.String(), "step 2/3 green 50% | targets 2/2 healthy | 5xx 0.10% of 1000 requests (max 2.00%) | p99 200ms (max 800ms) | 5m0s left",
		"the receiving colour's own alarm thresholds are the gates")
	assert.Contains(t, f.out.String(), "shift complete: blue 0% / green 100%")
	for _, ch := range f.r.Touched {
		assert.Equal(t, 1, ch.Modified())
	}
}

func TestShiftFailureAtEachStepRestoresTheWeights(t *testing.T) {
	failures := map[string]func(f *fixture, failStep int){
		"unhealthy target": func(f *fixture, failStep int) {
			f.health.metrics = func(string, int) Metrics {
				if f.eng.greenWeight() == []int{10, 50, 100}[failStep] {
					f.health.targets[tgGreen] = TargetCounts{Healthy: 1, Total: 2}
				}
				return Metrics{Requests: 10}
			}
		},
		"5xx above the limit": func(f *fixture, failStep int) {
			f.health.metrics = func(string, int) Metrics {
				if f.eng.greenWeight() == []int{10, 50, 100}[failStep] {
					return Metrics{Requests: 100, Errors5xx: 5}
				}
				return Metrics{Requests: 100}
			}
		},
		"latency above the limit": func(f *fixture, failStep int) {
			f.health.metrics = func(string, int) Metrics {
				if f.eng.greenWeight() == []int{10, 50, 100}[failStep] {
					return Metrics{Requests: 100, P99: 3 * time.Second, HasLatency: true}
				}
				return Metrics{Requests: 100}
			}
		},
		"listener update fails": func(f *fixture, failStep int) {
			f.eng.failUp[failStep] = errors.New("AccessDenied: elasticloadbalancing:ModifyListener")
		},
		"listener does not take the weights": func(f *fixture, failStep int) {
			// verification reads 100/0 from this step's first check on; the restore's
			// verify (also 100/0) then passes.
			f.health.staleFrom = failStep + 1
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
				assert.Equal(t, 0, f.eng.greenWeight(), "config back where the shift began")
				assert.Equal(t, infra.Weights{Blue: 100}, f.eng.deployed, "listener back where the shift began")
				assert.Contains(t, f.out.String(), "restored and verified blue 100% / green 0%")
				assert.Equal(t, lURN, f.eng.ups[len(f.eng.ups)-1][len("blue["):len(f.eng.ups[len(f.eng.ups)-1])-1], "the restore is a listener-only update too")
			})
		}
	}
}

func TestShiftRefusals(t *testing.T) {
	t.Run("no healthy targets in the receiving colour", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.health.targets[tgGreen] = TargetCounts{Healthy: 0, Total: 2}
		err := f.r.Shift(context.Background(), shiftToGreen(10, 100))
		assert.Equal(t, ExitRefused, ExitCode(err))
		assert.ErrorContains(t, err, "green has no healthy targets (2 registered)")
		assert.Empty(t, f.eng.ups, "nothing was updated")
		assert.Equal(t, 0, f.eng.greenWeight())
	})
	t.Run("edge not deployed", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.eng.outputs[infra.Blue] = map[string]any{}
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
}

func TestShiftResumesFromTheCurrentWeight(t *testing.T) {
	f := newFixture(50, infra.Blue) // a previous run stopped at 50%
	require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(10, 50, 100)))
	assert.Len(t, f.eng.ups, 1, "only the step above 50% runs")
	assert.Equal(t, 100, f.eng.greenWeight())
	assert.Contains(t, f.out.String(), "resuming: green has 50%; continuing with steps [100]")

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
	assert.Equal(t, 10, f.eng.greenWeight(), "stops after the first step")
	assert.Contains(t, f.out.String(), "paused at blue 90% / green 10%")

	require.NoError(t, f.r.Promote(context.Background(), opts, false))
	assert.Equal(t, 50, f.eng.greenWeight(), "promote runs the next step")
	require.NoError(t, f.r.Promote(context.Background(), opts, true))
	assert.Equal(t, 100, f.eng.greenWeight(), "promote --full goes to 100%")

	f = newFixture(0, infra.Blue)
	err := f.r.Promote(context.Background(), opts, false)
	assert.Equal(t, ExitRefused, ExitCode(err), "nothing to promote")
	assert.ErrorContains(t, err, "no shift is in progress")

	t.Run("a failing promote rolls back to the stable colour", func(t *testing.T) {
		f := newFixture(10, infra.Blue)
		f.health.metrics = func(string, int) Metrics { return Metrics{Requests: 10, Errors5xx: 10} }
		err := f.r.Promote(context.Background(), opts, false)
		assert.Equal(t, ExitRolledBack, ExitCode(err))
		assert.Equal(t, 0, f.eng.greenWeight())
	})
}

func TestRollback(t *testing.T) {
	f := newFixture(100, infra.Blue) // green took everything; blue served before
	require.NoError(t, f.r.Rollback(context.Background(), false))
	assert.Equal(t, 0, f.eng.greenWeight())
	assert.Equal(t, []string{"blue[" + lURN + "]"}, f.eng.ups, "one targeted update")
	assert.Contains(t, f.out.String(), "rolled back to blue 100% / green 0%")
	assert.Contains(t, f.out.String(), "1 resource(s) updated")

	f = newFixture(0, infra.Green) // after a release to blue, green was the stable one
	require.NoError(t, f.r.Rollback(context.Background(), false))
	assert.Equal(t, 100, f.eng.greenWeight())

	f = newFixture(100, infra.Blue)
	f.health.targets[tgBlue] = TargetCounts{Healthy: 0, Total: 0}
	err := f.r.Rollback(context.Background(), false)
	assert.Equal(t, ExitRefused, ExitCode(err), "never send traffic to a colour with no healthy targets")
	assert.Equal(t, 100, f.eng.greenWeight())
	require.NoError(t, f.r.Rollback(context.Background(), true), "--force overrides")
	assert.Equal(t, 0, f.eng.greenWeight())
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
		assert.Empty(t, f.eng.config[infra.Green]["appRef"], "the refused deploy leaves the config as it was")
	})
	t.Run("forced", func(t *testing.T) {
		f := newFixture(30, infra.Blue)
		f.eng.preview = fleetPreview()
		require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{AppRef: "v3", Force: true}))
		assert.Equal(t, []string{"green[]"}, f.eng.ups)
		assert.Equal(t, "v3", f.eng.config[infra.Green]["appRef"])
	})
	t.Run("idle colour deploys", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.eng.preview = fleetPreview()
		zero := 3
		require.NoError(t, f.r.Deploy(context.Background(), infra.Green, DeployOptions{AppRef: "v3", DesiredCapacity: &zero}))
		assert.Equal(t, "3", f.eng.config[infra.Green]["desiredCapacity"])
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
		f.eng.outputs = map[infra.Color]map[string]any{infra.Blue: {}, infra.Green: {}}
		f.eng.preview = []events.EngineEvent{{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: apitype.StepEventMetadata{
			Op: apitype.OpCreate, URN: "urn:pulumi:blue::webapi::" + infra.TypeFleet + "$aws:autoscaling/group:Group::fleet-blue-asg", Type: "aws:autoscaling/group:Group",
		}}}}}
		require.NoError(t, f.r.Deploy(context.Background(), infra.Blue, DeployOptions{}), "blue's config gives it 100% but nothing serves yet")
		assert.Equal(t, []string{"blue[]"}, f.eng.ups)

		f.eng.outputs[infra.Blue] = newFakeEngine(0, infra.Blue).outputs[infra.Blue]
		err := f.r.Deploy(context.Background(), infra.Blue, DeployOptions{})
		assert.Equal(t, ExitRefused, ExitCode(err), "once deployed, blue's 100% is protected")
		assert.ErrorContains(t, err, "blue has 100% of traffic and this deploy would change its fleet")
	})
	t.Run("edge config drifted from the deployed weights", func(t *testing.T) {
		f := newFixture(0, infra.Blue)
		f.eng.outputs[infra.Blue][infra.OutWeights] = map[string]any{"blue": 0.0, "green": 100.0}
		err := f.r.Deploy(context.Background(), infra.Blue, DeployOptions{})
		assert.Equal(t, ExitRefused, ExitCode(err))
		assert.ErrorContains(t, err, "the deployed listener serves blue 0% / green 100%")
		assert.Empty(t, f.eng.ups)
	})
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
	assert.Equal(t, "0", f.eng.config[infra.Green]["desiredCapacity"])
	assert.Equal(t, "0", f.eng.config[infra.Green]["minSize"])
	assert.Equal(t, []string{"green[]"}, f.eng.ups)

	// Someone shifts traffic to green during the wait: retire re-checks and refuses.
	f = newFixture(0, infra.Blue)
	f.r.Clock = sleepHook{f.clock, func() { f.eng.config[infra.Blue]["greenWeight"] = "10" }}
	err := f.r.Retire(context.Background(), infra.Green, time.Minute)
	assert.Equal(t, ExitRefused, ExitCode(err))
	assert.Empty(t, f.eng.ups)
}

type sleepHook struct {
	*fakeClock
	hook func()
}

func (s sleepHook) Sleep(ctx context.Context, d time.Duration) error {
	s.hook()
	return s.fakeClock.Sleep(ctx, d)
}

func TestStatus(t *testing.T) {
	f := newFixture(10, infra.Blue)
	f.eng.outputs[infra.Blue][infra.OutAlbURL] = "http://alb.example"
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
	assert.ErrorContains(t, err, "a shift is in progress (blue 60% / green 40%)")
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
	delete(f.eng.outputs[infra.Blue], infra.OutVpcID)
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
			assert.Equal(t, tc.want, deployChanges(tc.config, tc.opts))
		})
	}
}

func TestFleetChange(t *testing.T) {
	for u, want := range map[string]bool{
		"urn:pulumi:green::webapi::" + infra.TypeFleet + "$aws:ec2/launchTemplate:LaunchTemplate::fleet-green-lt":                        true,
		"urn:pulumi:green::webapi::" + infra.TypeFleet + "$aws:autoscaling/group:Group::fleet-green-asg":                                 true,
		"urn:pulumi:green::webapi::" + infra.TypeImage + "$command:local:Command::image-green-app":                                       true,
		"urn:pulumi:green::webapi::" + infra.TypeFleet:                                                                                   true,
		"urn:pulumi:blue::webapi::" + infra.TypeEdge + "$aws:lb/listener:Listener::edge-listener-80":                                            false,
		"urn:pulumi:blue::webapi::" + infra.TypeMonitoring + "$aws:cloudwatch/metricAlarm:MetricAlarm::alarm-blue-5xx":                   false,
		"urn:pulumi:blue::webapi::" + infra.TypeNetwork + "$aws:ec2/vpc:Vpc::network-vpc":                                                false,
		"urn:pulumi:blue::webapi::" + infra.TypeEdge + "$aws:lb/targetGroup:TargetGroup::" + "edge-tg-" + string(infra.Green) + "-fleet": false,
	} {
		assert.Equal(t, want, fleetChange(u), u)
	}
}
