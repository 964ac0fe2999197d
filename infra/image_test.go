package infra

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/testutil"
)

const tCommand = "command:local:Command"

func bakeConfig(kv ...string) map[string]string {
	// dotnetChannel: no git access under mocks (runtime_test.go covers detection).
	return blueConfig(append([]string{"amiId", testutil.Unset, "appRepository", "https://github.com/acme/webapi.git", "appRef", "v1.4.0", "dotnetChannel", "10.0"}, kv...)...)
}

func commandsByName(r runResult) map[string]registered {
	out := map[string]registered{}
	for _, c := range r.mocks.byType(tCommand) {
		out[c.Name] = c
	}
	return out
}

func TestImageChainFeedsTheFleet(t *testing.T) {
	r := runOK(t, "blue", bakeConfig(), nil)
	cmds := commandsByName(r)
	require.Len(t, cmds, 2)
	prereq, app := cmds["image-blue-prerequisites"], cmds["image-blue-app"]

	assert.Equal(t, bakeBuildCommand, prop(prereq.Inputs, "create"))
	assert.Nil(t, prop(prereq.Inputs, "dir"), "runs in the project directory, wherever the checkout is")
	assert.Equal(t, bakeCurrentCommand, prop(prereq.Inputs, "update"), "an update that is not a re-bake prints the last AMI again")
	assert.Equal(t, true, prop(prereq.Inputs, "addPreviousOutputInEnv"), "the last stdout (the AMI id alone) reaches the update")
	assert.Nil(t, prop(prereq.Inputs, "delete"), "AMIs are kept unless deregisterAmisOnDelete")

	prereqAmi := mockAmiFor("image-blue-prerequisites")
	assert.Equal(t, prereqAmi, prop(app.Inputs, "environment", "PKR_VAR_prerequisites_ami_id"), "stage two builds on stage one's AMI")
	assert.Contains(t, prop(app.Inputs, "triggers"), prereqAmi, "a new prerequisites AMI re-bakes the app")
	assert.Equal(t, "https://github.com/acme/webapi.git", prop(app.Inputs, "environment", "PKR_VAR_app_repository"))
	assert.Equal(t, "v1.4.0", prop(app.Inputs, "environment", "PKR_VAR_app_ref"))
	assert.Equal(t, "blue", prop(app.Inputs, "environment", "PKR_VAR_color"))
	assert.Equal(t, testRegion, prop(app.Inputs, "environment", "WEBAPI_BAKE_REGION"))
	assert.Equal(t, "/health", prop(app.Inputs, "environment", "PKR_VAR_health_check_path"))
	assert.Equal(t, "prerequisites", prop(prereq.Inputs, "environment", "WEBAPI_BAKE_STAGE"))
	assert.Equal(t, "app", prop(app.Inputs, "environment", "WEBAPI_BAKE_STAGE"))
	for _, c := range []registered{prereq, app} {
		hash := prop(c.Inputs, "environment", "PKR_VAR_template_hash")
		assert.Len(t, hash, 64)
		assert.Equal(t, hash, prop(c.Inputs, "triggers").([]any)[0], "the trigger is the content hash")
		assert.Contains(t, c.Parent, TypeImage+"::image-blue", "bake stages are children of the Image component")
	}

	lt := r.mocks.byType(tLT)[0]
	assert.Equal(t, mockAmiFor("image-blue-app"), prop(lt.Inputs, "imageId"), "the fleet runs the baked application AMI")
	assert.Equal(t, mockAmiFor("image-blue-app"), r.outputs[OutAmiID])
	assert.Equal(t, prereqAmi, r.outputs[OutPrerequisites])
	assert.Equal(t, "v1.4.0", r.outputs[OutAppRef])
}

func TestImageSkipPaths(t *testing.T) {
	t.Run("prerequisitesAmiId skips stage one", func(t *testing.T) {
		r := runOK(t, "blue", bakeConfig("prerequisitesAmiId", "ami-0feedfacefeedface"), nil)
		cmds := commandsByName(r)
		require.Len(t, cmds, 1)
		app := cmds["image-blue-app"]
		assert.Equal(t, "ami-0feedfacefeedface", prop(app.Inputs, "environment", "PKR_VAR_prerequisites_ami_id"))
		assert.Equal(t, mockAmiFor("image-blue-app"), prop(r.mocks.byType(tLT)[0].Inputs, "imageId"))
	})
	t.Run("amiId skips both", func(t *testing.T) {
		r := runOK(t, "blue", bakeConfig("amiId", "ami-0123456789abcdef0"), nil)
		assert.Empty(t, r.mocks.byType(tCommand))
		assert.Empty(t, r.mocks.byType(TypeImage))
		assert.Equal(t, "ami-0123456789abcdef0", prop(r.mocks.byType(tLT)[0].Inputs, "imageId"))
		assert.Equal(t, "prebaked:ami-0123456789abcdef0", r.outputs[OutAppRef])
	})
	t.Run("green bakes its own chain", func(t *testing.T) {
		edge := edgeOutputsOf(t)
		r := runOK(t, "green", greenConfig("amiId", testutil.Unset, "appRepository", "https://github.com/acme/webapi.git", "appRef", "v2.0.0", "dotnetChannel", "10.0"), edge)
		cmds := commandsByName(r)
		require.Len(t, cmds, 2)
		assert.Equal(t, "green", prop(cmds["image-green-app"].Inputs, "environment", "PKR_VAR_stack"))
		assert.Equal(t, mockAmiFor("image-green-app"), prop(r.mocks.byType(tLT)[0].Inputs, "imageId"))
	})
}

