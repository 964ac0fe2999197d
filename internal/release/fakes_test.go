package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
	"github.com/webapi-platform/infra/internal/testutil"
)

const (
	tgBlue   = "arn:tg/blue"
	tgGreen  = "arn:tg/green"
	listener = "arn:listener"
	lURN     = "urn:pulumi:blue::webapi::" + infra.TypeEdge + "$aws:lb/listener:Listener::edge-listener-80"
)

// fakeAWS is what every checkout and every run shares: the backend's state (each
// stack's outputs, the stack locks) and AWS (the listener's live weights).
type fakeAWS struct {
	mu       sync.Mutex
	listener infra.Weights   // what the ALB serves
	applied  []infra.Weights // the listener's weights after each update that set them
	outputs  map[infra.Color]map[string]any
	locks    []fakeLock           // backend locks of the edge stack
	missing  map[infra.Color]bool // stacks the backend does not have (nil: it has both)
}

// stackMissing is the engine's ErrStackNotFound for a stack the backend does not have.
func (a *fakeAWS) stackMissing(c infra.Color) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.missing[c] {
		return fmt.Errorf("stack %s: %w", c, ErrStackNotFound)
	}
	return nil
}

// fakeLock is a Pulumi backend lock file: who took it.
type fakeLock struct {
	Path string
	PID  int
	Host string
}

// setListener is a ModifyListener: by the engine, or by someone else on the console.
func (a *fakeAWS) setListener(w infra.Weights) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.listener = w
	a.applied = append(a.applied, w)
	a.outputs[infra.Blue][infra.OutWeights] = map[string]any{"blue": float64(w.Blue), "green": float64(w.Green)}
}

func (a *fakeAWS) live() infra.Weights {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.listener
}

// greens are green's weights after each listener update, in order.
func (a *fakeAWS) greens() []int {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []int
	for _, w := range a.applied {
		out = append(out, w.Green)
	}
	return out
}

// fakeEngine is one checkout: its own stack config, on the shared backend and AWS. An up
// of the edge stack sets the listener to the weights of the run.
type fakeEngine struct {
	aws       *fakeAWS
	config    map[infra.Color]map[string]string
	ups       []string                          // "blue[target]" per up
	upWeights []*infra.Weights                  // the run\'s weights per up
	runConfig map[infra.Color]map[string]string // the last up's run config overrides per colour
	failUp    map[int]error                     // by up index
	stuck     map[int]bool                      // by up index: the up succeeds but the listener keeps its weights
	kill      map[int]bool                      // by up index: the process dies in this up (it never returns)
	crash     map[int]fakeLock                  // by up index: the CLI is killed in this up and leaves its backend lock
	killed    chan int                          // receives the index of the up the process died in
	preview   []events.EngineEvent
	destroys  []infra.Color
	refreshed []string // "blue[urn]" per refresh
}

func edgeOutputs(w infra.Weights) map[string]any {
	return map[string]any{
		infra.OutVpcID: "vpc-1", infra.OutPrivateSubnetIDs: []any{"subnet-a", "subnet-b"}, infra.OutInstanceSecurityGroupID: "sg-1",
		infra.OutListenerURN: lURN, infra.OutListenerArn: listener, infra.OutAlbArnSuffix: "app/x/1",
		infra.OutTargetGroupArns:        map[string]any{"blue": tgBlue, "green": tgGreen},
		infra.OutTargetGroupArnSuffixes: map[string]any{"blue": "tg/blue", "green": "tg/green"},
		infra.OutWeights:                map[string]any{"blue": float64(w.Blue), "green": float64(w.Green)},
		infra.OutAppRef:                 "v1", infra.OutAmiID: "ami-1", infra.OutDesired: float64(2),
		infra.OutAsgName: asgBlue, infra.OutAlarmNames: []any{"webapi-blue-5xx", "webapi-blue-p99"},
	}
}

// The colours' Auto Scaling groups in the fakes.
const (
	asgBlue  = "asg-blue"
	asgGreen = "asg-green"
)

func newFakeAWS(w infra.Weights) *fakeAWS {
	return &fakeAWS{listener: w, outputs: map[infra.Color]map[string]any{
		infra.Blue: edgeOutputs(w),
		infra.Green: {infra.OutAppRef: "v2", infra.OutAmiID: "ami-2", infra.OutDesired: float64(2), infra.OutAsgName: asgGreen,
			infra.OutAlarmNames: []any{"webapi-green-5xx", "webapi-green-p99"}},
	}}
}

