package awsdouble

import (
	"context"
	"slices"
	"strings"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// programTypes are the resource types infra.Program registers: each needs a rule and a
// behaviour.
var programTypes = []string{
	TypeAutoscalingGroup, TypeLogGroup, TypeMetricAlarm, TypeDefaultSecurityGroup, TypeEip, TypeFlowLog,
	TypeInternetGateway, TypeLaunchTemplate, TypeNatGateway, TypeRouteTable, TypeRouteTableAssoc, TypeSecurityGroup,
	TypeSubnet, TypeVpc, TypeVpcEndpoint, TypeInstanceProfile, TypeRole, TypeRolePolicy, TypeRolePolicyAttachment,
	TypeListener, TypeListenerRule, TypeLoadBalancer, TypeTargetGroup, TypeSGEgressRule, TypeSGIngressRule,
	TypeBucket, TypeBucketPolicy, TypeBucketPublicAccess, TypeBucketOwnership, TypeBucketEncryption, TypeBucketLifecycle,
}

func TestEveryProgramTypeHasARuleFromTheProviderSourceAndABehaviour(t *testing.T) {
	for _, token := range programTypes {
		r, ok := RuleFor(token)
		require.True(t, ok, token)
		assert.True(t, strings.HasPrefix(r.Source, "internal/service/") && strings.HasSuffix(r.Source, ".go"), "%s cites %q", token, r.Source)
		_, ok = behaviours[token]
		assert.True(t, ok, "%s has a behaviour", token)
		for _, k := range r.ForceNew {
			assert.NotContains(t, r.Updatable, k, "%s: %s is both force-new and updatable", token, k)
		}
	}
	assert.Len(t, rules, len(programTypes), "no rule for a type the program does not use")
}

func TestReplacementRules(t *testing.T) {
	tests := []struct {
		token      string
		olds, news map[string]any
		changed    []string
		replaces   []string
	}{
		{TypeListener, map[string]any{"port": 80.0, "loadBalancerArn": "a"}, map[string]any{"port": 8080.0, "loadBalancerArn": "a"}, []string{"port"}, nil},
		{TypeListener, map[string]any{"loadBalancerArn": "a"}, map[string]any{"loadBalancerArn": "b"}, []string{"loadBalancerArn"}, []string{"loadBalancerArn"}},
		{TypeListener, map[string]any{"defaultActions": forward("tg1", 100.0, "tg2", 0.0)}, map[string]any{"defaultActions": forward("tg1", 90.0, "tg2", 10.0)}, []string{"defaultActions"}, nil},
		{TypeListenerRule, map[string]any{"priority": 10.0}, map[string]any{"priority": 20.0}, []string{"priority"}, nil},
		{TypeListenerRule, map[string]any{"listenerArn": "a"}, map[string]any{"listenerArn": "b"}, []string{"listenerArn"}, []string{"listenerArn"}},
		{TypeTargetGroup, map[string]any{"port": 80.0}, map[string]any{"port": 8080.0}, []string{"port"}, []string{"port"}},
		{TypeTargetGroup, map[string]any{"healthCheck": map[string]any{"path": "/a"}}, map[string]any{"healthCheck": map[string]any{"path": "/b"}}, []string{"healthCheck"}, nil},
		{TypeTargetGroup, map[string]any{"deregistrationDelay": 60.0}, map[string]any{"deregistrationDelay": 30.0}, []string{"deregistrationDelay"}, nil},
		{TypeLoadBalancer, map[string]any{"internal": false}, map[string]any{"internal": true}, []string{"internal"}, []string{"internal"}},
		{TypeLoadBalancer, map[string]any{"subnets": []any{"s1"}}, map[string]any{"subnets": []any{"s1", "s2"}}, []string{"subnets"}, nil},
		{TypeLoadBalancer, map[string]any{"enableDeletionProtection": true}, map[string]any{"enableDeletionProtection": false}, []string{"enableDeletionProtection"}, nil},
		{TypeVpc, map[string]any{"cidrBlock": "10.0.0.0/16"}, map[string]any{"cidrBlock": "10.1.0.0/16"}, []string{"cidrBlock"}, []string{"cidrBlock"}},
		{TypeSubnet, map[string]any{"mapPublicIpOnLaunch": false}, map[string]any{"mapPublicIpOnLaunch": true}, []string{"mapPublicIpOnLaunch"}, nil},
		{TypeSubnet, map[string]any{"availabilityZone": "a"}, map[string]any{"availabilityZone": "b"}, []string{"availabilityZone"}, []string{"availabilityZone"}},
		{TypeSecurityGroup, map[string]any{"description": "a"}, map[string]any{"description": "b"}, []string{"description"}, []string{"description"}},
		{TypeSGIngressRule, map[string]any{"fromPort": 80.0, "cidrIpv4": "0.0.0.0/0"}, map[string]any{"fromPort": 443.0, "cidrIpv4": "0.0.0.0/0"}, []string{"fromPort"}, nil},
		{TypeSGIngressRule, map[string]any{"cidrIpv4": "0.0.0.0/0"}, map[string]any{"cidrIpv6": "::/0"}, []string{"cidrIpv4", "cidrIpv6"}, []string{"cidrIpv4", "cidrIpv6"}},
		{TypeSGEgressRule, map[string]any{"securityGroupId": "a"}, map[string]any{"securityGroupId": "b"}, []string{"securityGroupId"}, []string{"securityGroupId"}},
		{TypeLaunchTemplate, map[string]any{"imageId": "ami-1"}, map[string]any{"imageId": "ami-2"}, []string{"imageId"}, nil},
		{TypeAutoscalingGroup, map[string]any{"desiredCapacity": 2.0}, map[string]any{"desiredCapacity": 0.0}, []string{"desiredCapacity"}, nil},
		{TypeAutoscalingGroup, map[string]any{"name": "a"}, map[string]any{"name": "b"}, []string{"name"}, []string{"name"}},
		{TypeFlowLog, map[string]any{"trafficType": "ALL"}, map[string]any{"trafficType": "REJECT"}, []string{"trafficType"}, []string{"trafficType"}},
		{TypeFlowLog, map[string]any{"tags": map[string]any{"a": "1"}}, map[string]any{"tags": map[string]any{"a": "2"}}, []string{"tags"}, nil},
		{TypeVpcEndpoint, map[string]any{"privateDnsEnabled": true, "vpcEndpointType": "Interface"}, map[string]any{"privateDnsEnabled": false, "vpcEndpointType": "Interface"}, []string{"privateDnsEnabled"}, nil},
		{TypeVpcEndpoint, map[string]any{"privateDnsEnabled": true}, map[string]any{"privateDnsEnabled": false}, []string{"privateDnsEnabled"}, []string{"privateDnsEnabled"}},
		{TypeMetricAlarm, map[string]any{"threshold": 1.0}, map[string]any{"threshold": 5.0}, []string{"threshold"}, nil},
		{TypeRole, map[string]any{"assumeRolePolicy": "{}"}, map[string]any{"assumeRolePolicy": "{ }"}, []string{"assumeRolePolicy"}, nil},
		{TypeRolePolicyAttachment, map[string]any{"policyArn": "a"}, map[string]any{"policyArn": "b"}, []string{"policyArn"}, []string{"policyArn"}},
		{TypeInternetGateway, map[string]any{"vpcId": "a"}, map[string]any{"vpcId": "b"}, []string{"vpcId"}, nil},
		{TypeRouteTableAssoc, map[string]any{"routeTableId": "a"}, map[string]any{"routeTableId": "b"}, []string{"routeTableId"}, nil},
		{TypeEip, map[string]any{"domain": "vpc"}, map[string]any{"domain": "standard"}, []string{"domain"}, []string{"domain"}},
		{TypeVpc, map[string]any{"cidrBlock": "10.0.0.0/16"}, map[string]any{"cidrBlock": "10.0.0.0/16"}, nil, nil},
		{TypeLoadBalancer, map[string]any{"accessLogs": map[string]any{"bucket": "b", "enabled": true}}, map[string]any{}, []string{"accessLogs"}, nil},
		{TypeMetricAlarm, map[string]any{"name": "webapi-blue-blue-5xx"}, map[string]any{"name": "organization-webapi-blue-blue-5xx"}, []string{"name"}, []string{"name"}},
		{TypeMetricAlarm, map[string]any{}, map[string]any{"alarmActions": []any{"arn:aws:sns:eu-west-1:1:t"}}, []string{"alarmActions"}, nil},
		{TypeBucket, map[string]any{"bucketPrefix": "a-"}, map[string]any{"bucketPrefix": "b-"}, []string{"bucketPrefix"}, []string{"bucketPrefix"}},
		{TypeBucket, map[string]any{"forceDestroy": false}, map[string]any{"forceDestroy": true}, []string{"forceDestroy"}, nil},
		{TypeBucketPolicy, map[string]any{"bucket": "a", "policy": "{}"}, map[string]any{"bucket": "a", "policy": "{ }"}, []string{"policy"}, nil},
		{TypeBucketPolicy, map[string]any{"bucket": "a"}, map[string]any{"bucket": "b"}, []string{"bucket"}, []string{"bucket"}},
		{TypeBucketLifecycle, map[string]any{"rules": []any{map[string]any{"id": "x"}}}, map[string]any{"rules": []any{map[string]any{"id": "y"}}}, []string{"rules"}, nil},
		{TypeBucketPublicAccess, map[string]any{"blockPublicAcls": false}, map[string]any{"blockPublicAcls": true}, []string{"blockPublicAcls"}, nil},
		{TypeVpcEndpoint, map[string]any{"routeTableIds": []any{"rtb-1"}}, map[string]any{"routeTableIds": []any{"rtb-1", "rtb-2"}}, []string{"routeTableIds"}, nil},
	}
	for _, tt := range tests {
		t.Run(humanType(tt.token)+"/"+strings.Join(tt.changed, ","), func(t *testing.T) {
			changed, replaces := Changes(tt.token, props(tt.olds), props(tt.news))
			assert.Equal(t, tt.changed, changed)
			assert.Equal(t, tt.replaces, replaces)
		})
	}
}

func TestCheckFailsClosedOnAnInputWithoutARule(t *testing.T) {
	f := newFixture(t)
	_, err := f.check(TypeTargetGroup, "tg", map[string]any{"port": 80.0, "someNewProperty": "x"}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), TypeTargetGroup)
	assert.Contains(t, err.Error(), "someNewProperty")
	assert.Contains(t, err.Error(), "internal/service/elbv2/target_group.go")

	// Computed-only outputs are not inputs either.
	_, err = f.check(TypeTargetGroup, "tg", map[string]any{"arnSuffix": "x"}, nil)
	assert.ErrorContains(t, err, "arnSuffix")

	_, err = f.check("aws:s3/bucket:Bucket", "b", map[string]any{}, nil)
	assert.ErrorContains(t, err, "aws:s3/bucket:Bucket is not implemented")
}

