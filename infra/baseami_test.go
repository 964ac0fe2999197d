package infra

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/testutil"
)

const testBaseAmi = "ami-0aaaaaaaaaaaaaaaa"

// bakeInputs are the bake commands' inputs by stage, as JSON.
func bakeInputs(t *testing.T, r runResult) map[string]string {
	t.Helper()
	require.NoError(t, r.err)
	out := map[string]string{}
	for name, c := range commandsByName(r) {
		b, err := json.Marshal(c.Inputs.Mappable())
		require.NoError(t, err)
		out[name] = string(b)
	}
	return out
}

// webapi:baseAmiId is the prerequisites stage's source AMI (PKR_VAR_base_ami_id, which
// the template sets as source_ami) and part of its trigger; the app stage re-bakes
// through the prerequisites AMI in its triggers, as for any prerequisites input.
func TestBaseAmiIsThePrerequisitesSourceAndTrigger(t *testing.T) {
	unpinned := commandsByName(runOK(t, "blue", bakeConfig(), nil))
	pinned := commandsByName(runOK(t, "blue", bakeConfig("baseAmiId", testBaseAmi), nil))
	other := commandsByName(runOK(t, "blue", bakeConfig("baseAmiId", "ami-0bbbbbbbbbbbbbbbb"), nil))

	prereq := pinned["image-blue-prerequisites"]
	assert.Equal(t, testBaseAmi, prop(prereq.Inputs, "environment", "PKR_VAR_base_ami_id"), "Packer builds on the pin")
	assert.Nil(t, prop(pinned["image-blue-app"].Inputs, "environment", "PKR_VAR_base_ami_id"), "the app stage builds on the prerequisites AMI")
	assert.Nil(t, prop(unpinned["image-blue-prerequisites"].Inputs, "environment", "PKR_VAR_base_ami_id"), "unset: no variable, the filter picks")

	trigger := func(cmds map[string]registered, name string) any {
		return prop(cmds[name].Inputs, "triggers").([]any)[0]
	}
	assert.NotEqual(t, trigger(unpinned, "image-blue-prerequisites"), trigger(pinned, "image-blue-prerequisites"), "pinning re-bakes")
	assert.NotEqual(t, trigger(pinned, "image-blue-prerequisites"), trigger(other, "image-blue-prerequisites"), "a new pin re-bakes")
	assert.Equal(t, trigger(unpinned, "image-blue-app"), trigger(pinned, "image-blue-app"), "the app's own inputs are the same")
}

// optionalRegion matches a fenced optional region of a template (internal/bake/optional.go).
var optionalRegion = regexp.MustCompile(`(?m)^[ \t]*# bake:optional base_ami_id\n(?s:.*?)^[ \t]*# bake:end\n`)

// A stack that leaves baseAmiId unset gets bake commands whose every input (triggers
// included) is what the program gave before the key existed, when the template had no
// base_ami_id: upgrading re-bakes nothing and updates no command. The "before" checkout
// is today's images/ with the key's regions cut out.
func TestBaseAmiUnsetKeepsTodaysBakeInputs(t *testing.T) {
	before := filepath.Join(t.TempDir(), "before")
	require.NoError(t, os.CopyFS(filepath.Join(before, "images"), os.DirFS(testutil.RepoPath("images"))))
	tpl := filepath.Join(before, "images", "windows-prerequisites.pkr.hcl")
	b, err := os.ReadFile(tpl)
	require.NoError(t, err)
	require.Len(t, optionalRegion.FindAll(b, -1), 2, "the variable and source_ami, each fenced")
	cut := optionalRegion.ReplaceAll(b, nil)
	require.NotContains(t, string(cut), "base_ami_id")
	require.NoError(t, os.WriteFile(tpl, cut, 0o644))

	old := bakeInputs(t, runIn(t, before, "blue", bakeConfig(), nil))
	require.Len(t, old, 2)
	assert.Equal(t, old, bakeInputs(t, run(t, "blue", bakeConfig(), nil)), "key absent")
	assert.Equal(t, old, bakeInputs(t, run(t, "blue", bakeConfig("baseAmiId", ""), nil)), "key empty")
	assert.NotEqual(t, old, bakeInputs(t, run(t, "blue", bakeConfig("baseAmiId", testBaseAmi), nil)))
}

// The pin is a colour output, so later deploys keep it from the stack, never a checkout.
func TestBaseAmiIsAColorOutput(t *testing.T) {
	assert.Equal(t, testBaseAmi, runOK(t, "blue", bakeConfig("baseAmiId", testBaseAmi), nil).outputs[OutBaseAmiID])
	assert.Equal(t, "", runOK(t, "blue", bakeConfig(), nil).outputs[OutBaseAmiID], "empty when unset")
	// A prebaked AMI bakes nothing, but the pin is kept for the next bake.
	assert.Equal(t, testBaseAmi, runOK(t, "blue", blueConfig("baseAmiId", testBaseAmi), nil).outputs[OutBaseAmiID])
	edge := edgeOutputsOf(t)
	assert.Equal(t, testBaseAmi, runOK(t, "green", greenConfig("baseAmiId", testBaseAmi), edge).outputs[OutBaseAmiID])
}