func TestBakeFollowsTheEdgeHealthCheckAndSubnet(t *testing.T) {
	edge := edgeOutputsOf(t, "healthCheckPath", "/ready")
	assert.Equal(t, "/ready", edge[OutHealthCheckPath])
	r := runOK(t, "green", greenConfig("amiId", testutil.Unset, "appRepository", "https://github.com/acme/webapi.git", "appRef", "v2.0.0", "dotnetChannel", "10.0",
		"bakeSubnetId", "subnet-0123456789abcdef0"), edge)
	app := commandsByName(r)["image-green-app"]
	assert.Equal(t, "/ready", prop(app.Inputs, "environment", "PKR_VAR_health_check_path"),
		"green's image must pass the check the ALB runs, which the edge stack configures")
	for name, c := range commandsByName(r) {
		assert.Equal(t, "subnet-0123456789abcdef0", prop(c.Inputs, "environment", "PKR_VAR_subnet_id"), name)
	}

	// An edge deployed before healthCheckPath was exported still works.
	delete(edge, OutHealthCheckPath)
	r = runOK(t, "green", greenConfig("amiId", testutil.Unset, "appRepository", "https://github.com/acme/webapi.git", "appRef", "v2.0.0", "dotnetChannel", "10.0"), edge)
	assert.Equal(t, "/health", prop(commandsByName(r)["image-green-app"].Inputs, "environment", "PKR_VAR_health_check_path"))
}

func TestDeregisterOnDeleteIsOptIn(t *testing.T) {
	r := runOK(t, "blue", bakeConfig("deregisterAmisOnDelete", "true"), nil)
	for name, c := range commandsByName(r) {
		assert.Equal(t, bakeDeregisterCommand, prop(c.Inputs, "delete"), name)
	}
}

// Unchanged inputs keep the triggers; a new app ref re-bakes the app stage only.
func TestTriggersChangeOnlyWithTheirInputs(t *testing.T) {
	hashes := func(kv ...string) map[string]string {
		out := map[string]string{}
		for name, c := range commandsByName(runOK(t, "blue", bakeConfig(kv...), nil)) {
			out[strings.TrimPrefix(name, "image-blue-")] = prop(c.Inputs, "environment", "PKR_VAR_template_hash").(string)
		}
		return out
	}
	first, again := hashes(), hashes()
	assert.Equal(t, first, again, "an unchanged stack never re-bakes")
	newRef := hashes("appRef", "v1.5.0")
	assert.Equal(t, first["prerequisites"], newRef["prerequisites"], "a new app ref leaves the prerequisites alone")
	assert.NotEqual(t, first["app"], newRef["app"], "a new app ref re-bakes the app")
	bigger := hashes("bakeInstanceType", "m6i.xlarge")
	assert.NotEqual(t, first["prerequisites"], bigger["prerequisites"])
}

// Every resource but the components is a child of one of the components.
func TestEveryResourceHasAComponentParent(t *testing.T) {
	edge := edgeOutputsOf(t)
	for name, r := range map[string]runResult{
		"blue":  runOK(t, "blue", bakeConfig(), nil),
		"green": runOK(t, "green", greenConfig(), edge),
	} {
		for _, res := range r.mocks.resources {
			if strings.HasPrefix(res.Type, ComponentTypePrefix) || res.Type == tStackRef {
				continue
			}
			assert.Contains(t, res.Parent, ComponentTypePrefix, "%s: %s (%s) has no component parent", name, res.Name, res.Type)
		}
	}
}

// Two checkouts of the same commit in different folders give the bake commands the same
// inputs, so deploying from either bakes nothing the other baked.
func TestBakeInputsDoNotDependOnTheCheckoutPath(t *testing.T) {
	checkouts := [2]string{t.TempDir(), t.TempDir()}
	var inputs [2]string
	for i, dir := range checkouts {
		require.NoError(t, os.CopyFS(filepath.Join(dir, "images"), os.DirFS(testutil.RepoPath("images"))))
		r := runIn(t, dir, "blue", bakeConfig(), nil)
		require.NoError(t, r.err)
		cmds := commandsByName(r)
		require.Len(t, cmds, 2)
		b, err := json.Marshal(map[string]any{"prerequisites": cmds["image-blue-prerequisites"].Inputs.Mappable(), "app": cmds["image-blue-app"].Inputs.Mappable()})
		require.NoError(t, err)
		inputs[i] = string(b)
		assert.NotContains(t, inputs[i], dir, "no input may name the checkout's path")
	}
	assert.Equal(t, inputs[0], inputs[1])
}
