package bake

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/bake/baketest"
)

const deregAmi = "ami-0123456789abcdef0"

// deregImage is the AMI a prerequisites bake of project webapi, stack blue registered,
// with tags as the template sets them; kv overrides tags ("" deletes one).
func deregImage(id string, kv ...string) ec2types.Image {
	tags := map[string]string{"project": "webapi", "stack": "blue", "role": "prerequisites", "template_hash": baketest.Hash, "Name": "x"}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(tags, kv[i])
		} else {
			tags[kv[i]] = kv[i+1]
		}
	}
	return ec2types.Image{
		ImageId: aws.String(id),
		Tags:    baketest.Tags(tags),
		BlockDeviceMappings: []ec2types.BlockDeviceMapping{
			{DeviceName: aws.String("/dev/sda1"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: aws.String("snap-1")}},
			{DeviceName: aws.String("xvdca")},
		},
	}
}

func deregOpts(log *bytes.Buffer) Options {
	return Options{Stage: StagePrerequisites, Region: "eu-west-1", Project: "webapi", Stack: "blue", TemplateHash: baketest.Hash, Log: log}
}

// The AMI the stage printed is the only one looked at and deregistered, once its tags say
// it is this project's, stack's, stage's and hash's: another deployment's image with the
// same stack names (same role, stack and hash tags) is never touched.
func TestDeregisterRemovesOnlyThePrintedAmiAndItsSnapshots(t *testing.T) {
	other := deregImage("ami-0fedcba9876543210") // same tags: what a tag search would also find
	fake := &baketest.FakeEC2{Images: []ec2types.Image{other, deregImage(deregAmi)}}
	var log bytes.Buffer
	require.NoError(t, Deregister(context.Background(), fake, deregOpts(&log), deregAmi+"\n"))
	assert.Equal(t, []string{deregAmi}, fake.ImageIDs, "looked up by the printed id")
	assert.Empty(t, fake.Filters, "no tag search")
	assert.Equal(t, []string{deregAmi}, fake.Deregistered)
	assert.Equal(t, []string{"snap-1"}, fake.Snapshots)
	assert.Contains(t, log.String(), "deregistered "+deregAmi)
}

// Any tag that does not match refuses the delete with every mismatch named, and nothing
// is deregistered.
func TestDeregisterRefusesAnAmiOfAnotherDeployment(t *testing.T) {
	for name, tc := range map[string]struct {
		kv   []string
		says string
	}{
		"another project": {[]string{"project", "shop"}, `project: want "webapi", have "shop"`},
		"another stack":   {[]string{"stack", "green"}, `stack: want "blue", have "green"`},
		"another stage":   {[]string{"role", "app"}, `role: want "prerequisites", have "app"`},
		"another hash":    {[]string{"template_hash", "b"}, `template_hash: want "` + baketest.Hash + `", have "b"`},
		"untagged":        {[]string{"project", "", "stack", ""}, `project: want "webapi", the image has no such tag; stack: want "blue", the image has no such tag`},
	} {
		t.Run(name, func(t *testing.T) {
			fake := &baketest.FakeEC2{Images: []ec2types.Image{deregImage(deregAmi, tc.kv...)}}
			err := Deregister(context.Background(), fake, deregOpts(&bytes.Buffer{}), deregAmi)
			var mismatch *TagMismatchError
			require.ErrorAs(t, err, &mismatch)
			assert.Contains(t, err.Error(), "refusing to deregister "+deregAmi)
			assert.Contains(t, err.Error(), tc.says)
			assert.Empty(t, fake.Deregistered, "nothing is deregistered")
			assert.Empty(t, fake.Snapshots)
		})
	}
}

// A delete is idempotent: an AMI already gone, or no id at all (a bake resource from
// before its stdout reached its delete), deregisters nothing and succeeds. A value that
// is not an AMI id is bad input.
func TestDeregisterWithoutAnImageToDeregister(t *testing.T) {
	var log bytes.Buffer
	fake := &baketest.FakeEC2{}
	require.NoError(t, Deregister(context.Background(), fake, deregOpts(&log), deregAmi))
	assert.Contains(t, log.String(), deregAmi+" is already gone")
	assert.Empty(t, fake.Deregistered)

	log.Reset()
	fake = &baketest.FakeEC2{}
	require.NoError(t, Deregister(context.Background(), fake, deregOpts(&log), " "))
	assert.Contains(t, log.String(), "PULUMI_COMMAND_STDOUT is empty")
	assert.Nil(t, fake.ImageIDs, "EC2 is not asked about anything")

	err := Deregister(context.Background(), fake, deregOpts(&log), "==> amazon-ebs: a build log")
	assert.ErrorAs(t, err, new(InputError))
	assert.Empty(t, fake.Deregistered)
}

// AMIs baked before the project variable existed carry the template's old literal tag,
// webapi: a stage deleted with its old environment (no PKR_VAR_project) still matches.
func TestDeregisterDefaultsToTheTemplatesProject(t *testing.T) {
	fake := &baketest.FakeEC2{Images: []ec2types.Image{deregImage(deregAmi)}}
	opts := deregOpts(&bytes.Buffer{})
	opts.Project = ""
	require.NoError(t, Deregister(context.Background(), fake, opts, deregAmi))
	assert.Equal(t, []string{deregAmi}, fake.Deregistered)

	opts.Project = "bad project!"
	assert.ErrorAs(t, Deregister(context.Background(), fake, opts, deregAmi), new(InputError))
}

// A failed EC2 call stops the delete with the call and the resource named; the image is
// never left registered with its snapshot deleted.
func TestDeregisterFailures(t *testing.T) {
	opts := Options{Stage: StageApp, Region: "eu-west-1", Stack: "green", TemplateHash: baketest.Hash}
	image := deregImage(deregAmi, "stack", "green", "role", "app")
	for method, says := range map[string]string{
		"DescribeImages":  "describe image " + deregAmi + ": throttled",
		"DeregisterImage": "deregister " + deregAmi + ": throttled",
		"DeleteSnapshot":  "delete snapshot snap-1 of " + deregAmi + ": throttled",
	} {
		t.Run(method, func(t *testing.T) {
			fake := &baketest.FakeEC2{Images: []ec2types.Image{image}, Fail: map[string]error{method: errors.New("throttled")}}
			err := Deregister(context.Background(), fake, opts, deregAmi)
			assert.EqualError(t, err, says)
			assert.NotErrorAs(t, err, new(InputError), "an AWS failure is not bad input")
			if method == "DeregisterImage" {
				assert.Empty(t, fake.Snapshots, "no snapshot is deleted while its image is registered")
			}
		})
	}
}
