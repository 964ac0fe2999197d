package daytwo

import (
	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/awsdouble"
	"github.com/webapi-platform/infra/internal/testutil"
)

// The transition matrix as data: every routine day-two config change, applied alone
// to a deployed blue (edge) + green and then reverted, with the plan it must have. Rows
// run in sequence on a world; the worlds run in parallel.

// matrixWorld is one deployed baseline and the rows run on it, in order.
type matrixWorld struct {
	Name        string
	Blue, Green testutil.StackConfig
	Rows        []matrixRow
}

const (
	matrixCert     = "arn:aws:acm:eu-west-1:111122223333:certificate/0b4ad2f3-6c1e-4d9a-9f3e-2a7c5d8e1f40"
	matrixIngress  = `["203.0.113.0/24"]`
	matrixNewRange = "198.51.100.0/24"
	matrixGreenAmi = "ami-0aaaaaaaaaaaaaaa1"
)

// matrixWorlds: the edge world changes the ALB, its listeners and target groups, and
// ends by adding a zone to a VPC planned without headroom; the network/fleet world has
// room for 4 zones (webapi:maxAzCount) and ends by adding one.
var matrixWorlds = []matrixWorld{
	{Name: "edge", Blue: testutil.Blue("ingressCidrs", matrixIngress), Green: testutil.Green(), Rows: matrixEdgeRows},
	{Name: "network-fleet", Blue: testutil.Blue("maxAzCount", "4"), Green: testutil.Green(), Rows: matrixNetworkFleetRows},
}

// matrixTargetGroups is both target groups updating in place.
var matrixTargetGroups = map[string]string{matrixColTGBlue: "update", matrixColTGGreen: "update"}

// matrixHealthCheckRow is one edge-stack change to the target groups' health check and its revert.
func matrixHealthCheckRow(name, label, revertLabel string, set, revert []string) matrixRow {
	return matrixRow{Name: name, Steps: []matrixStep{
		{Label: label, Stack: infra.Blue, Set: set, Keys: matrixTargetGroups},
		{Label: revertLabel, Stack: infra.Blue, Set: revert, Keys: matrixTargetGroups},
	}}
}

// matrixALBRow is one edge-stack change to the load balancer's attributes and its revert.
func matrixALBRow(name, label, revertLabel string, set, revert []string) matrixRow {
	alb := map[string]string{matrixColALB: "update"}
	return matrixRow{Name: name, Steps: []matrixStep{
		{Label: label, Stack: infra.Blue, Set: set, Keys: alb},
		{Label: revertLabel, Stack: infra.Blue, Set: revert, Keys: alb},
	}}
}

const matrixPinRulesWhy = "the header rules (X-Webapi-Color) belong to the listener that serves traffic, " +
	"and a rule's listenerArn cannot change (ForceNew): each is created on the other listener before the " +
	"old one is deleted; priorities are per listener, so they never clash"

