package infra

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// webapi:appProject reaches the app template as PKR_VAR_app_project and is part of the
// app stage's trigger: a new project re-bakes the app, and only the app.
func TestAppProjectIsAnAppStageVariable(t *testing.T) {
	bake := func(kv ...string) map[string]registered {
		return commandsByName(runOK(t, "blue", bakeConfig(kv...), nil))
	}
	root, sub := bake(), bake("appProject", "src/WebApi")
	assert.Equal(t, "", prop(root["image-blue-app"].Inputs, "environment", "PKR_VAR_app_project"), "empty: the repository root")
	assert.Equal(t, "src/WebApi", prop(sub["image-blue-app"].Inputs, "environment", "PKR_VAR_app_project"))
	assert.Nil(t, prop(sub["image-blue-prerequisites"].Inputs, "environment", "PKR_VAR_app_project"), "the prerequisites do not build the app")

	hash := func(cmds map[string]registered, stage string) any {
		return prop(cmds["image-blue-"+stage].Inputs, "environment", "PKR_VAR_template_hash")
	}
	assert.NotEqual(t, hash(root, "app"), hash(sub, "app"), "a new project re-bakes the app")
	assert.Equal(t, hash(root, "prerequisites"), hash(sub, "prerequisites"))
	assert.NotEqual(t, prop(root["image-blue-app"].Inputs, "triggers"), prop(sub["image-blue-app"].Inputs, "triggers"), "the trigger replaces (bakes)")
}

// The Pulumi project tags both stages' AMIs (PKR_VAR_project); the clean-up checks it.
func TestBakesTagTheProject(t *testing.T) {
	for name, c := range commandsByName(runOK(t, "blue", bakeConfig(), nil)) {
		assert.Equal(t, "webapi", prop(c.Inputs, "environment", "PKR_VAR_project"), name)
	}
}

func TestAppProjectIsValidated(t *testing.T) {
	for _, good := range []string{"src/WebApi", "WebApi.csproj", "src/Web.Api/Web.Api.csproj", "a_b-c"} {
		_, err := LoadConfig(MapSource(bakeConfig("appProject", good)))
		assert.NoError(t, err, good)
	}
	for _, bad := range []string{
		"../other", "src/../../etc", "/abs/path", "-rf", "src//x", `src\WebApi`, "C:/x", "src/$(whoami)", "a;b", "a b", "a'b", "`x`",
		strings.Repeat("a", 256),
	} {
		_, err := LoadConfig(MapSource(bakeConfig("appProject", bad)))
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "webapi:appProject:", bad)
		assert.Contains(t, err.Error(), "want a path inside the app repository", bad)
	}
}
