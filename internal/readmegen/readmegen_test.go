package readmegen

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/testutil"
)

const project = `name: webapi
runtime: go
config:
  # comments and blank lines are not keys

  color:
    type: string
    description: "Which fleet: blue or green."
  edge:
    type: boolean
    default: false
    description: "True in the edge stack."
  edgeStack:
    type: string
    default: ""
    description: "The edge stack | with a pipe."
  ingressCidrs:
    type: array
    items:
      type: string
    default: ["203.0.113.0/24", "0.0.0.0/0"]
    description: "Allowed ranges."
  azCount:
    type: integer
    default: 2
    description: |
      Two lines
      become one.
  aws:region:
    type: string
    default: eu-west-1
    description: "Namespaced keys keep their namespace."
`

func TestConfigTable(t *testing.T) {
	got, err := ConfigTable([]byte(project))
	require.NoError(t, err)
	assert.Equal(t, "| key | type | default | description |\n| --- | --- | --- | --- |\n"+
		"| `webapi:color` | string | *(required)* | Which fleet: blue or green. |\n"+
		"| `webapi:edge` | boolean | `false` | True in the edge stack. |\n"+
		"| `webapi:edgeStack` | string | `\"\"` | The edge stack \\| with a pipe. |\n"+
		"| `webapi:ingressCidrs` | array | `[\"0.0.0.0/0\", \"203.0.113.0/24\"]` | Allowed ranges. |\n"+
		"| `webapi:azCount` | integer | `2` | Two lines become one. |\n"+
		"| `aws:region` | string | `eu-west-1` | Namespaced keys keep their namespace. |\n", got)
}

func TestConfigTableRefusesWhatItCannotRender(t *testing.T) {
	for _, tc := range []struct{ name, yaml, says string }{
		{"not YAML", "name: [", "reading Pulumi.yaml"},
		{"no name", "runtime: go\nconfig:\n  a:\n    type: string\n", "no project name"},
		{"no config", "name: webapi\nruntime: go\n", "declares no config keys"},
		{"no type", "name: webapi\nconfig:\n  a:\n    description: x\n", "config a has no type"},
		{"a bare value", "name: webapi\nconfig:\n  a: 1\n", "config a: want a declaration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ConfigTable([]byte(tc.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.says)
		})
	}
}

func TestReplaceBlock(t *testing.T) {
	const block = "| new |\n"
	for _, tc := range []struct{ name, readme, want, says string }{
		{name: "replaces only between the markers",
			readme: "# T\n" + BeginMarker + "\n| old |\n| old |\n" + EndMarker + "\nafter\n",
			want:   "# T\n" + BeginMarker + "\n| new |\n" + EndMarker + "\nafter\n"},
		{name: "empty block", readme: BeginMarker + "\n" + EndMarker, want: BeginMarker + "\n| new |\n" + EndMarker},
		{name: "no begin", readme: "x\n" + EndMarker, says: "exactly once, it holds it 0 times"},
		{name: "no end", readme: BeginMarker + "\nx\n", says: "exactly once, it holds it 0 times"},
		{name: "twice", readme: BeginMarker + "\n" + EndMarker + BeginMarker + "\n" + EndMarker, says: "it holds it 2 times"},
		{name: "end first", readme: EndMarker + "\n" + BeginMarker + "\n", says: "must come after"},
		{name: "begin not on its own line", readme: BeginMarker + " x\n" + EndMarker, says: "must end its line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReplaceBlock(tc.readme, block)
			if tc.says != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.says)
				_, err = Block(tc.readme)
				assert.Error(t, err, "Block refuses what ReplaceBlock refuses")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			inside, err := Block(got)
			require.NoError(t, err)
			assert.Equal(t, block, inside, "Block reads back what ReplaceBlock wrote")
		})
	}
}

func TestUpdateFile(t *testing.T) {
	dir := t.TempDir()
	projectPath, readmePath := filepath.Join(dir, "Pulumi.yaml"), filepath.Join(dir, "README.md")
	require.NoError(t, os.WriteFile(projectPath, []byte(project), 0o644))
	stale := "# T\n" + BeginMarker + "\n| old |\n" + EndMarker + "\n"
	require.NoError(t, os.WriteFile(readmePath, []byte(stale), 0o600))

	changed, err := UpdateFile(projectPath, readmePath, true)
	require.ErrorIs(t, err, ErrStale)
	assert.Contains(t, err.Error(), "run go generate ./...")
	assert.True(t, changed)
	b, _ := os.ReadFile(readmePath)
	assert.Equal(t, stale, string(b), "check mode writes nothing")

	changed, err = UpdateFile(projectPath, readmePath, false)
	require.NoError(t, err)
	assert.True(t, changed)
	b, _ = os.ReadFile(readmePath)
	table, _ := ConfigTable([]byte(project))
	assert.Equal(t, "# T\n"+BeginMarker+"\n"+table+EndMarker+"\n", string(b))
	info, _ := os.Stat(readmePath)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the README keeps its mode")

	changed, err = UpdateFile(projectPath, readmePath, true)
	require.NoError(t, err, "a current README passes the check")
	assert.False(t, changed)

	_, err = UpdateFile(filepath.Join(dir, "missing.yaml"), readmePath, false)
	require.Error(t, err)
	assert.False(t, errors.Is(err, ErrStale))
}

// The repository's own README regenerates to itself from the repository's Pulumi.yaml
// (the stale check proper is infra's TestReadmeConfigReferenceIsCurrent); here the
// generator must also restore a README whose block was damaged.
func TestRepositoryReadmeRoundTrips(t *testing.T) {
	project, err := os.ReadFile(testutil.RepoPath("Pulumi.yaml"))
	require.NoError(t, err)
	readme, err := os.ReadFile(testutil.RepoPath("README.md"))
	require.NoError(t, err)
	damaged, err := ReplaceBlock(string(readme), "| stale |\n")
	require.NoError(t, err)
	require.NotEqual(t, string(readme), damaged)
	restored, err := Update(project, damaged)
	require.NoError(t, err)
	assert.Equal(t, string(readme), restored)
}
