package infra

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// loadProject reads ../Pulumi.yaml through the SDK's loader, which validates it against
// the same project schema the CLI uses (it rejects, say, an unknown config type).
func loadProject(t *testing.T) *workspace.Project {
	t.Helper()
	p, err := workspace.LoadProject(filepath.Join("..", "Pulumi.yaml"))
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
			raw, err := os.ReadFile(filepath.Join("..", "Pulumi."+stack+".yaml"))
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

// configTable renders the README's config reference from Pulumi.yaml.
func configTable(p *workspace.Project) string {
	var b strings.Builder
	b.WriteString("| key | type | default | description |\n| --- | --- | --- | --- |\n")
	names := make([]string, 0, len(ConfigKeys))
	for _, k := range ConfigKeys {
		names = append(names, k.Name)
	}
	for _, name := range names {
		ct := p.Config[name]
		def := "*(required)*"
		if ct.Default != nil {
			def = "`" + defaultLiteral(ct.Default) + "`"
		}
		fmt.Fprintf(&b, "| `%s:%s` | %s | %s | %s |\n", ConfigNamespace, name, *ct.Type, def, strings.ReplaceAll(ct.Description, "|", "\\|"))
	}
	return b.String()
}

func defaultLiteral(v any) string {
	switch x := v.(type) {
	case string:
		if x == "" {
			return `""`
		}
		return x
	case []any:
		var s []string
		for _, e := range x {
			s = append(s, fmt.Sprintf("%q", e))
		}
		sort.Strings(s)
		return "[" + strings.Join(s, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// The README's config reference is generated from Pulumi.yaml; UPDATE_README=1 rewrites it.
func TestReadmeConfigReferenceMatchesPulumiYaml(t *testing.T) {
	const begin, end = "<!-- config-reference:begin -->\n", "<!-- config-reference:end -->"
	path := filepath.Join("..", "README.md")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	readme := string(raw)
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	require.True(t, i >= 0 && j > i, "README.md needs the %q and %q markers", begin, end)
	want := configTable(loadProject(t))
	got := readme[i+len(begin) : j]
	if os.Getenv("UPDATE_README") == "1" && got != want {
		require.NoError(t, os.WriteFile(path, []byte(readme[:i+len(begin)]+want+readme[j:]), 0o644))
		got = want
	}
	assert.Equal(t, want, got, "README config reference is stale: run UPDATE_README=1 go test ./infra -run TestReadmeConfigReference")
}
