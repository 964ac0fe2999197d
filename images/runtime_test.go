package images

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Hosting Bundle and the SDK come from the template's variables (the channel the
// deploying machine chose, with SHA-512s from internal/dotnet/channels.json): nothing is
// fetched to decide what to install, any channel is accepted, and a missing value fails.
func TestInstallDotnetTakesTheChannelFromVariables(t *testing.T) {
	script := read(t, "scripts/install-dotnet.ps1")
	assert.NotContains(t, script, "release-metadata", "no metadata lookup at bake time")
	assert.NotContains(t, script, "Invoke-RestMethod")
	assert.NotRegexp(t, `\^8\\\.0`, script, "not only 8.0.x")
	for _, env := range []string{"DOTNET_CHANNEL", "DOTNET_VERSION", "HOSTING_BUNDLE_URL", "HOSTING_BUNDLE_SHA512", "DOTNET_SDK_VERSION", "DOTNET_SDK_URL", "DOTNET_SDK_SHA512"} {
		assert.Contains(t, script, env, "install-dotnet.ps1 reads %s", env)
	}
	assert.Contains(t, script, `-notmatch '^[0-9a-f]{128}$'`, "a SHA-512 that is not 128 hex fails the bake")
	assert.Contains(t, script, "Get-Verified $env:HOSTING_BUNDLE_URL $env:HOSTING_BUNDLE_SHA512")
	assert.Contains(t, script, "Get-Verified $env:DOTNET_SDK_URL $env:DOTNET_SDK_SHA512")

	tpl := read(t, "windows-prerequisites.pkr.hcl")
	defaults := variableDefaults(t, "windows-prerequisites.pkr.hcl")
	for _, v := range []string{"dotnet_channel", "dotnet_version", "hosting_bundle_url", "hosting_bundle_sha512", "dotnet_sdk_version", "dotnet_sdk_url", "dotnet_sdk_sha512"} {
		_, hasDefault := defaults[v]
		assert.False(t, hasDefault, "%s has no default: the deploying machine always passes it", v)
		assert.Regexp(t, `"[A-Z0-9_]+=\$\{var\.`+v+`\}"`, tpl, "%s reaches install-dotnet.ps1", v)
	}
}

func TestWindowsVersionSelectsTheBaseImage(t *testing.T) {
	tpl := read(t, "windows-prerequisites.pkr.hcl")
	assert.Contains(t, tpl, `name                = "Windows_Server-${var.windows_version}-English-Full-Base-*"`)
	assert.NotContains(t, tpl, "Windows_Server-2022-English", "the version is a variable")
	for _, f := range []string{"windows-prerequisites.pkr.hcl", "windows-app.pkr.hcl"} {
		assert.Equal(t, "2022", variableDefaults(t, f)["windows_version"], f)
		assert.Contains(t, read(t, f), `contains(["2022", "2025"], var.windows_version)`, f)
	}
}

// The builder may read the token's secret and nothing else, and only when there is one:
// Packer's temporary instance profile, created for the build and deleted after it.
func TestAppBuilderReadsOnlyTheTokenSecret(t *testing.T) {
	tpl := read(t, "windows-app.pkr.hcl")
	block := regexp.MustCompile(`(?s)dynamic "temporary_iam_instance_profile_policy_document" \{.*?\n  \}\n`).FindString(tpl)
	require.NotEmpty(t, block, "the app source has a temporary instance profile policy")
	assert.Contains(t, block, `for_each = var.app_repository_token_secret == "" ? [] : [local.token_secret_resource]`, "no profile without a secret")
	assert.Contains(t, block, `Action   = ["secretsmanager:GetSecretValue"]`)
	assert.Contains(t, block, `Resource = [temporary_iam_instance_profile_policy_document.value]`)
	assert.NotContains(t, block, `"*"`, "no wildcard resource")
	assert.Contains(t, tpl, `"arn:aws:secretsmanager:${var.region}:*:secret:${var.app_repository_token_secret}-??????"`,
		"a name matches that secret's ARN (its 6-character suffix) only")
	assert.NotContains(t, read(t, "windows-prerequisites.pkr.hcl"), "temporary_iam_instance_profile", "the prerequisites builder reads no secret")
}

// tokenVars are the PowerShell variables that ever hold the token or the header made
// from it (deploy-app.ps1's Get-CloneAuth).
var tokenVars = regexp.MustCompile(`\$(secret|token|basic|auth|parsed)\b`)