// checkoutConfig is the stack config of a checkout: what git holds, plus kv on blue.
func checkoutConfig(kv ...string) map[infra.Color]map[string]string {
	base := []string{"maxSize", "4", "alarm5xxPercent", "1", "alarmLatencyMs", "1000", "minSize", "2", "desiredCapacity", "2"}
	return map[infra.Color]map[string]string{
		infra.Blue:  testutil.Blue(append(base, kv...)...),
		infra.Green: testutil.Green("maxSize", "4", "edge", "false", "alarm5xxPercent", "2", "alarmLatencyMs", "800", "minSize", "2", "desiredCapacity", "2"),
	}
}

func newCheckout(aws *fakeAWS, kv ...string) *fakeEngine {
	return &fakeEngine{aws: aws, config: checkoutConfig(kv...), failUp: map[int]error{}, stuck: map[int]bool{}, kill: map[int]bool{}, crash: map[int]fakeLock{}, killed: make(chan int, 1)}
}

// newFakeEngine is a checkout whose config gives green greenWeight and names the stable
// colour, on a listener that serves what that config says.
func newFakeEngine(greenWeight int, stable infra.Color) *fakeEngine {
	return newCheckout(newFakeAWS(infra.WeightsFor(greenWeight)), "greenWeight", strconv.Itoa(greenWeight), "stableColor", string(stable))
}

func (f *fakeEngine) Config(_ context.Context, c infra.Color) (map[string]string, error) {
	if err := f.aws.stackMissing(c); err != nil {
		return nil, err
	}
	return maps.Clone(f.config[c]), nil
}

func (f *fakeEngine) CreateStack(_ context.Context, c infra.Color) error {
	f.aws.mu.Lock()
	defer f.aws.mu.Unlock()
	delete(f.aws.missing, c)
	return nil
}

func (f *fakeEngine) SetConfig(_ context.Context, c infra.Color, kv map[string]string) error {
	maps.Copy(f.config[c], kv)
	return nil
}

func (f *fakeEngine) Outputs(_ context.Context, c infra.Color) (map[string]any, error) {
	if err := f.aws.stackMissing(c); err != nil {
		return nil, err
	}
	f.aws.mu.Lock()
	defer f.aws.mu.Unlock()
	return maps.Clone(f.aws.outputs[c]), nil
}

// Up runs a stack with the run's options: the edge stack's listener takes the run's
// weights; a run without weights keeps what it serves (as infra.Run does).
func (f *fakeEngine) Up(ctx context.Context, c infra.Color, opts UpOptions) (Changes, error) {
	f.upWeights = append(f.upWeights, opts.Weights)
	if f.runConfig == nil {
		f.runConfig = map[infra.Color]map[string]string{}
	}
	f.runConfig[c] = opts.Config
	return f.up(ctx, c, opts.Targets, opts.Weights)
}

var errLocked = errors.New("the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.")

func (f *fakeEngine) up(ctx context.Context, c infra.Color, targets []string, w *infra.Weights) (Changes, error) {
	i := len(f.ups)
	f.ups = append(f.ups, fmt.Sprintf("%s%v", c, targets))
	if f.kill[i] {
		f.killed <- i
		select {} // SIGKILL: this run never does anything again
	}
	if err := ctx.Err(); err != nil {
		// exec.CommandContext refuses to start a command on a cancelled context.
		return Changes{}, fmt.Errorf("stack %s: up: %w", c, err)
	}
	if err := f.failUp[i]; err != nil {
		return Changes{}, err
	}
	if l, ok := f.crash[i]; ok {
		f.aws.mu.Lock()
		f.aws.locks = append(f.aws.locks, l)
		f.aws.mu.Unlock()
		return Changes{}, fmt.Errorf("stack %s: up: exit status -1: signal: killed", c)
	}
	f.aws.mu.Lock()
	locked := len(f.aws.locks) > 0
	f.aws.mu.Unlock()
	if locked {
		return Changes{}, fmt.Errorf("stack %s: up: %w", c, errLocked)
	}
	if c == infra.Blue && w != nil && !f.stuck[i] {
		f.aws.setListener(*w)
	}
	return Changes{Counts: map[string]int{"update": 1, "same": 40}, Touched: []string{lURN}}, nil
}

func (f *fakeEngine) Preview(_ context.Context, c infra.Color, _ UpOptions) ([]events.EngineEvent, error) {
	if err := f.aws.stackMissing(c); err != nil {
		return nil, err
	}
	return f.preview, nil
}

func (f *fakeEngine) Refresh(_ context.Context, c infra.Color, targets []string) error {
	f.refreshed = append(f.refreshed, fmt.Sprintf("%s%v", c, targets))
	return nil
}

func (f *fakeEngine) Destroy(_ context.Context, c infra.Color) error {
	f.destroys = append(f.destroys, c)
	return nil
}

func (f *fakeEngine) greenWeight() int {
	n, _ := strconv.Atoi(f.config[infra.Blue]["greenWeight"])
	return n
}

