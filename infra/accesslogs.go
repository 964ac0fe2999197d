package infra

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AccessLogs says whether the edge creates and owns the ALB's access-log bucket.
type AccessLogs struct {
	Create        bool
	RetentionDays int // objects expire after this many days
}

// elbLogDeliveryPrincipal is the service principal that writes ALB access logs in the
// regions that opened in August 2022 or later (ELB User Guide for Application Load
// Balancers, "Enable access logs", step 2: attach a policy to your S3 bucket). AWS
// documents it for those regions only, so older regions keep the regional ELB account.
const elbLogDeliveryPrincipal = "logdelivery.elasticloadbalancing.amazonaws.com"

// elbAccountIDs are AWS's public Elastic Load Balancing account ids of the regions that
// opened before August 2022, which AWS documents as the principal of the access-log
// bucket policy there (same page; the table terraform-provider-aws keeps in
// internal/service/elb/service_account_data_source.go, which pulumi-aws's
// elb.getServiceAccount serves, is the same). A region not listed is newer and uses
// elbLogDeliveryPrincipal. These are AWS's accounts, not anyone's deployment.
var elbAccountIDs = map[string]string{
	"af-south-1":     "098369216593",
	"ap-east-1":      "754344448648",
	"ap-northeast-1": "582318560864",
	"ap-northeast-2": "600734575887",
	"ap-northeast-3": "383597477331",
	"ap-south-1":     "718504428378",
	"ap-southeast-1": "114774131450",
	"ap-southeast-2": "783225319266",
	"ap-southeast-3": "589379963580",
	"ca-central-1":   "985666609251",
	"cn-north-1":     "638102146993",
	"cn-northwest-1": "037604701340",
	"eu-central-1":   "054676820928",
	"eu-north-1":     "897822967062",
	"eu-south-1":     "635631232127",
	"eu-west-1":      "156460612806",
	"eu-west-2":      "652711504416",
	"eu-west-3":      "009996457667",
	"me-south-1":     "076674570225",
	"sa-east-1":      "507241528517",
	"us-east-1":      "127311923021",
	"us-east-2":      "033677994240",
	"us-gov-east-1":  "190560391635",
	"us-gov-west-1":  "048591011584",
	"us-west-1":      "027434742980",
	"us-west-2":      "797873946194",
}

// partitionOf is the ARN partition of a region.
func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// AccessLogPrefix is where a stack's ALB writes in the bucket: <project>/<stack>, which
// keeps stacks apart in a shared bucket. ELB refuses a prefix that contains "AWSLogs"
// (it adds AWSLogs/<account>/ itself; ELB User Guide, "Enable access logs"), so such a
// project or stack name is refused before anything is registered.
func AccessLogPrefix(project, stack string) (string, error) {
	prefix := project + "/" + stack
	if strings.Contains(prefix, "AWSLogs") {
		return "", fmt.Errorf("access logs: the log prefix %q (<project>/<stack>) contains \"AWSLogs\", which Elastic Load Balancing refuses; "+
			"rename the stack or turn webapi:accessLogs off and leave webapi:accessLogsBucket empty", prefix)
	}
	return prefix, nil
}

// AccessLogsPolicy is the bucket policy that lets the region's ELB log delivery put
// objects under <prefix>/AWSLogs/<account>/ and nowhere else (the policies of "Enable
// access logs", step 2, for either kind of region).
func AccessLogsPolicy(region, account, bucketArn, prefix string) (string, error) {
	principal := map[string]any{"Service": elbLogDeliveryPrincipal}
	if id, ok := elbAccountIDs[region]; ok {
		principal = map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", partitionOf(region), id)}
	}
	b, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Sid":       "ElbAccessLogDelivery",
			"Effect":    "Allow",
			"Principal": principal,
			"Action":    "s3:PutObject",
			"Resource":  fmt.Sprintf("%s/%s/AWSLogs/%s/*", bucketArn, prefix, account),
		}},
	})
	return string(b), err
}

var bucketPrefixUnsafe = regexp.MustCompile(`[^a-z0-9-]+`)

// accessLogsBucketPrefix names the bucket <project>-<stack>-alb-logs-<unique>: bucket
// names are global, so S3's generated suffix (bucket_prefix, at most 37 characters in
// terraform-provider-aws internal/service/s3/bucket.go) makes it unique.
func accessLogsBucketPrefix(project, stack string) string {
	base := bucketPrefixUnsafe.ReplaceAllString(strings.ToLower(project+"-"+stack), "-")
	if len(base) > 27 {
		base = base[:27]
	}
	return strings.Trim(base, "-") + "-alb-logs-"
}

