package awsdouble

import (
	"cmp"
	"context"
	"maps"
	"path"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// EC2API is the part of *ec2.Client the bluegreen tool calls (base-ami).
type EC2API interface {
	DescribeImages(context.Context, *ec2.DescribeImagesInput, ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error)
}

var (
	_ EC2API = (*ec2.Client)(nil)
	_ EC2API = (*EC2)(nil)
)

// Image is a scripted AMI that someone else owns, such as Amazon's Windows Server base
// images: the double's resources are the program's own, these are the world's.
type Image struct {
	ID, Name   string
	OwnerAlias string // "amazon" for Amazon's images
	OwnerID    string
	State      string // default available
	Created    time.Time
	Deprecated bool
}

// EC2 serves DescribeImages over scripted images, in memory (base-ami reads them in the
// test's process; the program registers no image of its own through it).
type EC2 struct {
	mu     sync.Mutex
	images []Image
}

// NewEC2 serves the given images.
func NewEC2(images ...Image) *EC2 { return &EC2{images: images} }

// PutImage adds or replaces (by id) a scripted image.
func (e *EC2) PutImage(img Image) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.images = slices.DeleteFunc(e.images, func(i Image) bool { return i.ID == img.ID })
	e.images = append(e.images, img)
}

// imageFilters are the DescribeImages filters the double serves; others are refused,
// so a caller relying on one fails here rather than matching everything.
var imageFilters = map[string]func(Image) string{
	"name":                func(i Image) string { return i.Name },
	"image-id":            func(i Image) string { return i.ID },
	"state":               func(i Image) string { return cmp.Or(i.State, string(ec2types.ImageStateAvailable)) },
	"root-device-type":    func(Image) string { return string(ec2types.DeviceTypeEbs) },
	"virtualization-type": func(Image) string { return string(ec2types.VirtualizationTypeHvm) },
}

// DescribeImages answers as EC2 does (API reference, DescribeImages): Owners takes
// account ids or an alias (amazon, aws-marketplace, self); filter values may use * and
// ?, values of one filter are ORed and filters ANDed; deprecated images are left out
// unless IncludeDeprecated or asked for by id; and without MaxResults every match comes in one page, with
// MaxResults (5 to 1000) in pages of that size. The order is by id, never by date.
func (e *EC2) DescribeImages(_ context.Context, in *ec2.DescribeImagesInput, _ ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	for _, f := range in.Filters {
		if imageFilters[aws.ToString(f.Name)] == nil {
			return nil, apiErr("InvalidParameterValue", "The filter '%s' is invalid (awsdouble serves %v)", aws.ToString(f.Name), slices.Sorted(maps.Keys(imageFilters)))
		}
	}
	e.mu.Lock()
	var match []Image
	for _, img := range e.images {
		if imageMatches(img, in) {
			match = append(match, img)
		}
	}
	e.mu.Unlock()
	slices.SortFunc(match, func(a, b Image) int { return cmp.Compare(a.ID, b.ID) })
	return imagePage(match, in)
}

func imageMatches(img Image, in *ec2.DescribeImagesInput) bool {
	if len(in.ImageIds) > 0 && !slices.Contains(in.ImageIds, img.ID) {
		return false
	}
	if len(in.Owners) > 0 && !slices.ContainsFunc(in.Owners, func(o string) bool { return o == img.OwnerAlias || o == img.OwnerID }) {
		return false
	}
	// "the deprecated AMI does not appear in DescribeImages API calls unless you specify
	// its ID or specify that deprecated AMIs must appear" (EC2 User Guide, Deprecate an AMI).
	if img.Deprecated && !aws.ToBool(in.IncludeDeprecated) && !slices.Contains(in.ImageIds, img.ID) {
		return false
	}
	for _, f := range in.Filters {
		value := imageFilters[aws.ToString(f.Name)](img)
		if !slices.ContainsFunc(f.Values, func(pattern string) bool { ok, _ := path.Match(pattern, value); return ok }) {
			return false
		}
	}
	return true
}

func imagePage(match []Image, in *ec2.DescribeImagesInput) (*ec2.DescribeImagesOutput, error) {
	start, size := 0, len(match)
	if in.MaxResults != nil {
		if n := aws.ToInt32(in.MaxResults); n < 5 || n > 1000 {
			return nil, apiErr("InvalidParameterValue", "MaxResults %d: want 5 to 1000", n)
		}
		size = int(aws.ToInt32(in.MaxResults))
	}
	if t := aws.ToString(in.NextToken); t != "" {
		i := slices.IndexFunc(match, func(img Image) bool { return img.ID == t })
		if i < 0 {
			return nil, apiErr("InvalidParameterValue", "NextToken %q is not valid", t)
		}
		start = i
	}
	end := min(start+size, len(match))
	out := &ec2.DescribeImagesOutput{}
	for _, img := range match[start:end] {
		out.Images = append(out.Images, ec2types.Image{
			ImageId: aws.String(img.ID), Name: aws.String(img.Name), ImageOwnerAlias: aws.String(img.OwnerAlias), OwnerId: aws.String(img.OwnerID),
			State: ec2types.ImageState(cmp.Or(img.State, string(ec2types.ImageStateAvailable))), CreationDate: aws.String(img.Created.UTC().Format("2006-01-02T15:04:05.000Z")),
			RootDeviceType: ec2types.DeviceTypeEbs, VirtualizationType: ec2types.VirtualizationTypeHvm,
		})
	}
	if end < len(match) {
		out.NextToken = aws.String(match[end].ID)
	}
	return out, nil
}
