package awsops

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/release"
)

// fakeEC2 serves DescribeImages in pages of two, recording the requests.
type fakeEC2 struct {
	images []ec2types.Image
	asked  []*ec2.DescribeImagesInput
	err    error
}

func (f *fakeEC2) DescribeImages(_ context.Context, in *ec2.DescribeImagesInput, _ ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error) {
	f.asked = append(f.asked, in)
	if f.err != nil {
		return nil, f.err
	}
	start := 0
	if in.NextToken != nil {
		start = map[string]int{"2": 2, "4": 4}[*in.NextToken]
	}
	end := min(start+2, len(f.images))
	out := &ec2.DescribeImagesOutput{Images: f.images[start:end]}
	if end < len(f.images) {
		out.NextToken = aws.String(map[int]string{2: "2", 4: "4"}[end])
	}
	return out, nil
}

func ec2Image(id, created string) ec2types.Image {
	return ec2types.Image{ImageId: aws.String(id), Name: aws.String("Windows_Server-2025-English-Full-Base-" + created[:10]), CreationDate: aws.String(created)}
}

func TestWindowsBaseImagesAsksForAmazonsAvailableImagesOfTheVersion(t *testing.T) {
	f := &fakeEC2{images: []ec2types.Image{
		ec2Image("ami-0000000000000000a", "2026-10-15T06:12:40.000Z"),
		ec2Image("ami-0000000000000000c", "2026-11-26T05:58:01.000Z"),
		ec2Image("ami-0000000000000000b", "2026-11-12T06:01:13.000Z"),
	}}
	got, err := ImagesFromClient(f).WindowsBaseImages(context.Background(), "2025")
	require.NoError(t, err)
	require.Len(t, got, 3, "every page")
	assert.Equal(t, release.BaseImage{ID: "ami-0000000000000000c", Name: "Windows_Server-2025-English-Full-Base-2026-11-26",
		Created: time.Date(2026, 11, 26, 5, 58, 1, 0, time.UTC)}, got[1])
	newest, ok := release.NewestBaseImage(got)
	require.True(t, ok)
	assert.Equal(t, "ami-0000000000000000c", newest.ID)

	require.Len(t, f.asked, 2)
	in := f.asked[0]
	assert.Equal(t, []string{"amazon"}, in.Owners)
	filters := map[string][]string{}
	for _, fl := range in.Filters {
		filters[aws.ToString(fl.Name)] = fl.Values
	}
	assert.Equal(t, map[string][]string{
		"name":                {"Windows_Server-2025-English-Full-Base-*"},
		"state":               {"available"},
		"root-device-type":    {"ebs"},
		"virtualization-type": {"hvm"},
	}, filters, "the prerequisites template's filter, and available images only")
}

func TestWindowsBaseImagesErrors(t *testing.T) {
	_, err := ImagesFromClient(&fakeEC2{err: errors.New("UnauthorizedOperation")}).WindowsBaseImages(context.Background(), "2022")
	assert.ErrorContains(t, err, "describe images Windows_Server-2022-English-Full-Base-*: UnauthorizedOperation")
	bad := ec2Image("ami-0000000000000000a", "2026-10-15T06:12:40.000Z")
	bad.CreationDate = aws.String("yesterday")
	_, err = ImagesFromClient(&fakeEC2{images: []ec2types.Image{bad}}).WindowsBaseImages(context.Background(), "2022")
	assert.ErrorContains(t, err, `image ami-0000000000000000a: CreationDate "yesterday"`)
	none, err := ImagesFromClient(&fakeEC2{}).WindowsBaseImages(context.Background(), "2022")
	require.NoError(t, err)
	assert.Empty(t, none)
}