var matrixEdgeRows = []matrixRow{
	{Name: "TLS", Steps: []matrixStep{
		{Label: "TLS on (certificateArn set)", Stack: infra.Blue, Set: []string{"certificateArn", matrixCert},
			Keys: map[string]string{matrixColHTTP: "update", matrixColHTTPS: "create"},
			Others: []matrixAllow{
				{"create", awsdouble.TypeSGIngressRule, "edge-alb-in-443-*"},
				{"replace", awsdouble.TypeListenerRule, "edge-pin-*"},
			},
			Why: matrixPinRulesWhy},
		{Label: "TLS off (certificateArn unset)", Stack: infra.Blue, Set: []string{"certificateArn", testutil.Unset},
			Keys: map[string]string{matrixColHTTP: "update", matrixColHTTPS: "delete"},
			Others: []matrixAllow{
				{"delete", awsdouble.TypeSGIngressRule, "edge-alb-in-443-*"},
				{"replace", awsdouble.TypeListenerRule, "edge-pin-*"},
			},
			Why: "the HTTPS listener and its port-443 ingress are what TLS off removes; " + matrixPinRulesWhy},
	}},
	{Name: "ingress", Steps: []matrixStep{
		{Label: "ingress CIDR added in front", Stack: infra.Blue,
			Set:    []string{"ingressCidrs", `["` + matrixNewRange + `","203.0.113.0/24"]`},
			Others: []matrixAllow{{"create", awsdouble.TypeSGIngressRule, "edge-alb-in-80-198.51.100.0-24"}}},
		{Label: "ingress CIDR removed", Stack: infra.Blue, Set: []string{"ingressCidrs", matrixIngress},
			Others: []matrixAllow{{"delete", awsdouble.TypeSGIngressRule, "edge-alb-in-80-198.51.100.0-24"}},
			Why:    "the rule of the range taken off the list is revoked; the others are untouched"},
	}},
	matrixALBRow("deletionProtection", "deletionProtection off", "deletionProtection on",
		[]string{"deletionProtection", "false"}, []string{"deletionProtection", "true"}),
	matrixALBRow("accessLogs", "accessLogsBucket on", "accessLogsBucket off",
		[]string{"accessLogsBucket", "webapi-alb-logs"}, []string{"accessLogsBucket", testutil.Unset}),
	matrixHealthCheckRow("healthCheckPath", "healthCheckPath /healthz", "↩ healthCheckPath (default /health)",
		[]string{"healthCheckPath", "/healthz"}, []string{"healthCheckPath", testutil.Unset}),
	matrixHealthCheckRow("healthCheckInterval", "healthCheckInterval 30", "↩ healthCheckInterval (default 15)",
		[]string{"healthCheckInterval", "30"}, []string{"healthCheckInterval", testutil.Unset}),
	matrixHealthCheckRow("thresholds", "healthyThreshold 5, unhealthyThreshold 2", "↩ thresholds (defaults 3, 3)",
		[]string{"healthyThreshold", "5", "unhealthyThreshold", "2"}, []string{"healthyThreshold", testutil.Unset, "unhealthyThreshold", testutil.Unset}),
	{Name: "third AZ without headroom", Steps: []matrixStep{matrixThirdZoneWithoutRoom, {
		Label: "↩ azCount 2 (after the failed up)", Stack: infra.Blue, Set: []string{"azCount", testutil.Unset},
		Maybe: []matrixAllow{{"delete", awsdouble.TypeEip, "network-nat-2"}},
		Why: "the failed up may have allocated the third zone's NAT address before the subnet conflict stopped it " +
			"(it waits on no subnet: whether it got there is a race between the engine's parallel steps); " +
			"nothing else had changed, so going back is deleting it, if it exists",
	}}},
}

// matrixThirdZoneWithoutRoom: 2 → 3 zones on a VPC planned for 2 moves every subnet
// (PlanSubnets halves the blocks), and each new subnet overlaps the one it replaces.
var matrixThirdZoneWithoutRoom = matrixStep{
	Label: "third AZ, no maxAzCount (azCount 2 → 3)", Stack: infra.Blue, Set: []string{"azCount", "3"},
	Keys: map[string]string{matrixColALB: "update", matrixColASGBlue: "update"},
	Others: []matrixAllow{
		{"replace", awsdouble.TypeSubnet, "network-*-[01]"},
		{"create", awsdouble.TypeSubnet, "network-*-2"},
		{"replace", awsdouble.TypeRouteTableAssoc, "network-*-[01]"},
		{"create", awsdouble.TypeRouteTableAssoc, "network-*-2"},
		{"replace", awsdouble.TypeNatGateway, "network-nat-[01]"},
		{"create", awsdouble.TypeNatGateway, "network-nat-2"},
		{"create", awsdouble.TypeEip, "network-nat-2"},
		{"update", awsdouble.TypeRouteTable, "network-private-rt-[01]"},
		{"create", awsdouble.TypeRouteTable, "network-private-rt-2"},
	},
	Why: "without webapi:maxAzCount the address plan is sized for the zones in use, so a third zone " +
		"re-plans every subnet's cidrBlock (ForceNew); AWS refuses each replacement, which overlaps " +
		"the subnet it replaces — set maxAzCount when the VPC is created",
	Fails: "InvalidSubnet.Conflict",
}

