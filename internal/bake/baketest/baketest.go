// Package baketest holds the stand-ins that the tests of internal/bake and of its command
// (scripts/bake) share: a packer executable, a git repository and an EC2 images double.
package baketest

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// Hash is a well-formed trigger hash.
const Hash = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

// FakePacker writes an executable standing in for packer and returns its path: `init` is
// a no-op, anything else runs buildScript (sh, with set -e).
func FakePacker(t testing.TB, buildScript string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "packer")
	script := "#!/bin/sh\nset -e\nif [ \"$1\" = init ]; then echo init; exit 0; fi\n" + buildScript
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatalf("writing the fake packer: %v", err)
	}
	return p
}

// GitRepo makes a repository with one commit, tagged v1.0.0 (an annotated tag), and
// returns its path and the commit.
func GitRepo(t testing.TB) (repo, commit string) {
	t.Helper()
	repo = t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.email=t@example.com", "-c", "user.name=t"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("commit", "-q", "--allow-empty", "-m", "one")
	git("tag", "-a", "v1.0.0", "-m", "release")
	return repo, git("rev-parse", "HEAD")
}

// GoodBuild is a build script that prints 200 lines (as Packer does, each looking like a
// secret) and writes a manifest of two runs, as the post-processor would: the last run,
// "new", registered ami-0bbbbbbbbbbbbbbbb in us-east-1 and GoodBuildAMI in eu-west-1, for
// role prerequisites, stack blue and Hash.
const GoodBuild = `
i=0; while [ $i -lt 200 ]; do echo "==> amazon-ebs: step $i with a password-looking line"; i=$((i+1)); done
cat > "$PKR_VAR_manifest_path" <<EOF
{"builds":[
 {"name":"app","builder_type":"amazon-ebs","build_time":1,"artifact_id":"eu-west-1:ami-0aaaaaaaaaaaaaaaa","packer_run_uuid":"old","custom_data":{"role":"prerequisites","stack":"blue","template_hash":"` + Hash + `"}},
 {"name":"app","builder_type":"amazon-ebs","build_time":2,"artifact_id":"us-east-1:ami-0bbbbbbbbbbbbbbbb,eu-west-1:ami-0cccccccccccccccc","packer_run_uuid":"new","custom_data":{"role":"prerequisites","stack":"blue","template_hash":"` + Hash + `"}}
],"last_run_uuid":"new"}
EOF
`

// GoodBuildAMI is the AMI GoodBuild's last run registered in eu-west-1.
const GoodBuildAMI = "ami-0cccccccccccccccc"

// FakeEC2 records what Deregister asks of EC2 and answers DescribeImages from Images: by
// id when the input names ids (an id it does not hold is InvalidAMIID.NotFound, as EC2
// answers), else all of them. A call whose method name is a key of Fail returns that
// error and records nothing.
type FakeEC2 struct {
	Images       []ec2types.Image
	Fail         map[string]error
	Filters      []ec2types.Filter
	ImageIDs     []string // the ids DescribeImages was asked for
	Deregistered []string
	Snapshots    []string
}

func (f *FakeEC2) DescribeImages(_ context.Context, in *ec2.DescribeImagesInput, _ ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	if err := f.Fail["DescribeImages"]; err != nil {
		return nil, err
	}
	f.Filters = in.Filters
	f.ImageIDs = in.ImageIds
	if len(in.ImageIds) == 0 {
		return &ec2.DescribeImagesOutput{Images: f.Images}, nil
	}
	var found []ec2types.Image
	for _, img := range f.Images {
		if slices.Contains(in.ImageIds, aws.ToString(img.ImageId)) {
			found = append(found, img)
		}
	}
	if len(found) == 0 {
		return nil, &smithy.GenericAPIError{Code: "InvalidAMIID.NotFound", Message: fmt.Sprintf("The image id '%v' does not exist", in.ImageIds)}
	}
	return &ec2.DescribeImagesOutput{Images: found}, nil
}

// Tags is an image's tag list from pairs.
func Tags(kv map[string]string) []ec2types.Tag {
	var out []ec2types.Tag
	for _, k := range slices.Sorted(maps.Keys(kv)) {
		out = append(out, ec2types.Tag{Key: aws.String(k), Value: aws.String(kv[k])})
	}
	return out
}

func (f *FakeEC2) DeregisterImage(_ context.Context, in *ec2.DeregisterImageInput, _ ...func(*ec2.Options)) (*ec2.DeregisterImageOutput, error) {
	if err := f.Fail["DeregisterImage"]; err != nil {
		return nil, err
	}
	f.Deregistered = append(f.Deregistered, aws.ToString(in.ImageId))
	return &ec2.DeregisterImageOutput{}, nil
}

func (f *FakeEC2) DeleteSnapshot(_ context.Context, in *ec2.DeleteSnapshotInput, _ ...func(*ec2.Options)) (*ec2.DeleteSnapshotOutput, error) {
	if err := f.Fail["DeleteSnapshot"]; err != nil {
		return nil, err
	}
	f.Snapshots = append(f.Snapshots, aws.ToString(in.SnapshotId))
	return &ec2.DeleteSnapshotOutput{}, nil
}
