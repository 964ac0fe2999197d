package infra

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/testutil"
)

// The colour and version reach the web API's worker processes as environment variables
// of its IIS application pool (applicationHost.config), replaced if present, and the
// pool is recycled; machine variables and iisreset are not relied on.
func TestUserDataSetsTheAppPoolEnvironment(t *testing.T) {
	ud := UserData(Green, "v1.2.3", "ami-0123456789abcdef0")
	assert.True(t, strings.HasPrefix(ud, "<powershell>"))
	assert.True(t, strings.HasSuffix(ud, "</powershell>\n"))
	assert.Contains(t, ud, "color = 'green'; appVersion = 'v1.2.3'; amiId = 'ami-0123456789abcdef0'", "the JSON file stays")
	assert.Contains(t, ud, "deployment.json")

	assert.Contains(t, ud, `$appcmd = Join-Path $env:windir 'System32\inetsrv\appcmd.exe'`)
	assert.Contains(t, ud, "$pool = 'webapi'")
	assert.Contains(t, ud, "[ordered]@{ WEBAPI_COLOR = 'green'; WEBAPI_VERSION = 'v1.2.3' }")
	remove := `set config -section:system.applicationHost/applicationPools "/-[name='$pool'].environmentVariables.[name='$($var.Key)']" /commit:apphost`
	add := `set config -section:system.applicationHost/applicationPools "/+[name='$pool'].environmentVariables.[name='$($var.Key)',value='$($var.Value)']" /commit:apphost`
	recycle := `& $appcmd recycle apppool "/apppool.name:$pool"`
	for _, s := range []string{remove, add, recycle} {
		require.Contains(t, ud, s)
	}
	assert.Less(t, strings.Index(ud, remove), strings.Index(ud, add), "an existing entry is removed before it is added (appcmd refuses a duplicate)")
	assert.Less(t, strings.Index(ud, add), strings.Index(ud, recycle), "the pool is recycled once both are set")
	assert.Regexp(t, `(?s)ErrorActionPreference = 'Continue'\s+& \$appcmd `+regexp.QuoteMeta(remove), ud, "a missing entry on first boot is not an error")
	assert.Contains(t, ud, `if ($LASTEXITCODE -ne 0) { throw "appcmd could not set`, "a failed add fails the boot script")
	assert.Contains(t, ud, `if ($LASTEXITCODE -ne 0) { throw "appcmd could not recycle`)

	assert.NotContains(t, ud, "'Machine'", "no machine-wide variables")
	assert.NotContains(t, ud, "iisreset")
	assert.Contains(t, UserData(Blue, "it's", "ami-1"), "'it''s'", "single quotes are escaped for PowerShell")
}

// The pool is the one the image creates.
func TestUserDataNamesTheImagesAppPool(t *testing.T) {
	b, err := os.ReadFile(testutil.RepoPath("images", "scripts", "deploy-app.ps1"))
	require.NoError(t, err)
	assert.Contains(t, string(b), "New-WebAppPool -Name '"+AppPoolName+"'")
}

// The edge stack's own fleet registers targets only once the traffic listener exists;
// a colour stack's listener is the edge stack's, already there.
func TestAutoScalingGroupWaitsForTheTrafficListener(t *testing.T) {
	for _, cert := range []string{"", testCert} {
		r := runOK(t, "blue", blueConfig("certificateArn", cert), nil)
		asgs := r.mocks.byType(tASG)
		require.Len(t, asgs, 1)
		port := "edge-listener-80"
		if cert != "" {
			port = "edge-listener-443"
		}
		var traffic registered
		for _, l := range r.mocks.byType(tListener) {
			if l.Name == port {
				traffic = l
			}
		}
		require.NotEmpty(t, traffic.Name)
		assert.Contains(t, asgs[0].DependsOn, urnOf("blue", traffic), "the ASG waits for %s", port)
	}
	green := runOK(t, "green", greenConfig(), edgeOutputsOf(t)).mocks.byType(tASG)
	require.Len(t, green, 1)
	for _, dep := range green[0].DependsOn {
		assert.NotContains(t, dep, "aws:lb/listener:Listener", "the colour stack's listener lives in the edge stack")
	}
}
