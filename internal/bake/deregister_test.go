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

func TestDeregisterRemovesTheTaggedAmiAndSnapshots(t *testing.T) {
	fake := &baketest.FakeEC2{Images: []ec2types.Image{{
		ImageId: aws.String("ami-0123456789abcdef0"),
		BlockDeviceMappings: []ec2types.BlockDeviceMapping{
			{DeviceName: aws.String("/dev/sda1"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: aws.String("snap-1")}},
			{DeviceName: aws.String("xvdca")},
		},
	}}}
	var log bytes.Buffer
	opts := Options{Stage: StagePrerequisites, Region: "eu-west-1", Stack: "blue", TemplateHash: baketest.Hash, Log: &log}
	require.NoError(t, Deregister(context.Background(), fake, opts))
	assert.Equal(t, []string{"ami-0123456789abcdef0"}, fake.Deregistered)
	assert.Equal(t, []string{"snap-1"}, fake.Snapshots)
	tags := map[string]string{}
	for _, f := range fake.Filters {
		tags[aws.ToString(f.Name)] = f.Values[0]
	}
	assert.Equal(t, map[string]string{"tag:role": "prerequisites", "tag:stack": "blue", "tag:template_hash": baketest.Hash}, tags,
		"only this stage's AMI of this stack and input hash")
	assert.Contains(t, log.String(), "deregistered ami-0123456789abcdef0")

	fake = &baketest.FakeEC2{}
	log.Reset()
	assert.NoError(t, Deregister(context.Background(), fake, opts), "nothing to deregister is not an error (idempotent delete)")
	assert.Contains(t, log.String(), "nothing to deregister")
	assert.Empty(t, fake.Deregistered)
}

// A failed EC2 call stops the delete with the call and the resource named; the image is
// never left registered with its snapshot deleted.
func TestDeregisterFailures(t *testing.T) {
	image := ec2types.Image{
		ImageId: aws.String("ami-0123456789abcdef0"),
		BlockDeviceMappings: []ec2types.BlockDeviceMapping{
			{DeviceName: aws.String("/dev/sda1"), Ebs: &ec2types.EbsBlockDevice{SnapshotId: aws.String("snap-1")}},
		},
	}
	opts := Options{Stage: StageApp, Region: "eu-west-1", Stack: "green", TemplateHash: baketest.Hash}
	for method, says := range map[string]string{
		"DescribeImages":  "describe images: throttled",
		"DeregisterImage": "deregister ami-0123456789abcdef0: throttled",
		"DeleteSnapshot":  "delete snapshot snap-1 of ami-0123456789abcdef0: throttled",
	} {
		t.Run(method, func(t *testing.T) {
			fake := &baketest.FakeEC2{Images: []ec2types.Image{image}, Fail: map[string]error{method: errors.New("throttled")}}
			err := Deregister(context.Background(), fake, opts)
			assert.EqualError(t, err, says)
			assert.NotErrorAs(t, err, new(InputError), "an AWS failure is not bad input")
			if method == "DeregisterImage" {
				assert.Empty(t, fake.Snapshots, "no snapshot is deleted while its image is registered")
			}
		})
	}
}
