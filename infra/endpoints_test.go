package infra

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Without NAT, the instances reach Systems Manager, the CloudWatch agent's logs and
// metrics endpoints, and S3 through a gateway endpoint on the private route tables;
// with NAT there is no endpoint at all.
func TestNoNatModeHasTheEndpointsTheInstancesNeed(t *testing.T) {
	r := runOK(t, "blue", blueConfig("natGateways", "none", "availabilityZones", `["eu-west-1a","eu-west-1b"]`), nil)
	endpoints := map[string]registered{}
	for _, e := range r.mocks.byType(tEndpoint) {
		endpoints[prop(e.Inputs, "serviceName").(string)] = e
	}
	for _, svc := range []string{"ssm", "ssmmessages", "ec2messages", "logs", "monitoring"} {
		e, ok := endpoints["com.amazonaws.eu-west-1."+svc]
		require.True(t, ok, "%s interface endpoint", svc)
		assert.Equal(t, "network-"+svc, e.Name)
		assert.Equal(t, "Interface", prop(e.Inputs, "vpcEndpointType"))
		assert.Equal(t, true, prop(e.Inputs, "privateDnsEnabled"), "the agent resolves the public names to the endpoint")
		assert.Equal(t, []any{"network-private-0-id", "network-private-1-id"}, prop(e.Inputs, "subnetIds"))
		assert.Equal(t, []any{"network-endpoints-sg-id"}, prop(e.Inputs, "securityGroupIds"))
	}
	s3, ok := endpoints["com.amazonaws.eu-west-1.s3"]
	require.True(t, ok, "S3 gateway endpoint")
	assert.Equal(t, "network-s3", s3.Name)
	assert.Equal(t, "Gateway", prop(s3.Inputs, "vpcEndpointType"))
	assert.Equal(t, []any{"network-private-rt-0-id", "network-private-rt-1-id"}, prop(s3.Inputs, "routeTableIds"), "on every private route table")
	assert.Nil(t, prop(s3.Inputs, "subnetIds"), "a gateway endpoint is a route, not an interface")
	assert.Len(t, endpoints, 6)

	for _, mode := range []string{"single", "perAz"} {
		assert.Empty(t, runOK(t, "blue", blueConfig("natGateways", mode), nil).mocks.byType(tEndpoint), mode)
	}
}
