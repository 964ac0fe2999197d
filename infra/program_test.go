package infra

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	tVpc          = "aws:ec2/vpc:Vpc"
	tSubnet       = "aws:ec2/subnet:Subnet"
	tRouteTable   = "aws:ec2/routeTable:RouteTable"
	tNat          = "aws:ec2/natGateway:NatGateway"
	tEndpoint     = "aws:ec2/vpcEndpoint:VpcEndpoint"
	tFlowLog      = "aws:ec2/flowLog:FlowLog"
	tSG           = "aws:ec2/securityGroup:SecurityGroup"
	tIngress      = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	tEgress       = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	tALB          = "aws:lb/loadBalancer:LoadBalancer"
	tTG           = "aws:lb/targetGroup:TargetGroup"
	tListener     = "aws:lb/listener:Listener"
	tRule         = "aws:lb/listenerRule:ListenerRule"
	tLT           = "aws:ec2/launchTemplate:LaunchTemplate"
	tASG          = "aws:autoscaling/group:Group"
	tStackRef     = "pulumi:pulumi:StackReference"
	tNetworkComp  = TypeNetwork
	tEdgeComp     = TypeEdge
	tFleetComp    = TypeFleet
	mockTGArnBase = "arn:aws:mock:eu-west-1:000000000000:aws:lb/targetGroup:TargetGroup/"
)

func TestEdgeRoleResourceGraph(t *testing.T) {
	r := runOK(t, "blue", blueConfig(), nil)
	c := r.mocks.counts()
	for _, typ := range slices.Sorted(maps.Keys(c)) {
		t.Logf("blue (edge) registers %2d x %s", c[typ], typ)
	}
	t.Logf("blue (edge) registers %d resources, %d of them in AWS", len(r.mocks.resources), len(r.mocks.awsResources()))

	assert.Equal(t, 1, c[tNetworkComp])
	assert.Equal(t, 1, c[tEdgeComp])
	assert.Equal(t, 1, c[tFleetComp])
	assert.Equal(t, 1, c[tVpc])
	assert.Equal(t, 4, c[tSubnet], "one public and one private subnet per AZ (2 AZs by default)")
	assert.Equal(t, 2, c[tNat], "perAz: one NAT per AZ")
	assert.Equal(t, 1, c[tFlowLog])
	assert.Equal(t, 1, c[tALB])
	assert.Equal(t, 2, c[tTG], "one target group per colour")
	assert.Equal(t, 1, c[tListener], "one HTTP listener without a certificate")
	assert.Equal(t, 2, c[tRule], "one header rule per colour")
	assert.Equal(t, 1, c[tLT])
	assert.Equal(t, 1, c[tASG])
	require.Equal(t, 1, c[tStackRef], "the edge stack reads no other stack, only its own last outputs")
	self := r.mocks.byType(tStackRef)[0]
	assert.Equal(t, "self", self.Name)
	assert.Equal(t, "organization/webapi/blue", prop(self.Inputs, "name"))

	asg := r.mocks.byType(tASG)[0]
	assert.Equal(t, []any{mockTGArnBase + "edge-tg-blue"}, prop(asg.Inputs, "targetGroupArns"), "blue's fleet is registered in blue's target group")
	assert.Equal(t, "fleet-blue-asg", asg.Name)
	assert.Equal(t, RoleEdge, r.outputs[OutRole])
	assert.Equal(t, "blue", r.outputs[OutColor])
}

