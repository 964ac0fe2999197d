package bake

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// ImageAPI is the part of EC2 that Deregister uses, shaped like *ec2.Client's methods.
type ImageAPI interface {
	DescribeImages(context.Context, *ec2.DescribeImagesInput, ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error)
	DeregisterImage(context.Context, *ec2.DeregisterImageInput, ...func(*ec2.Options)) (*ec2.DeregisterImageOutput, error)
	DeleteSnapshot(context.Context, *ec2.DeleteSnapshotInput, ...func(*ec2.Options)) (*ec2.DeleteSnapshotOutput, error)
}

// NewImageAPI is an EC2 client for region with the SDK's default credential chain.
func NewImageAPI(ctx context.Context, region string) (ImageAPI, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return ec2.NewFromConfig(cfg), nil
}

// Deregister removes the AMIs opts.Stage registered for opts.Stack and opts.TemplateHash,
// found by the tags the templates put on them (so it needs no state from the build), then
// their snapshots. Finding none is not an error: a delete must be idempotent.
func Deregister(ctx context.Context, api ImageAPI, opts Options) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	opts = opts.withDefaults()
	out, err := api.DescribeImages(ctx, &ec2.DescribeImagesInput{
		Owners: []string{"self"},
		Filters: []ec2types.Filter{
			{Name: aws.String("tag:role"), Values: []string{opts.Stage.Name}},
			{Name: aws.String("tag:stack"), Values: []string{opts.Stack}},
			{Name: aws.String("tag:template_hash"), Values: []string{opts.TemplateHash}},
		},
	})
	if err != nil {
		return fmt.Errorf("describe images: %w", err)
	}
	if len(out.Images) == 0 {
		fmt.Fprintf(opts.Log, "bake %s: no AMI tagged for stack %s and hash %.12s; nothing to deregister\n", opts.Stage.Name, opts.Stack, opts.TemplateHash)
		return nil
	}
	for _, img := range out.Images {
		if err := deregisterImage(ctx, api, img); err != nil {
			return err
		}
		fmt.Fprintf(opts.Log, "bake %s: deregistered %s and its snapshots\n", opts.Stage.Name, aws.ToString(img.ImageId))
	}
	return nil
}

// deregisterImage deregisters first: EC2 refuses to delete the root snapshot of a
// registered AMI (EC2 API reference, DeleteSnapshot).
func deregisterImage(ctx context.Context, api ImageAPI, img ec2types.Image) error {
	id := aws.ToString(img.ImageId)
	if _, err := api.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: img.ImageId}); err != nil {
		return fmt.Errorf("deregister %s: %w", id, err)
	}
	for _, bdm := range img.BlockDeviceMappings {
		if bdm.Ebs == nil || bdm.Ebs.SnapshotId == nil {
			continue
		}
		if _, err := api.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: bdm.Ebs.SnapshotId}); err != nil {
			return fmt.Errorf("delete snapshot %s of %s: %w", aws.ToString(bdm.Ebs.SnapshotId), id, err)
		}
	}
	return nil
}
