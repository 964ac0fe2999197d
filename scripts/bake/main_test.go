package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/bake"
	"github.com/webapi-platform/infra/internal/bake/baketest"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func baseEnv(packer string) map[string]string {
	return map[string]string{
		"WEBAPI_BAKE_STAGE": "prerequisites", "WEBAPI_BAKE_REGION": "eu-west-1",
		"PKR_VAR_stack": "blue", "PKR_VAR_template_hash": baketest.Hash, "WEBAPI_PACKER": packer,
	}
}

// inTempDir runs the test in an empty directory: the command works in the current one.
func inTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	return dir
}

func noEC2(context.Context, string) (bake.ImageAPI, error) { panic("no AWS in this test") }

func TestBuildPrintsOnlyTheAmiID(t *testing.T) {
	dir := inTempDir(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"build"}, env(baseEnv(baketest.FakePacker(t, baketest.GoodBuild))), &stdout, &stderr, noEC2)
	require.Equal(t, 0, code, stderr.String())
	assert.Equal(t, "ami-0cccccccccccccccc", stdout.String(), "stdout is the AMI id of the last run in the stack's region, nothing else")
	assert.NotContains(t, stderr.String(), "password-looking", "Packer's output goes to the log file, not to the engine")
	logs, err := filepath.Glob(filepath.Join(dir, ".bake", "logs", "blue-prerequisites-*.log"))
	require.NoError(t, err)
	require.Len(t, logs, 1, "the command bakes in the current directory")
	b, err := os.ReadFile(logs[0])
	require.NoError(t, err)
	assert.Equal(t, 201, strings.Count(string(b), "\n"), "the whole Packer output is in the log")
}

func TestBuildFailureExitsOneWithTheLogTail(t *testing.T) {
	inTempDir(t)
	var stdout, stderr bytes.Buffer
	packer := baketest.FakePacker(t, "i=0; while [ $i -lt 100 ]; do echo \"line $i\"; i=$((i+1)); done; echo 'Build errored: WinRM timed out' >&2; exit 1\n")
	code := run(context.Background(), []string{"build"}, env(baseEnv(packer)), &stdout, &stderr, noEC2)
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout.String(), "no AMI id on failure")
	assert.Contains(t, stderr.String(), "Build errored: WinRM timed out")
	assert.Contains(t, stderr.String(), "line 99")
	assert.NotContains(t, stderr.String(), "line 10\n", "only the tail")
	assert.Contains(t, stderr.String(), "packer build for stage prerequisites failed")
}

func TestBuildRefusesAForeignOrEmptyManifest(t *testing.T) {
	for name, script := range map[string]string{
		"other stack":  strings.ReplaceAll(baketest.GoodBuild, `"stack":"blue"`, `"stack":"green"`),
		"no manifest":  "echo built\n",
		"empty":        ": > \"$PKR_VAR_manifest_path\"\n",
		"other region": strings.ReplaceAll(strings.ReplaceAll(baketest.GoodBuild, "eu-west-1:", "ap-south-1:"), "us-east-1:", "sa-east-1:"),
	} {
		t.Run(name, func(t *testing.T) {
			inTempDir(t)
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"build"}, env(baseEnv(baketest.FakePacker(t, script))), &stdout, &stderr, noEC2)
			assert.Equal(t, 1, code)
			assert.Empty(t, stdout.String())
			assert.Contains(t, stderr.String(), "bake: ")
		})
	}
}