func TestColorRoleAgainstMockedEdge(t *testing.T) {
	edge := edgeOutputsOf(t, "greenWeight", "0")
	r := runOK(t, "green", greenConfig(), edge)
	c := r.mocks.counts()
	for _, typ := range slices.Sorted(maps.Keys(c)) {
		t.Logf("green (colour) registers %2d x %s", c[typ], typ)
	}
	t.Logf("green (colour) registers %d resources, %d of them in AWS", len(r.mocks.resources), len(r.mocks.awsResources()))

	for _, typ := range []string{tVpc, tSubnet, tALB, tTG, tListener, tRule, tSG, tIngress, tEgress, tNat, tNetworkComp, tEdgeComp} {
		assert.Zero(t, c[typ], "the colour stack must not create %s", typ)
	}
	assert.Equal(t, 1, c[tStackRef])
	assert.Equal(t, 1, c[tFleetComp])
	assert.Equal(t, 1, c[tASG])

	ref := r.mocks.byType(tStackRef)[0]
	assert.Equal(t, "organization/webapi/blue", prop(ref.Inputs, "name"))
	asg := r.mocks.byType(tASG)[0]
	assert.Equal(t, []any{mockTGArnBase + "edge-tg-green"}, prop(asg.Inputs, "targetGroupArns"), "green registers in green's target group, read from the edge stack")
	assert.Equal(t, edge[OutPrivateSubnetIDs], prop(asg.Inputs, "vpcZoneIdentifiers"), "green runs in the edge stack's private subnets")
	lt := r.mocks.byType(tLT)[0]
	assert.Equal(t, []any{edge[OutInstanceSecurityGroupID]}, prop(lt.Inputs, "vpcSecurityGroupIds"))
	assert.Equal(t, RoleColor, r.outputs[OutRole])
	assert.Equal(t, "green", r.outputs[OutColor])
	assert.Equal(t, "fleet-green-asg-asg-name", r.outputs[OutAsgName])
}

// trafficListenerWeights returns colour → weight of the traffic listener's forward action.
func trafficListenerWeights(t *testing.T, r runResult) map[string]int {
	t.Helper()
	var traffic *registered
	for _, l := range r.mocks.byType(tListener) {
		if prop(l.Inputs, "defaultActions") != nil && prop(l.Inputs, "defaultActions").([]any)[0].(map[string]any)["type"] == "forward" {
			l := l
			traffic = &l
		}
	}
	require.NotNil(t, traffic, "no forwarding listener")
	action := prop(traffic.Inputs, "defaultActions").([]any)
	require.Len(t, action, 1)
	groups := action[0].(map[string]any)["forward"].(map[string]any)["targetGroups"].([]any)
	out := map[string]int{}
	for _, g := range groups {
		g := g.(map[string]any)
		color := strings.TrimPrefix(g["arn"].(string), mockTGArnBase+"edge-tg-")
		out[color] = int(g["weight"].(float64))
	}
	return out
}

