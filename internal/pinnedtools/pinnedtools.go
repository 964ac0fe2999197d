// Package pinnedtools finds the tools scripts/install-tools.sh builds into .tools/bin,
// for tests that need the real Pulumi CLI, Packer or actionlint.
package pinnedtools

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// RepoRoot is the repository root, found from this file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Require returns the path of a pinned tool. When it is missing the test is skipped with
// the reason, except under scripts/test.sh (WEBAPI_REQUIRE_ENGINE_TESTS=1), where the
// installer has just run and a missing tool is a failure, never a silent skip.
func Require(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(RepoRoot(), ".tools", "bin", name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("WEBAPI_REQUIRE_ENGINE_TESTS") == "1" {
			t.Fatalf("%s is not installed at %s: scripts/install-tools.sh should have built it", name, p)
		}
		t.Skipf("%s is not installed at %s: run scripts/install-tools.sh (scripts/test.sh does)", name, p)
	}
	return p
}
