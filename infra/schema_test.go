package infra

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/webapi-platform/infra/internal/readmegen"
	"github.com/webapi-platform/infra/internal/testutil"
)

// loadProject reads the repository's Pulumi.yaml through the SDK's loader, which validates it against
// the same project schema the CLI uses (it rejects, say, an unknown config type).
func loadProject(t *testing.T) *workspace.Project {
	t.Helper()
	p, err := workspace.LoadProject(testutil.RepoPath("Pulumi.yaml"))
	require.NoError(t, err, "Pulumi.yaml must be a valid project file")
	return p
}

func TestPulumiYamlDeclaresEveryKeyWithTypeDescriptionAndDefault(t *testing.T) {
	p := loadProject(t)
	assert.Equal(t, "webapi", p.Name.String())
	assert.Equal(t, "go", p.Runtime.Name())

	declared := map[string]bool{}
	for _, k := range ConfigKeys {
		declared[k.Name] = true
		ct, ok := p.Config[k.Name]
		if !assert.True(t, ok, "Pulumi.yaml does not declare %s", k.Name) {
			continue
		}
		require.NotNil(t, ct.Type, "%s has no type", k.Name)
		assert.Equal(t, k.Type, *ct.Type, "%s: type in Pulumi.yaml", k.Name)
		assert.NotEmpty(t, ct.Description, "%s has no description", k.Name)
		if k.Default == nil {
			assert.Nil(t, ct.Default, "%s is required, so it has no default", k.Name)
			continue
		}
		assert.Equal(t, normalise(k.Default), normalise(ct.Default), "%s: the Go default and Pulumi.yaml's must agree", k.Name)
	}
	for name := range p.Config {
		assert.True(t, declared[name], "Pulumi.yaml declares %s, which the program does not read", name)
	}
}

func normalise(v any) string {
	switch x := v.(type) {
	case []string:
		return fmt.Sprint(x)
	case []any:
		var s []string
		for _, e := range x {
			s = append(s, fmt.Sprint(e))
		}
		return fmt.Sprint(s)
	}
	return fmt.Sprint(v)
}

// Both stack files load and validate as the stacks they are.
func TestStackFilesAreValid(t *testing.T) {
	for _, stack := range []string{"blue", "green"} {
		t.Run(stack, func(t *testing.T) {
			raw, err := os.ReadFile(testutil.RepoPath("Pulumi." + stack + ".yaml"))
			require.NoError(t, err)
			var file struct {
				Config map[string]any `yaml:"config"`
			}
			require.NoError(t, yaml.Unmarshal(raw, &file))
			values := map[string]string{}
			for k, v := range file.Config {
				if key, ok := strings.CutPrefix(k, ConfigNamespace+":"); ok {
					values[key] = fmt.Sprint(v)
				}
			}
			c, err := LoadConfig(MapSource(values))
			require.NoError(t, err)
			assert.Equal(t, Color(stack), c.Color)
			assert.Equal(t, stack == "blue", c.Edge, "blue is the edge stack")
			assert.NotContains(t, string(raw), "AKIA", "no access keys in stack files")
			assert.NotRegexp(t, `\b\d{12}\b`, string(raw), "no account ids in stack files")
		})
	}
}

// The README's config reference is generated from Pulumi.yaml (internal/readmegen);
// `go generate ./...` rewrites it.
func TestReadmeConfigReferenceIsCurrent(t *testing.T) {
	project, err := os.ReadFile(testutil.RepoPath("Pulumi.yaml"))
	require.NoError(t, err)
	readme, err := os.ReadFile(testutil.RepoPath("README.md"))
	require.NoError(t, err)
	want, err := readmegen.ConfigTable(project)
	require.NoError(t, err)
	got, err := readmegen.Block(string(readme))
	require.NoError(t, err)
	assert.Equal(t, want, got, "README.md's config reference is stale: run go generate ./...")
}
