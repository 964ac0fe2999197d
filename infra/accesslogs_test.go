package infra

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	tBucket           = "aws:s3/bucketV2:BucketV2"
	tBucketPolicy     = "aws:s3/bucketPolicy:BucketPolicy"
	tBucketPAB        = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	tBucketOwnership  = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	tBucketEncryption = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	tBucketLifecycle  = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
)

// accessLogTypes are the resources webapi:accessLogs adds, one of each.
var accessLogTypes = []string{tBucket, tBucketPAB, tBucketOwnership, tBucketEncryption, tBucketLifecycle, tBucketPolicy}

func TestAccessLogsConfig(t *testing.T) {
	c, err := LoadConfig(MapSource(blueConfig()))
	require.NoError(t, err)
	assert.False(t, c.AccessLogs, "off unless asked for")
	assert.Equal(t, 90, c.AccessLogsRetentionDays)

	for _, tc := range []struct {
		name string
		cfg  map[string]string
		key  string
		says string
	}{
		{"own bucket and a bucket brought along", blueConfig("accessLogs", "true", "accessLogsBucket", "alb-logs"), "accessLogsBucket", "leave it empty when webapi:accessLogs is true"},
		{"retention zero", blueConfig("accessLogs", "true", "accessLogsRetentionDays", "0"), "accessLogsRetentionDays", "from 1 to 36500"},
		{"retention not a number", blueConfig("accessLogsRetentionDays", "a year"), "accessLogsRetentionDays", "want a whole number"},
		{"accessLogs not a bool", blueConfig("accessLogs", "sure"), "accessLogs", "want true or false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(MapSource(tc.cfg))
			var ce *ConfigError
			require.True(t, errors.As(err, &ce), "%v", err)
			assert.Contains(t, err.Error(), "webapi:"+tc.key+":")
			assert.Contains(t, err.Error(), tc.says)
		})
	}
}

// ELB refuses a prefix holding "AWSLogs"; the prefix is <project>/<stack>, so such a
// name fails before anything is registered.
func TestAccessLogPrefixNeverHoldsAWSLogs(t *testing.T) {
	p, err := AccessLogPrefix("webapi", "blue")
	require.NoError(t, err)
	assert.Equal(t, "webapi/blue", p)
	_, err = AccessLogPrefix("webapi", "AWSLogs-test")
	assert.ErrorContains(t, err, `contains "AWSLogs"`)

	for _, kv := range [][]string{{"accessLogs", "true"}, {"accessLogsBucket", "alb-logs"}} {
		r := run(t, "AWSLogs", blueConfig(kv...), nil)
		require.Error(t, r.err, "%v", kv)
		assert.Contains(t, r.err.Error(), `"webapi/AWSLogs"`)
		assert.Empty(t, r.mocks.awsResources(), "nothing is registered")
	}
	assert.NoError(t, run(t, "AWSLogs", blueConfig(), nil).err, "without access logs the name is fine")
}

// The policy's principal is the regional ELB account where AWS documents one (regions
// opened before August 2022) and the log delivery service principal elsewhere; it may put
// objects under <prefix>/AWSLogs/<account>/ only.
func TestAccessLogsPolicyPrincipalPerRegion(t *testing.T) {
	for _, tc := range []struct {
		region, principal string
	}{
		{"eu-west-1", `{"AWS":"arn:aws:iam::156460612806:root"}`},
		{"us-east-1", `{"AWS":"arn:aws:iam::127311923021:root"}`},
		{"ap-southeast-3", `{"AWS":"arn:aws:iam::589379963580:root"}`},
		{"us-gov-west-1", `{"AWS":"arn:aws-us-gov:iam::048591011584:root"}`},
		{"cn-north-1", `{"AWS":"arn:aws-cn:iam::638102146993:root"}`},
		{"me-central-1", `{"Service":"logdelivery.elasticloadbalancing.amazonaws.com"}`}, // opened August 2022
		{"eu-central-2", `{"Service":"logdelivery.elasticloadbalancing.amazonaws.com"}`},
		{"ap-southeast-5", `{"Service":"logdelivery.elasticloadbalancing.amazonaws.com"}`},
	} {
		t.Run(tc.region, func(t *testing.T) {
			doc, err := AccessLogsPolicy(tc.region, "111122223333", "arn:aws:s3:::logs-abc", "webapi/blue")
			require.NoError(t, err)
			var policy struct {
				Statement []struct {
					Effect    string
					Principal json.RawMessage
					Action    string
					Resource  string
				}
			}
			require.NoError(t, json.Unmarshal([]byte(doc), &policy))
			require.Len(t, policy.Statement, 1)
			st := policy.Statement[0]
			assert.Equal(t, "Allow", st.Effect)
			assert.JSONEq(t, tc.principal, string(st.Principal))
			assert.Equal(t, "s3:PutObject", st.Action)
			assert.Equal(t, "arn:aws:s3:::logs-abc/webapi/blue/AWSLogs/111122223333/*", st.Resource)
		})
	}
}

