// Package enginetest runs the real program (infra.Program) through the real Pulumi CLI
// on the AWS double, for engine tests: a World is a project directory, a file backend, a
// PULUMI_HOME with the double's plugins, and the double's store, all of its own, so tests
// in different Worlds run in parallel.
package enginetest

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/awsdouble"
	"github.com/webapi-platform/infra/internal/awsops"
	"github.com/webapi-platform/infra/internal/engine"
	"github.com/webapi-platform/infra/internal/preview"
	"github.com/webapi-platform/infra/internal/record"
	"github.com/webapi-platform/infra/internal/release"
	"github.com/webapi-platform/infra/internal/smoke"
	"github.com/webapi-platform/infra/internal/testutil"
)

// Region is the stacks' aws:region unless Options say otherwise.
const Region = "eu-west-1"

// checkoutFiles are what a bake needs in the project directory besides Pulumi.yaml: the
// templates it hashes and the runner its commands `go run`.
var checkoutFiles = []string{"go.mod", "go.sum", "images", "internal/bake", "scripts/bake"}

// Options describe a World.
type Options struct {
	// Stacks are written as Pulumi.<color>.yaml, with aws:region.
	Stacks map[infra.Color]testutil.StackConfig
	Region string
	// Checkout copies what baking needs into the project directory, so the bake
	// commands run for real (with a packer given in Env as WEBAPI_PACKER).
	Checkout bool
	// Env goes to the CLI and everything it starts (the plugins, the bake commands).
	Env map[string]string
	// Fixture starts the World from a saved one (see SaveFixture): its stack files, its
	// backend's state and its double's store are copied in. The stack files come from
	// the fixture (they carry its encryption salt), so Stacks must be empty.
	Fixture string
}

// World is one isolated Pulumi world on the double.
type World struct {
	Dir     string // the project directory (the checkout)
	Backend string // file:// URL of the state
	AWS     awsdouble.Env
	Double  *awsdouble.Double
	Engine  *engine.Auto
	Log     *SyncBuffer // the engine's progress of every up, for failure messages
	// Smoke answers the tool's smoke test in place of the ALB (smokeserver.go).
	Smoke *SmokeServer
	env   map[string]string
	// served is each colour's steady traffic (ServeTraffic).
	served map[infra.Color]Traffic
}

var pathOnce sync.Once

// New makes a World. It needs the pinned CLI (skipped without it, as testutil.RequireTool
// says) and builds the double's plugins once per test binary.
func New(t testing.TB, opts Options) *World {
	t.Helper()
	aws := awsdouble.Install(t)
	// The Automation API finds the CLI on the process's PATH; every World wants the same
	// pinned one, so it is put first once, not per test (t.Setenv forbids t.Parallel).
	pathOnce.Do(func() { os.Setenv("PATH", aws.Vars["PATH"]) })
	w := &World{Backend: "file://" + t.TempDir(), AWS: aws, Double: aws.Double(), Log: &SyncBuffer{}, Smoke: newSmokeServer(t)}
	// The tool's test build, started with AWS.Vars, smoke-tests through this World's server.
	w.AWS.Vars = maps.Clone(aws.Vars)
	w.AWS.Vars[smoke.TestAddrEnv] = w.Smoke.Addr()
	w.env = map[string]string{"PULUMI_BACKEND_URL": w.Backend, "PULUMI_CONFIG_PASSPHRASE": "engine-test-only"}
	for k, v := range w.AWS.Vars {
		w.env[k] = v
	}
	for k, v := range opts.Env {
		w.env[k] = v
	}
	if opts.Fixture != "" && len(opts.Stacks) > 0 {
		t.Fatalf("enginetest: a Fixture brings its own stack files; set config with SetConfig, not Stacks")
	}
	w.Dir = newCheckout(t, opts)
	if opts.Fixture != "" {
		w.loadFixture(t, opts.Fixture)
	}
	w.Engine = w.engineIn(t, w.Dir)
	// A checkout's stacks exist in its backend, as after `pulumi stack init`: the engine's
	// reads (config, outputs, previews) never create one, only deploys do.
	for _, c := range infra.Colors {
		if _, ok := opts.Stacks[c]; ok {
			if err := w.Engine.CreateStack(context.Background(), c); err != nil {
				t.Fatalf("enginetest: %v", err)
			}
		}
	}
	return w
}

// SecondCheckout is the same project checked out in another folder, deploying to the
// same backend and the same AWS: a laptop beside CI.
func (w *World) SecondCheckout(t testing.TB, opts Options) *World {
	t.Helper()
	other := *w
	other.Dir = newCheckout(t, opts)
	other.Engine = w.engineIn(t, other.Dir)
	return &other
}

