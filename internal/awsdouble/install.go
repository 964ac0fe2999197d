package awsdouble

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/webapi-platform/infra/internal/testutil"
)

// Env is a test's isolated Pulumi world wired to the double: a PULUMI_HOME whose plugin
// cache holds the double's plugins at the versions the SDKs ask for, the store's file,
// and the pinned CLI first on PATH.
//
// The plugins are installed in the plugin cache rather than found on PATH: the CLI
// (sdk/go/common/workspace/plugins.go, GetPluginPath) matches a cached plugin by kind,
// name and version — $PULUMI_HOME/plugins/resource-aws-v6.83.4/pulumi-resource-aws — so
// the double answers exactly to the version pulumi-aws v6.83.4 requests, as the real
// plugin would, and PULUMI_IGNORE_AMBIENT_PLUGINS keeps a real pulumi-resource-aws on a
// developer's PATH from being used instead (an ambient binary wins over the cache).
type Env struct {
	PulumiHome string
	StateFile  string
	// Vars are the environment variables the test sets (Setenv does).
	Vars map[string]string
}

// Double is the API face of this Env's store.
func (e Env) Double() *Double { return New(OpenStore(e.StateFile)) }

// Setenv sets Vars for the rest of the test.
func (e Env) Setenv(t testing.TB) {
	t.Helper()
	for _, k := range sortedKeys(e.Vars) {
		t.Setenv(k, e.Vars[k])
	}
}

var (
	buildOnce sync.Once
	built     map[string]string // plugin file name → built binary
	buildErr  error
)

// plugins are the double's plugins: directory in the plugin cache → main package.
var plugins = []struct{ dir, file, pkg string }{
	{"resource-aws-v" + AWSPluginVersion, "pulumi-resource-aws", "./internal/awsdouble/cmd/pulumi-resource-aws"},
	{"resource-command-v" + CommandPluginVersion, "pulumi-resource-command", "./internal/awsdouble/cmd/pulumi-resource-command"},
}

// Install builds the double's plugins (once per test binary), installs them into a new
// PULUMI_HOME and returns the Env; the test calls Env.Setenv. It needs the pinned CLI
// (the test is skipped without it, as testutil.RequireTool says).
func Install(t testing.TB) Env {
	t.Helper()
	cli := testutil.RequireTool(t, "pulumi")
	buildOnce.Do(func() { built, buildErr = buildPlugins() })
	if buildErr != nil {
		t.Fatalf("awsdouble: building the plugins: %v", buildErr)
	}
	home := t.TempDir()
	for _, p := range plugins {
		dir := filepath.Join(home, "plugins", p.dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := linkOrCopy(built[p.file], filepath.Join(dir, p.file)); err != nil {
			t.Fatalf("awsdouble: installing %s: %v", p.file, err)
		}
	}
	state := filepath.Join(t.TempDir(), "aws.json")
	return Env{PulumiHome: home, StateFile: state, Vars: map[string]string{
		"PULUMI_HOME":                          home,
		StateEnv:                               state,
		"PULUMI_IGNORE_AMBIENT_PLUGINS":        "true",
		"PULUMI_SKIP_UPDATE_CHECK":             "true",
		"PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
		"PATH":                                 filepath.Dir(cli) + string(os.PathListSeparator) + os.Getenv("PATH"),
	}}
}

// buildPlugins builds into one directory per user and checkout, replacing each binary by
// rename, so test binaries building at the same time never see half a file; the Go
// build cache makes a rebuild of unchanged sources a link step. Per checkout: a second
// worktree's build must not replace this one's plugins between build and install (its
// store layout may differ, and a plugin that does not know a field drops it on save).
func buildPlugins() (map[string]string, error) {
	checkout := sha256.Sum256([]byte(testutil.RepoRoot()))
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("webapi-awsdouble-%d-%x", os.Getuid(), checkout[:6]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, p := range plugins {
		tmp, err := os.CreateTemp(dir, p.file+".build-*")
		if err != nil {
			return nil, err
		}
		tmp.Close()
		cmd := exec.Command("go", "build", "-o", tmp.Name(), p.pkg)
		cmd.Dir = testutil.RepoRoot()
		if b, err := cmd.CombinedOutput(); err != nil {
			os.Remove(tmp.Name())
			return nil, fmt.Errorf("go build %s: %w\n%s", p.pkg, err, b)
		}
		dst := filepath.Join(dir, p.file)
		if err := os.Rename(tmp.Name(), dst); err != nil {
			return nil, err
		}
		out[p.file] = dst
	}
	return out, nil
}

func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