func byName(t *testing.T, rs []registered, name string) registered {
	t.Helper()
	for _, r := range rs {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no resource named %s", name)
	return registered{}
}

func TestListenerWeightsFollowGreenWeight(t *testing.T) {
	for _, w := range []int{0, 10, 50, 100} {
		t.Run(fmt.Sprintf("green=%d", w), func(t *testing.T) {
			r := runOK(t, "blue", blueConfig("greenWeight", fmt.Sprint(w)), nil)
			assert.Equal(t, map[string]int{"blue": 100 - w, "green": w}, trafficListenerWeights(t, r),
				"both target groups stay in the forward action; only their weights move")
			assert.Equal(t, map[string]int{"blue": 100 - w, "green": w}, r.outputs[OutWeights])
		})
	}
}

func TestHeaderRulesPinEachColor(t *testing.T) {
	r := runOK(t, "blue", blueConfig("greenWeight", "30"), nil)
	rules := r.mocks.byType(tRule)
	require.Len(t, rules, 2)
	priorities := map[float64]bool{}
	for _, c := range Colors {
		rule := byName(t, rules, "edge-pin-"+string(c))
		cond := prop(rule.Inputs, "conditions").([]any)[0].(map[string]any)["httpHeader"].(map[string]any)
		assert.Equal(t, ColorHeader, cond["httpHeaderName"])
		assert.Equal(t, []any{string(c)}, cond["values"])
		action := prop(rule.Inputs, "actions").([]any)[0].(map[string]any)
		assert.Equal(t, "forward", action["type"])
		assert.Equal(t, mockTGArnBase+"edge-tg-"+string(c), action["targetGroupArn"])
		assert.Equal(t, "arn:aws:mock:eu-west-1:000000000000:aws:lb/listener:Listener/edge-listener-80", prop(rule.Inputs, "listenerArn"))
		priorities[prop(rule.Inputs, "priority").(float64)] = true
	}
	assert.Len(t, priorities, 2, "rule priorities must differ")
}

const testCert = "arn:aws:acm:eu-west-1:111122223333:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"

func TestHTTPSAndRedirectWhenCertificateSet(t *testing.T) {
	r := runOK(t, "blue", blueConfig("certificateArn", testCert, "greenWeight", "25"), nil)
	listeners := r.mocks.byType(tListener)
	require.Len(t, listeners, 2)
	byPort := map[float64]registered{}
	for _, l := range listeners {
		byPort[prop(l.Inputs, "port").(float64)] = l
	}
	https := byPort[443]
	assert.Equal(t, "HTTPS", prop(https.Inputs, "protocol"))
	assert.Equal(t, testCert, prop(https.Inputs, "certificateArn"))
	assert.Equal(t, tlsPolicy, prop(https.Inputs, "sslPolicy"))
	assert.Equal(t, map[string]int{"blue": 75, "green": 25}, trafficListenerWeights(t, r))

	redirect := prop(byPort[80].Inputs, "defaultActions").([]any)[0].(map[string]any)
	assert.Equal(t, "redirect", redirect["type"])
	assert.Equal(t, "HTTPS", redirect["redirect"].(map[string]any)["protocol"])
	assert.Equal(t, "HTTP_301", redirect["redirect"].(map[string]any)["statusCode"])
	rules := r.mocks.byType(tRule)
	require.Len(t, rules, 2, "one header rule per colour")
	for _, rule := range rules {
		assert.Contains(t, prop(rule.Inputs, "listenerArn"), "edge-listener-443", "header rules sit on the traffic (HTTPS) listener")
	}
	assert.True(t, strings.HasPrefix(r.outputs[OutAlbURL].(string), "https://"))
	ports := map[float64]int{}
	for _, in := range r.mocks.byType(tIngress) {
		if prop(in.Inputs, "cidrIpv4") != nil {
			ports[prop(in.Inputs, "fromPort").(float64)]++
		}
	}
	assert.Equal(t, map[float64]int{80: 1, 443: 1}, ports, "the ALB accepts 80 (redirect) and 443 from the ingress CIDRs")
}

func TestNatModes(t *testing.T) {
	cases := []struct {
		mode, azs          string
		privateRouteTables int
		nats, endpoints    int
		privateDefault     bool
	}{
		{"perAz", `["eu-west-1a","eu-west-1b","eu-west-1c"]`, 3, 3, 0, true},
		{"single", `["eu-west-1a","eu-west-1b","eu-west-1c"]`, 3, 1, 0, true},
		// Systems Manager (3), CloudWatch logs and monitoring (2), S3 gateway (1).
		{"none", `["eu-west-1a","eu-west-1b"]`, 2, 0, 6, false},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			r := runOK(t, "blue", blueConfig("natGateways", tc.mode, "availabilityZones", tc.azs), nil)
			assert.Len(t, r.mocks.byType(tNat), tc.nats)
			assert.Len(t, r.mocks.byType(tEndpoint), tc.endpoints)
			natTargets := map[string]bool{}
			privateRouteTables := 0
			for _, rt := range r.mocks.byType(tRouteTable) {
				if !strings.Contains(rt.Name, "private") {
					continue
				}
				privateRouteTables++
				routes, _ := prop(rt.Inputs, "routes").([]any)
				if !tc.privateDefault {
					assert.Empty(t, routes, "no internet route from private subnets with natGateways=none")
					continue
				}
				require.Len(t, routes, 1)
				natTargets[routes[0].(map[string]any)["natGatewayId"].(string)] = true
			}
			require.Equal(t, tc.privateRouteTables, privateRouteTables, "one private route table per AZ")
			if tc.privateDefault {
				assert.Len(t, natTargets, tc.nats, "each private route table uses its AZ's NAT (perAz) or the one NAT (single)")
			}
			for _, e := range r.mocks.byType(tEndpoint) {
				assert.Contains(t, prop(e.Inputs, "serviceName"), "com.amazonaws."+testRegion+".")
			}
		})
	}
}

