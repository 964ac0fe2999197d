package infra

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// guardrailScenarios are the stacks every guardrail is checked against: each role, with
// and without a certificate, each NAT mode.
func guardrailScenarios(t *testing.T) map[string]runResult {
	edge := edgeOutputsOf(t, "greenWeight", "20")
	return map[string]runResult{
		"blue default":             runOK(t, "blue", blueConfig(), nil),
		"blue https, no nat, logs": runOK(t, "blue", blueConfig("certificateArn", testCert, "natGateways", "none", "accessLogsBucket", "alb-logs", "ingressCidrs", `["203.0.113.0/24","2001:db8::/32"]`), nil),
		"blue single nat 3 azs":    runOK(t, "blue", blueConfig("natGateways", "single", "azCount", "3"), nil),
		"green":                    runOK(t, "green", greenConfig(), edge),
	}
}

// Ports that must never be reachable from anywhere: SSH, RDP, WinRM HTTP/HTTPS.
var forbiddenPorts = []int{22, 3389, 5985, 5986}

func portsCovered(from, to any, proto any) func(int) bool {
	f, _ := from.(float64)
	tt, _ := to.(float64)
	all := proto == "-1" || proto == "all"
	return func(p int) bool { return all || (float64(p) >= f && float64(p) <= tt) }
}

func TestGuardrailNoAdminPortsAndNoInternetToInstances(t *testing.T) {
	for name, r := range guardrailScenarios(t) {
		t.Run(name, func(t *testing.T) {
			// The instances' security groups are the ones their launch templates use.
			instanceSGs := map[string]bool{}
			for _, lt := range r.mocks.byType(tLT) {
				for _, id := range prop(lt.Inputs, "vpcSecurityGroupIds").([]any) {
					instanceSGs[id.(string)] = true
				}
			}
			require.NotEmpty(t, instanceSGs)

			for _, sg := range r.mocks.byType(tSG) {
				assert.Nil(t, prop(sg.Inputs, "ingress"), "%s: security groups use separate rule resources, no inline ingress", sg.Name)
			}
			for _, rule := range r.mocks.byType(tIngress) {
				covers := portsCovered(prop(rule.Inputs, "fromPort"), prop(rule.Inputs, "toPort"), prop(rule.Inputs, "ipProtocol"))
				for _, p := range forbiddenPorts {
					assert.False(t, covers(p), "%s opens port %d", rule.Name, p)
				}
				cidr4, _ := prop(rule.Inputs, "cidrIpv4").(string)
				cidr6, _ := prop(rule.Inputs, "cidrIpv6").(string)
				if instanceSGs[prop(rule.Inputs, "securityGroupId").(string)] {
					assert.Empty(t, cidr4+cidr6, "%s: instances accept traffic from a security group only, never a CIDR", rule.Name)
					assert.NotNil(t, prop(rule.Inputs, "referencedSecurityGroupId"), rule.Name)
					assert.Equal(t, float64(AppPort), prop(rule.Inputs, "fromPort"), rule.Name)
					assert.Equal(t, float64(AppPort), prop(rule.Inputs, "toPort"), rule.Name)
				}
				if cidr4 == "0.0.0.0/0" || cidr6 == "::/0" {
					assert.Contains(t, []any{80.0, 443.0}, prop(rule.Inputs, "fromPort"), "%s: only the ALB's 80/443 may be open to the internet", rule.Name)
					assert.Equal(t, prop(rule.Inputs, "fromPort"), prop(rule.Inputs, "toPort"), rule.Name)
				}
			}
			for _, typ := range []string{"aws:ec2/securityGroupRule:SecurityGroupRule"} {
				assert.Empty(t, r.mocks.byType(typ), "legacy rule type %s is not used", typ)
			}
		})
	}
}

func TestGuardrailLaunchTemplates(t *testing.T) {
	for name, r := range guardrailScenarios(t) {
		t.Run(name, func(t *testing.T) {
			lts := r.mocks.byType(tLT)
			require.Len(t, lts, 1)
			for _, lt := range lts {
				assert.Equal(t, "required", prop(lt.Inputs, "metadataOptions", "httpTokens"), "IMDSv2 required")
				assert.Equal(t, 1.0, prop(lt.Inputs, "metadataOptions", "httpPutResponseHopLimit"), "IMDS hop limit 1")
				assert.Nil(t, prop(lt.Inputs, "keyName"), "no key pair: Session Manager instead")
				assert.Nil(t, prop(lt.Inputs, "networkInterfaces"), "no public address can be requested")
				devices := prop(lt.Inputs, "blockDeviceMappings").([]any)
				require.NotEmpty(t, devices)
				for _, d := range devices {
					ebs := d.(map[string]any)["ebs"].(map[string]any)
					assert.Equal(t, "true", ebs["encrypted"], "EBS encrypted")
				}
				assert.NotNil(t, prop(lt.Inputs, "iamInstanceProfile", "arn"))
			}
		})
	}
}

