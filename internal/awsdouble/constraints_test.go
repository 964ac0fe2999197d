package awsdouble

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertAPIError checks an error carries AWS's code and message.
func assertAPIError(t *testing.T, err error, code, message string) {
	t.Helper()
	require.Error(t, err)
	var api smithy.APIError
	if errors.As(err, &api) {
		assert.Equal(t, code, api.ErrorCode())
	}
	assert.Contains(t, err.Error(), code+": "+message)
}

func TestOneListenerPerPortPerLoadBalancer(t *testing.T) {
	f := newFixture(t)
	e := f.edge()
	_, err := f.listener(e, "http", 80, 100, 0)
	require.NoError(t, err)
	// A renamed listener is created before the old one is deleted: AWS refuses it.
	_, err = f.listener(e, "http-renamed", 80, 100, 0)
	assertAPIError(t, err, "DuplicateListener", "A listener already exists on this port for this load balancer")
	_, err = f.listener(e, "https", 443, 100, 0)
	assert.NoError(t, err, "another port is fine")
}

func TestForwardWeights(t *testing.T) {
	f := newFixture(t)
	e := f.edge()
	_, err := f.listener(e, "too-heavy", 80, 1000, 0)
	assertAPIError(t, err, "ValidationError", "1 validation error detected: Value '1000' at 'defaultActions.1.member.forwardConfig.targetGroups.1.member.weight'")
	_, err = f.listener(e, "all-zero", 80, 0, 0)
	assertAPIError(t, err, "ValidationError", "At least one target group in a forward action must have a weight greater than zero")
	l, err := f.listener(e, "ok", 80, 0, 999)
	require.NoError(t, err, "0 and 999 are both allowed")

	// The API face enforces the same rule.
	_, err = f.double.ELBv2.ModifyListener(context.Background(), &elbv2.ModifyListenerInput{
		ListenerArn: aws.String(l),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: &elbtypes.ForwardActionConfig{
			TargetGroups: []elbtypes.TargetGroupTuple{{TargetGroupArn: aws.String(e.tgBlue), Weight: aws.Int32(-1)}},
		}}},
	})
	assertAPIError(t, err, "ValidationError", "1 validation error detected: Value '-1'")
}

func TestListenerRulePrioritiesAreUniquePerListener(t *testing.T) {
	f := newFixture(t)
	e := f.edge()
	l80, err := f.listener(e, "http", 80, 100, 0)
	require.NoError(t, err)
	l443, err := f.listener(e, "https", 443, 100, 0)
	require.NoError(t, err)
	rule := func(listener string, prio float64) error {
		_, _, err := f.create(TypeListenerRule, "rule", map[string]any{"listenerArn": listener, "priority": prio,
			"actions": []any{map[string]any{"type": "forward", "targetGroupArn": e.tgBlue}}})
		return err
	}
	require.NoError(t, rule(l80, 10))
	assertAPIError(t, rule(l80, 10), "PriorityInUse", "Priority '10' is currently in use")
	assert.NoError(t, rule(l443, 10), "the same priority on another listener")
}

func TestELBNamesAreShortAndUnique(t *testing.T) {
	f := newFixture(t)
	e := f.edge()
	long := strings.Repeat("x", 33)
	_, _, err := f.create(TypeTargetGroup, "tg", map[string]any{"name": long, "port": 80.0, "protocol": "HTTP", "vpcId": e.vpc})
	assertAPIError(t, err, "ValidationError", "The target group name '"+long+"' cannot be longer than '32' characters")
	_, _, err = f.create(TypeLoadBalancer, "lb", map[string]any{"name": long})
	assertAPIError(t, err, "ValidationError", "The load balancer name '"+long+"' cannot be longer than '32' characters")

	_, _, err = f.create(TypeTargetGroup, "tg1", map[string]any{"name": "web", "port": 80.0, "protocol": "HTTP", "vpcId": e.vpc})
	require.NoError(t, err)
	_, _, err = f.create(TypeTargetGroup, "tg2", map[string]any{"name": "web", "port": 80.0, "protocol": "HTTP", "vpcId": e.vpc})
	assertAPIError(t, err, "DuplicateTargetGroupName", "A target group with the same name 'web' exists")
	_, _, err = f.create(TypeLoadBalancer, "lb1", map[string]any{"name": "web"})
	require.NoError(t, err, "load balancers and target groups have separate names")
	_, _, err = f.create(TypeLoadBalancer, "lb2", map[string]any{"name": "web"})
	assertAPIError(t, err, "DuplicateLoadBalancerName", "A load balancer with the same name 'web' exists")
}