func TestAvailabilityZones(t *testing.T) {
	t.Run("from config, no lookup", func(t *testing.T) {
		r := runOK(t, "blue", blueConfig("availabilityZones", `["eu-west-1b","eu-west-1c"]`), nil)
		assert.NotContains(t, r.mocks.calls, "aws:index/getAvailabilityZones:getAvailabilityZones")
		zones := map[string]int{}
		for _, s := range r.mocks.byType(tSubnet) {
			zones[prop(s.Inputs, "availabilityZone").(string)]++
		}
		assert.Equal(t, map[string]int{"eu-west-1b": 2, "eu-west-1c": 2}, zones)
	})
	t.Run("from the region, azCount of them", func(t *testing.T) {
		r := runOK(t, "blue", blueConfig("azCount", "3"), nil)
		assert.Contains(t, r.mocks.calls, "aws:index/getAvailabilityZones:getAvailabilityZones")
		assert.Len(t, r.mocks.byType(tSubnet), 6)
	})
	t.Run("more than the region has", func(t *testing.T) {
		r := run(t, "blue", blueConfig("azCount", "4"), nil)
		require.Error(t, r.err)
		assert.Contains(t, r.err.Error(), "webapi:azCount")
		assert.Contains(t, r.err.Error(), "only 3 zones")
		assert.Empty(t, r.mocks.awsResources())
	})
}

func TestSubnetCidrsComeFromThePlan(t *testing.T) {
	r := runOK(t, "blue", blueConfig("vpcCidr", "10.9.0.0/20"), nil)
	got := map[string]string{}
	for _, s := range r.mocks.byType(tSubnet) {
		got[s.Name] = prop(s.Inputs, "cidrBlock").(string)
	}
	assert.Equal(t, map[string]string{
		"network-public-0": "10.9.0.0/22", "network-public-1": "10.9.4.0/22",
		"network-private-0": "10.9.8.0/22", "network-private-1": "10.9.12.0/22",
	}, got)
}

func TestFlowLogsAndAccessLogsAreOptional(t *testing.T) {
	r := runOK(t, "blue", blueConfig("flowLogs", "false"), nil)
	assert.Empty(t, r.mocks.byType(tFlowLog))
	assert.Nil(t, prop(r.mocks.byType(tALB)[0].Inputs, "accessLogs"))

	r = runOK(t, "blue", blueConfig("accessLogsBucket", "my-alb-logs"), nil)
	assert.Len(t, r.mocks.byType(tFlowLog), 1)
	logs := prop(r.mocks.byType(tALB)[0].Inputs, "accessLogs").(map[string]any)
	assert.Equal(t, "my-alb-logs", logs["bucket"])
	assert.Equal(t, true, logs["enabled"])
	assert.Equal(t, "webapi/blue", logs["prefix"])
}