func TestBadInputExitsTwoBeforePackerRuns(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	packer := baketest.FakePacker(t, "touch "+marker+"\n")
	cases := map[string]struct {
		key, value, says string
	}{
		"stage":  {"WEBAPI_BAKE_STAGE", "final", `WEBAPI_BAKE_STAGE: stage "final" is not allowed`},
		"region": {"WEBAPI_BAKE_REGION", "europe", `WEBAPI_BAKE_REGION "europe" is not allowed`},
		"stack":  {"PKR_VAR_stack", "", "PKR_VAR_stack is empty"},
		"hash":   {"PKR_VAR_template_hash", "abc", `PKR_VAR_template_hash "abc" is not allowed`},
	}
	for name, tc := range cases {
		for _, command := range []string{"build", "deregister"} {
			t.Run(name+"/"+command, func(t *testing.T) {
				inTempDir(t)
				e := baseEnv(packer)
				e[tc.key] = tc.value
				var stdout, stderr bytes.Buffer
				code := run(context.Background(), []string{command}, env(e), &stdout, &stderr, noEC2)
				assert.Equal(t, 2, code)
				assert.Contains(t, stderr.String(), tc.says)
				assert.Empty(t, stdout.String())
				assert.NoFileExists(t, marker)
			})
		}
	}
}

// Usage errors, cobra's own included, exit 2 and run nothing.
func TestUsageErrorsExitTwo(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	packer := baketest.FakePacker(t, "touch "+marker+"\n")
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"bake"}, `command "bake" is not allowed`},
		{nil, "no command given"},
		{[]string{"build", "extra"}, `unknown command "extra" for "bake build"`},
		{[]string{"deregister", "extra"}, `unknown command "extra" for "bake deregister"`},
		{[]string{"build", "--force"}, "unknown flag: --force"},
		{[]string{"--region", "eu-west-1", "build"}, "unknown flag: --region"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			inTempDir(t)
			var stdout, stderr bytes.Buffer
			assert.Equal(t, 2, run(context.Background(), tc.args, env(baseEnv(packer)), &stdout, &stderr, noEC2))
			assert.Contains(t, stderr.String(), tc.says)
			assert.Contains(t, stderr.String(), "usage: bake build|deregister")
			assert.Empty(t, stdout.String())
			assert.NoFileExists(t, marker)
		})
	}
}

func TestHelpGoesToStderr(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 0, run(context.Background(), []string{"--help"}, env(nil), &stdout, &stderr, noEC2))
	assert.Empty(t, stdout.String(), "stdout is only ever the AMI id")
	assert.Contains(t, stderr.String(), "Exit codes:")
}

func TestExitCode(t *testing.T) {
	_, inputErr := bake.StageByName("final")
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{failed{errors.New("packer build failed")}, 1},
		{inputErr, 2},
		{failed{inputErr}, 2}, // bad input found by the library, e.g. no packer on PATH
		{errors.New(`unknown command "x" for "bake"`), 2},
	} {
		assert.Equal(t, tc.want, exitCode(tc.err), "%v", tc.err)
	}
}

