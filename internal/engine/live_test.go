package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/awsdouble"
	"github.com/webapi-platform/infra/internal/awsops"
	"github.com/webapi-platform/infra/internal/engine"
	"github.com/webapi-platform/infra/internal/enginetest"
	"github.com/webapi-platform/infra/internal/record"
	"github.com/webapi-platform/infra/internal/release"
	"github.com/webapi-platform/infra/internal/testutil"
)

// The engine tests' stacks.
var (
	engineBlue  = enginetest.PrebakedBlue
	engineGreen = enginetest.PrebakedGreen
)

// released is a World with the tool on it: release.Release running infra.Program
// through the engine, and asking the double's API face what AWS would say.
type released struct {
	w      *enginetest.World
	r      *release.Release
	store  record.Store
	health *watchedHealth
	out    *enginetest.SyncBuffer
}

func newReleased(t *testing.T, clock release.Clock) *released {
	t.Helper()
	return releasedIn(t, enginetest.New(t, enginetest.Options{Stacks: map[infra.Color]testutil.StackConfig{infra.Blue: engineBlue, infra.Green: engineGreen}}), clock)
}

// newDeployed is newReleased after `bluegreen deploy blue` then `deploy green`, as most
// tests begin: the World starts from a copy of stacks deployed so once per test binary
// (deployedFixture), not from a deploy of its own. The two deploys from scratch cost
// more than most tests' own work, and every test paid them; TestEngineReleaseLifecycle
// still deploys from scratch and asserts on those deploys. The copy has the stack files,
// the backend's state and the double's store, not the release record: each test's
// record starts empty, without the deploys' history entries or the lease a deploy of
// the idle colour keeps (the owner is the tests' own, ci-1, so its next command takes
// that lease over in any case).
func newDeployed(t *testing.T, clock release.Clock) *released {
	t.Helper()
	return releasedIn(t, enginetest.New(t, enginetest.Options{Fixture: deployedFixture(t)}), clock)
}

var (
	deployedOnce sync.Once
	deployedDir  string
	deployedErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if deployedDir != "" {
		os.RemoveAll(deployedDir)
	}
	os.Exit(code)
}

// deployedFixture deploys blue then green through the tool, once per test binary, and
// saves the World as a fixture (removed by TestMain). The first caller's test deploys;
// the others wait for it.
func deployedFixture(t *testing.T) string {
	t.Helper()
	testutil.RequireTool(t, "pulumi")
	deployedOnce.Do(func() {
		// Until the end: a t.Fatal on the way leaves this for the tests waiting.
		deployedErr = fmt.Errorf("the deployed fixture was not made: see the first test that asked for it")
		f := newReleased(t, newSteppingClock())
		for _, c := range infra.Colors {
			if err := f.r.Deploy(context.Background(), c, release.DeployOptions{}); err != nil {
				deployedErr = fmt.Errorf("deploy %s: %w\n%s", c, err, f.logs())
				return
			}
		}
		dir, err := os.MkdirTemp("", "engine-deployed-")
		if err != nil {
			deployedErr = err
			return
		}
		deployedDir = dir
		f.w.SaveFixture(t, dir)
		deployedErr = nil
	})
	require.NoError(t, deployedErr)
	return deployedDir
}

func releasedIn(t *testing.T, w *enginetest.World, clock release.Clock) *released {
	t.Helper()
	h := &watchedHealth{Health: w.Health(), double: w.Double}
	var _ release.LoadBalancerMetrics = h // the ELB 5xx baseline reads through the wrapper
	out := &enginetest.SyncBuffer{}
	store := w.RecordStore(t)
	aws := w.Health()
	r := &release.Release{Engine: w.Engine, Health: h, Fleets: aws, Alarms: aws, Clock: clock, Out: out, Store: store, Owner: enginetest.Owner("ci-1"),
		Locks: w.Engine, ProcessAlive: engine.ProcessAlive}
	return &released{w: w, health: h, out: out, store: store, r: r}
}

// record is the release record as the tool left it.
func (f *released) record(t *testing.T) record.Record {
	t.Helper()
	rec, _, err := f.store.Load(context.Background())
	require.NoError(t, err)
	return rec
}

// logs is what to print when an assertion fails: the tool's output and the engine's.
func (f *released) logs() string {
	return "tool:\n" + f.out.String() + "\nengine:\n" + f.w.Log.String()
}