func TestRefuseToEmptyAColorThatHasWeight(t *testing.T) {
	t.Run("green with weight", func(t *testing.T) {
		edge := edgeOutputsOf(t, "greenWeight", "10")
		r := run(t, "green", greenConfig("minSize", "0", "desiredCapacity", "0"), edge)
		require.Error(t, r.err)
		assert.Contains(t, r.err.Error(), "webapi:desiredCapacity")
		assert.Contains(t, r.err.Error(), "green still has 10% of traffic")
		assert.Empty(t, r.mocks.awsResources(), "nothing is registered when the refusal fires")
	})
	t.Run("green without weight scales to zero", func(t *testing.T) {
		edge := edgeOutputsOf(t, "greenWeight", "0")
		r := runOK(t, "green", greenConfig("minSize", "0", "desiredCapacity", "0"), edge)
		asg := r.mocks.byType(tASG)[0]
		assert.Equal(t, 0.0, prop(asg.Inputs, "desiredCapacity"))
		assert.Equal(t, 0.0, prop(asg.Inputs, "waitForElbCapacity"))
	})
	t.Run("blue with weight", func(t *testing.T) {
		r := run(t, "blue", blueConfig("minSize", "0", "desiredCapacity", "0", "greenWeight", "90"), nil)
		require.Error(t, r.err)
		assert.Contains(t, r.err.Error(), "blue still has 10% of traffic")
		assert.Empty(t, r.mocks.awsResources(), "nothing is registered when the refusal fires")
	})
	t.Run("blue without weight", func(t *testing.T) {
		runOK(t, "blue", blueConfig("minSize", "0", "desiredCapacity", "0", "greenWeight", "100"), nil)
	})
}

func TestEdgeOutputContract(t *testing.T) {
	edge := edgeOutputsOf(t, "greenWeight", "40")
	for _, name := range []string{OutVpcID, OutVpcCidr, OutPublicSubnetIDs, OutPrivateSubnetIDs, OutAlbSecurityGroupID,
		OutInstanceSecurityGroupID, OutAlbArn, OutAlbArnSuffix, OutAlbDNSName, OutAlbURL, OutListenerArn, OutListenerURN,
		OutTargetGroupArns, OutTargetGroupArnSuffixes, OutWeights, OutColorHeader, OutStableColor, OutHealthCheckPath, OutRole, OutColor, OutAsgName, OutAmiID, OutAppRef, OutDesired} {
		assert.Contains(t, edge, name, "the edge stack exports %s", name)
	}
	ev, err := ParseEdgeOutputs("organization/webapi/blue", edge)
	require.NoError(t, err)
	assert.Equal(t, Weights{Blue: 60, Green: 40}, ev.Weights)
	assert.Len(t, ev.PrivateSubnetIDs, 2)
	assert.Equal(t, mockTGArnBase+"edge-tg-green", ev.TargetGroupArns["green"])
	assert.Contains(t, edge[OutListenerURN], "aws:lb/listener:Listener::edge-listener-80")

	for _, name := range []string{OutTargetGroupArns, OutTargetGroupArnSuffixes} {
		t.Run(name+" without green", func(t *testing.T) {
			broken := maps.Clone(edge)
			broken[name] = map[string]any{"blue": edge[name].(map[string]any)["blue"]}
			r := run(t, "green", greenConfig(), broken)
			require.Error(t, r.err)
			assert.Contains(t, r.err.Error(), fmt.Sprintf("edge stack organization/webapi/blue: output %q has no entry for green", name))
			assert.Empty(t, r.mocks.awsResources(), "green registers nothing without its target group")
		})
	}
	for _, name := range EdgeOutputs {
		t.Run("without "+name, func(t *testing.T) {
			broken := maps.Clone(edge)
			delete(broken, name)
			r := run(t, "green", greenConfig(), broken)
			require.Error(t, r.err)
			assert.Contains(t, r.err.Error(), fmt.Sprintf("edge stack organization/webapi/blue has no output %q", name))
			assert.Empty(t, r.mocks.awsResources())
		})
	}
}

func TestUserDataRecordsColorAndVersion(t *testing.T) {
	ud := UserData(Green, "v1.2.3", "ami-0123456789abcdef0")
	assert.True(t, strings.HasPrefix(ud, "<powershell>"))
	assert.Contains(t, ud, "color = 'green'")
	assert.Contains(t, ud, "appVersion = 'v1.2.3'")
	assert.Contains(t, ud, "WEBAPI_VERSION = 'v1.2.3'")
	assert.Contains(t, UserData(Blue, "it's", "ami-1"), "'it''s'", "single quotes are escaped for PowerShell")
}
