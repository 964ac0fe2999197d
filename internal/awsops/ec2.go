package awsops

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/webapi-platform/infra/internal/release"
)

// EC2API is the subset of *ec2.Client that Images calls.
type EC2API interface {
	DescribeImages(context.Context, *ec2.DescribeImagesInput, ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error)
}

// Images answers release.Images from EC2.
type Images struct{ ec2 EC2API }

// ImagesFromClient builds Images on an EC2 client: the SDK's, a fake or the double's.
func ImagesFromClient(c EC2API) *Images { return &Images{ec2: c} }

func (i *Images) WindowsBaseImages(ctx context.Context, version string) ([]release.BaseImage, error) {
	return nil, nil
}
