package awsdouble

import (
	"os"
	"path/filepath"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func cmdURN(name string) string { return urn(TypeCommand, name) }

func TestCommandCreateRunsInDirWithEnvironment(t *testing.T) {
	p := NewCommandProvider(nil)
	dir := t.TempDir()
	in := map[string]any{
		"create": `echo "$WEBAPI_X in $(basename "$PWD")"; echo warn >&2`, "dir": dir,
		"environment": map[string]any{"WEBAPI_X": "ami-123"}, "logging": "stdoutAndStderr",
		"addPreviousOutputInEnv": false, "triggers": []any{"hash-1"},
	}
	checked, err := p.Check(bg, &pulumirpc.CheckRequest{Urn: cmdURN("bake"), News: pstruct(t, in)})
	require.NoError(t, err)
	res, err := p.Create(bg, &pulumirpc.CreateRequest{Urn: cmdURN("bake"), Properties: checked.GetInputs()})
	require.NoError(t, err)
	out := plain(t, res.GetProperties())
	assert.Equal(t, "ami-123 in "+filepath.Base(dir), out["stdout"])
	assert.Equal(t, "warn", out["stderr"])
	assert.NotEmpty(t, res.GetId())

	preview, err := p.Create(bg, &pulumirpc.CreateRequest{Urn: cmdURN("bake"), Properties: checked.GetInputs(), Preview: true})
	require.NoError(t, err)
	assert.NotContains(t, plain(t, preview.GetProperties()), "stdout", "nothing runs in a preview: stdout is unknown")

	failing := map[string]any{"create": "exit 3", "dir": dir}
	_, err = p.Create(bg, &pulumirpc.CreateRequest{Urn: cmdURN("bad"), Properties: pstruct(t, failing)})
	assert.ErrorContains(t, err, "exit status 3")
}

func TestCommandCheckFailsClosed(t *testing.T) {
	_, err := NewCommandProvider(nil).Check(bg, &pulumirpc.CheckRequest{Urn: cmdURN("x"), News: pstruct(t, map[string]any{"create": "true", "timeout": 5.0})})
	assert.ErrorContains(t, err, "input timeout is not an input of pulumi-command v1.2.0")
}

func TestCommandTriggersReplaceAndOtherChangesRerunCreate(t *testing.T) {
	p := NewCommandProvider(nil)
	base := map[string]any{"create": "echo one", "triggers": []any{"a"}}
	diff := func(news map[string]any) *pulumirpc.DiffResponse {
		res, err := p.Diff(bg, &pulumirpc.DiffRequest{Urn: cmdURN("c"), OldInputs: pstruct(t, base), News: pstruct(t, news)})
		require.NoError(t, err)
		return res
	}
	d := diff(map[string]any{"create": "echo one", "triggers": []any{"b"}})
	assert.Equal(t, []string{"triggers"}, d.GetReplaces())
	d = diff(map[string]any{"create": "echo two", "triggers": []any{"a"}})
	assert.Equal(t, []string{"create"}, d.GetDiffs())
	assert.Empty(t, d.GetReplaces())
	assert.Equal(t, pulumirpc.DiffResponse_DIFF_NONE, diff(base).GetChanges())

	// Without update, an update runs create again, with the previous output in the
	// environment unless addPreviousOutputInEnv is false.
	olds := map[string]any{"create": "echo one", "stdout": "one", "stderr": ""}
	run := func(news map[string]any) string {
		res, err := p.Update(bg, &pulumirpc.UpdateRequest{Urn: cmdURN("c"), Id: "cmd-1", Olds: pstruct(t, olds), News: pstruct(t, news)})
		require.NoError(t, err)
		return plain(t, res.GetProperties())["stdout"].(string)
	}
	assert.Equal(t, "two after one", run(map[string]any{"create": `echo "two after $PULUMI_COMMAND_STDOUT"`}))
	assert.Equal(t, "two after ", run(map[string]any{"create": `echo "two after $PULUMI_COMMAND_STDOUT"`, "addPreviousOutputInEnv": false}))
	assert.Equal(t, "updated", run(map[string]any{"create": "echo created", "update": "echo updated"}))
}

func TestCommandDeleteRunsDelete(t *testing.T) {
	p := NewCommandProvider(nil)
	marker := filepath.Join(t.TempDir(), "deleted")
	props := map[string]any{"create": "true", "delete": "echo \"$PULUMI_COMMAND_STDOUT\" > " + marker, "stdout": "ami-9"}
	_, err := p.Delete(bg, &pulumirpc.DeleteRequest{Urn: cmdURN("c"), Id: "cmd-1", Properties: pstruct(t, props)})
	require.NoError(t, err)
	b, err := os.ReadFile(marker)
	require.NoError(t, err)
	assert.Equal(t, "ami-9\n", string(b))
}
