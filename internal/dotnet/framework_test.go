package dotnet

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func proj(path, body string) ProjectFile {
	return ProjectFile{Path: path, Content: []byte(body)}
}

const sdkWeb = `<Project Sdk="Microsoft.NET.Sdk.Web">`

func TestTargetFrameworks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		project string
		props   []string // outermost first
		want    []string
	}{
		{"single target", sdkWeb + `<PropertyGroup><TargetFramework>net8.0</TargetFramework><Nullable>enable</Nullable></PropertyGroup></Project>`, nil, []string{"net8.0"}},
		{"multi-target", sdkWeb + `<PropertyGroup><TargetFrameworks>net8.0; net10.0 ;</TargetFrameworks></PropertyGroup></Project>`, nil, []string{"net8.0", "net10.0"}},
		{"TargetFramework wins over TargetFrameworks", sdkWeb + `<PropertyGroup><TargetFrameworks>net8.0;net9.0</TargetFrameworks><TargetFramework>net9.0</TargetFramework></PropertyGroup></Project>`, nil, []string{"net9.0"}},
		{"from Directory.Build.props", sdkWeb + `<PropertyGroup><Nullable>enable</Nullable></PropertyGroup></Project>`,
			[]string{`<Project><PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup></Project>`}, []string{"net10.0"}},
		{"the project overrides the props", sdkWeb + `<PropertyGroup><TargetFramework>net9.0</TargetFramework></PropertyGroup></Project>`,
			[]string{`<Project><PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup></Project>`}, []string{"net9.0"}},
		{"a property reference from the props", sdkWeb + `<PropertyGroup><TargetFrameworks>$(AppFrameworks);net10.0</TargetFrameworks></PropertyGroup></Project>`,
			[]string{`<Project><PropertyGroup><AppFrameworks>net8.0</AppFrameworks></PropertyGroup></Project>`}, []string{"net8.0", "net10.0"}},
		{"names are case-insensitive", sdkWeb + `<PropertyGroup><targetframework>net8.0</targetframework></PropertyGroup></Project>`, nil, []string{"net8.0"}},
		{"conditional groups are skipped", sdkWeb + `<PropertyGroup Condition="'$(CI)' == 'true'"><TargetFramework>net6.0</TargetFramework></PropertyGroup>` +
			`<PropertyGroup><TargetFramework Condition="'$(X)' != ''">net7.0</TargetFramework><TargetFrameworks>net10.0</TargetFrameworks></PropertyGroup></Project>`, nil, []string{"net10.0"}},
		{"items are not properties", sdkWeb + `<ItemGroup><TargetFramework Include="net6.0" /></ItemGroup><PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup></Project>`, nil, []string{"net8.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var props []ProjectFile
			for _, p := range tc.props {
				props = append(props, proj("Directory.Build.props", p))
			}
			got, err := TargetFrameworks(proj("src/Api/Api.csproj", tc.project), props)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestTargetFrameworksNotFoundIsAClearError(t *testing.T) {
	for name, tc := range map[string]struct {
		project string
		props   []string
	}{
		"nothing set":           {sdkWeb + `<PropertyGroup><Nullable>enable</Nullable></PropertyGroup></Project>`, nil},
		"only conditional":      {sdkWeb + `<PropertyGroup Condition="'$(Configuration)' == 'Release'"><TargetFramework>net8.0</TargetFramework></PropertyGroup></Project>`, nil},
		"empty after expanding": {sdkWeb + `<PropertyGroup><TargetFramework>$(Undefined)</TargetFramework></PropertyGroup></Project>`, []string{`<Project />`}},
	} {
		t.Run(name, func(t *testing.T) {
			var props []ProjectFile
			for _, p := range tc.props {
				props = append(props, proj("Directory.Build.props", p))
			}
			_, err := TargetFrameworks(proj("src/Api/Api.csproj", tc.project), props)
			var nf *NoFrameworkError
			require.ErrorAs(t, err, &nf)
			assert.Contains(t, err.Error(), "no TargetFramework or TargetFrameworks is set")
			assert.Contains(t, err.Error(), "src/Api/Api.csproj")
			assert.Contains(t, err.Error(), "webapi:dotnetChannel")
		})
	}
	_, err := TargetFrameworks(proj("Api.csproj", `<Project><PropertyGroup>`), nil)
	assert.ErrorContains(t, err, "Api.csproj is not well-formed XML")
}

func TestChannelOf(t *testing.T) {
	for tfm, want := range map[string]string{"net8.0": "8.0", "net10.0": "10.0", "NET9.0": "9.0", "net8.0-windows": "8.0", "netcoreapp3.1": "3.1"} {
		got, ok := ChannelOf(tfm)
		assert.True(t, ok, tfm)
		assert.Equal(t, want, got, tfm)
	}
	for _, tfm := range []string{"netstandard2.0", "net48", "net472", "", "net10"} {
		_, ok := ChannelOf(tfm)
		assert.False(t, ok, tfm)
	}
}

func TestChoose(t *testing.T) {
	c, err := Pinned()
	require.NoError(t, err)
	for _, tc := range []struct {
		name       string
		frameworks []string
		override   string
		channel    string
		framework  string
	}{
		{"single target", []string{"net8.0"}, "", "8.0", "net8.0"},
		{"multi-target: the highest channel", []string{"net8.0", "net10.0", "net9.0"}, "", "10.0", "net10.0"},
		{"unknown channels are passed over", []string{"netstandard2.0", "net11.0", "net9.0"}, "", "9.0", "net9.0"},
		{"an OS-specific moniker is published as is", []string{"net10.0-windows"}, "", "10.0", "net10.0-windows"},
		{"override, no detection", nil, "10.0", "10.0", "net10.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Choose(c, tc.frameworks, tc.override)
			require.NoError(t, err)
			assert.Equal(t, tc.channel, got.Channel.Channel)
			assert.Equal(t, tc.framework, got.Framework)
		})
	}
	_, err = Choose(c, []string{"netstandard2.0", "net6.0"}, "")
	assert.ErrorContains(t, err, "the app targets netstandard2.0, net6.0, and none of them runs on a channel internal/dotnet/channels.json pins (10.0, 9.0, 8.0)")
	_, err = Choose(c, nil, "7.0")
	assert.ErrorContains(t, err, ".NET channel 7.0 is not in")
}