var matrixNetworkFleetRows = []matrixRow{
	{Name: "flowLogs", Steps: []matrixStep{
		{Label: "flowLogs off", Stack: infra.Blue, Set: []string{"flowLogs", "false"},
			Others: matrixFlowLogs("delete"), Why: "turning flow logs off removes them, their log group and their role"},
		{Label: "flowLogs on (default)", Stack: infra.Blue, Set: []string{"flowLogs", testutil.Unset}, Others: matrixFlowLogs("create")},
	}},
	{Name: "natGateways", Steps: []matrixStep{
		{Label: "natGateways perAz → single", Stack: infra.Blue, Set: []string{"natGateways", "single"},
			Others: []matrixAllow{
				{"update", awsdouble.TypeRouteTable, "network-private-rt-1"},
				{"delete", awsdouble.TypeNatGateway, "network-nat-1"},
				{"delete", awsdouble.TypeEip, "network-nat-1"},
			},
			Why: "single keeps the first zone's NAT only: the second zone's route moves to it before its NAT and address go"},
		{Label: "natGateways single → perAz (default)", Stack: infra.Blue, Set: []string{"natGateways", testutil.Unset},
			Others: []matrixAllow{
				{"update", awsdouble.TypeRouteTable, "network-private-rt-1"},
				{"create", awsdouble.TypeNatGateway, "network-nat-1"},
				{"create", awsdouble.TypeEip, "network-nat-1"},
			}},
	}},
	{Name: "instanceType", Steps: []matrixStep{
		{Label: "instanceType t3.xlarge", Stack: infra.Blue, Set: []string{"instanceType", "t3.xlarge"},
			Keys: map[string]string{matrixColASGBlue: "update"}, Others: matrixLaunchTemplate(infra.Blue)},
		{Label: "↩ instanceType (default t3.large)", Stack: infra.Blue, Set: []string{"instanceType", testutil.Unset},
			Keys: map[string]string{matrixColASGBlue: "update"}, Others: matrixLaunchTemplate(infra.Blue)},
	}},
	{Name: "amiId", Steps: []matrixStep{
		{Label: "amiId (a new prebaked AMI)", Stack: infra.Green, Set: []string{"amiId", matrixGreenAmi},
			Keys: map[string]string{matrixColASGGreen: "update"}, Others: matrixLaunchTemplate(infra.Green)},
		{Label: "↩ amiId", Stack: infra.Green, Set: []string{"amiId", testutil.Green()["amiId"]},
			Keys: map[string]string{matrixColASGGreen: "update"}, Others: matrixLaunchTemplate(infra.Green)},
	}},
	{Name: "sizes", Steps: []matrixStep{
		{Label: "minSize 3, maxSize 6, desiredCapacity 3", Stack: infra.Blue,
			Set: []string{"minSize", "3", "maxSize", "6", "desiredCapacity", "3"}, Keys: map[string]string{matrixColASGBlue: "update"}},
		{Label: "↩ sizes (defaults 2, 4, 2)", Stack: infra.Blue,
			Set: []string{"minSize", testutil.Unset, "maxSize", testutil.Unset, "desiredCapacity", testutil.Unset}, Keys: map[string]string{matrixColASGBlue: "update"}},
	}},
	{Name: "idle green", Steps: []matrixStep{
		{Label: "green to zero (minSize 0, desiredCapacity 0)", Stack: infra.Green,
			Set: []string{"minSize", "0", "desiredCapacity", "0"}, Keys: map[string]string{matrixColASGGreen: "update"}},
		{Label: "↩ green sizes (defaults)", Stack: infra.Green,
			Set: []string{"minSize", testutil.Unset, "desiredCapacity", testutil.Unset}, Keys: map[string]string{matrixColASGGreen: "update"}},
	}},
	{Name: "alarms", Steps: []matrixStep{
		{Label: "alarm5xxPercent 5, alarmLatencyMs 500", Stack: infra.Green,
			Set: []string{"alarm5xxPercent", "5", "alarmLatencyMs", "500"}, Others: matrixAlarms},
		{Label: "↩ alarms (defaults 1%, 1000 ms)", Stack: infra.Green,
			Set: []string{"alarm5xxPercent", testutil.Unset, "alarmLatencyMs", testutil.Unset}, Others: matrixAlarms},
	}},
	{Name: "third AZ", Steps: []matrixStep{{
		Label: "third AZ, maxAzCount 4 (azCount 2 → 3)", Stack: infra.Blue, Set: []string{"azCount", "3"},
		Keys: map[string]string{matrixColALB: "update", matrixColASGBlue: "update", matrixColASGGreen: "update"},
		Others: []matrixAllow{
			{"create", awsdouble.TypeSubnet, "network-*-2"},
			{"create", awsdouble.TypeRouteTableAssoc, "network-*-2"},
			{"create", awsdouble.TypeRouteTable, "network-private-rt-2"},
			{"create", awsdouble.TypeNatGateway, "network-nat-2"},
			{"create", awsdouble.TypeEip, "network-nat-2"},
		},
	}}},
}

func matrixFlowLogs(op string) []matrixAllow {
	var out []matrixAllow
	for _, typ := range []string{awsdouble.TypeFlowLog, awsdouble.TypeLogGroup, awsdouble.TypeRole, awsdouble.TypeRolePolicy} {
		out = append(out, matrixAllow{op, typ, "network-flow-logs"})
	}
	return out
}

// matrixLaunchTemplate: a new launch template version, which the group then runs.
func matrixLaunchTemplate(c infra.Color) []matrixAllow {
	return []matrixAllow{{"update", awsdouble.TypeLaunchTemplate, "fleet-" + string(c) + "-lt"}}
}

var matrixAlarms = []matrixAllow{
	{"update", awsdouble.TypeMetricAlarm, "monitoring-green-5xx"},
	{"update", awsdouble.TypeMetricAlarm, "monitoring-green-latency"},
}
