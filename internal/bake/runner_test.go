package bake

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/bake/baketest"
)

// buildOptions are valid options for the prerequisites stage of stack blue, run with
// packer in a fresh work dir; env adds to the environment Getenv sees.
func buildOptions(t *testing.T, packer string, env map[string]string) (Options, *bytes.Buffer) {
	t.Helper()
	vars := map[string]string{EnvPacker: packer}
	for k, v := range env {
		vars[k] = v
	}
	var log bytes.Buffer
	return Options{
		Stage: StagePrerequisites, Region: "eu-west-1", Stack: "blue", TemplateHash: baketest.Hash,
		Getenv:  func(k string) string { return vars[k] },
		WorkDir: t.TempDir(),
		Log:     &log,
	}, &log
}

func TestBuildReturnsTheAmiIDAndLogsPackerToAFile(t *testing.T) {
	opts, log := buildOptions(t, baketest.FakePacker(t, baketest.GoodBuild), nil)
	ami, err := Build(context.Background(), opts)
	require.NoError(t, err, log.String())
	assert.Equal(t, baketest.GoodBuildAMI, ami, "the AMI id of the last run in the stack's region, nothing else")
	assert.NotContains(t, log.String(), "password-looking", "Packer's output goes to the log file, not to the engine")
	assert.Contains(t, log.String(), "bake prerequisites: "+baketest.GoodBuildAMI)
	logs, err := filepath.Glob(filepath.Join(opts.WorkDir, ".bake", "logs", "blue-prerequisites-*.log"))
	require.NoError(t, err)
	require.Len(t, logs, 1)
	b, err := os.ReadFile(logs[0])
	require.NoError(t, err)
	assert.Equal(t, 201, strings.Count(string(b), "\n"), "the whole Packer output is in the log")
}

// A manifest left by an earlier run is removed first, so a run that writes none fails
// instead of returning the earlier run's AMI.
func TestBuildNeverReadsAnEarlierRunsManifest(t *testing.T) {
	opts, _ := buildOptions(t, baketest.FakePacker(t, baketest.GoodBuild), nil)
	_, err := Build(context.Background(), opts)
	require.NoError(t, err)
	opts.Getenv = func(k string) string {
		if k == EnvPacker {
			return baketest.FakePacker(t, "echo built\n")
		}
		return ""
	}
	_, err = Build(context.Background(), opts)
	assert.ErrorContains(t, err, "packer wrote no manifest")
}

func TestBuildFailureShowsTheLogTail(t *testing.T) {
	packer := baketest.FakePacker(t, "i=0; while [ $i -lt 100 ]; do echo \"line $i\"; i=$((i+1)); done; echo 'Build errored: WinRM timed out' >&2; exit 1\n")
	opts, log := buildOptions(t, packer, nil)
	ami, err := Build(context.Background(), opts)
	assert.Empty(t, ami, "no AMI id on failure")
	require.Error(t, err)
	assert.ErrorContains(t, err, "packer build for stage prerequisites failed")
	assert.NotErrorAs(t, err, new(InputError), "a failed bake is not bad input")
	assert.Contains(t, log.String(), "Build errored: WinRM timed out")
	assert.Contains(t, log.String(), "line 99")
	assert.NotContains(t, log.String(), "line 10\n", "only the tail")
}

func TestBuildRefusesAForeignOrEmptyManifest(t *testing.T) {
	for name, tc := range map[string]struct{ script, says string }{
		"other stack":  {strings.ReplaceAll(baketest.GoodBuild, `"stack":"blue"`, `"stack":"green"`), `has stack "green", want "blue"`},
		"no manifest":  {"echo built\n", "packer wrote no manifest"},
		"empty":        {": > \"$PKR_VAR_manifest_path\"\n", "manifest is empty"},
		"other region": {strings.ReplaceAll(strings.ReplaceAll(baketest.GoodBuild, "eu-west-1:", "ap-south-1:"), "us-east-1:", "sa-east-1:"), "registered no AMI in eu-west-1"},
	} {
		t.Run(name, func(t *testing.T) {
			opts, _ := buildOptions(t, baketest.FakePacker(t, tc.script), nil)
			ami, err := Build(context.Background(), opts)
			assert.Empty(t, ami)
			assert.ErrorContains(t, err, tc.says)
			assert.NotErrorAs(t, err, new(InputError))
		})
	}
}

// The app stage resolves its ref with a real git ls-remote and passes the commit on.
func TestAppStageResolvesTheRefToACommit(t *testing.T) {
	repo, commit := baketest.GitRepo(t)
	script := strings.ReplaceAll(strings.ReplaceAll(baketest.GoodBuild, `"role":"prerequisites"`, `"role":"app"`), "cat >", "echo \"commit=$PKR_VAR_app_commit\"; cat >")
	opts, log := buildOptions(t, baketest.FakePacker(t, script), map[string]string{
		"PKR_VAR_app_repository": repo, "PKR_VAR_app_ref": "v1.0.0",
	})
	opts.Stage = StageApp
	_, err := Build(context.Background(), opts)
	require.NoError(t, err, log.String())
	assert.Contains(t, log.String(), "is commit "+commit, "an annotated tag resolves to its commit")
	logs, err := filepath.Glob(filepath.Join(opts.WorkDir, ".bake", "logs", "blue-app-*.log"))
	require.NoError(t, err)
	require.Len(t, logs, 1)
	b, err := os.ReadFile(logs[0])
	require.NoError(t, err)
	assert.Contains(t, string(b), "commit="+commit, "packer gets the resolved commit as app_commit")

	opts, _ = buildOptions(t, baketest.FakePacker(t, script), map[string]string{
		"PKR_VAR_app_repository": repo, "PKR_VAR_app_ref": "no-such-branch",
	})
	opts.Stage = StageApp
	_, err = Build(context.Background(), opts)
	assert.ErrorContains(t, err, `ref "no-such-branch" is not a branch, tag or commit`)
	assert.NotErrorAs(t, err, new(InputError))
}

func TestPackerBinary(t *testing.T) {
	t.Run("WEBAPI_PACKER first", func(t *testing.T) {
		opts, _ := buildOptions(t, "/opt/packer", nil)
		bin, env, err := packerBinary(opts.withDefaults())
		require.NoError(t, err)
		assert.Equal(t, "/opt/packer", bin)
		assert.Empty(t, env)
	})
	t.Run("then the pinned build in the work dir, with its plugins", func(t *testing.T) {
		opts, _ := buildOptions(t, "", nil)
		pinned := filepath.Join(opts.WorkDir, ".tools", "bin", "packer")
		require.NoError(t, os.MkdirAll(filepath.Dir(pinned), 0o755))
		require.NoError(t, os.WriteFile(pinned, nil, 0o755))
		bin, env, err := packerBinary(opts.withDefaults())
		require.NoError(t, err)
		assert.Equal(t, pinned, bin)
		assert.Equal(t, []string{"PACKER_PLUGIN_PATH=" + filepath.Join(opts.WorkDir, ".tools", "packer-plugins")}, env)

		opts.Getenv = func(k string) string { return map[string]string{"PACKER_PLUGIN_PATH": "/plugins"}[k] }
		_, env, err = packerBinary(opts.withDefaults())
		require.NoError(t, err)
		assert.Empty(t, env, "a PACKER_PLUGIN_PATH already set is kept")
	})
	t.Run("else PATH, and none is bad input", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		opts, _ := buildOptions(t, "", nil)
		_, _, err := packerBinary(opts.withDefaults())
		assert.ErrorAs(t, err, new(InputError))
		assert.ErrorContains(t, err, "packer is not on PATH")
	})
}
