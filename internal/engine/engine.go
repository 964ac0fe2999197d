// Package engine drives a Pulumi program inline through the Automation API, one stack
// per colour, with the work dir's Pulumi.yaml and Pulumi.<stack>.yaml. It implements
// release.Engine; the program is a parameter taking each run's options (infra.Run), so
// an update carries what the tool decided for it (the listener's weights) and nothing
// of it is written to the stack's config.
package engine

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/release"
)

// Auto drives the program inline through the Automation API, with the work dir's
// Pulumi.yaml and Pulumi.<stack>.yaml (auto.WorkDir), so it uses exactly the config that
// `pulumi up` would.
type Auto struct {
	workDir string
	project string
	program func(infra.RunOptions) pulumi.RunFunc
	env     map[string]string
	// run is the options of the update in progress, read by the inline program; Ups of
	// one Auto run one at a time (mu guards it against the program's goroutine).
	mu       sync.Mutex
	run      infra.RunOptions
	progress io.Writer // the engine's progress stream during ups; nil: quiet
	// groupGrace, when set, runs the CLI in its own process group (WithProcessGroup).
	groupGrace time.Duration
	// stacks caches the selected stack per colour: selecting one runs the CLI, and one
	// command reads config, writes config and updates the same stack several times.
	stacks map[infra.Color]auto.Stack
	// missing remembers the stacks a select found missing, so one command asks once;
	// creating the stack clears it.
	missing map[infra.Color]bool
	// outputs are the stacks' recent outputs (outputs_cache.go).
	outputs *outputsCache
}

var _ release.Engine = (*Auto)(nil)

// Option adjusts New.
type Option func(*Auto)

// WithEnv adds environment variables for every CLI run of this engine (and so for the
// plugins the CLI starts), over the process's own: tests give each engine its own
// backend, PULUMI_HOME and AWS double without touching the process environment, so
// engines of parallel tests never see each other's.
func WithEnv(vars map[string]string) Option {
	return func(a *Auto) { maps.Copy(a.env, vars) }
}

// New sets the backend: PULUMI_BACKEND_URL when set (WithEnv, then the process), else a
// file backend in <workDir>/.pulumi. progress receives the engine's progress during ups
// and destroys; nil is quiet.
func New(workDir string, program func(infra.RunOptions) pulumi.RunFunc, progress io.Writer, opts ...Option) (*Auto, error) {
	abs, err := filepath.Abs(workDir)
	if err != nil {
		return nil, fmt.Errorf("work dir %s: %w", workDir, err)
	}
	a := &Auto{workDir: abs, project: "webapi", program: program, progress: progress, stacks: map[infra.Color]auto.Stack{}, missing: map[infra.Color]bool{}, outputs: newOutputsCache(time.Now),
		env: map[string]string{"PULUMI_SKIP_UPDATE_CHECK": "true"}}
	for _, o := range opts {
		o(a)
	}
	lookup := a.lookup
	backend := lookup("PULUMI_BACKEND_URL")
	state := ""
	if backend == "" {
		state = filepath.Join(abs, ".pulumi")
		backend = "file://" + state
		a.env["PULUMI_BACKEND_URL"] = backend
	}
	// The file backend's passphrase secrets provider cannot work without one; fail here,
	// before anything is created or touched, rather than halfway through an update.
	if strings.HasPrefix(backend, "file://") && lookup("PULUMI_CONFIG_PASSPHRASE") == "" && lookup("PULUMI_CONFIG_PASSPHRASE_FILE") == "" {
		return nil, release.Usagef("PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) must be set: it encrypts the stacks' secrets in the file backend %s", backend)
	}
	if state != "" {
		if err := os.MkdirAll(state, 0o755); err != nil {
			return nil, fmt.Errorf("state directory: %w", err)
		}
	}
	return a, nil
}

// BackendURL is the state backend every run of this engine uses.
func (e *Auto) BackendURL() string { return e.lookup("PULUMI_BACKEND_URL") }

func (e *Auto) lookup(k string) string { return cmp.Or(e.env[k], os.Getenv(k)) }

// inline is the program the Automation API runs: the program with the options of the
// update in progress (none for previews and reads: the listener keeps its weights).
func (e *Auto) inline(ctx *pulumi.Context) error {
	e.mu.Lock()
	opts := e.run
	e.mu.Unlock()
	// An inline program is not told its project's directory by the Automation API.
	opts.ProjectDir = e.workDir
	return e.program(opts)(ctx)
}

func (e *Auto) setRun(opts infra.RunOptions) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.run = opts
}