// deploy runs `bluegreen deploy` of a colour and fails the test with both logs.
func (f *released) deploy(t *testing.T, c infra.Color, opts release.DeployOptions) {
	t.Helper()
	require.NoError(t, f.r.Deploy(context.Background(), c, opts), f.logs())
}

// edge is the edge stack's deployed outputs (from state: the ARNs and the listener URN
// the tool itself works from); it points the health watch at the listener.
func (f *released) edge(t *testing.T) *infra.EdgeValues {
	t.Helper()
	outs := f.outputs(t, infra.Blue)
	ev, err := infra.ParseEdgeOutputs(string(infra.Blue), outs)
	require.NoError(t, err)
	require.NotEmpty(t, ev.ListenerArn)
	require.NotEmpty(t, ev.ListenerURN)
	f.health.listener = ev.ListenerArn
	return ev
}

func (f *released) outputs(t *testing.T, c infra.Color) map[string]any {
	t.Helper()
	outs, err := f.w.Engine.Outputs(context.Background(), c)
	require.NoError(t, err)
	return outs
}

// stateWeights are the weights the edge stack's outputs (Pulumi's state) record.
func (f *released) stateWeights(t *testing.T) infra.Weights {
	t.Helper()
	w, err := infra.ParseWeights(f.outputs(t, infra.Blue)[infra.OutWeights])
	require.NoError(t, err)
	return w
}

// liveWeights are the weights the double's listener serves, read through its ELBv2
// DescribeListeners: what AWS would route, whatever Pulumi's state says.
func (f *released) liveWeights(t *testing.T, ev *infra.EdgeValues) infra.Weights {
	t.Helper()
	return f.w.LiveWeights(t, ev)
}

// liveDesired is a colour's Auto Scaling group on the double: its desired capacity and
// its instances.
func (f *released) liveDesired(t *testing.T, c infra.Color) (desired, instances int) {
	t.Helper()
	name, ok := f.outputs(t, c)[infra.OutAsgName].(string)
	require.True(t, ok, "%s exports its Auto Scaling group", c)
	out, err := f.w.Double.AutoScaling.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	require.NoError(t, err)
	require.Len(t, out.AutoScalingGroups, 1, "group %s on the double", name)
	g := out.AutoScalingGroups[0]
	return int(aws.ToInt32(g.DesiredCapacity)), len(g.Instances)
}

func (f *released) stackFile(t *testing.T, c infra.Color) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.w.Dir, "Pulumi."+string(c)+".yaml"))
	require.NoError(t, err)
	return string(b)
}

// watchedHealth is the tool's AWS adapter (awsops over the double) with the test's hand
// on it: at each of the tool's metric reads — its health watch after a step — it
// records the listener's live weights on the double and runs onWatch, which scripts what
// AWS does next (a 5xx storm once a colour has enough traffic).
type watchedHealth struct {
	*awsops.Health // all of the tool's adapter, the load balancer's own minutes included
	double         *awsdouble.Double
	listener       string
	onWatch        func(ctx context.Context, live map[string]int, start, end time.Time) error

	mu   sync.Mutex
	seen []map[string]int
}

func (h *watchedHealth) Metrics(ctx context.Context, q release.MetricsQuery) ([]release.Minute, error) {
	live, err := h.double.ListenerWeights(ctx, h.listener)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.seen = append(h.seen, live)
	h.mu.Unlock()
	if h.onWatch != nil {
		if err := h.onWatch(ctx, live, q.Start, q.End); err != nil {
			return nil, err
		}
	}
	return h.Health.Metrics(ctx, q)
}

// watched are the live weights at each metric read so far, and forgets them.
func (h *watchedHealth) watched() []map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := h.seen
	h.seen = nil
	return seen
}

// healthyTraffic is a healthy colour's minute: enough requests for the gates, few 5xx.
var healthyTraffic = enginetest.Traffic{Requests: 1000, Target5xx: 1, P99: 200 * time.Millisecond}

// steppingClock is a shift's clock without waiting: it starts on a whole minute, moves
// a second each time it is read (time passes between two readings, so a metrics window
// is never empty) and jumps on Sleep, so a pause of minutes takes none.
type steppingClock struct {
	mu  sync.Mutex
	now time.Time
}

func newSteppingClock() *steppingClock {
	return &steppingClock{now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
}

func (c *steppingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now
	c.now = c.now.Add(time.Second)
	return now
}

func (c *steppingClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return ctx.Err()
}