func TestDiffReportsReplacementsCreateBeforeDelete(t *testing.T) {
	f := newFixture(t)
	res, err := f.p.Diff(context.Background(), &pulumirpc.DiffRequest{
		Urn:       urn(TypeTargetGroup, "tg"),
		OldInputs: pstruct(t, map[string]any{"port": 80.0, "deregistrationDelay": 60.0}),
		News:      pstruct(t, map[string]any{"port": 8080.0, "deregistrationDelay": 30.0}),
	})
	require.NoError(t, err)
	assert.Equal(t, pulumirpc.DiffResponse_DIFF_SOME, res.GetChanges())
	assert.Equal(t, []string{"port"}, res.GetReplaces())
	assert.False(t, res.GetDeleteBeforeReplace())
	assert.Equal(t, pulumirpc.PropertyDiff_UPDATE_REPLACE, res.GetDetailedDiff()["port"].GetKind())
	assert.Equal(t, pulumirpc.PropertyDiff_UPDATE, res.GetDetailedDiff()["deregistrationDelay"].GetKind())

	same, err := f.p.Diff(context.Background(), &pulumirpc.DiffRequest{
		Urn: urn(TypeTargetGroup, "tg"), OldInputs: pstruct(t, map[string]any{"port": 80.0}), News: pstruct(t, map[string]any{"port": 80.0}),
	})
	require.NoError(t, err)
	assert.Equal(t, pulumirpc.DiffResponse_DIFF_NONE, same.GetChanges())
}

func TestCheckAutonamesWithinTheLimitAndKeepsTheName(t *testing.T) {
	f := newFixture(t)
	in, err := f.check(TypeLoadBalancer, "a-very-long-load-balancer-resource-name", map[string]any{}, nil)
	require.NoError(t, err)
	name := str(in, "name")
	assert.LessOrEqual(t, len(name), 32)
	assert.Regexp(t, `^a-very-long-load-balance-[0-9a-f]{7}$`, name)

	again, err := f.check(TypeLoadBalancer, "a-very-long-load-balancer-resource-name", map[string]any{}, in)
	require.NoError(t, err)
	assert.Equal(t, name, str(again, "name"), "a later Check keeps the generated name")

	given, err := f.check(TypeRole, "role", map[string]any{"name": "mine"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "mine", str(given, "name"))

	notNamed, err := f.check(TypeVpc, "vpc", map[string]any{}, nil)
	require.NoError(t, err)
	assert.False(t, slices.Contains(sortedKeys(notNamed), "name"), "a VPC has no name input")
}
