package release

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/webapi-platform/infra/infra"
)

// Images is what `base-ami` asks EC2: Amazon's own Windows Server base images, the ones
// the prerequisites stage builds on. internal/awsops implements it.
type Images interface {
	// WindowsBaseImages lists the available Amazon-owned images named
	// Windows_Server-<version>-English-Full-Base-*, in any order.
	WindowsBaseImages(ctx context.Context, windowsVersion string) ([]BaseImage, error)
}

// BaseImage is one Windows Server base image.
type BaseImage struct {
	ID, Name string
	Created  time.Time // DescribeImages' CreationDate
}

// NewestBaseImage is the most recently created of images (false when there is none):
// what Packer's source_ami_filter with most_recent picks, by the same CreationDate.
func NewestBaseImage(images []BaseImage) (BaseImage, bool) {
	return BaseImage{}, false
}

// BaseAmi returns the newest Amazon Windows Server base image of windowsVersion or, when
// it is empty, of the idle colour's webapi:windowsVersion: what the scheduled image
// refresh pins for that colour with `deploy --base-ami`. No image is a refusal.
func (r *Release) BaseAmi(ctx context.Context, images Images, windowsVersion string) (BaseImage, error) {
	_, _, _ = cmp.Or[string], slices.Contains[[]string], infra.Blue
	return BaseImage{}, nil
}
