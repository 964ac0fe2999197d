package release

import (
	"context"
	"fmt"
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
	if len(images) == 0 {
		return BaseImage{}, false
	}
	return slices.MaxFunc(images, func(a, b BaseImage) int { return a.Created.Compare(b.Created) }), true
}

// BaseAmi returns the newest Amazon Windows Server base image of windowsVersion or, when
// it is empty, of the idle colour's webapi:windowsVersion: what the scheduled image
// refresh pins for that colour with `deploy --base-ami`. No image is a refusal.
func (r *Release) BaseAmi(ctx context.Context, images Images, windowsVersion string) (BaseImage, error) {
	if windowsVersion == "" {
		idle, err := r.Idle(ctx)
		if err != nil {
			return BaseImage{}, err
		}
		cfg, _, err := r.config(ctx, idle)
		if err != nil {
			return BaseImage{}, err
		}
		windowsVersion = cfg.WindowsVersion
	}
	found, err := images.WindowsBaseImages(ctx, windowsVersion)
	if err != nil {
		return BaseImage{}, fmt.Errorf("listing the Windows Server %s base images: %w", windowsVersion, err)
	}
	newest, ok := NewestBaseImage(found)
	if !ok {
		return BaseImage{}, Refusef("no available Amazon-owned image named Windows_Server-%s-English-Full-Base-* in this region: nothing to pin (check --region, or --windows-version)", windowsVersion)
	}
	return newest, nil
}

// baseAmiChanges is a deploy's base-image pin: the flag's, else the one the colour's
// outputs record (infra.OutBaseAmiID), never a checkout's. None leaves the key out, so
// a colour that never had a pin keeps the triggers it has.
func baseAmiChanges(outs map[string]any, opts DeployOptions) map[string]string {
	pin, _ := outs[infra.OutBaseAmiID].(string)
	if opts.BaseAmiID != "" {
		pin = opts.BaseAmiID
	}
	if pin == "" {
		return nil
	}
	return map[string]string{"baseAmiId": pin}
}
