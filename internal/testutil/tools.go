// Package testutil holds what tests in several packages share: the repository root,
// the pinned tools scripts/install-tools.sh builds, and stack-config fixtures.
package testutil

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// RepoRoot is the repository root, found from this file's location (internal/testutil),
// so it is right whatever directory `go test` runs a package in.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// RepoPath joins parts onto the repository root.
func RepoPath(parts ...string) string {
	return filepath.Join(append([]string{RepoRoot()}, parts...)...)
}

// RequireTool returns the path of a pinned tool. When it is missing the test is skipped
// with the reason, except under scripts/test.sh (WEBAPI_REQUIRE_ENGINE_TESTS=1), where
// the installer has just run and a missing tool is a failure, never a silent skip.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p := RepoPath(".tools", "bin", name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("WEBAPI_REQUIRE_ENGINE_TESTS") == "1" {
			t.Fatalf("%s is not installed at %s: scripts/install-tools.sh should have built it", name, p)
		}
		t.Skipf("%s is not installed at %s: run scripts/install-tools.sh (scripts/test.sh does)", name, p)
	}
	return p
}
