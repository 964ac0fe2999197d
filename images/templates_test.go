// Package images holds the Packer templates; these tests check what packer validate
// cannot: pinned defaults, and what the PowerShell provisioners (which cannot run here)
// say.
package images

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
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

// provisioners lists a template's build provisioners in order: "type" or "type:script".
func provisioners(t *testing.T, path string) []string {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	require.False(t, diags.HasErrors(), diags.Error())
	var out []string
	for _, block := range file.Body.(*hclsyntax.Body).Blocks {
		if block.Type != "build" {
			continue
		}
		for _, p := range block.Body.Blocks {
			if p.Type != "provisioner" {
				continue
			}
			name := p.Labels[0]
			for _, attr := range []string{"script", "source"} {
				if a, ok := p.Body.Attributes[attr]; ok {
					rng := a.Expr.Range()
					name += ":" + strings.TrimSuffix(filepath.Base(string(rng.SliceBytes(src))), `"`)
				}
			}
			out = append(out, name)
		}
	}
	require.NotEmpty(t, out, "%s has no provisioners", path)
	return out
}

// WinRM is the build's door: it must not stay open in any image. The teardown is
// uploaded by the second-last provisioner and run by the last (with sysprep), so Packer
// keeps its connection until its last command; Packer then waits for sysprep's stop.
func TestWinRMIsTornDownRightBeforeSysprepInBothTemplates(t *testing.T) {
	for _, tpl := range []string{"windows-prerequisites.pkr.hcl", "windows-app.pkr.hcl"} {
		t.Run(tpl, func(t *testing.T) {
			ps := provisioners(t, tpl)
			require.GreaterOrEqual(t, len(ps), 3)
			assert.Equal(t, []string{"file:winrm-teardown.ps1", "powershell:generalize.ps1"}, ps[len(ps)-2:])
			src, err := os.ReadFile(tpl)
			require.NoError(t, err)
			assert.Regexp(t, `(?m)^\s*disable_stop_instance\s*=\s*true`, string(src), "sysprep stops the instance, Packer waits for it")
		})
	}
	generalize := read(t, "scripts/generalize.ps1")
	teardownAt, sysprepAt := strings.Index(generalize, "& '$teardown'"), strings.Index(generalize, "& '$ec2launch' sysprep --shutdown --block")
	require.True(t, teardownAt >= 0 && sysprepAt >= 0, "the finalize task runs the teardown and sysprep")
	assert.Less(t, teardownAt, sysprepAt, "teardown runs before sysprep")
	teardown := read(t, "scripts/winrm-teardown.ps1")
	for _, what := range []string{
		`Get-ChildItem WSMan:\localhost\Listener | Remove-Item`,
		`Auth\Basic -Value $false`,
		`Get-NetFirewallRule -Name 'WinRM-HTTPS-Packer'`,
		`Remove-NetFirewallRule`,
		`CN=webapi-packer-winrm' } | Remove-Item`,
	} {
		assert.Contains(t, teardown, what)
	}
}

// The app stage boots from the prerequisites AMI, which may still carry a listener: the
// bootstrap removes every listener, the rule and the old certificate before it creates
// its own (an HTTPS listener for Address=* that exists fails with AlreadyExists).
func TestWinRMBootstrapIsIdempotent(t *testing.T) {
	s := read(t, "scripts/winrm-bootstrap.ps1")
	removeListeners := strings.Index(s, `Get-ChildItem WSMan:\localhost\Listener | Remove-Item`)
	createListener := strings.Index(s, `New-Item -Path WSMan:\localhost\Listener`)
	removeRule := strings.Index(s, `Get-NetFirewallRule -Name 'WinRM-HTTPS-Packer' -ErrorAction SilentlyContinue | Remove-NetFirewallRule`)
	createRule := strings.Index(s, `New-NetFirewallRule -Name 'WinRM-HTTPS-Packer'`)
	require.True(t, removeListeners >= 0 && createListener >= 0 && removeRule >= 0 && createRule >= 0, "bootstrap must remove then create")
	assert.Less(t, removeListeners, createListener)
	assert.Less(t, removeRule, createRule)
	assert.NotContains(t, s, "Transport=HTTP'", "every listener goes, not only HTTP ones")
}

func TestAppStageRestartsAfterRemovingTheSDKAndFallsBackToAFullFetch(t *testing.T) {
	ps := provisioners(t, "windows-app.pkr.hcl")
	i := slices.Index(ps, "powershell:remove-build-tools.ps1")
	require.GreaterOrEqual(t, i, 0)
	require.Less(t, i+1, len(ps))
	assert.Equal(t, "windows-restart", ps[i+1], "an uninstall answering 3010 completes before sysprep")
	deploy := read(t, "scripts/deploy-app.ps1")
	assert.Contains(t, deploy, "fetch --quiet --depth 1 origin $env:APP_COMMIT")
	assert.Contains(t, deploy, "'+refs/heads/*:refs/remotes/origin/*' '+refs/tags/*:refs/tags/*'", "a host that refuses a fetch by id gets a full fetch")
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}
