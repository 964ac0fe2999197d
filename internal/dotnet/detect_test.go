package dotnet

import (
	"maps"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mapTree is a repository at a commit, as a map of file → content.
type mapTree map[string]string

func (m mapTree) Read(file string) ([]byte, bool, error) {
	c, ok := m[path.Clean(file)]
	return []byte(c), ok, nil
}

func (m mapTree) List(dir string) ([]string, error) {
	dir = strings.Trim(dir, "/")
	var out []string
	for _, f := range slices.Sorted(maps.Keys(m)) {
		if d := path.Dir(f); d == dir || (dir == "" && d == ".") {
			out = append(out, path.Base(f))
		}
	}
	return out, nil
}

const (
	props10     = `<Project><PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup></Project>`
	importAbove = `<Import Project="$([MSBuild]::GetPathOfFileAbove('Directory.Build.props', '$(MSBuildThisFileDirectory)../'))" />`
)

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name       string
		tree       mapTree
		appProject string
		project    string
		props      []string
		frameworks []string
	}{
		{"single target at the root", mapTree{"WebApi.csproj": sdkWeb + `<PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup></Project>`},
			"", "WebApi.csproj", nil, []string{"net8.0"}},
		{"multi-target in a folder", mapTree{"src/Api/Api.csproj": sdkWeb + `<PropertyGroup><TargetFrameworks>net8.0;net10.0</TargetFrameworks></PropertyGroup></Project>`, "src/Api/Program.cs": ""},
			"src/Api", "src/Api/Api.csproj", nil, []string{"net8.0", "net10.0"}},
		{"project file named", mapTree{"src/Api/Api.csproj": sdkWeb + `<PropertyGroup><TargetFramework>net9.0</TargetFramework></PropertyGroup></Project>`, "src/Api/Other.csproj": ""},
			"src/Api/Api.csproj", "src/Api/Api.csproj", nil, []string{"net9.0"}},
		{"Directory.Build.props at the root", mapTree{"Directory.Build.props": props10, "src/Api/Api.csproj": sdkWeb + `</Project>`},
			"src/Api", "src/Api/Api.csproj", []string{"Directory.Build.props"}, []string{"net10.0"}},
		{"only the nearest props without an import", mapTree{
			"Directory.Build.props":     `<Project><PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup></Project>`,
			"src/Directory.Build.props": `<Project><PropertyGroup><Nullable>enable</Nullable></PropertyGroup></Project>`,
			"src/Api/Api.csproj":        sdkWeb + `<PropertyGroup><TargetFrameworks>net10.0</TargetFrameworks></PropertyGroup></Project>`,
		}, "src/Api", "src/Api/Api.csproj", []string{"src/Directory.Build.props"}, []string{"net10.0"}},
		{"a props that imports the one above", mapTree{
			"Directory.Build.props":     `<Project><PropertyGroup><Frameworks>net8.0;net10.0</Frameworks></PropertyGroup></Project>`,
			"src/Directory.Build.props": `<Project>` + importAbove + `<PropertyGroup><TargetFrameworks>$(Frameworks)</TargetFrameworks></PropertyGroup></Project>`,
			"src/Api/Api.csproj":        sdkWeb + `</Project>`,
		}, "src/Api", "src/Api/Api.csproj", []string{"Directory.Build.props", "src/Directory.Build.props"}, []string{"net8.0", "net10.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Detect(tc.tree, tc.appProject)
			require.NoError(t, err)
			assert.Equal(t, tc.project, d.Project)
			assert.Equal(t, tc.props, d.Props)
			assert.Equal(t, tc.frameworks, d.Frameworks)
		})
	}
}

func TestDetectErrorsNameTheFile(t *testing.T) {
	for _, tc := range []struct {
		name, appProject string
		tree             mapTree
		says             string
	}{
		{"no target found", "", mapTree{"Api.csproj": sdkWeb + `</Project>`, "Directory.Build.props": `<Project />`},
			"no TargetFramework or TargetFrameworks is set (outside a Condition) in Directory.Build.props, Api.csproj"},
		{"no project in the folder", "src", mapTree{"src/Program.cs": ""}, "webapi:appProject: src holds no project file"},
		{"no project at the root", "", mapTree{"README.md": ""}, "webapi:appProject: the repository root holds no project file"},
		{"two projects", "", mapTree{"A.csproj": "", "B.fsproj": ""}, "holds several project files (A.csproj, B.fsproj)"},
		{"named project missing", "src/Gone.csproj", mapTree{}, "webapi:appProject: src/Gone.csproj does not exist at this commit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Detect(tc.tree, tc.appProject)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.says)
		})
	}
}