// What writes to the build log, a file, a transcript or the image.
var leaks = regexp.MustCompile(`(?i)\b(Write-(Output|Host|Verbose|Information|Warning|Debug|Error|Progress)|Out-File|Set-Content|Add-Content|Tee-Object|Export-\w+|Start-Transcript|Out-String|Set-PSDebug)\b|>>?\s*[\w$'"]`)

// The token for a private repository exists only in memory on the builder: read there
// from Secrets Manager, handed to git as `-c http.extraheader` for the clone, never
// printed, written, traced, kept in git's config or a credential store; the templates
// and the Packer variables carry the secret's name alone.
func TestRepositoryTokenNeverLeavesMemory(t *testing.T) {
	deploy := read(t, "scripts/deploy-app.ps1")
	assert.Regexp(t, `'-c', "http\.extraheader=Authorization: Basic \$basic"`, deploy, "git -c http.extraheader: this git process only")
	assert.Contains(t, deploy, "'-c', 'credential.helper='", "no credential helper may store it")
	assert.Contains(t, deploy, "Get-SECSecretValue -SecretId $env:APP_REPOSITORY_TOKEN_SECRET", "the builder reads the value itself")
	assert.Contains(t, deploy, "& git -C $src @auth fetch --quiet --depth 1 origin $env:APP_COMMIT")
	assert.Contains(t, deploy, "& git -C $src @auth fetch --quiet origin '+refs/heads/*", "the full-fetch fallback too")
	assert.Contains(t, deploy, "'GIT_TRACE', 'GIT_TRACE_CURL', 'GIT_CURL_VERBOSE'", "no trace prints the header")
	for i, line := range strings.Split(deploy, "\n") {
		if tokenVars.MatchString(line) {
			assert.NotRegexp(t, leaks, line, "deploy-app.ps1:%d writes a token variable somewhere", i+1)
			assert.NotRegexp(t, `(?i)git\s.*\bconfig\b|remote (add|set-url)`, line, "deploy-app.ps1:%d stores the token in git's config", i+1)
		}
	}
	assert.Regexp(t, `(?s)catch \{ throw "secret \$\(\$env:APP_REPOSITORY_TOKEN_SECRET\) is not valid JSON" \}`, deploy,
		"a JSON parse error quotes its input, so it is replaced")

	scripts, err := filepath.Glob("scripts/*.ps1")
	require.NoError(t, err)
	require.NotEmpty(t, scripts)
	// A transcript records a session's output and variables' use into a file; the one in
	// generalize.ps1 belongs to the finalize task, a later process of its own.
	assert.NotContains(t, deploy, "Transcript")
	for _, s := range scripts {
		text := read(t, s)
		assert.NotRegexp(t, `(?i)git\s+config\s+(--global|--system)?.*extraheader`, text, s)
		if filepath.Base(s) != "deploy-app.ps1" {
			assert.NotContains(t, text, "APP_REPOSITORY_TOKEN_SECRET", "%s never sees the secret", s)
		}
	}
	for _, f := range []string{"windows-prerequisites.pkr.hcl", "windows-app.pkr.hcl"} {
		tpl := read(t, f)
		assert.NotRegexp(t, `(?i)variable "[a-z_]*(token|password)"`, tpl, "%s: no variable for a token's value", f)
		assert.NotContains(t, tpl, "aws_secretsmanager", "%s: Packer never reads the secret (a data source would log and keep it)", f)
	}
	assert.Contains(t, read(t, "windows-app.pkr.hcl"), `"APP_REPOSITORY_TOKEN_SECRET=${var.app_repository_token_secret}"`, "the name reaches the script")
}

// A multi-targeted app publishes the framework chosen before the bake.
func TestAppStagePublishesTheChosenFramework(t *testing.T) {
	deploy := read(t, "scripts/deploy-app.ps1")
	assert.Contains(t, deploy, "& dotnet publish $project -c Release -f $env:DOTNET_FRAMEWORK -o $site --nologo")
	assert.Contains(t, read(t, "windows-app.pkr.hcl"), `"DOTNET_FRAMEWORK=${var.dotnet_framework}"`)
	_, hasDefault := variableDefaults(t, "windows-app.pkr.hcl")["dotnet_framework"]
	assert.False(t, hasDefault)
}
