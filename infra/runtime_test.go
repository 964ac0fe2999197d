package infra

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/dotnet"
	"github.com/webapi-platform/infra/internal/testutil"
)

// fakeTree is the app's repository at a commit.
type fakeTree map[string]string

func (f fakeTree) Read(file string) ([]byte, bool, error) {
	c, ok := f[path.Clean(file)]
	return []byte(c), ok, nil
}

func (f fakeTree) List(dir string) ([]string, error) {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(f)) {
		if d := path.Dir(name); d == strings.Trim(dir, "/") || (dir == "" && d == ".") {
			out = append(out, path.Base(name))
		}
	}
	return out, nil
}

const testCommit = "0123456789abcdef0123456789abcdef01234567"

func csproj(tfms string) string {
	return `<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup><TargetFrameworks>` + tfms + `</TargetFrameworks></PropertyGroup></Project>`
}

// fakeDeps resolve any ref to testCommit and serve tree at it, on the given day; calls
// counts the git operations.
func fakeDeps(tree fakeTree, today string, calls *int) runtimeDeps {
	now, _ := time.Parse(dotnet.DateLayout, today)
	return runtimeDeps{
		now: func() time.Time { return now },
		resolve: func(_ context.Context, repo, ref string) (string, error) {
			*calls++
			if repo == "https://github.com/acme/gone.git" {
				return "", errors.New("git ls-remote: exit status 128")
			}
			return testCommit, nil
		},
		fetch: func(_ context.Context, _, _, commit string) (dotnet.Tree, error) {
			*calls++
			return tree, nil
		},
	}
}

func runtimeConfig(t *testing.T, kv ...string) *Config {
	t.Helper()
	cfg, err := LoadConfig(MapSource(blueConfig(append([]string{"amiId", testutil.Unset,
		"appRepository", "https://github.com/acme/webapi.git", "appRef", "v1.4.0", "appProject", "src/Api"}, kv...)...)))
	require.NoError(t, err)
	return cfg
}

func TestResolveRuntime(t *testing.T) {
	multi := fakeTree{"src/Api/Api.csproj": csproj("net8.0;net10.0")}
	single8 := fakeTree{"src/Api/Api.csproj": csproj("net8.0")}
	fromProps := fakeTree{"src/Api/Api.csproj": `<Project Sdk="Microsoft.NET.Sdk.Web" />`,
		"Directory.Build.props": `<Project><PropertyGroup><TargetFramework>net9.0</TargetFramework></PropertyGroup></Project>`}
	for _, tc := range []struct {
		name      string
		tree      fakeTree
		kv        []string
		today     string
		channel   string
		framework string
		warns     bool
		gitCalls  int
	}{
		{"multi-target: the highest channel", multi, nil, "2026-11-29", "10.0", "net10.0", false, 2},
		{"single net8.0 after its end of support: a warning", single8, nil, "2026-11-29", "8.0", "net8.0", true, 2},
		{"single net8.0 before its end of support", single8, nil, "2026-11-10", "8.0", "net8.0", false, 2},
		{"from Directory.Build.props", fromProps, nil, "2026-11-29", "9.0", "net9.0", true, 2},
		{"webapi:dotnetChannel: no git at all", nil, []string{"dotnetChannel", "10.0"}, "2026-11-29", "10.0", "net10.0", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			rt, err := resolveRuntime(context.Background(), runtimeConfig(t, tc.kv...), t.TempDir(), fakeDeps(tc.tree, tc.today, &calls))
			require.NoError(t, err)
			assert.Equal(t, tc.channel, rt.Channel.Channel)
			assert.Equal(t, tc.framework, rt.Framework)
			assert.Equal(t, tc.warns, rt.Warning != "", rt.Warning)
			assert.Equal(t, tc.gitCalls, calls)
			if tc.gitCalls > 0 {
				assert.Equal(t, testCommit, rt.Commit)
				assert.Contains(t, rt.Summary(), "src/Api/Api.csproj at 0123456789ab")
			}
		})
	}
}

func TestResolveRuntimeRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		tree fakeTree
		kv   []string
		says []string
	}{
		{"unsupported and not allowed", fakeTree{"src/Api/Api.csproj": csproj("net8.0")}, []string{"allowUnsupportedRuntime", "false"},
			[]string{"webapi:allowUnsupportedRuntime is false, and .NET 8.0 reached end of support on 2026-11-10"}},
		{"override unsupported and not allowed", nil, []string{"dotnetChannel", "9.0", "allowUnsupportedRuntime", "false"},
			[]string{".NET 9.0 reached end of support"}},
		{"no target found", fakeTree{"src/Api/Api.csproj": `<Project Sdk="Microsoft.NET.Sdk.Web" />`}, nil,
			[]string{"webapi:dotnetChannel is not set", "https://github.com/acme/webapi.git at v1.4.0 (commit " + testCommit + ")", "no TargetFramework or TargetFrameworks", "src/Api/Api.csproj"}},
		{"unknown channel", fakeTree{"src/Api/Api.csproj": csproj("net6.0")}, nil,
			[]string{"webapi:dotnetChannel: the app targets net6.0, and none of them runs on a channel internal/dotnet/channels.json pins"}},
		{"repository unreachable", nil, []string{"appRepository", "https://github.com/acme/gone.git"},
			[]string{"from https://github.com/acme/gone.git at v1.4.0: git ls-remote: exit status 128"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			_, err := resolveRuntime(context.Background(), runtimeConfig(t, tc.kv...), t.TempDir(), fakeDeps(tc.tree, "2026-11-29", &calls))
			require.Error(t, err)
			for _, s := range tc.says {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
	calls := 0
	rt, err := resolveRuntime(context.Background(), runtimeConfig(t, "amiId", "ami-0123456789abcdef0"), t.TempDir(), fakeDeps(nil, "2026-11-29", &calls))
	require.NoError(t, err)
	assert.Nil(t, rt, "nothing is baked, nothing is resolved")
	assert.Zero(t, calls)
}

func TestRuntimeKeysAreValidated(t *testing.T) {
	for _, tc := range []struct {
		kv        []string
		key, says string
	}{
		{[]string{"windowsVersion", "2019"}, "windowsVersion", "want 2022 or 2025"},
		{[]string{"dotnetChannel", "7.0"}, "dotnetChannel", ".NET channel 7.0 is not in internal/dotnet/channels.json (it has 10.0, 9.0, 8.0)"},
		{[]string{"dotnetChannel", "ten"}, "dotnetChannel", "is not in"},
		{[]string{"appRepositoryTokenSecret", "my token!"}, "appRepositoryTokenSecret", "want a Secrets Manager secret name"},
		{[]string{"appRepositoryTokenSecret", "arn:aws:s3:::bucket"}, "appRepositoryTokenSecret", "want a Secrets Manager secret ARN"},
		{[]string{"appRepository", "git@github.com:acme/webapi.git", "appRepositoryTokenSecret", "webapi/token"}, "appRepositoryTokenSecret", "must be an https:// URL"},
		{[]string{"allowUnsupportedRuntime", "sometimes"}, "allowUnsupportedRuntime", "want true or false"},
	} {
		_, err := LoadConfig(MapSource(bakeConfig(append([]string{"dotnetChannel", testutil.Unset}, tc.kv...)...)))
		require.Error(t, err, "%v", tc.kv)
		assert.Contains(t, err.Error(), "webapi:"+tc.key+":", "%v", tc.kv)
		assert.Contains(t, err.Error(), tc.says, "%v", tc.kv)
	}
	for _, good := range [][]string{
		{"windowsVersion", "2025"},
		{"appRepositoryTokenSecret", "webapi/github-token"},
		{"appRepositoryTokenSecret", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:webapi/github-token-AbCdEf"},
	} {
		_, err := LoadConfig(MapSource(bakeConfig(good...)))
		assert.NoError(t, err, "%v", good)
	}
	cfg, err := LoadConfig(MapSource(blueConfig()))
	require.NoError(t, err)
	assert.Equal(t, "2022", cfg.WindowsVersion)
	assert.True(t, cfg.AllowUnsupportedRuntime, "today's net8.0 app still bakes")
	assert.Empty(t, cfg.DotnetChannel)
}

// Under mocks (webapi:dotnetChannel, so no git): the channel's installers and SHA-512s
// reach the prerequisites stage, the framework and the token secret's name the app stage.
func TestRuntimeReachesTheStages(t *testing.T) {
	r := runOK(t, "blue", bakeConfig("windowsVersion", "2025", "appRepositoryTokenSecret", "webapi/github-token"), nil)
	cmds := commandsByName(r)
	prereq, app := cmds["image-blue-prerequisites"], cmds["image-blue-app"]
	ten, err := dotnet.Pinned()
	require.NoError(t, err)
	ch, err := ten.Lookup("10.0")
	require.NoError(t, err)
	for name, want := range map[string]string{
		"PKR_VAR_dotnet_channel": "10.0", "PKR_VAR_dotnet_version": ch.LatestVersion,
		"PKR_VAR_hosting_bundle_url": ch.HostingBundle.URL, "PKR_VAR_hosting_bundle_sha512": ch.HostingBundle.SHA512,
		"PKR_VAR_dotnet_sdk_version": ch.SDK.Version, "PKR_VAR_dotnet_sdk_url": ch.SDK.URL, "PKR_VAR_dotnet_sdk_sha512": ch.SDK.SHA512,
		"PKR_VAR_dotnet_end_of_support": "2028-11-14", "PKR_VAR_windows_version": "2025",
	} {
		assert.Equal(t, want, prop(prereq.Inputs, "environment", name), name)
	}
	assert.Equal(t, "net10.0", prop(app.Inputs, "environment", "PKR_VAR_dotnet_framework"))
	assert.Nil(t, prop(prereq.Inputs, "environment", "PKR_VAR_dotnet_framework"), "the prerequisites do not know the app")
	assert.Equal(t, "webapi/github-token", prop(app.Inputs, "environment", "PKR_VAR_app_repository_token_secret"), "the secret's name")
	assert.Nil(t, prop(prereq.Inputs, "environment", "PKR_VAR_app_repository_token_secret"))

	// Only the name exists anywhere: the program never reads the secret (no Secrets
	// Manager invoke or resource), and the name appears once, as the app's variable.
	for _, call := range r.mocks.calls {
		assert.NotContains(t, strings.ToLower(call), "secretsmanager", "the program never reads the secret")
	}
	mentions := 0
	for _, res := range r.mocks.resources {
		assert.NotContains(t, strings.ToLower(res.Type), "secretsmanager")
		b, err := json.Marshal(res.Inputs.Mappable())
		require.NoError(t, err)
		mentions += strings.Count(string(b), "webapi/github-token")
	}
	assert.Equal(t, 1, mentions, "the secret's name is in the app stage's variables and nowhere else")
	for k := range prop(app.Inputs, "environment").(map[string]any) {
		if strings.Contains(strings.ToLower(k), "token") {
			assert.Equal(t, "PKR_VAR_app_repository_token_secret", k, "no other variable is about the token")
		}
	}
}

// A channel change re-bakes both stages (through the prerequisites AMI); the same
// channel bakes nothing; so does a new framework of the same channel, the app only.
func TestChannelIsInThePrerequisitesTrigger(t *testing.T) {
	hashes := func(kv ...string) map[string]string {
		out := map[string]string{}
		for name, c := range commandsByName(runOK(t, "blue", bakeConfig(kv...), nil)) {
			out[strings.TrimPrefix(name, "image-blue-")] = prop(c.Inputs, "environment", "PKR_VAR_template_hash").(string)
		}
		return out
	}
	ten, again, eight := hashes(), hashes(), hashes("dotnetChannel", "8.0")
	assert.Equal(t, ten, again)
	assert.NotEqual(t, ten["prerequisites"], eight["prerequisites"], "a new channel re-bakes the prerequisites")
	assert.NotEqual(t, ten["app"], eight["app"], "and the app publishes another framework")
	win := hashes("windowsVersion", "2025")
	assert.NotEqual(t, ten["prerequisites"], win["prerequisites"], "a new Windows base re-bakes the prerequisites")
	token := hashes("appRepositoryTokenSecret", "webapi/token")
	assert.Equal(t, ten["prerequisites"], token["prerequisites"], "the token secret is the app stage's alone")
}

// Detection for real under mocks: the program resolves appRef with git ls-remote and
// reads the project at that commit through the machine's git (here redirected by git's
// own url.<base>.insteadOf to a repository made in the test), before any resource.
func TestProgramDetectsTheChannelFromTheAppRepository(t *testing.T) {
	repo := t.TempDir()
	git := func(args ...string) {
		out, err := exec.Command("git", append([]string{"-C", repo, "-c", "user.email=t@example.com", "-c", "user.name=t"}, args...)...).CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	require.NoError(t, os.MkdirAll(filepath.Join(repo, "src", "Api"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(repo, "src", "Api", "Api.csproj"), []byte(csproj("net8.0;net9.0;net10.0")), 0o644))
	git("init", "-q", "-b", "main")
	git("add", ".")
	git("commit", "-q", "-m", "app")
	git("tag", "v1.4.0")
	t.Setenv("GIT_CONFIG_COUNT", "1")
	t.Setenv("GIT_CONFIG_KEY_0", "url.file://"+repo+".insteadOf")
	t.Setenv("GIT_CONFIG_VALUE_0", "https://github.com/acme/webapi.git")

	root := t.TempDir()
	require.NoError(t, os.CopyFS(filepath.Join(root, "images"), os.DirFS(testutil.RepoPath("images"))))
	r := runIn(t, root, "blue", bakeConfig("dotnetChannel", testutil.Unset, "appProject", "src/Api"), nil)
	require.NoError(t, r.err)
	cmds := commandsByName(r)
	assert.Equal(t, "10.0", prop(cmds["image-blue-prerequisites"].Inputs, "environment", "PKR_VAR_dotnet_channel"))
	assert.Equal(t, "net10.0", prop(cmds["image-blue-app"].Inputs, "environment", "PKR_VAR_dotnet_framework"))
	cached, err := os.ReadDir(filepath.Join(root, ".bake", "git"))
	require.NoError(t, err)
	assert.Len(t, cached, 1, "the commit is fetched into .bake/git of the project")

	r = runIn(t, root, "blue", bakeConfig("dotnetChannel", testutil.Unset, "appProject", "src/Api", "appRef", "no-such-tag"), nil)
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), `ref "no-such-tag" is not a branch, tag or commit`)
	assert.Empty(t, r.mocks.resources, "nothing is registered before the runtime is known")
}
