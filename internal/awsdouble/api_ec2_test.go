package awsdouble

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func day(d int) time.Time { return time.Date(2026, 11, d, 6, 0, 0, 0, time.UTC) }

func TestEC2DescribeImagesFiltersOwnersAndPages(t *testing.T) {
	e := NewEC2(
		Image{ID: "ami-00000000000000001", Name: "Windows_Server-2022-English-Full-Base-2026.11.12", OwnerAlias: "amazon", OwnerID: "801119661308", Created: day(12)},
		Image{ID: "ami-00000000000000002", Name: "Windows_Server-2022-English-Full-Base-2026.10.15", OwnerAlias: "amazon", OwnerID: "801119661308", Created: day(1), Deprecated: true},
		Image{ID: "ami-00000000000000003", Name: "Windows_Server-2022-English-Full-Base-2026.11.26", OwnerID: "111122223333", Created: day(26)},
		Image{ID: "ami-00000000000000004", Name: "Windows_Server-2025-English-Full-Base-2026.11.26", OwnerAlias: "amazon", OwnerID: "801119661308", Created: day(26)},
		Image{ID: "ami-00000000000000005", Name: "Windows_Server-2022-English-Full-Base-2026.11.27", OwnerAlias: "amazon", OwnerID: "801119661308", Created: day(27), State: "pending"},
	)
	ids := func(in *ec2.DescribeImagesInput) []string {
		out, err := e.DescribeImages(context.Background(), in)
		require.NoError(t, err)
		var got []string
		for _, i := range out.Images {
			got = append(got, aws.ToString(i.ImageId))
		}
		return got
	}
	windows2022 := []ec2types.Filter{{Name: aws.String("name"), Values: []string{"Windows_Server-2022-English-Full-Base-*"}}}
	assert.Equal(t, []string{"ami-00000000000000001", "ami-00000000000000005"}, ids(&ec2.DescribeImagesInput{Owners: []string{"amazon"}, Filters: windows2022}),
		"Amazon's own, not deprecated, any state")
	available := append(windows2022, ec2types.Filter{Name: aws.String("state"), Values: []string{"available"}})
	assert.Equal(t, []string{"ami-00000000000000001"}, ids(&ec2.DescribeImagesInput{Owners: []string{"amazon"}, Filters: available}))
	assert.Equal(t, []string{"ami-00000000000000001", "ami-00000000000000002"}, ids(&ec2.DescribeImagesInput{Owners: []string{"801119661308"}, Filters: available, IncludeDeprecated: aws.Bool(true)}))
	assert.Len(t, ids(&ec2.DescribeImagesInput{Filters: windows2022}), 3, "any owner")
	assert.Equal(t, []string{"ami-00000000000000002"}, ids(&ec2.DescribeImagesInput{ImageIds: []string{"ami-00000000000000002"}, Owners: []string{"amazon"}, Filters: available}),
		"a deprecated image asked for by id (a pin: Packer's source_ami) is found")

	first, err := e.DescribeImages(context.Background(), &ec2.DescribeImagesInput{MaxResults: aws.Int32(5), Owners: []string{"amazon", "111122223333"}})
	require.NoError(t, err)
	assert.Len(t, first.Images, 4)
	assert.Nil(t, first.NextToken)
	e.PutImage(Image{ID: "ami-00000000000000006", Name: "other", OwnerID: "111122223333", Created: day(2)})
	e.PutImage(Image{ID: "ami-00000000000000007", Name: "other", OwnerID: "111122223333", Created: day(3)})
	var all []string
	pageCount := 0
	for pages := ec2.NewDescribeImagesPaginator(e, &ec2.DescribeImagesInput{}, func(o *ec2.DescribeImagesPaginatorOptions) { o.Limit = 5 }); pages.HasMorePages(); {
		page, err := pages.NextPage(context.Background())
		require.NoError(t, err)
		pageCount++
		for _, i := range page.Images {
			all = append(all, aws.ToString(i.ImageId))
		}
	}
	assert.Len(t, all, 6, "every page (the deprecated image left out)")
	assert.Equal(t, 2, pageCount)

	_, err = e.DescribeImages(context.Background(), &ec2.DescribeImagesInput{Filters: []ec2types.Filter{{Name: aws.String("platform"), Values: []string{"windows"}}}})
	assert.ErrorContains(t, err, "The filter 'platform' is invalid")
}
