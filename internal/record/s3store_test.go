package record

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"testing"

	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newS3Store(t *testing.T) (*S3Store, *fakeS3) {
	f, client := newFakeS3(t)
	return &S3Store{Client: client, Bucket: "state", Key: "team/.webapi/release/webapi.json"}, f
}

func TestS3StoreMissingRecordIsEmpty(t *testing.T) {
	s, _ := newS3Store(t)
	rec, ver, err := s.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, NoVersion, ver)
	assert.Equal(t, Record{}, rec)
}

// The real SDK's error for S3's 412 is what conditionFailure recognises: a
// *smithyhttp.ResponseError with status 412 around an API error PreconditionFailed.
func TestS3StoreStaleWriterGetsConflictFromThe412(t *testing.T) {
	ctx := context.Background()
	s, f := newS3Store(t)
	v1, err := s.Save(ctx, Record{StableColor: "blue"}, NoVersion)
	require.NoError(t, err)
	_, err = s.Save(ctx, Record{StableColor: "green"}, NoVersion)
	require.ErrorIs(t, err, ErrConflict, "a second create must fail (If-None-Match: *)")

	v2, err := s.Save(ctx, Record{StableColor: "green", Revision: 2}, v1)
	require.NoError(t, err)
	assert.NotEqual(t, v1, v2)

	_, err = s.Client.PutObject(ctx, putInput(s, v1)) // raw: what does the SDK return?
	var respErr *smithyhttp.ResponseError
	require.ErrorAs(t, err, &respErr)
	assert.Equal(t, 412, respErr.HTTPStatusCode())
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "PreconditionFailed", apiErr.ErrorCode())

	_, err = s.Save(ctx, Record{StableColor: "blue", Revision: 3}, v1)
	var conflict *ConflictError
	require.ErrorAs(t, err, &conflict)
	assert.Contains(t, err.Error(), "PreconditionFailed")
	assert.Contains(t, err.Error(), s.Where())

	rec, ver, err := s.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, v2, ver)
	assert.EqualValues(t, "green", rec.StableColor, "the stale write changed nothing")
	puts, conditional, c412, _ := f.counts()
	assert.Equal(t, puts, conditional, "every write is conditional")
	assert.Equal(t, 3, c412)
}

func TestConditionFailureIgnoresOtherErrors(t *testing.T) {
	assert.Empty(t, conditionFailure(nil))
	assert.Empty(t, conditionFailure(errors.New("connection reset")))
	assert.Empty(t, conditionFailure(&smithy.GenericAPIError{Code: "AccessDenied"}))
	assert.NotEmpty(t, conditionFailure(&smithy.GenericAPIError{Code: "ConditionalRequestConflict"}))
}

func putInput(s *S3Store, ifMatch Version) *s3.PutObjectInput {
	return &s3.PutObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.Key), Body: strings.NewReader("{}"), IfMatch: aws.String(string(ifMatch))}
}
