package dotnet

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// appRepo makes a repository whose first commit is a net8.0 app under src/Api with a
// Directory.Build.props at the root, and whose second (main's tip) moves it to net10.0.
// It returns the repository's file:// URL and both commits.
func appRepo(t *testing.T) (url, first, second string) {
	t.Helper()
	dir := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t"}, args...)...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %s: %s", strings.Join(args, " "), out)
		return strings.TrimSpace(string(out))
	}
	write := func(name, content string) {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	git("init", "-q", "-b", "main")
	write("Directory.Build.props", `<Project><PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup></Project>`)
	write("src/Api/Api.csproj", sdkWeb+`</Project>`)
	write("src/Api/Program.cs", "// app")
	git("add", ".")
	git("commit", "-q", "-m", "net8.0")
	first = git("rev-parse", "HEAD")
	write("Directory.Build.props", props10)
	git("commit", "-q", "-am", "net10.0")
	return "file://" + dir, first, git("rev-parse", "HEAD")
}

func TestGitTreeReadsTheProjectAtTheCommit(t *testing.T) {
	url, first, second := appRepo(t)
	cache := t.TempDir()
	for commit, want := range map[string]string{first: "net8.0", second: "net10.0"} {
		tree, err := FetchCommit(context.Background(), cache, url, commit)
		require.NoError(t, err)
		d, err := Detect(tree, "src/Api")
		require.NoError(t, err)
		assert.Equal(t, []string{want}, d.Frameworks, "at %s", commit)
		assert.Equal(t, []string{"Directory.Build.props"}, d.Props)
		names, err := tree.List("src/Api")
		require.NoError(t, err)
		assert.Equal(t, []string{"Api.csproj", "Program.cs"}, names)
		_, ok, err := tree.Read("src/Api/Missing.csproj")
		require.NoError(t, err)
		assert.False(t, ok)
	}
	entries, err := os.ReadDir(cache)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "one cached repository per repository and commit, no leftovers")

	// A cached commit is read without the repository: it is never fetched again.
	require.NoError(t, os.RemoveAll(strings.TrimPrefix(url, "file://")))
	tree, err := FetchCommit(context.Background(), cache, url, first)
	require.NoError(t, err)
	content, ok, err := tree.Read("Directory.Build.props")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Contains(t, string(content), "net8.0")
}

// A host that refuses to fetch a commit by id (protocol v0 without
// uploadpack.allowReachableSHA1InWant) gets a full fetch of its branches and tags.
func TestGitTreeFallsBackToAFullFetch(t *testing.T) {
	url, first, _ := appRepo(t)
	t.Setenv("GIT_CONFIG_COUNT", "1")
	t.Setenv("GIT_CONFIG_KEY_0", "protocol.version")
	t.Setenv("GIT_CONFIG_VALUE_0", "0")
	tree, err := FetchCommit(context.Background(), t.TempDir(), url, first)
	require.NoError(t, err)
	d, err := Detect(tree, "src/Api/Api.csproj")
	require.NoError(t, err)
	assert.Equal(t, []string{"net8.0"}, d.Frameworks, "the commit, not the branch's tip")
}

func TestGitTreeErrors(t *testing.T) {
	url, _, _ := appRepo(t)
	_, err := FetchCommit(context.Background(), t.TempDir(), url, strings.Repeat("ab", 20))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is on no branch or tag of "+url)

	_, err = FetchCommit(context.Background(), t.TempDir(), "file:///no/such/repository", strings.Repeat("ab", 20))
	assert.ErrorContains(t, err, "fetching commit abababababababababababababababababababab of file:///no/such/repository")

	_, err = FetchCommit(context.Background(), t.TempDir(), url, "main")
	assert.ErrorContains(t, err, `"main" is not a full commit id`)
}