func TestGuardrailLoadBalancerAndListeners(t *testing.T) {
	for name, r := range guardrailScenarios(t) {
		t.Run(name, func(t *testing.T) {
			for _, alb := range r.mocks.byType(tALB) {
				assert.Equal(t, true, prop(alb.Inputs, "dropInvalidHeaderFields"), "ALB drops invalid headers")
				assert.Equal(t, true, prop(alb.Inputs, "enableDeletionProtection"))
				for _, s := range prop(alb.Inputs, "subnets").([]any) {
					assert.Contains(t, s, "public", "the ALB sits in public subnets")
				}
			}
			https := false
			for _, l := range r.mocks.byType(tListener) {
				if prop(l.Inputs, "protocol") == "HTTPS" {
					https = true
					assert.Equal(t, tlsPolicy, prop(l.Inputs, "sslPolicy"))
				}
			}
			for _, l := range r.mocks.byType(tListener) {
				if https && prop(l.Inputs, "protocol") == "HTTP" {
					action := prop(l.Inputs, "defaultActions").([]any)[0].(map[string]any)
					assert.Equal(t, "redirect", action["type"], "with a certificate, HTTP only redirects to HTTPS")
				}
			}
			if strings.Contains(name, "https") {
				assert.True(t, https, "a certificate gives an HTTPS listener")
			}
		})
	}
}

func TestGuardrailInstancesOnlyInPrivateSubnets(t *testing.T) {
	for name, r := range guardrailScenarios(t) {
		t.Run(name, func(t *testing.T) {
			for _, s := range r.mocks.byType(tSubnet) {
				assert.Equal(t, false, prop(s.Inputs, "mapPublicIpOnLaunch"), "%s gives no public IPs", s.Name)
			}
			for _, asg := range r.mocks.byType(tASG) {
				subnets := prop(asg.Inputs, "vpcZoneIdentifiers").([]any)
				require.NotEmpty(t, subnets)
				for _, s := range subnets {
					assert.Contains(t, s, "private", "%s runs in private subnets only", asg.Name)
				}
				assert.Equal(t, "ELB", prop(asg.Inputs, "healthCheckType"))
			}
		})
	}
}

func TestGuardrailIAMIsLeastPrivilege(t *testing.T) {
	for name, r := range guardrailScenarios(t) {
		t.Run(name, func(t *testing.T) {
			for _, a := range r.mocks.byType("aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
				assert.Contains(t, []any{ssmCorePolicy, cloudWatchAgentPolicy}, prop(a.Inputs, "policyArn"), a.Name)
			}
			for _, p := range r.mocks.byType("aws:iam/rolePolicy:RolePolicy") {
				var doc struct {
					Statement []struct {
						Action   any
						Resource any
					}
				}
				require.NoError(t, json.Unmarshal([]byte(prop(p.Inputs, "policy").(string)), &doc))
				for _, st := range doc.Statement {
					assert.NotContains(t, fmt.Sprint(st.Action), "*", "%s: no wildcard actions", p.Name)
					assert.NotEqual(t, "*", st.Resource, "%s: scoped to its resource", p.Name)
				}
			}
		})
	}
}

// untaggable are AWS resource types that take no tags.
var untaggable = map[string]bool{
	"aws:ec2/routeTableAssociation:RouteTableAssociation": true,
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":   true,
	"aws:iam/rolePolicy:RolePolicy":                       true,
}

func TestGuardrailEveryResourceTagged(t *testing.T) {
	for name, r := range guardrailScenarios(t) {
		t.Run(name, func(t *testing.T) {
			stackColor := "blue"
			if strings.HasPrefix(name, "green") {
				stackColor = "green"
			}
			checked := 0
			for _, res := range r.mocks.awsResources() {
				if untaggable[res.Type] {
					continue
				}
				checked++
				var tags map[string]any
				if res.Type == tASG {
					tags = map[string]any{}
					for _, tg := range prop(res.Inputs, "tags").([]any) {
						tg := tg.(map[string]any)
						assert.Equal(t, true, tg["propagateAtLaunch"], "%s: tag %s reaches the instances", res.Name, tg["key"])
						tags[tg["key"].(string)] = tg["value"]
					}
				} else {
					tags, _ = prop(res.Inputs, "tags").(map[string]any)
				}
				require.NotNil(t, tags, "%s (%s) has no tags", res.Name, res.Type)
				assert.Equal(t, "webapi", tags[TagProject], "%s: project tag", res.Name)
				assert.Equal(t, stackColor, tags[TagStack], "%s: stack tag", res.Name)
				assert.Contains(t, []any{"blue", "green", ColorShared}, tags[TagColor], "%s: colour tag", res.Name)
				if strings.HasPrefix(res.Name, "fleet-") {
					assert.Equal(t, stackColor, tags[TagColor], "%s: a fleet carries its own colour", res.Name)
				}
			}
			assert.GreaterOrEqual(t, checked, 4, "role, instance profile, launch template and ASG at least")
			for _, lt := range r.mocks.byType(tLT) {
				for _, spec := range prop(lt.Inputs, "tagSpecifications").([]any) {
					tags := spec.(map[string]any)["tags"].(map[string]any)
					assert.Equal(t, stackColor, tags[TagColor], "instances and volumes carry the colour")
				}
			}
		})
	}
}