func TestAccessLogsBucketIsOwnedByTheEdge(t *testing.T) {
	r := runOK(t, "blue", blueConfig("accessLogs", "true", "accessLogsRetentionDays", "30"), nil)
	byType := map[string]registered{}
	for _, typ := range accessLogTypes {
		rs := r.mocks.byType(typ)
		require.Len(t, rs, 1, typ)
		byType[typ] = rs[0]
		assert.Equal(t, "edge-access-logs", rs[0].Name, typ)
		assert.Contains(t, rs[0].Parent, "webapi:infra:Edge::edge", "%s belongs to the edge component", typ)
	}
	bucket := byType[tBucket]
	assert.Equal(t, "webapi-blue-alb-logs-", prop(bucket.Inputs, "bucketPrefix"), "S3 makes the global name unique")
	assert.Equal(t, true, prop(bucket.Inputs, "forceDestroy"), "turning logs off or destroying the stack must not stop at a non-empty bucket")
	for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		assert.Equal(t, true, prop(byType[tBucketPAB].Inputs, k), k)
	}
	assert.Equal(t, "BucketOwnerEnforced", prop(byType[tBucketOwnership].Inputs, "rule", "objectOwnership"))
	sse := prop(byType[tBucketEncryption].Inputs, "rules").([]any)[0].(map[string]any)
	assert.Equal(t, "AES256", sse["applyServerSideEncryptionByDefault"].(map[string]any)["sseAlgorithm"], "SSE-S3: the only encryption ELB access logs support")
	rule := prop(byType[tBucketLifecycle].Inputs, "rules").([]any)[0].(map[string]any)
	assert.Equal(t, "Enabled", rule["status"])
	assert.Equal(t, 30.0, rule["expiration"].(map[string]any)["days"])
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Sid":"ElbAccessLogDelivery","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::156460612806:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::edge-access-logs-bucket-name/webapi/blue/AWSLogs/000000000000/*"}]}`,
		prop(byType[tBucketPolicy].Inputs, "policy").(string))

	albs := r.mocks.byType(tALB)
	require.Len(t, albs, 1)
	assert.Equal(t, map[string]any{"bucket": "edge-access-logs-bucket-name", "prefix": "webapi/blue", "enabled": true}, prop(albs[0].Inputs, "accessLogs"))
	// ELB writes a test object when logging is turned on: the ALB waits for the policy,
	// which waits for each configuration before it (S3 refuses concurrent writes).
	assert.Contains(t, albs[0].DependsOn, urnOf("blue", byType[tBucketPolicy]))
	chain := []string{tBucketPAB, tBucketOwnership, tBucketEncryption, tBucketLifecycle, tBucketPolicy}
	for i := 1; i < len(chain); i++ {
		assert.Contains(t, byType[chain[i]].DependsOn, urnOf("blue", byType[chain[i-1]]), "%s after %s", chain[i], chain[i-1])
	}
}

// Without accessLogs nothing of S3 is created; a bucket brought along is only named.
func TestAccessLogsOffAndBroughtAlong(t *testing.T) {
	for _, cfg := range []map[string]string{blueConfig(), blueConfig("accessLogsBucket", "alb-logs")} {
		r := runOK(t, "blue", cfg, nil)
		for _, res := range r.mocks.awsResources() {
			assert.False(t, strings.HasPrefix(res.Type, "aws:s3/"), "%s %s", res.Type, res.Name)
		}
	}
	albs := runOK(t, "blue", blueConfig("accessLogsBucket", "alb-logs"), nil).mocks.byType(tALB)
	assert.Equal(t, map[string]any{"bucket": "alb-logs", "prefix": "webapi/blue", "enabled": true}, prop(albs[0].Inputs, "accessLogs"))
	assert.Nil(t, prop(runOK(t, "blue", blueConfig(), nil).mocks.byType(tALB)[0].Inputs, "accessLogs"))

	// A colour stack never owns the edge's logs.
	green := runOK(t, "green", greenConfig("accessLogs", "true"), edgeOutputsOf(t))
	assert.False(t, slices.ContainsFunc(green.mocks.awsResources(), func(r registered) bool { return strings.HasPrefix(r.Type, "aws:s3/") }))
}

func TestAccessLogsBucketPrefixFitsS3(t *testing.T) {
	assert.Equal(t, "webapi-blue-alb-logs-", accessLogsBucketPrefix("webapi", "blue"))
	long := accessLogsBucketPrefix("My_Project.Name", strings.Repeat("Stack", 20))
	assert.LessOrEqual(t, len(long), 37, "bucket_prefix is at most 37 characters")
	assert.Regexp(t, `^[a-z0-9][a-z0-9-]*-alb-logs-$`, long)
}
