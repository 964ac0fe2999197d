package infra

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/testutil"
)

func TestLoadConfigDefaults(t *testing.T) {
	c, err := LoadConfig(MapSource(blueConfig()))
	require.NoError(t, err)
	assert.Equal(t, Blue, c.Color)
	assert.True(t, c.Edge)
	assert.Equal(t, "10.20.0.0/16", c.VpcCidr)
	assert.Equal(t, 2, c.AzCount)
	assert.Equal(t, 0, c.MaxAzCount, "no headroom unless asked: every deployed stack keeps its address plan")
	assert.Equal(t, NatPerAz, c.NatGateways)
	assert.Equal(t, []string{"0.0.0.0/0"}, c.IngressCidrs)
	assert.Equal(t, "/health", c.HealthCheckPath)
	assert.Equal(t, 2, c.DesiredCapacity)
	assert.True(t, c.FlowLogs)
	assert.True(t, c.DeletionProtection)

	c, err = LoadConfig(MapSource(greenConfig("amiId", testutil.Unset, "appRepository", "git@github.com:acme/webapi.git", "appRef", "release/1.4")))
	require.NoError(t, err)
	assert.Equal(t, Green, c.Color)
	assert.Equal(t, "organization/webapi/blue", c.EdgeStack)
}

// badConfigCases: each invalid value, the key its error must name and words it must say.
var badConfigCases = []struct {
	name  string
	stack string
	cfg   map[string]string
	key   string
	says  string
}{
	{"colour missing", "blue", blueConfig("color", testutil.Unset), "color", "required: blue or green"},
	{"colour unknown", "blue", blueConfig("color", "purple"), "color", `"purple" is not allowed: want blue or green`},
	{"edge false without edgeStack", "green", greenConfig("edgeStack", testutil.Unset), "edgeStack", "required when webapi:edge is false"},
	{"edge and edgeStack both", "blue", blueConfig("edgeStack", "organization/webapi/green"), "edgeStack", "must be empty when webapi:edge is true"},
	{"stableColor unknown", "blue", blueConfig("stableColor", "red"), "stableColor", "want blue or green"},
	{"edgeStack not qualified", "green", greenConfig("edgeStack", "blue"), "edgeStack", "organization/project/stack"},
	{"edge not a bool", "blue", blueConfig("edge", "yes please"), "edge", "want true or false"},
	{"greenWeight above 100", "blue", blueConfig("greenWeight", "150"), "greenWeight", `"150" is not allowed: want an integer from 0 to 100`},
	{"greenWeight negative", "blue", blueConfig("greenWeight", "-5"), "greenWeight", "from 0 to 100"},
	{"greenWeight not a number", "blue", blueConfig("greenWeight", "ten"), "greenWeight", "want a whole number"},
	{"greenWeight on the colour stack", "green", greenConfig("greenWeight", "20"), "greenWeight", "weights are set only on the edge stack"},
	{"vpcCidr malformed", "blue", blueConfig("vpcCidr", "10.0.0/16"), "vpcCidr", "want an IPv4 CIDR"},
	{"vpcCidr host bits", "blue", blueConfig("vpcCidr", "10.0.3.0/16"), "vpcCidr", "did you mean 10.0.0.0/16"},
	{"vpcCidr too wide", "blue", blueConfig("vpcCidr", "10.0.0.0/8"), "vpcCidr", "from /16 to /28"},
	{"vpcCidr IPv6", "blue", blueConfig("vpcCidr", "2001:db8::/56"), "vpcCidr", "want an IPv4 CIDR"},
	{"vpcCidr too small for the subnets", "blue", blueConfig("vpcCidr", "10.0.0.0/27"), "vpcCidr", "too small for 4 subnets"},
	{"vpcCidr too small for 3 AZs", "blue", blueConfig("vpcCidr", "10.0.0.0/26", "azCount", "3"), "vpcCidr", "use a /25 or larger"},
	{"one AZ by count", "blue", blueConfig("azCount", "1"), "azCount", "want 2 to 6"},
	{"one AZ by name", "blue", blueConfig("availabilityZones", `["eu-west-1a"]`), "availabilityZones", "want 2 to 6 zones"},
	{"AZ listed twice", "blue", blueConfig("availabilityZones", `["eu-west-1a","eu-west-1a"]`), "availabilityZones", "each zone may be listed once"},
	{"AZ not a zone", "blue", blueConfig("availabilityZones", `["eu-west-1","eu-west-1b"]`), "availabilityZones", "availability zone names"},
	{"AZs not a list", "blue", blueConfig("availabilityZones", "eu-west-1a,eu-west-1b"), "availabilityZones", "want a list of strings"},
	{"maxAzCount one", "blue", blueConfig("maxAzCount", "1"), "maxAzCount", "want 2 to 6 zones to leave room for"},
	{"maxAzCount above six", "blue", blueConfig("maxAzCount", "7"), "maxAzCount", "or 0 for the zones in use"},
	{"maxAzCount below the zones in use", "blue", blueConfig("azCount", "3", "maxAzCount", "2"), "maxAzCount", "want at least the 3 zones in use"},
	{"maxAzCount below the zones listed", "blue", blueConfig("availabilityZones", `["eu-west-1a","eu-west-1b","eu-west-1c"]`, "maxAzCount", "2"), "maxAzCount", "at least the 3 zones in use"},
	{"maxAzCount too many for the VPC", "blue", blueConfig("vpcCidr", "10.0.0.0/26", "maxAzCount", "3"), "maxAzCount", "the VPC 10.0.0.0/26 has no room for 3 zones"},
	{"maxAzCount not a number", "blue", blueConfig("maxAzCount", "four"), "maxAzCount", "want a whole number"},
	{"NAT mode unknown", "blue", blueConfig("natGateways", "two"), "natGateways", "want single, perAz or none"},
	{"ingress CIDR malformed", "blue", blueConfig("ingressCidrs", `["0.0.0.0"]`), "ingressCidrs", "want IPv4 or IPv6 CIDRs"},
	{"ingress CIDRs overlap", "blue", blueConfig("ingressCidrs", `["10.0.0.0/8","10.1.0.0/16"]`), "ingressCidrs", "it overlaps 10.0.0.0/8"},
	{"ingress CIDR host bits", "blue", blueConfig("ingressCidrs", `["203.0.113.7/24"]`), "ingressCidrs", "did you mean 203.0.113.0/24"},
	{"ingress empty", "blue", blueConfig("ingressCidrs", `[]`), "ingressCidrs", "at least one CIDR"},
	{"certificate not ACM", "blue", blueConfig("certificateArn", "arn:aws:iam::111122223333:server-certificate/web"), "certificateArn", "want an ACM certificate ARN"},
	{"access log bucket invalid", "blue", blueConfig("accessLogsBucket", "Logs_Bucket"), "accessLogsBucket", "S3 bucket name"},
	{"health path without slash", "blue", blueConfig("healthCheckPath", "health"), "healthCheckPath", "starting with /"},
	{"health path with space", "blue", blueConfig("healthCheckPath", "/health check"), "healthCheckPath", "no spaces"},
	{"health interval too short", "blue", blueConfig("healthCheckInterval", "2"), "healthCheckInterval", "want 5 to 300"},
	{"healthy threshold too high", "blue", blueConfig("healthyThreshold", "11"), "healthyThreshold", "want 2 to 10"},
	{"unhealthy threshold too low", "blue", blueConfig("unhealthyThreshold", "1"), "unhealthyThreshold", "want 2 to 10"},
	{"instance type invalid", "blue", blueConfig("instanceType", "large"), "instanceType", "EC2 instance type"},
	{"min above max", "blue", blueConfig("minSize", "5", "maxSize", "4"), "minSize", "at most webapi:maxSize (4)"},
	{"desired above max", "blue", blueConfig("desiredCapacity", "9"), "desiredCapacity", "minSize <= desiredCapacity <= webapi:maxSize (2..4)"},
	{"desired below min", "blue", blueConfig("desiredCapacity", "1"), "desiredCapacity", "(2..4)"},
	{"max zero", "blue", blueConfig("minSize", "0", "desiredCapacity", "0", "maxSize", "0"), "maxSize", "want 1 to 100"},
	{"amiId malformed", "blue", blueConfig("amiId", "ami-xyz"), "amiId", "want an AMI id"},
	{"prerequisitesAmiId malformed", "blue", blueConfig("prerequisitesAmiId", "i-0123456789abcdef0"), "prerequisitesAmiId", "want an AMI id"},
	{"nothing to bake", "blue", blueConfig("amiId", testutil.Unset), "appRepository", "required unless webapi:amiId is set"},
	{"repository not a git URL", "blue", blueConfig("amiId", testutil.Unset, "appRepository", "ftp://x/y", "appRef", "v1"), "appRepository", "https:// or ssh git URL"},
	{"repository with shell characters", "blue", blueConfig("amiId", testutil.Unset, "appRepository", "https://x/y; rm -rf /", "appRef", "v1"), "appRepository", "https:// or ssh git URL"},
	{"ref missing", "blue", blueConfig("amiId", testutil.Unset, "appRepository", "https://github.com/acme/webapi.git"), "appRef", "required unless webapi:amiId is set"},
	{"ref with spaces", "blue", blueConfig("amiId", testutil.Unset, "appRepository", "https://github.com/acme/webapi.git", "appRef", "v1 && x"), "appRef", "want a git ref"},
	{"ref like an option", "blue", blueConfig("amiId", testutil.Unset, "appRepository", "https://github.com/acme/webapi.git", "appRef", "--upload-pack=x"), "appRef", "not starting with '-'"},
	{"bake subnet invalid", "blue", blueConfig("bakeSubnetId", "vpc-0123456789abcdef0"), "bakeSubnetId", "want a subnet id"},
	{"bake instance type invalid", "blue", blueConfig("bakeInstanceType", "t3"), "bakeInstanceType", "EC2 instance type"},
	{"5xx alarm out of range", "blue", blueConfig("alarm5xxPercent", "0"), "alarm5xxPercent", "from 1 to 100"},
	{"latency alarm out of range", "blue", blueConfig("alarmLatencyMs", "70000"), "alarmLatencyMs", "from 1 to 60000"},
}