// fakeHealth answers from the shared fake AWS, with scripted health.
type fakeHealth struct {
	aws       *fakeAWS
	targets   map[string]TargetCounts
	targetErr map[string]error
	// traffic scripts each minute of a target group (by ARN suffix) as CloudWatch has
	// it; false: no data. Nil: steadyMinute for every minute.
	traffic func(tg string, minute time.Time) (Minute, bool)
	// metricsErr are the errors of the next metric reads, one per read (nil: answered).
	metricsErr []error
	calls      int
	queries    []MetricsQuery
}

// steadyMinute is a healthy minute: 1000 requests, one 5xx, p99 200ms.
func steadyMinute() Minute {
	return Minute{Requests: 1000, Target5xx: 1, P99: 200 * time.Millisecond, HasLatency: true}
}

func (h *fakeHealth) TargetHealth(_ context.Context, tg string) (TargetCounts, error) {
	if err := h.targetErr[tg]; err != nil {
		return TargetCounts{}, err
	}
	return h.targets[tg], nil
}

func (h *fakeHealth) ListenerWeights(context.Context, string) (map[string]int, error) {
	w := h.aws.live()
	return map[string]int{tgBlue: w.Blue, tgGreen: w.Green}, nil
}

func (h *fakeHealth) Metrics(_ context.Context, q MetricsQuery) ([]Minute, error) {
	h.calls++
	h.queries = append(h.queries, q)
	if len(h.metricsErr) > 0 {
		err := h.metricsErr[0]
		h.metricsErr = h.metricsErr[1:]
		if err != nil {
			return nil, err
		}
	}
	var out []Minute
	for m := q.Start; m.Before(q.End); m = m.Add(time.Minute) {
		minute, ok := steadyMinute(), true
		if h.traffic != nil {
			minute, ok = h.traffic(q.TargetGroupArnSuffix, m)
		}
		if ok {
			minute.Start = m
			out = append(out, minute)
		}
	}
	return out, nil
}

// fakeClock advances on Sleep: pauses take no wall-clock time. Like the real clock, a
// sleep on a cancelled context returns its error at once.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.now = c.now.Add(d)
	return nil
}

// sleepHook runs hook before every sleep.
type sleepHook struct {
	*fakeClock
	hook func()
}

func (s sleepHook) Sleep(ctx context.Context, d time.Duration) error {
	s.hook()
	return s.fakeClock.Sleep(ctx, d)
}

// memStore is the release record in memory, with the stores' compare-and-swap.
type memStore struct {
	mu    sync.Mutex
	rec   record.Record
	saves int
}

func (s *memStore) Where() string { return "mem://release-record" }

func (s *memStore) Load(context.Context) (record.Record, record.Version, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saves == 0 {
		return record.Record{}, record.NoVersion, nil
	}
	return s.rec.Clone(), record.Version(strconv.Itoa(s.saves)), nil
}

func (s *memStore) Save(_ context.Context, rec record.Record, expected record.Version) (record.Version, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	current := record.NoVersion
	if s.saves > 0 {
		current = record.Version(strconv.Itoa(s.saves))
	}
	if current != expected {
		return record.NoVersion, &record.ConflictError{Where: s.Where(), Expected: expected, Detail: "saved since"}
	}
	s.saves++
	s.rec = rec.Clone()
	return record.Version(strconv.Itoa(s.saves)), nil
}

func (s *memStore) load() record.Record {
	rec, _, _ := s.Load(context.Background())
	return rec
}

// runnerHost is the host of the "ci" runs in the fixture.
const runnerHost = "runner-1"

// owners are the identities of the fixture's runs: two CI runs and a laptop.
var owners = map[string]record.Owner{
	"ci":     {User: "runner", Host: runnerHost, PID: 100, RunID: "github:org/infra#1", RunURL: "https://github.com/org/infra/actions/runs/1"},
	"ci-2":   {User: "runner", Host: "runner-2", PID: 100, RunID: "github:org/infra#2", RunURL: "https://github.com/org/infra/actions/runs/2"},
	"laptop": {User: "alice", Host: "laptop-7", PID: 4711, RunID: "alice@laptop-7"},
}

type fixture struct {
	store  *memStore
	aws    *fakeAWS
	eng    *fakeEngine
	health *fakeHealth
	fleets *fakeFleets
	alarms *fakeAlarms
	clock  *fakeClock
	out    *bytes.Buffer
	r      *Release
}

