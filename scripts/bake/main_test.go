package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const hash = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

// fakePacker writes an executable standing in for packer: `init` is a no-op, `build`
// prints a lot (as Packer does) and appends a run to the manifest, like the post-processor.
func fakePacker(t *testing.T, buildScript string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "packer")
	script := "#!/bin/sh\nset -e\nif [ \"$1\" = init ]; then echo init; exit 0; fi\n" + buildScript
	require.NoError(t, os.WriteFile(p, []byte(script), 0o755))
	return p
}

const goodBuild = `
i=0; while [ $i -lt 200 ]; do echo "==> amazon-ebs: step $i with a password-looking line"; i=$((i+1)); done
cat > "$PKR_VAR_manifest_path" <<EOF
{"builds":[
 {"name":"app","builder_type":"amazon-ebs","build_time":1,"artifact_id":"eu-west-1:ami-0aaaaaaaaaaaaaaaa","packer_run_uuid":"old","custom_data":{"role":"prerequisites","stack":"blue","template_hash":"` + hash + `"}},
 {"name":"app","builder_type":"amazon-ebs","build_time":2,"artifact_id":"us-east-1:ami-0bbbbbbbbbbbbbbbb,eu-west-1:ami-0cccccccccccccccc","packer_run_uuid":"new","custom_data":{"role":"prerequisites","stack":"blue","template_hash":"` + hash + `"}}
],"last_run_uuid":"new"}
EOF
`

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func baseEnv(packer string) map[string]string {
	return map[string]string{
		"WEBAPI_BAKE_STAGE": "prerequisites", "WEBAPI_BAKE_REGION": "eu-west-1",
		"PKR_VAR_stack": "blue", "PKR_VAR_template_hash": hash, "WEBAPI_PACKER": packer,
	}
}

func inTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	wd, err := os.Getwd()
	require.NoError(t, err)
	require.NoError(t, os.Chdir(dir))
	t.Cleanup(func() { _ = os.Chdir(wd) })
	return dir
}

func noEC2(context.Context, string) (imageAPI, error) { panic("no AWS in this test") }

func TestBuildPrintsOnlyTheAmiID(t *testing.T) {
	dir := inTempDir(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"build"}, env(baseEnv(fakePacker(t, goodBuild))), &stdout, &stderr, noEC2)
	require.Equal(t, 0, code, stderr.String())
	assert.Equal(t, "ami-0cccccccccccccccc", stdout.String(), "stdout is the AMI id of the last run in the stack's region, nothing else")
	assert.NotContains(t, stderr.String(), "password-looking", "Packer's output goes to the log file, not to the engine")
	logs, _ := filepath.Glob(filepath.Join(dir, ".bake", "logs", "blue-prerequisites-*.log"))
	require.Len(t, logs, 1)
	b, _ := os.ReadFile(logs[0])
	assert.Equal(t, 201, strings.Count(string(b), "\n"), "the whole Packer output is in the log")
}

func TestBuildFailureShowsTheLogTail(t *testing.T) {
	inTempDir(t)
	var stdout, stderr bytes.Buffer
	packer := fakePacker(t, "i=0; while [ $i -lt 100 ]; do echo \"line $i\"; i=$((i+1)); done; echo 'Build errored: WinRM timed out' >&2; exit 1\n")
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
		"other stack":  strings.ReplaceAll(goodBuild, `"stack":"blue"`, `"stack":"green"`),
		"no manifest":  "echo built\n",
		"empty":        ": > \"$PKR_VAR_manifest_path\"\n",
		"other region": strings.ReplaceAll(strings.ReplaceAll(goodBuild, "eu-west-1:", "ap-south-1:"), "us-east-1:", "sa-east-1:"),
	} {
		t.Run(name, func(t *testing.T) {
			inTempDir(t)
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"build"}, env(baseEnv(fakePacker(t, script))), &stdout, &stderr, noEC2)
			assert.Equal(t, 1, code)
			assert.Empty(t, stdout.String())
			assert.Contains(t, stderr.String(), "bake: ")
		})
	}
}

func TestBadInputIsRefusedBeforePackerRuns(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	packer := fakePacker(t, "touch "+marker+"\n")
	cases := map[string]struct {
		key, value, says string
	}{
		"stage":  {"WEBAPI_BAKE_STAGE", "final", `stage "final" is not allowed`},
		"region": {"WEBAPI_BAKE_REGION", "europe", `WEBAPI_BAKE_REGION "europe" is not allowed`},
		"stack":  {"PKR_VAR_stack", "", "PKR_VAR_stack is empty"},
		"hash":   {"PKR_VAR_template_hash", "abc", `PKR_VAR_template_hash "abc" is not allowed`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			inTempDir(t)
			e := baseEnv(packer)
			e[tc.key] = tc.value
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"build"}, env(e), &stdout, &stderr, noEC2)
			assert.Equal(t, 2, code)
			assert.Contains(t, stderr.String(), tc.says)
			assert.NoFileExists(t, marker)
		})
	}
	var stderr bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"bake"}, env(baseEnv(packer)), &bytes.Buffer{}, &stderr, noEC2))
	assert.Contains(t, stderr.String(), `command "bake" is not allowed`)
}

