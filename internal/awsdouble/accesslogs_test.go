package awsdouble

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// elbPolicy is a bucket policy letting a principal put objects under resource.
func elbPolicy(t *testing.T, principal map[string]any, resource string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": principal, "Action": "s3:PutObject", "Resource": resource,
	}}})
	require.NoError(t, err)
	return string(b)
}

// Turning access logs on writes ELB's test object: the bucket's policy must let the
// region's ELB account (eu-west-1 opened before August 2022) put it under
// <prefix>/AWSLogs/<account>/, and the bucket must not default to KMS.
func TestAccessLogsNeedTheBucketPolicy(t *testing.T) {
	f := newFixture(t)
	e := f.edge()
	bucket, out := f.mustCreate(TypeBucket, "logs", map[string]any{"bucketPrefix": "webapi-blue-alb-logs-", "forceDestroy": true})
	assert.Regexp(t, `^webapi-blue-alb-logs-[0-9a-f]{26}$`, bucket)
	assert.Equal(t, bucket, out["bucket"])
	assert.Equal(t, "arn:aws:s3:::"+bucket, out["arn"])

	lbInputs := func(enabled bool, prefix string) map[string]any {
		return map[string]any{"loadBalancerType": "application", "subnets": []any{e.subnetA, e.subnetB},
			"accessLogs": map[string]any{"bucket": bucket, "prefix": prefix, "enabled": enabled}}
	}
	old := map[string]any{"loadBalancerType": "application", "subnets": []any{e.subnetA, e.subnetB}}
	_, err := f.update(TypeLoadBalancer, "alb", e.lb, old, lbInputs(true, "webapi/blue"))
	assert.ErrorContains(t, err, "Access Denied for bucket: "+bucket, "no policy yet")

	resource := "arn:aws:s3:::" + bucket + "/webapi/blue/AWSLogs/" + Account + "/*"
	policyID, _ := f.mustCreate(TypeBucketPolicy, "logs", map[string]any{"bucket": bucket,
		"policy": elbPolicy(t, map[string]any{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}, resource)})
	_, err = f.update(TypeLoadBalancer, "alb", e.lb, old, lbInputs(true, "webapi/blue"))
	assert.ErrorContains(t, err, "Access Denied", "eu-west-1 wants its ELB account, not the service principal")

	_, err = f.update(TypeBucketPolicy, "logs", policyID, nil, map[string]any{"bucket": bucket,
		"policy": elbPolicy(t, map[string]any{"AWS": "arn:aws:iam::156460612806:root"}, "arn:aws:s3:::"+bucket+"/other/AWSLogs/*")})
	require.NoError(t, err)
	_, err = f.update(TypeLoadBalancer, "alb", e.lb, old, lbInputs(true, "webapi/blue"))
	assert.ErrorContains(t, err, "Access Denied", "the policy must cover the prefix")

	_, err = f.update(TypeBucketPolicy, "logs", policyID, nil, map[string]any{"bucket": bucket,
		"policy": elbPolicy(t, map[string]any{"AWS": "arn:aws:iam::156460612806:root"}, resource)})
	require.NoError(t, err)
	_, err = f.update(TypeLoadBalancer, "alb", e.lb, old, lbInputs(true, "webapi/blue"))
	require.NoError(t, err)

	_, err = f.update(TypeLoadBalancer, "alb", e.lb, old, lbInputs(true, "AWSLogs/blue"))
	assert.ErrorContains(t, err, "cannot contain 'AWSLogs'")

	_, _ = f.mustCreate(TypeBucketEncryption, "logs", map[string]any{"bucket": bucket, "rules": []any{
		map[string]any{"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "aws:kms"}}}})
	_, err = f.update(TypeLoadBalancer, "alb", e.lb, old, lbInputs(true, "webapi/blue"))
	assert.ErrorContains(t, err, "Access Denied", "only SSE-S3")
	_, err = f.update(TypeLoadBalancer, "alb", e.lb, old, lbInputs(false, "webapi/blue"))
	assert.NoError(t, err, "turning logs off writes nothing")
}

func TestBucketConfigurationsNeedTheirBucketOnceEach(t *testing.T) {
	f := newFixture(t)
	_, _, err := f.create(TypeBucketPublicAccess, "pab", map[string]any{"bucket": "missing-bucket"})
	assert.ErrorContains(t, err, "NoSuchBucket")
	bucket, _ := f.mustCreate(TypeBucket, "b", map[string]any{"bucket": "my-logs"})
	assert.Equal(t, "my-logs", bucket)
	f.mustCreate(TypeBucketPublicAccess, "pab", map[string]any{"bucket": bucket, "blockPublicAcls": true})
	_, _, err = f.create(TypeBucketPublicAccess, "pab2", map[string]any{"bucket": bucket})
	assert.ErrorContains(t, err, "already exists", "one public access block per bucket")
	_, _, err = f.create(TypeBucket, "b2", map[string]any{"bucket": "my-logs"})
	assert.ErrorContains(t, err, "already exists", "bucket names are global")
}