func newFixture(greenWeight int, stable infra.Color) *fixture {
	eng := newFakeEngine(greenWeight, stable)
	h := &fakeHealth{aws: eng.aws, targets: map[string]TargetCounts{tgBlue: {Healthy: 2, Total: 2}, tgGreen: {Healthy: 2, Total: 2}}, targetErr: map[string]error{}}
	fleets := &fakeFleets{fleets: map[string]Fleet{asgBlue: servingFleet(asgBlue, 2, "1"), asgGreen: servingFleet(asgGreen, 2, "1")}, refreshes: map[string][]InstanceRefresh{}}
	alarms := &fakeAlarms{states: map[string]AlarmState{}}
	for _, n := range []string{"webapi-blue-5xx", "webapi-blue-p99", "webapi-green-5xx", "webapi-green-p99"} {
		alarms.states[n] = AlarmState{Value: "OK"}
	}
	f := &fixture{store: &memStore{}, aws: eng.aws, eng: eng, health: h, fleets: fleets, alarms: alarms, clock: &fakeClock{now: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}, out: &bytes.Buffer{}}
	f.r = f.release(eng, "ci")
	return f
}

// release is a run of the tool on a checkout, as who (the CI run, or an operator).
func (f *fixture) release(eng *fakeEngine, who string) *Release {
	return &Release{Engine: eng, Health: f.health, Fleets: f.fleets, Alarms: f.alarms, Clock: f.clock, Out: f.out, Store: f.store, Owner: owners[who],
		Locks: fakeLocks{f.aws}, ProcessAlive: func(pid int) bool { return pid != deadPID }}
}

// deadPID is a process that no longer runs, on any host.
const deadPID = 4242

// fakeLocks are the backend's locks of the edge stack.
type fakeLocks struct{ aws *fakeAWS }

func (l fakeLocks) StackLocks(context.Context, infra.Color) ([]BackendLock, error) {
	l.aws.mu.Lock()
	defer l.aws.mu.Unlock()
	var out []BackendLock
	for _, k := range l.aws.locks {
		out = append(out, BackendLock{Path: k.Path, PID: k.PID, User: "runner", Host: k.Host})
	}
	return out, nil
}

func (l fakeLocks) RemoveLock(_ context.Context, lock BackendLock) error {
	l.aws.mu.Lock()
	defer l.aws.mu.Unlock()
	l.aws.locks = slices.DeleteFunc(l.aws.locks, func(k fakeLock) bool { return k.Path == lock.Path })
	return nil
}

// rerun is the next run of the tool in the same job, after the previous one died: the
// same checkout, backend and AWS, a new process.
func (f *fixture) rerun() *Release { return f.release(f.eng, "ci") }

// operator is someone else (a laptop) with a fresh checkout of git, on the same backend
// and AWS.
func (f *fixture) operator() (*fakeEngine, *Release) {
	eng := newCheckout(f.aws)
	return eng, f.release(eng, "laptop")
}

// nextJob is the next CI run: a fresh runner with a fresh checkout of git (nothing a
// previous job wrote into its Pulumi.<stack>.yaml), on the same backend and AWS.
func (f *fixture) nextJob() (*fakeEngine, *Release) {
	eng := newCheckout(f.aws)
	return eng, f.release(eng, "ci-2")
}

// killedDuring starts run in the background and waits until the process dies in the up
// the fake engine was told to kill it in.
func (f *fixture) killedDuring(eng *fakeEngine, run func()) int {
	go run()
	return <-eng.killed
}

// fakeFleets are the Auto Scaling groups by name, and their instance refreshes.
type fakeFleets struct {
	mu        sync.Mutex
	fleets    map[string]Fleet
	refreshes map[string][]InstanceRefresh
	err       error
}

func (f *fakeFleets) Fleet(_ context.Context, name string) (Fleet, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return Fleet{}, f.err
	}
	g, ok := f.fleets[name]
	if !ok {
		return Fleet{}, fmt.Errorf("describe auto scaling group %s: 0 groups returned", name)
	}
	return g, nil
}

func (f *fakeFleets) InstanceRefreshes(_ context.Context, name string) ([]InstanceRefresh, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.refreshes[name]), f.err
}

// servingFleet is a group of n in-service, healthy instances on launch template version v.
func servingFleet(name string, n int, v string) Fleet {
	g := Fleet{Name: name, Desired: n, Min: n, Max: max(n, 4), LaunchTemplateID: "lt-" + name, LaunchTemplateVersion: v}
	for i := range n {
		g.Instances = append(g.Instances, Instance{ID: fmt.Sprintf("i-%s-%d", name, i), LifecycleState: LifecycleInService, HealthStatus: "Healthy", LaunchTemplateVersion: v})
	}
	return g
}

// fakeAlarms are alarm states by name; a name not in the map does not exist.
type fakeAlarms struct {
	mu     sync.Mutex
	states map[string]AlarmState
	err    error
}

func (a *fakeAlarms) AlarmStates(_ context.Context, names []string) (map[string]AlarmState, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return nil, a.err
	}
	out := map[string]AlarmState{}
	for _, n := range names {
		if s, ok := a.states[n]; ok {
			out[n] = s
		}
	}
	return out, nil
}
