package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/webapi-platform/infra/infra"
)

// Engine is what the release logic needs from Pulumi: one stack per colour.
type Engine interface {
	// Config returns the stack's config, defaults included: webapi keys without their
	// namespace, other keys (aws:region) with theirs.
	Config(ctx context.Context, c infra.Color) (map[string]string, error)
	// SetConfig writes webapi keys into the stack's config (Pulumi.<stack>.yaml).
	SetConfig(ctx context.Context, c infra.Color, kv map[string]string) error
	// Outputs returns the stack's outputs; empty when it was never deployed.
	Outputs(ctx context.Context, c infra.Color) (map[string]any, error)
	// Up updates the stack, only the targets when given.
	Up(ctx context.Context, c infra.Color, targets []string) (Changes, error)
	// Preview returns the engine events of a preview.
	Preview(ctx context.Context, c infra.Color) ([]events.EngineEvent, error)
	// Destroy deletes every resource of the stack.
	Destroy(ctx context.Context, c infra.Color) error
}

// Changes counts an update's resource operations and names what was touched.
type Changes struct {
	Counts  map[string]int // op → resources, as the engine's summary reports
	Touched []string       // URNs of resources created, updated, replaced or deleted
}

// Modified is how many resources the update changed (everything but "same").
func (c Changes) Modified() int {
	n := 0
	for op, k := range c.Counts {
		if op != "same" {
			n += k
		}
	}
	return n
}

// autoEngine drives the real program inline through the Automation API, with the repo's
// Pulumi.yaml and Pulumi.<stack>.yaml (auto.WorkDir), so it uses exactly the config that
// `pulumi up` would.
type autoEngine struct {
	workDir  string
	project  string
	program  pulumi.RunFunc
	env      map[string]string
	progress io.Writer // the engine's progress stream during ups; nil: quiet
	// stacks caches the selected stack per colour: selecting one runs the CLI, and one
	// command reads config, writes config and updates the same stack several times.
	stacks map[infra.Color]auto.Stack
}

// newAutoEngine sets the backend: PULUMI_BACKEND_URL when set, else a file backend in
// <workDir>/.pulumi.
func newAutoEngine(workDir string, program pulumi.RunFunc, progress io.Writer) (*autoEngine, error) {
	abs, err := filepath.Abs(workDir)
	if err != nil {
		return nil, err
	}
	env := map[string]string{"PULUMI_SKIP_UPDATE_CHECK": "true"}
	backend := os.Getenv("PULUMI_BACKEND_URL")
	state := ""
	if backend == "" {
		state = filepath.Join(abs, ".pulumi")
		backend = "file://" + state
		env["PULUMI_BACKEND_URL"] = backend
	}
	// The file backend's passphrase secrets provider cannot work without one; fail here,
	// before anything is created or touched, rather than halfway through an update.
	if strings.HasPrefix(backend, "file://") && os.Getenv("PULUMI_CONFIG_PASSPHRASE") == "" && os.Getenv("PULUMI_CONFIG_PASSPHRASE_FILE") == "" {
		return nil, usageErrorf("PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) must be set: it encrypts the stacks' secrets in the file backend %s", backend)
	}
	if state != "" {
		if err := os.MkdirAll(state, 0o755); err != nil {
			return nil, fmt.Errorf("state directory: %w", err)
		}
	}
	return &autoEngine{workDir: abs, project: "webapi", program: program, env: env, progress: progress, stacks: map[infra.Color]auto.Stack{}}, nil
}

func (e *autoEngine) stack(ctx context.Context, c infra.Color) (auto.Stack, error) {
	if s, ok := e.stacks[c]; ok {
		return s, nil
	}
	s, err := auto.UpsertStackInlineSource(ctx, string(c), e.project, e.program, auto.WorkDir(e.workDir), auto.EnvVars(e.env))
	if err != nil {
		return auto.Stack{}, fmt.Errorf("stack %s: %w", c, err)
	}
	e.stacks[c] = s
	return s, nil
}

func (e *autoEngine) Config(ctx context.Context, c infra.Color) (map[string]string, error) {
	s, err := e.stack(ctx, c)
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

func (e *autoEngine) SetConfig(ctx context.Context, c infra.Color, kv map[string]string) error {
	s, err := e.stack(ctx, c)
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

func (e *autoEngine) Outputs(ctx context.Context, c infra.Color) (map[string]any, error) {
	s, err := e.stack(ctx, c)
	if err != nil {
		return nil, err
	}
	outs, err := s.Outputs(ctx)
	if err != nil {
		return nil, fmt.Errorf("stack %s: reading outputs: %w", c, err)
	}
	m := map[string]any{}
	for k, v := range outs {
		m[k] = v.Value
	}
	return m, nil
}

// collect drains an engine event stream into a slice; done is closed when it ends.
func collect(ch <-chan events.EngineEvent) (*[]events.EngineEvent, <-chan struct{}) {
	var evs []events.EngineEvent
	done := make(chan struct{})
	go func() {
		for ev := range ch {
			evs = append(evs, ev)
		}
		close(done)
	}()
	return &evs, done
}

func (e *autoEngine) Up(ctx context.Context, c infra.Color, targets []string) (Changes, error) {
	s, err := e.stack(ctx, c)
	if err != nil {
		return Changes{}, err
	}
	ch := make(chan events.EngineEvent)
	evs, done := collect(ch)
	opts := []optup.Option{optup.EventStreams(ch)}
	if e.progress != nil {
		opts = append(opts, optup.ProgressStreams(e.progress))
	}
	if len(targets) > 0 {
		opts = append(opts, optup.Target(targets))
	}
	res, err := s.Up(ctx, opts...)
	<-done
	changes := changesOf(*evs)
	if err != nil {
		return changes, fmt.Errorf("stack %s: up: %w", c, err)
	}
	if res.Summary.ResourceChanges != nil {
		changes.Counts = *res.Summary.ResourceChanges
	}
	return changes, nil
}

// changesOf lists the URNs an update touched, from its resource events.
func changesOf(evs []events.EngineEvent) Changes {
	ch := Changes{Counts: map[string]int{}}
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
	sort.Strings(ch.Touched)
	return ch
}

func (e *autoEngine) Preview(ctx context.Context, c infra.Color) ([]events.EngineEvent, error) {
	s, err := e.stack(ctx, c)
	if err != nil {
		return nil, err
	}
	ch := make(chan events.EngineEvent)
	evs, done := collect(ch)
	_, err = s.Preview(ctx, optpreview.EventStreams(ch), optpreview.Diff())
	<-done
	if err != nil {
		return *evs, fmt.Errorf("stack %s: preview: %w", c, err)
	}
	return *evs, nil
}

func (e *autoEngine) Destroy(ctx context.Context, c infra.Color) error {
	s, err := e.stack(ctx, c)
	if err != nil {
		return err
	}
	opts := []optdestroy.Option{}
	if e.progress != nil {
		opts = append(opts, optdestroy.ProgressStreams(e.progress))
	}
	if _, err := s.Destroy(ctx, opts...); err != nil {
		return fmt.Errorf("stack %s: destroy: %w", c, err)
	}
	return nil
}