func TestDeregisterUsesTheStageRegionAndThePrintedAmi(t *testing.T) {
	image := func(project string) ec2types.Image {
		return ec2types.Image{
			ImageId: aws.String("ami-0123456789abcdef0"),
			Tags: baketest.Tags(map[string]string{
				"project": project, "stack": "blue", "role": "prerequisites", "template_hash": baketest.Hash,
			}),
			BlockDeviceMappings: []ec2types.BlockDeviceMapping{
				{DeviceName: aws.String("/dev/sda1"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: aws.String("snap-1")}},
			},
		}
	}
	deregEnv := baseEnv("")
	deregEnv["PKR_VAR_project"] = "shop"
	deregEnv["PULUMI_COMMAND_STDOUT"] = "ami-0123456789abcdef0"
	fake := &baketest.FakeEC2{Images: []ec2types.Image{image("shop")}}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"deregister"}, env(deregEnv), &stdout, &stderr,
		func(_ context.Context, region string) (bake.ImageAPI, error) {
			assert.Equal(t, "eu-west-1", region)
			return fake, nil
		})
	require.Equal(t, 0, code, stderr.String())
	assert.Empty(t, stdout.String())
	assert.Equal(t, []string{"ami-0123456789abcdef0"}, fake.ImageIDs, "the AMI the stage printed, by id")
	assert.Equal(t, []string{"ami-0123456789abcdef0"}, fake.Deregistered)
	assert.Equal(t, []string{"snap-1"}, fake.Snapshots)

	// The same id tagged for another project (PKR_VAR_project names this one): refused, 1.
	fake = &baketest.FakeEC2{Images: []ec2types.Image{image("webapi")}}
	stderr.Reset()
	code = run(context.Background(), []string{"deregister"}, env(deregEnv), &bytes.Buffer{}, &stderr,
		func(context.Context, string) (bake.ImageAPI, error) { return fake, nil })
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), `refusing to deregister ami-0123456789abcdef0`)
	assert.Contains(t, stderr.String(), `project: want "shop", have "webapi"`)
	assert.Empty(t, fake.Deregistered)

	// Already gone: idempotent.
	fake = &baketest.FakeEC2{}
	stderr.Reset()
	code = run(context.Background(), []string{"deregister"}, env(deregEnv), &bytes.Buffer{}, &stderr,
		func(context.Context, string) (bake.ImageAPI, error) { return fake, nil })
	assert.Equal(t, 0, code, "nothing to deregister is not an error (idempotent delete)")
	assert.Contains(t, stderr.String(), "nothing to deregister")

	// Not an AMI id: bad input, 2.
	deregEnv["PULUMI_COMMAND_STDOUT"] = "a build log"
	stderr.Reset()
	code = run(context.Background(), []string{"deregister"}, env(deregEnv), &bytes.Buffer{}, &stderr,
		func(context.Context, string) (bake.ImageAPI, error) { return fake, nil })
	assert.Equal(t, 2, code, stderr.String())

	stderr.Reset()
	code = run(context.Background(), []string{"deregister"}, env(baseEnv("")), &bytes.Buffer{}, &stderr,
		func(context.Context, string) (bake.ImageAPI, error) {
			return nil, errors.New("aws config: no credentials")
		})
	assert.Equal(t, 1, code, "an AWS failure is not bad input")
	assert.Contains(t, stderr.String(), "bake: aws config: no credentials")
}

// The app stage's ref is resolved before Packer runs: a ref the repository lacks fails the
// bake (1), a missing one is bad input (2).
func TestAppStageRef(t *testing.T) {
	repo, commit := baketest.GitRepo(t)
	marker := filepath.Join(t.TempDir(), "ran")
	appBuild := strings.ReplaceAll(baketest.GoodBuild, `"role":"prerequisites"`, `"role":"app"`)
	e := baseEnv(baketest.FakePacker(t, "touch "+marker+"\n"+appBuild))
	e["WEBAPI_BAKE_STAGE"] = "app"
	e["PKR_VAR_app_repository"] = repo
	e["PKR_VAR_app_ref"] = "v1.0.0"

	inTempDir(t)
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"build"}, env(e), &stdout, &stderr, noEC2), stderr.String())
	assert.Equal(t, "ami-0cccccccccccccccc", stdout.String())
	assert.Contains(t, stderr.String(), "is commit "+commit)
	require.NoError(t, os.Remove(marker))

	e["PKR_VAR_app_ref"] = "no-such-branch"
	stderr.Reset()
	assert.Equal(t, 1, run(context.Background(), []string{"build"}, env(e), &bytes.Buffer{}, &stderr, noEC2))
	assert.Contains(t, stderr.String(), `ref "no-such-branch" is not a branch, tag or commit`)
	assert.NoFileExists(t, marker)

	e["PKR_VAR_app_ref"] = ""
	stderr.Reset()
	assert.Equal(t, 2, run(context.Background(), []string{"build"}, env(e), &bytes.Buffer{}, &stderr, noEC2))
	assert.Contains(t, stderr.String(), "PKR_VAR_app_repository and PKR_VAR_app_ref are required")
	assert.NoFileExists(t, marker)
}
