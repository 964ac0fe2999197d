// Package images holds the Packer templates; these tests check what packer validate
// cannot: pinned defaults, and what the PowerShell provisioners (which cannot run here)
// say.
package images

import (
	"os"
	"regexp"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zclconf/go-cty/cty"
)

// variableDefaults reads the literal default of every variable block of a template.
func variableDefaults(t *testing.T, path string) map[string]string {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	require.False(t, diags.HasErrors(), diags.Error())
	out := map[string]string{}
	for _, block := range file.Body.(*hclsyntax.Body).Blocks {
		if block.Type != "variable" || len(block.Labels) != 1 {
			continue
		}
		attr, ok := block.Body.Attributes["default"]
		if !ok {
			continue
		}
		v, diags := attr.Expr.Value(nil)
		if diags.HasErrors() || !v.Type().Equals(cty.String) {
			continue
		}
		out[block.Labels[0]] = v.AsString()
	}
	return out
}

func TestMinGitIsPinnedWithAChecksum(t *testing.T) {
	defaults := variableDefaults(t, "windows-prerequisites.pkr.hcl")
	// As published in the winget-pkgs manifest
	// manifests/g/Git/MinGit/2.55.0.5/Git.MinGit.installer.yaml (x64 InstallerSha256).
	assert.Equal(t, "2.55.0.5", defaults["git_version"])
	assert.Regexp(t, `^[0-9a-f]{64}$`, defaults["git_sha256"], "the MinGit checksum is pinned, never looked up")
	assert.Equal(t, "56d7b226b7693196cfc71fef26568f536c4a021ab6c37ff2db4287bed908e96e", defaults["git_sha256"])
}

// The script's version pattern, read from the script itself: it must accept the pinned
// four-part version and the older three-part form, and derive the .windows.N tag.
func TestInstallGitDerivesTheReleaseTag(t *testing.T) {
	script, err := os.ReadFile("scripts/install-git.ps1")
	require.NoError(t, err)
	m := regexp.MustCompile(`-notmatch '([^']+)'\) \{ throw "GIT_VERSION`).FindSubmatch(script)
	require.NotNil(t, m, "install-git.ps1 must validate GIT_VERSION with a pattern")
	pattern := regexp.MustCompile(string(m[1]))
	for version, tag := range map[string]string{"2.55.0.5": "v2.55.0.windows.5", "2.47.1": "v2.47.1.windows.1"} {
		sub := pattern.FindStringSubmatch(version)
		require.NotNil(t, sub, "%s must be accepted", version)
		build := sub[2]
		if build == "" {
			build = "1"
		}
		assert.Equal(t, tag, "v"+sub[1]+".windows."+build, version)
	}
	for _, bad := range []string{"2.55", "v2.55.0.5", "2.55.0.5.1", "2.55.0.windows.5"} {
		assert.Nil(t, pattern.FindStringSubmatch(bad), "%s must be refused", bad)
	}
	assert.Contains(t, string(script), `$tag = "v$base.windows.$build"`)
	assert.NotContains(t, string(script), "api.github.com", "no digest lookup: older assets have none")
	assert.Regexp(t, `GIT_SHA256 .* is not a 64-hex SHA-256`, string(script), "an empty checksum fails the bake")
}
