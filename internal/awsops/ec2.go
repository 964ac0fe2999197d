package awsops

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/webapi-platform/infra/internal/release"
)

// EC2API is the subset of *ec2.Client that Images calls.
type EC2API interface {
	DescribeImages(context.Context, *ec2.DescribeImagesInput, ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error)
}

var (
	_ EC2API                      = (*ec2.Client)(nil)
	_ ec2.DescribeImagesAPIClient = EC2API(nil)
	_ release.Images              = (*Images)(nil)
)

// Images answers release.Images from EC2.
type Images struct{ ec2 EC2API }

// ImagesFromClient builds Images on an EC2 client: the SDK's, a fake or the double's.
func ImagesFromClient(c EC2API) *Images { return &Images{ec2: c} }

// NewImages uses the SDK's normal credential chain, like New.
func NewImages(ctx context.Context, region string) (*Images, error) {
	cfg, err := loadConfig(ctx, region)
	if err != nil {
		return nil, err
	}
	return ImagesFromClient(ec2.NewFromConfig(cfg)), nil
}

// WindowsBaseImages lists Amazon's available Windows Server base images of a version,
// with the filter the prerequisites template gives Packer (name, root-device-type,
// virtualization-type, owners), so a pin it returns passes that filter. Per the EC2 API
// reference (DescribeImages, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImages.html):
// Owners "amazon" is the alias for images Amazon owns; the state filter keeps available
// images only; deprecated images are left out unless IncludeDeprecated; the order of the
// results may vary (the caller picks by CreationDate); and requests should be paginated.
func (i *Images) WindowsBaseImages(ctx context.Context, version string) ([]release.BaseImage, error) {
	name := fmt.Sprintf("Windows_Server-%s-English-Full-Base-*", version)
	in := &ec2.DescribeImagesInput{
		Owners: []string{"amazon"},
		Filters: []ec2types.Filter{
			{Name: aws.String("name"), Values: []string{name}},
			{Name: aws.String("state"), Values: []string{string(ec2types.ImageStateAvailable)}},
			{Name: aws.String("root-device-type"), Values: []string{string(ec2types.DeviceTypeEbs)}},
			{Name: aws.String("virtualization-type"), Values: []string{string(ec2types.VirtualizationTypeHvm)}},
		},
	}
	var out []release.BaseImage
	for pages := ec2.NewDescribeImagesPaginator(i.ec2, in); pages.HasMorePages(); {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe images %s: %w", name, err)
		}
		for _, img := range page.Images {
			// ISO 8601 with milliseconds, as Packer's most_recent parses it (RFC 3339).
			created, err := time.Parse(time.RFC3339, aws.ToString(img.CreationDate))
			if err != nil {
				return nil, fmt.Errorf("describe images %s: image %s: CreationDate %q is not a time", name, aws.ToString(img.ImageId), aws.ToString(img.CreationDate))
			}
			out = append(out, release.BaseImage{ID: aws.ToString(img.ImageId), Name: aws.ToString(img.Name), Created: created.UTC()})
		}
	}
	return out, nil
}
