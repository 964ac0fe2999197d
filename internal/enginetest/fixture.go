package enginetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/webapi-platform/infra/infra"
)

// A fixture is a deployed World saved as test data, so a test can start from stacks an
// older program deployed (an upgrade test) without that program. Its layout:
//
//	<dir>/Pulumi.<stack>.yaml        the stack files; they carry the passphrase's encryptionsalt
//	<dir>/aws.json                   the double's store: what "AWS" holds
//	<dir>/pulumi-state/meta.yaml     the file backend's .pulumi directory: its layout
//	<dir>/pulumi-state/stacks/...    version, and each stack's checkpoint
//
// (named pulumi-state, not .pulumi, so nothing in the repository looks like real state
// that was committed by mistake)
//
// The backend's history, backups and locks are left out: the file backend reads a stack
// from its checkpoint alone (pkg/backend/diy/state.go, getCheckpoint reads
// stacks/<project>/<stack>.json), and meta.yaml says the layout is project-scoped
// (pkg/backend/diy/meta.go; without it the backend assumes the legacy layout). Each
// resource's sourcePosition and stackTrace are left out too: they record the paths of
// the checkout and module cache that registered it (this machine's, more than half the
// file), they take no part in a diff, and the next update writes them afresh.
const (
	fixtureStore   = "aws.json"
	fixtureBackend = "pulumi-state" // the contents of the backend's .pulumi directory
)

// loadFixture copies a saved World into this one: stack files into the project dir,
// the backend's state into the backend directory, the store into the double's file.
func (w *World) loadFixture(t testing.TB, dir string) {
	t.Helper()
	stackFiles, err := filepath.Glob(filepath.Join(dir, "Pulumi.*.yaml"))
	if err != nil || len(stackFiles) == 0 {
		t.Fatalf("enginetest: fixture %s has no Pulumi.<stack>.yaml (%v)", dir, err)
	}
	for _, f := range stackFiles {
		copyFile(t, f, filepath.Join(w.Dir, filepath.Base(f)))
	}
	copyFile(t, filepath.Join(dir, fixtureStore), w.AWS.StateFile)
	if err := os.CopyFS(filepath.Join(strings.TrimPrefix(w.Backend, "file://"), ".pulumi"), os.DirFS(filepath.Join(dir, fixtureBackend))); err != nil {
		t.Fatalf("enginetest: fixture %s: copying the backend: %v", dir, err)
	}
}

// SaveFixture saves this World as a fixture in dir (made if missing, its previous
// fixture files replaced): what Options.Fixture starts a World from.
func (w *World) SaveFixture(t testing.TB, dir string) {
	t.Helper()
	for _, sub := range []string{fixtureStore, fixtureBackend} {
		if err := os.RemoveAll(filepath.Join(dir, sub)); err != nil {
			t.Fatal(err)
		}
	}
	old, _ := filepath.Glob(filepath.Join(dir, "Pulumi.*.yaml"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	stackFiles, err := filepath.Glob(filepath.Join(w.Dir, "Pulumi.*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range stackFiles {
		copyFile(t, f, filepath.Join(dir, filepath.Base(f)))
	}
	copyFile(t, w.AWS.StateFile, filepath.Join(dir, fixtureStore))
	state := filepath.Join(strings.TrimPrefix(w.Backend, "file://"), ".pulumi")
	copyFile(t, filepath.Join(state, "meta.yaml"), filepath.Join(dir, fixtureBackend, "meta.yaml"))
	checkpoints, err := filepath.Glob(filepath.Join(state, "stacks", "*", "*.json"))
	if err != nil || len(checkpoints) == 0 {
		t.Fatalf("enginetest: no stack checkpoint under %s (%v)", state, err)
	}
	for _, f := range checkpoints {
		rel, err := filepath.Rel(state, f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(f)
		if err == nil {
			b, err = withoutSourcePositions(b)
		}
		if err != nil {
			t.Fatalf("enginetest: checkpoint %s: %v", f, err)
		}
		writeFile(t, filepath.Join(dir, fixtureBackend, rel), b)
	}
}

// withoutSourcePositions drops every resource's sourcePosition and stackTrace from a
// file backend checkpoint ({"version": 3, "checkpoint": {"latest": {"resources": [...]}}}).
// Numbers are kept as written (UseNumber), not rounded through float64.
func withoutSourcePositions(checkpoint []byte) ([]byte, error) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(checkpoint))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	cp, _ := doc["checkpoint"].(map[string]any)
	latest, _ := cp["latest"].(map[string]any)
	resources, ok := latest["resources"].([]any)
	if !ok {
		return nil, fmt.Errorf("no checkpoint.latest.resources")
	}
	for _, r := range resources {
		if m, ok := r.(map[string]any); ok {
			delete(m, "sourcePosition")
			delete(m, "stackTrace")
		}
	}
	return json.Marshal(doc)
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatalf("enginetest: copying %s: %v", src, err)
	}
	writeFile(t, dst, b)
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	err := os.MkdirAll(filepath.Dir(path), 0o755)
	if err == nil {
		err = os.WriteFile(path, b, 0o644)
	}
	if err != nil {
		t.Fatalf("enginetest: writing %s: %v", path, err)
	}
}

// SetConfigList writes a list-typed webapi key (ingressCidrs, availabilityZones) into a
// stack's config. SetConfig cannot: `pulumi config set` stores a string, which the CLI
// then refuses for a key Pulumi.yaml types as an array ("Stack 'blue' with configuration
// key 'ingressCidrs' must be of type 'array<string>'", sdk/go/common/workspace
// ValidateStackConfigAndMergeProjectConfig). Set with --path, item by item, the key
// becomes a real list, as a person editing Pulumi.<stack>.yaml would write it.
func (w *World) SetConfigList(t testing.TB, c infra.Color, key string, values ...string) {
	t.Helper()
	ctx := context.Background()
	// The config namespace is the project's name.
	s, err := auto.SelectStackInlineSource(ctx, string(c), infra.ConfigNamespace, infra.Program,
		auto.WorkDir(w.Dir), auto.EnvVars(w.env))
	if err != nil {
		t.Fatalf("enginetest: stack %s: %v", c, err)
	}
	key = infra.ConfigNamespace + ":" + key
	if err := s.RemoveConfig(ctx, key); err != nil {
		t.Fatalf("enginetest: stack %s: removing %s: %v", c, key, err)
	}
	items := auto.ConfigMap{}
	for i, v := range values {
		items[fmt.Sprintf("%s[%d]", key, i)] = auto.ConfigValue{Value: v}
	}
	if err := s.SetAllConfigWithOptions(ctx, items, &auto.ConfigOptions{Path: true}); err != nil {
		t.Fatalf("enginetest: stack %s: setting %s: %v", c, key, err)
	}
}