// The app stage resolves its ref with a real git ls-remote and passes the commit on.
func TestAppStageResolvesTheRefToACommit(t *testing.T) {
	repo := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.email=t@example.com", "-c", "user.name=t"}, args...)...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("commit", "-q", "--allow-empty", "-m", "one")
	git("tag", "-a", "v1.0.0", "-m", "release")
	commit := git("rev-parse", "HEAD")

	inTempDir(t)
	e := baseEnv(fakePacker(t, strings.ReplaceAll(strings.ReplaceAll(goodBuild, `"role":"prerequisites"`, `"role":"app"`), "cat >", "echo \"commit=$PKR_VAR_app_commit\"; cat >")))
	e["WEBAPI_BAKE_STAGE"] = "app"
	e["PKR_VAR_app_repository"] = repo
	e["PKR_VAR_app_ref"] = "v1.0.0"
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"build"}, env(e), &stdout, &stderr, noEC2)
	require.Equal(t, 0, code, stderr.String())
	assert.Contains(t, stderr.String(), "is commit "+commit, "an annotated tag resolves to its commit")
	logs, _ := filepath.Glob(filepath.Join(".bake", "logs", "blue-app-*.log"))
	require.Len(t, logs, 1)
	b, _ := os.ReadFile(logs[0])
	assert.Contains(t, string(b), "commit="+commit, "packer gets the resolved commit as app_commit")

	e["PKR_VAR_app_ref"] = "no-such-branch"
	stderr.Reset()
	assert.Equal(t, 1, run(context.Background(), []string{"build"}, env(e), &bytes.Buffer{}, &stderr, noEC2))
	assert.Contains(t, stderr.String(), `ref "no-such-branch" is not a branch, tag or commit`)
}

type fakeEC2 struct {
	images       []ec2types.Image
	filters      []ec2types.Filter
	deregistered []string
	snapshots    []string
}

func (f *fakeEC2) DescribeImages(_ context.Context, in *ec2.DescribeImagesInput, _ ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	f.filters = in.Filters
	return &ec2.DescribeImagesOutput{Images: f.images}, nil
}

func (f *fakeEC2) DeregisterImage(_ context.Context, in *ec2.DeregisterImageInput, _ ...func(*ec2.Options)) (*ec2.DeregisterImageOutput, error) {
	f.deregistered = append(f.deregistered, aws.ToString(in.ImageId))
	return &ec2.DeregisterImageOutput{}, nil
}

func (f *fakeEC2) DeleteSnapshot(_ context.Context, in *ec2.DeleteSnapshotInput, _ ...func(*ec2.Options)) (*ec2.DeleteSnapshotOutput, error) {
	f.snapshots = append(f.snapshots, aws.ToString(in.SnapshotId))
	return &ec2.DeleteSnapshotOutput{}, nil
}

func TestDeregisterRemovesTheTaggedAmiAndSnapshots(t *testing.T) {
	fake := &fakeEC2{images: []ec2types.Image{{
		ImageId: aws.String("ami-0123456789abcdef0"),
		BlockDeviceMappings: []ec2types.BlockDeviceMapping{
			{DeviceName: aws.String("/dev/sda1"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: aws.String("snap-1")}},
			{DeviceName: aws.String("xvdca")},
		},
	}}}
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"deregister"}, env(baseEnv("")), &bytes.Buffer{}, &stderr,
		func(_ context.Context, region string) (imageAPI, error) {
			assert.Equal(t, "eu-west-1", region)
			return fake, nil
		})
	require.Equal(t, 0, code, stderr.String())
	assert.Equal(t, []string{"ami-0123456789abcdef0"}, fake.deregistered)
	assert.Equal(t, []string{"snap-1"}, fake.snapshots)
	tags := map[string]string{}
	for _, f := range fake.filters {
		tags[aws.ToString(f.Name)] = f.Values[0]
	}
	assert.Equal(t, map[string]string{"tag:role": "prerequisites", "tag:stack": "blue", "tag:template_hash": hash}, tags,
		"only this stage's AMI of this stack and input hash")

	fake = &fakeEC2{}
	stderr.Reset()
	code = run(context.Background(), []string{"deregister"}, env(baseEnv("")), &bytes.Buffer{}, &stderr,
		func(context.Context, string) (imageAPI, error) { return fake, nil })
	assert.Equal(t, 0, code, "nothing to deregister is not an error (idempotent delete)")
	assert.Contains(t, stderr.String(), "nothing to deregister")
}
