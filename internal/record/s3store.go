package record

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// S3API is the part of *s3.Client the S3 store uses.
type S3API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// S3Store keeps the record in one S3 object and swaps it with S3 conditional writes:
// the version is the object's ETag; the first write sends If-None-Match: * and every
// later one If-Match: <ETag>. S3 evaluates the condition atomically with the write, so of
// the writers that read one ETag exactly one replaces it.
//
// What S3 answers (Amazon S3 User Guide, "How to prevent object overwrites with
// conditional writes", https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html,
// and the PutObject IfMatch/IfNoneMatch documentation in aws-sdk-go-v2 service/s3
// v1.114.10 api_op_PutObject.go): a failed condition is 412 Precondition Failed
// (error code PreconditionFailed); "if a conflicting operation occurs during the upload
// S3 returns a 409 ConditionalRequestConflict response" and the caller should fetch the
// ETag again and retry. Both are ErrConflict here, so Update re-reads and decides again.
// If-Match on a key that no longer exists fails too (NoSuchKey): also ErrConflict.
// Conditional writes need HTTPS or SigV4, which the SDK always uses.
type S3Store struct {
	Client S3API
	Bucket string
	Key    string
}

func (s *S3Store) Where() string { return "s3://" + s.Bucket + "/" + s.Key }

// Load reads the object and its ETag; a missing object is the empty record. S3 answers
// 404 NoSuchKey for a missing key only when the caller may list the bucket (without
// s3:ListBucket it answers 403 AccessDenied), hence the hint on errors.
func (s *S3Store) Load(ctx context.Context) (Record, Version, error) {
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(s.Key)})
	if errors.As(err, new(*types.NoSuchKey)) {
		return Record{}, NoVersion, nil
	}
	if err != nil {
		return Record{}, NoVersion, fmt.Errorf("reading release record %s (the role needs s3:GetObject, s3:PutObject and s3:ListBucket there): %w", s.Where(), err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return Record{}, NoVersion, fmt.Errorf("reading release record %s: %w", s.Where(), err)
	}
	if out.ETag == nil || *out.ETag == "" {
		return Record{}, NoVersion, fmt.Errorf("reading release record %s: S3 returned no ETag", s.Where())
	}
	rec, _, err := decode(b)
	if err != nil {
		return Record{}, NoVersion, fmt.Errorf("%s: %w", s.Where(), err)
	}
	return rec, Version(*out.ETag), nil
}

// Save writes the object if its ETag is still expected (or, for NoVersion, if it does
// not exist yet).
func (s *S3Store) Save(ctx context.Context, rec Record, expected Version) (Version, error) {
	b, err := encode(rec, newID())
	if err != nil {
		return NoVersion, err
	}
	in := &s3.PutObjectInput{
		Bucket:      aws.String(s.Bucket),
		Key:         aws.String(s.Key),
		Body:        bytes.NewReader(b),
		ContentType: aws.String("application/json"),
	}
	if expected == NoVersion {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(string(expected))
	}
	out, err := s.Client.PutObject(ctx, in)
	if detail := conditionFailure(err); detail != "" {
		return NoVersion, &ConflictError{Where: s.Where(), Expected: expected, Detail: detail}
	}
	if err != nil {
		return NoVersion, fmt.Errorf("writing release record %s: %w", s.Where(), err)
	}
	if out.ETag == nil || *out.ETag == "" {
		return NoVersion, fmt.Errorf("writing release record %s: S3 returned no ETag", s.Where())
	}
	return Version(*out.ETag), nil
}

// conditionFailure recognises S3's answers to a failed conditional write. The SDK
// surfaces them as a *smithyhttp.ResponseError (inside the operation error) wrapping a
// smithy.APIError: status 412 with code PreconditionFailed, or 409 with code
// ConditionalRequestConflict; a vanished key is NoSuchKey (404).
func conditionFailure(err error) string {
	if err == nil {
		return ""
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey":
			return fmt.Sprintf("S3 answered %s: %s", apiErr.ErrorCode(), apiErr.ErrorMessage())
		}
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) {
		switch code := respErr.HTTPStatusCode(); code {
		case http.StatusPreconditionFailed, http.StatusConflict:
			return fmt.Sprintf("S3 answered HTTP %d %s", code, http.StatusText(code))
		}
	}
	return ""
}