// stack selects the colour's stack; only create (a deploy) creates a missing one.
// Reads select only (auto.SelectStackInlineSource, `pulumi stack select` without
// --create), so status, idle, history and preview never add a stack to the backend; a
// missing stack is release.ErrStackNotFound, what the SDK's IsSelectStack404Error
// recognises ("no stack named … found").
func (e *Auto) stack(ctx context.Context, c infra.Color, create bool) (auto.Stack, error) {
	if s, ok := e.stacks[c]; ok {
		return s, nil
	}
	if e.missing[c] && !create {
		return auto.Stack{}, fmt.Errorf("stack %s: %w", c, release.ErrStackNotFound)
	}
	opts := []auto.LocalWorkspaceOption{auto.WorkDir(e.workDir), auto.EnvVars(e.env)}
	if e.groupGrace > 0 {
		cmd, err := newGroupCommand(e.groupGrace)
		if err != nil {
			return auto.Stack{}, err
		}
		opts = append(opts, auto.Pulumi(cmd))
	}
	open := auto.SelectStackInlineSource
	if create {
		open = auto.UpsertStackInlineSource
	}
	s, err := open(ctx, string(c), e.project, e.inline, opts...)
	if !create && auto.IsSelectStack404Error(err) {
		e.missing[c] = true
		return auto.Stack{}, fmt.Errorf("stack %s: %w", c, release.ErrStackNotFound)
	}
	if err != nil {
		return auto.Stack{}, fmt.Errorf("stack %s: %w", c, err)
	}
	delete(e.missing, c)
	e.stacks[c] = s
	return s, nil
}

// CreateStack creates the stack when the backend does not have it: a deploy's first
// step, so that it can read the new stack's config before its first up.
func (e *Auto) CreateStack(ctx context.Context, c infra.Color) error {
	_, err := e.stack(ctx, c, true)
	return err
}

func (e *Auto) Config(ctx context.Context, c infra.Color) (map[string]string, error) {
	s, err := e.stack(ctx, c, false)
	if err != nil {
		return nil, err
	}
	all, err := s.GetAllConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("stack %s: reading config: %w", c, err)
	}
	out := map[string]string{}
	for k, v := range all {
		if key, ok := strings.CutPrefix(k, infra.ConfigNamespace+":"); ok {
			out[key] = v.Value
		} else {
			out[k] = v.Value // other namespaces keep theirs (aws:region)
		}
	}
	return out, nil
}

func (e *Auto) SetConfig(ctx context.Context, c infra.Color, kv map[string]string) error {
	s, err := e.stack(ctx, c, true)
	if err != nil {
		return err
	}
	cm := auto.ConfigMap{}
	for k, v := range kv {
		cm[infra.ConfigNamespace+":"+k] = auto.ConfigValue{Value: v}
	}
	if err := s.SetAllConfig(ctx, cm); err != nil {
		return fmt.Errorf("stack %s: writing config: %w", c, err)
	}
	return nil
}

func (e *Auto) Outputs(ctx context.Context, c infra.Color) (map[string]any, error) {
	if m, ok := e.outputs.get(c); ok {
		return m, nil
	}
	s, err := e.stack(ctx, c, false)
	if err != nil {
		return nil, err
	}
	outs, err := s.Outputs(ctx)
	if err != nil {
		return nil, fmt.Errorf("stack %s: reading outputs: %w", c, err)
	}
	m := outputValues(outs)
	e.outputs.put(c, m)
	return m, nil
}

// ForgetOutputs drops every stack's cached outputs (release.OutputsCache): the next read
// asks the backend.
func (e *Auto) ForgetOutputs() { e.outputs.dropAll() }

var _ release.OutputsCache = (*Auto)(nil)

// outputValues are the outputs' values (secrets are shown: the tool reads ARNs and names).
func outputValues(outs auto.OutputMap) map[string]any {
	m := map[string]any{}
	for k, v := range outs {
		m[k] = v.Value
	}
	return m
}

// eventLog collects an engine event stream.
type eventLog struct {
	mu   sync.Mutex
	evs  []events.EngineEvent
	done chan struct{}
}

// collect drains an engine event stream into an eventLog.
func collect(ch <-chan events.EngineEvent) *eventLog {
	l := &eventLog{done: make(chan struct{})}
	go func() {
		for ev := range ch {
			l.mu.Lock()
			l.evs = append(l.evs, ev)
			l.mu.Unlock()
		}
		close(l.done)
	}()
	return l
}

// streamGrace is how long, after the operation succeeded, its event stream may take to
// end. The SDK closes the stream's channel only when the CLI opened the stream
// (auto/stack.go, eventsServer.StreamEvents): a CLI that fails before its engine starts
// (a locked stack) never does, so a failed operation does not wait at all and a
// successful one only this long.
const streamGrace = 2 * time.Second