// accessLogsBucket is the bucket the edge creates for its ALB's logs, and the resource
// the ALB must wait for: the policy, written last. ELB writes a test object when logging
// is turned on, so the ALB update fails unless the policy is in place.
type accessLogsBucket struct {
	name  pulumi.StringOutput
	ready pulumi.Resource
}

// newAccessLogsBucket creates the bucket and its configuration: public access blocked,
// ACLs disabled (bucket owner enforced), SSE-S3 (the only encryption ELB access logs
// support: ELB User Guide, "Enable access logs", step 1), expiry after RetentionDays, and
// the policy for the region's log delivery. The configuration resources are chained:
// S3 answers OperationAborted to concurrent configuration writes on one bucket.
// ForceDestroy: turning access logs off or destroying the stack deletes the logs too
// (the bucket is never empty once ELB has written its test object).
func newAccessLogsBucket(ctx *pulumi.Context, name string, args *EdgeArgs, albSG *ec2.SecurityGroup, prefix string, parent pulumi.ResourceOption) (accessLogsBucket, error) {
	region, err := currentRegion(ctx)
	if err != nil {
		return accessLogsBucket{}, err
	}
	logName := name + "-access-logs"
	bucket, err := s3.NewBucketV2(ctx, logName, &s3.BucketV2Args{
		BucketPrefix: pulumi.String(accessLogsBucketPrefix(ctx.Project(), ctx.Stack())),
		ForceDestroy: pulumi.Bool(true),
		Tags:         tagMap(args.Tags, "Name", logName),
	}, parent)
	if err != nil {
		return accessLogsBucket{}, fmt.Errorf("edge: access log bucket: %w", err)
	}
	configs := []func(after pulumi.Resource) (pulumi.Resource, error){
		func(pulumi.Resource) (pulumi.Resource, error) {
			return s3.NewBucketPublicAccessBlock(ctx, logName, &s3.BucketPublicAccessBlockArgs{
				Bucket: bucket.ID(), BlockPublicAcls: pulumi.Bool(true), BlockPublicPolicy: pulumi.Bool(true),
				IgnorePublicAcls: pulumi.Bool(true), RestrictPublicBuckets: pulumi.Bool(true),
			}, parent, pulumi.DependsOn([]pulumi.Resource{bucket}))
		},
		func(after pulumi.Resource) (pulumi.Resource, error) {
			return s3.NewBucketOwnershipControls(ctx, logName, &s3.BucketOwnershipControlsArgs{
				Bucket: bucket.ID(),
				Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
			}, parent, pulumi.DependsOn([]pulumi.Resource{after}))
		},
		func(after pulumi.Resource) (pulumi.Resource, error) {
			return s3.NewBucketServerSideEncryptionConfigurationV2(ctx, logName, &s3.BucketServerSideEncryptionConfigurationV2Args{
				Bucket: bucket.ID(),
				Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
					ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
						SseAlgorithm: pulumi.String("AES256"),
					},
				}},
			}, parent, pulumi.DependsOn([]pulumi.Resource{after}))
		},
		func(after pulumi.Resource) (pulumi.Resource, error) {
			return s3.NewBucketLifecycleConfigurationV2(ctx, logName, &s3.BucketLifecycleConfigurationV2Args{
				Bucket: bucket.ID(),
				Rules: s3.BucketLifecycleConfigurationV2RuleArray{&s3.BucketLifecycleConfigurationV2RuleArgs{
					Id:         pulumi.String("expire-access-logs"),
					Status:     pulumi.String("Enabled"),
					Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
					Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(args.AccessLogs.RetentionDays)},
				}},
			}, parent, pulumi.DependsOn([]pulumi.Resource{after}))
		},
		func(after pulumi.Resource) (pulumi.Resource, error) {
			policy := pulumi.All(bucket.Arn, albSG.OwnerId).ApplyT(func(v []any) (string, error) {
				return AccessLogsPolicy(region, v[1].(string), v[0].(string), prefix)
			}).(pulumi.StringOutput)
			return s3.NewBucketPolicy(ctx, logName, &s3.BucketPolicyArgs{Bucket: bucket.ID(), Policy: policy},
				parent, pulumi.DependsOn([]pulumi.Resource{after}))
		},
	}
	var last pulumi.Resource = bucket
	for _, create := range configs {
		if last, err = create(last); err != nil {
			return accessLogsBucket{}, fmt.Errorf("edge: access log bucket configuration: %w", err)
		}
	}
	return accessLogsBucket{name: bucket.Bucket, ready: last}, nil
}