func TestSecurityGroupRulesAreNotDuplicated(t *testing.T) {
	f := newFixture(t)
	e := f.edge()
	sg, _ := f.mustCreate(TypeSecurityGroup, "sg", map[string]any{"vpcId": e.vpc, "description": "d"})
	rule := map[string]any{"securityGroupId": sg, "ipProtocol": "tcp", "fromPort": 80.0, "toPort": 80.0, "cidrIpv4": "0.0.0.0/0"}
	f.mustCreate(TypeSGIngressRule, "in-80", rule)
	_, _, err := f.create(TypeSGIngressRule, "in-80-again", rule)
	assertAPIError(t, err, "InvalidPermission.Duplicate", `the specified rule "peer: 0.0.0.0/0, TCP, from port: 80, to port: 80, ALLOW" already exists`)
	_, _, err = f.create(TypeSGEgressRule, "out-80", rule)
	assert.NoError(t, err, "an egress rule is not an ingress rule")
	rule["cidrIpv4"] = "10.0.0.0/8"
	_, _, err = f.create(TypeSGIngressRule, "in-80-other-source", rule)
	assert.NoError(t, err)
}

func TestSubnetsLieInTheirVpcAndDoNotOverlap(t *testing.T) {
	f := newFixture(t)
	vpc, _ := f.mustCreate(TypeVpc, "vpc", map[string]any{"cidrBlock": "10.20.0.0/16"})
	subnet := func(cidr string) error {
		_, _, err := f.create(TypeSubnet, "s-"+cidr, map[string]any{"vpcId": vpc, "cidrBlock": cidr, "availabilityZone": "eu-west-1a"})
		return err
	}
	assertAPIError(t, subnet("10.21.0.0/24"), "InvalidSubnet.Range", "The CIDR '10.21.0.0/24' is invalid.")
	assertAPIError(t, subnet("10.20.0.0/15"), "InvalidSubnet.Range", "The CIDR '10.20.0.0/15' is invalid.")
	require.NoError(t, subnet("10.20.0.0/24"))
	assertAPIError(t, subnet("10.20.0.128/25"), "InvalidSubnet.Conflict", "The CIDR '10.20.0.128/25' conflicts with another subnet")
	assert.NoError(t, subnet("10.20.1.0/24"))
}

func TestAutoScalingGroupSizes(t *testing.T) {
	f := newFixture(t)
	asg := func(lo, desired, hi float64) error {
		_, _, err := f.create(TypeAutoscalingGroup, "asg", map[string]any{"minSize": lo, "desiredCapacity": desired, "maxSize": hi})
		return err
	}
	assertAPIError(t, asg(1, 5, 4), "ValidationError", "Desired capacity:5 must be between the specified min size:1 and max size:4")
	assertAPIError(t, asg(2, 1, 4), "ValidationError", "Desired capacity:1 must be between the specified min size:2 and max size:4")
	assertAPIError(t, asg(3, 3, 2), "ValidationError", "Max bound, 2, must be greater than or equal to min bound, 3")
	assert.NoError(t, asg(0, 0, 4))
}

func TestIAMRoleNamesAreUnique(t *testing.T) {
	f := newFixture(t)
	f.mustCreate(TypeRole, "r1", map[string]any{"name": "webapi", "assumeRolePolicy": "{}"})
	_, _, err := f.create(TypeRole, "r2", map[string]any{"name": "WebApi", "assumeRolePolicy": "{}"})
	assertAPIError(t, err, "EntityAlreadyExists", "Role with name WebApi already exists.")
}

func TestConstraintsAlsoHoldOnUpdate(t *testing.T) {
	f := newFixture(t)
	e := f.edge()
	_, err := f.listener(e, "http", 80, 100, 0)
	require.NoError(t, err)
	l443, err := f.listener(e, "https", 443, 100, 0)
	require.NoError(t, err)
	olds := map[string]any{"loadBalancerArn": e.lb, "port": 443.0, "protocol": "HTTP", "defaultActions": forward(e.tgBlue, 100.0, e.tgGreen, 0.0)}
	news := map[string]any{"loadBalancerArn": e.lb, "port": 80.0, "protocol": "HTTP", "defaultActions": forward(e.tgBlue, 100.0, e.tgGreen, 0.0)}
	_, err = f.update(TypeListener, "https", l443, olds, news)
	assertAPIError(t, err, "DuplicateListener", "A listener already exists on this port")
}

func TestDeletionProtectionRefusesToDeleteALoadBalancer(t *testing.T) {
	f := newFixture(t)
	id, _ := f.mustCreate(TypeLoadBalancer, "lb", map[string]any{"enableDeletionProtection": true})
	_, err := f.p.Delete(context.Background(), deleteReq(TypeLoadBalancer, "lb", id))
	assertAPIError(t, err, "OperationNotPermitted", "Load balancer '"+id+"' cannot be deleted because deletion protection is enabled")
}