// events are the events received so far: after a failure at once, else once the stream
// ended or streamGrace passed.
func (l *eventLog) events(failed bool) []events.EngineEvent {
	if !failed {
		select {
		case <-l.done:
		case <-time.After(streamGrace):
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.evs)
}

// Up updates a stack with the run's options: the targets, and the listener's weights
// (infra.RunOptions.ListenerWeights) for this update only.
func (e *Auto) Up(ctx context.Context, c infra.Color, run release.UpOptions) (release.Changes, error) {
	s, err := e.stack(ctx, c, true)
	if err != nil {
		return release.Changes{}, err
	}
	e.setRun(infra.RunOptions{ListenerWeights: run.Weights, Config: run.Config})
	defer e.setRun(infra.RunOptions{})
	targets := run.Targets
	ch := make(chan events.EngineEvent)
	log := collect(ch)
	// ShowSecrets(false): after the update the SDK reads the stack's last history entry
	// for its summary (sdk/v3 go/auto/stack.go, Stack.Up), and by default asks the CLI to
	// decrypt its config for it: one more passphrase key derivation per update. Only the
	// summary's resource counts are read here, and secrets are not in them.
	opts := []optup.Option{optup.EventStreams(ch), optup.ShowSecrets(false)}
	if e.progress != nil {
		opts = append(opts, optup.ProgressStreams(e.progress))
	}
	if len(targets) > 0 {
		opts = append(opts, optup.Target(targets))
	}
	if len(run.Exclude) > 0 {
		opts = append(opts, optup.Exclude(run.Exclude))
	}
	e.outputs.drop(c)
	res, err := s.Up(ctx, opts...)
	changes := changesOf(log.events(err != nil))
	if err != nil {
		return changes, fmt.Errorf("stack %s: up: %w", c, err)
	}
	// The update's result carries the stack's new outputs (the SDK reads them after it).
	e.outputs.put(c, outputValues(res.Outputs))
	if res.Summary.ResourceChanges != nil {
		changes.Counts = *res.Summary.ResourceChanges
	}
	return changes, nil
}

// changesOf lists the URNs an update touched, from its resource events.
func changesOf(evs []events.EngineEvent) release.Changes {
	ch := release.Changes{Counts: map[string]int{}}
	seen := map[string]bool{}
	for _, ev := range evs {
		if ev.ResOutputsEvent == nil {
			continue
		}
		md := ev.ResOutputsEvent.Metadata
		if md.Op == "same" || md.Op == "read" || md.Type == "pulumi:pulumi:Stack" || seen[md.URN] {
			continue
		}
		seen[md.URN] = true
		ch.Touched = append(ch.Touched, md.URN)
	}
	slices.Sort(ch.Touched)
	return ch
}

// Preview previews a stack with the run's weights and config overrides (targets aside).
func (e *Auto) Preview(ctx context.Context, c infra.Color, run release.UpOptions) ([]events.EngineEvent, error) {
	s, err := e.stack(ctx, c, false)
	if err != nil {
		return nil, err
	}
	e.setRun(infra.RunOptions{ListenerWeights: run.Weights, Config: run.Config})
	defer e.setRun(infra.RunOptions{})
	ch := make(chan events.EngineEvent)
	log := collect(ch)
	_, err = s.Preview(ctx, optpreview.EventStreams(ch), optpreview.Diff())
	evs := log.events(err != nil)
	if err != nil {
		return evs, fmt.Errorf("stack %s: preview: %w", c, err)
	}
	return evs, nil
}

func (e *Auto) Destroy(ctx context.Context, c infra.Color) error {
	s, err := e.stack(ctx, c, false)
	if err != nil {
		return err
	}
	e.outputs.drop(c)
	opts := []optdestroy.Option{optdestroy.ShowSecrets(false)} // the result is not read: see Up
	if e.progress != nil {
		opts = append(opts, optdestroy.ProgressStreams(e.progress))
	}
	if _, err := s.Destroy(ctx, opts...); err != nil {
		return fmt.Errorf("stack %s: destroy: %w", c, err)
	}
	return nil
}

// Refresh reads the live state of the targeted resources (all when none) into the
// stack's state, without running the program: after the tool set a listener's weights
// directly (an interrupted release's restore), state learns what the listener serves.
func (e *Auto) Refresh(ctx context.Context, c infra.Color, targets []string) error {
	s, err := e.stack(ctx, c, false)
	if err != nil {
		return err
	}
	e.outputs.drop(c)
	opts := []optrefresh.Option{optrefresh.ShowSecrets(false)} // the result is not read: see Up
	if e.progress != nil {
		opts = append(opts, optrefresh.ProgressStreams(e.progress))
	}
	if len(targets) > 0 {
		opts = append(opts, optrefresh.Target(targets))
	}
	if _, err := s.Refresh(ctx, opts...); err != nil {
		return fmt.Errorf("stack %s: refresh: %w", c, err)
	}
	return nil
}