func TestBadConfigIsRefusedNamingTheKey(t *testing.T) {
	for _, tc := range badConfigCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(MapSource(tc.cfg))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "webapi:"+tc.key+":", "the error names the key")
			assert.Contains(t, err.Error(), tc.says)
			var ce *ConfigError
			require.True(t, errors.As(err, &ce))
		})
	}
}

// The same cases through the program: it fails before registering anything at all.
func TestBadConfigRegistersNoResource(t *testing.T) {
	edge := edgeOutputsOf(t)
	for _, tc := range badConfigCases {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.stack, tc.cfg, edge)
			require.Error(t, r.err)
			assert.Contains(t, r.err.Error(), "webapi:"+tc.key+":")
			assert.Empty(t, r.mocks.resources, "no resource may be registered")
			assert.Empty(t, r.mocks.calls, "no provider call may be made")
		})
	}
}

func TestAllProblemsReportedTogether(t *testing.T) {
	_, err := LoadConfig(MapSource(blueConfig("greenWeight", "101", "natGateways", "many", "healthCheckPath", "x")))
	require.Error(t, err)
	for _, key := range []string{"greenWeight", "natGateways", "healthCheckPath"} {
		assert.Contains(t, err.Error(), "webapi:"+key+":")
	}
	assert.Len(t, strings.Split(err.Error(), "\n"), 3)
}