func (w *World) engineIn(t testing.TB, dir string) *engine.Auto {
	t.Helper()
	// The engine runs each update for this World's own checkout (it sets ProjectDir:
	// an inline program is not told its project's directory by the Automation API).
	e, err := engine.New(dir, infra.Run, w.Log, engine.WithEnv(w.env))
	if err != nil {
		t.Fatalf("enginetest: %v", err)
	}
	return e
}

func newCheckout(t testing.TB, opts Options) string {
	t.Helper()
	dir := t.TempDir()
	copyPath(t, "Pulumi.yaml", dir)
	if opts.Checkout {
		for _, p := range checkoutFiles {
			copyPath(t, p, dir)
		}
	}
	region := opts.Region
	if region == "" {
		region = Region
	}
	for c, cfg := range opts.Stacks {
		yaml := cfg.YAML() + fmt.Sprintf("  aws:region: %q\n", region)
		if err := os.WriteFile(filepath.Join(dir, "Pulumi."+string(c)+".yaml"), []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// copyPath copies a file or a directory of the repository into dir at the same path.
func copyPath(t testing.TB, rel, dir string) {
	t.Helper()
	src, dst := testutil.RepoPath(rel), filepath.Join(dir, rel)
	info, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	if info.IsDir() {
		err = os.CopyFS(dst, os.DirFS(src))
	} else if err = os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
		var b []byte
		if b, err = os.ReadFile(src); err == nil {
			err = os.WriteFile(dst, b, 0o644)
		}
	}
	if err != nil {
		t.Fatalf("enginetest: copying %s: %v", rel, err)
	}
}

// Up updates a stack (only targets when given) and fails the test with the engine's
// log when it fails.
func (w *World) Up(t testing.TB, c infra.Color, targets ...string) release.Changes {
	t.Helper()
	ch, err := w.Engine.Up(context.Background(), c, release.UpOptions{Targets: targets})
	if err != nil {
		t.Fatalf("up %s: %v\n%s", c, err, w.Log.String())
	}
	return ch
}

// Plan previews a stack and returns each resource's planned operation (create, update,
// replace, delete, same), keyed "<type>::<name>" (a name alone is not unique: the flow
// log's group, role, policy and log share one).
func (w *World) Plan(t testing.TB, c infra.Color) map[string]string {
	t.Helper()
	evs, err := w.Engine.Preview(context.Background(), c, release.UpOptions{})
	if err != nil {
		t.Fatalf("preview %s: %v", c, err)
	}
	plan := map[string]string{}
	for _, s := range preview.Steps(evs) {
		plan[s.Type+"::"+s.Name()] = s.Op
	}
	return plan
}

// Changed is a plan without what changes nothing: "same", and "read" (a StackReference
// reads the other stack on every run).
func Changed(plan map[string]string) map[string]string {
	out := map[string]string{}
	for k, op := range plan {
		if op != "same" && op != "read" {
			out[k] = op
		}
	}
	return out
}

// SetConfig writes webapi keys (un-namespaced) into a stack's config.
func (w *World) SetConfig(t testing.TB, c infra.Color, kv ...string) {
	t.Helper()
	if len(kv)%2 != 0 {
		t.Fatalf("enginetest: SetConfig wants key/value pairs")
	}
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	if err := w.Engine.SetConfig(context.Background(), c, m); err != nil {
		t.Fatal(err)
	}
}

// Health is the tool's AWS adapter over the double's API face: what the tool reads as
// live comes from the double's store, not from Pulumi's state.
func (w *World) Health() *awsops.Health {
	return awsops.FromClients(awsops.Clients{ELBv2: w.Double.ELBv2, CloudWatch: w.Double.CloudWatch, AutoScaling: w.Double.AutoScaling})
}

// SyncBuffer is a bytes.Buffer safe for the engine's concurrent writes.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Clone(s.b.String())
}

// RecordStore is the release record beside this World's backend, where the tool finds it
// (record.Locate of the backend URL, without WEBAPI_RELEASE_STORE).
func (w *World) RecordStore(t testing.TB) record.Store {
	t.Helper()
	loc, err := record.Locate(w.Backend, "")
	if err != nil {
		t.Fatalf("enginetest: %v", err)
	}
	s, err := record.Open(context.Background(), loc)
	if err != nil {
		t.Fatalf("enginetest: %v", err)
	}
	return s
}

// Owner is the lease owner of the tool's runs in a World: one CI run, on this host.
func Owner(runID string) record.Owner {
	host, _ := os.Hostname()
	return record.Owner{User: "enginetest", Host: host, PID: os.Getpid(), RunID: runID}
}
