package infra

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// guardrailScenario is one stack shape the guardrails are checked against, with what
// that shape must contain, so that no check passes by finding nothing to check.
type guardrailScenario struct {
	name string
	// stack is the stack's name and colour: its fleet's tags carry it.
	stack string
	// edge: the stack owns the network and the ALB (security groups, subnets, listeners).
	edge bool
	// https: a certificate is set, so the traffic listener is HTTPS and HTTP only redirects.
	https bool
	// flowLogs: the VPC's flow logs have their own role with an inline policy.
	flowLogs bool
	r        runResult
}

// guardrailScenarios are the stacks every guardrail is checked against: each role, with
// and without a certificate, each NAT mode.
func guardrailScenarios(t *testing.T) []guardrailScenario {
	edge := edgeOutputsOf(t, "greenWeight", "20")
	return []guardrailScenario{
		{name: "blue default", stack: "blue", edge: true, flowLogs: true,
			r: runOK(t, "blue", blueConfig(), nil)},
		{name: "blue https, no nat, logs", stack: "blue", edge: true, https: true, flowLogs: true,
			r: runOK(t, "blue", blueConfig("certificateArn", testCert, "natGateways", "none", "accessLogsBucket", "alb-logs", "ingressCidrs", `["203.0.113.0/24","2001:db8::/32"]`), nil)},
		{name: "blue single nat 3 azs, no flow logs", stack: "blue", edge: true,
			r: runOK(t, "blue", blueConfig("natGateways", "single", "azCount", "3", "flowLogs", "false"), nil)},
		{name: "blue access logs in its own bucket, alarm topic", stack: "blue", edge: true, flowLogs: true,
			r: runOK(t, "blue", blueConfig("accessLogs", "true", "alarmTopicArn", "arn:aws:sns:eu-west-1:111122223333:alarms"), nil)},
		{name: "green", stack: "green",
			r: runOK(t, "green", greenConfig(), edge)},
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
	for _, sc := range guardrailScenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			r := sc.r
			// The instances' security groups are the ones their launch templates use.
			instanceSGs := map[string]bool{}
			for _, lt := range r.mocks.byType(tLT) {
				for _, id := range prop(lt.Inputs, "vpcSecurityGroupIds").([]any) {
					instanceSGs[id.(string)] = true
				}
			}
			require.NotEmpty(t, instanceSGs)
			assert.Empty(t, r.mocks.byType("aws:ec2/securityGroupRule:SecurityGroupRule"), "the legacy rule type is not used")
			if !sc.edge {
				assert.Empty(t, r.mocks.byType(tSG), "a colour stack uses the edge stack's security groups")
				assert.Empty(t, r.mocks.byType(tIngress), "a colour stack opens nothing")
				return
			}

			sgs := r.mocks.byType(tSG)
			require.NotEmpty(t, sgs)
			for _, sg := range sgs {
				assert.Nil(t, prop(sg.Inputs, "ingress"), "%s: security groups use separate rule resources, no inline ingress", sg.Name)
			}
			rules := r.mocks.byType(tIngress)
			require.NotEmpty(t, rules)
			instanceRules := 0
			for _, rule := range rules {
				covers := portsCovered(prop(rule.Inputs, "fromPort"), prop(rule.Inputs, "toPort"), prop(rule.Inputs, "ipProtocol"))
				for _, p := range forbiddenPorts {
					assert.False(t, covers(p), "%s opens port %d", rule.Name, p)
				}
				cidr4, _ := prop(rule.Inputs, "cidrIpv4").(string)
				cidr6, _ := prop(rule.Inputs, "cidrIpv6").(string)
				if instanceSGs[prop(rule.Inputs, "securityGroupId").(string)] {
					instanceRules++
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
			assert.Equal(t, 1, instanceRules, "the instances' one ingress rule: the app port from the ALB")
		})
	}
}

func TestGuardrailLaunchTemplates(t *testing.T) {
	for _, sc := range guardrailScenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			r := sc.r
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
	for _, sc := range guardrailScenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			r := sc.r
			albs, listeners := r.mocks.byType(tALB), r.mocks.byType(tListener)
			if !sc.edge {
				assert.Empty(t, albs, "a colour stack uses the edge stack's ALB")
				assert.Empty(t, listeners)
				return
			}
			require.Len(t, albs, 1)
			assert.Equal(t, true, prop(albs[0].Inputs, "dropInvalidHeaderFields"), "ALB drops invalid headers")
			assert.Equal(t, true, prop(albs[0].Inputs, "enableDeletionProtection"))
			subnets, _ := prop(albs[0].Inputs, "subnets").([]any)
			require.NotEmpty(t, subnets)
			for _, s := range subnets {
				assert.Contains(t, s, "public", "the ALB sits in public subnets")
			}

			actions := map[string]any{} // protocol → default action type
			for _, l := range listeners {
				protocol := prop(l.Inputs, "protocol").(string)
				actions[protocol] = prop(l.Inputs, "defaultActions").([]any)[0].(map[string]any)["type"]
				if protocol == "HTTPS" {
					assert.Equal(t, tlsPolicy, prop(l.Inputs, "sslPolicy"))
				}
			}
			if sc.https {
				assert.Equal(t, map[string]any{"HTTPS": "forward", "HTTP": "redirect"}, actions,
					"with a certificate, HTTPS serves and HTTP only redirects to it")
			} else {
				assert.Equal(t, map[string]any{"HTTP": "forward"}, actions, "without a certificate, one HTTP listener serves")
			}
		})
	}
}

func TestGuardrailInstancesOnlyInPrivateSubnets(t *testing.T) {
	for _, sc := range guardrailScenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			r := sc.r
			subnets := r.mocks.byType(tSubnet)
			if sc.edge {
				require.NotEmpty(t, subnets)
			} else {
				assert.Empty(t, subnets, "a colour stack uses the edge stack's subnets")
			}
			for _, s := range subnets {
				assert.Equal(t, false, prop(s.Inputs, "mapPublicIpOnLaunch"), "%s gives no public IPs", s.Name)
			}
			asgs := r.mocks.byType(tASG)
			require.Len(t, asgs, 1, "one fleet per stack")
			asgSubnets, _ := prop(asgs[0].Inputs, "vpcZoneIdentifiers").([]any)
			require.NotEmpty(t, asgSubnets)
			for _, s := range asgSubnets {
				assert.Contains(t, s, "private", "%s runs in private subnets only", asgs[0].Name)
			}
			assert.Equal(t, "ELB", prop(asgs[0].Inputs, "healthCheckType"))
		})
	}
}

func TestGuardrailIAMIsLeastPrivilege(t *testing.T) {
	for _, sc := range guardrailScenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			r := sc.r
			attachments := r.mocks.byType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
			require.Len(t, attachments, 2, "the fleet's role: Session Manager and the CloudWatch agent")
			for _, a := range attachments {
				assert.Contains(t, []any{ssmCorePolicy, cloudWatchAgentPolicy}, prop(a.Inputs, "policyArn"), a.Name)
			}
			policies := r.mocks.byType("aws:iam/rolePolicy:RolePolicy")
			if sc.flowLogs {
				require.Len(t, policies, 1, "the flow logs' delivery policy")
			} else {
				require.Empty(t, policies)
			}
			for _, p := range policies {
				var doc struct {
					Statement []struct {
						Action   any
						Resource any
					}
				}
				require.NoError(t, json.Unmarshal([]byte(prop(p.Inputs, "policy").(string)), &doc))
				require.NotEmpty(t, doc.Statement, p.Name)
				for _, st := range doc.Statement {
					assert.NotContains(t, fmt.Sprint(st.Action), "*", "%s: no wildcard actions", p.Name)
					resources := policyStrings(st.Resource)
					require.NotEmpty(t, resources, "%s: every statement names its resources", p.Name)
					assert.NotContains(t, resources, "*", "%s: scoped to its resource", p.Name)
				}
			}
		})
	}
}

// policyStrings reads an IAM policy element that may be one string or a list of them.
func policyStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

// untaggable are AWS resource types that take no tags.
var untaggable = map[string]bool{
	"aws:ec2/routeTableAssociation:RouteTableAssociation": true,
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":   true,
	"aws:iam/rolePolicy:RolePolicy":                       true,
	tBucketPolicy:                                         true,
	tBucketPAB:                                            true,
	tBucketOwnership:                                      true,
	tBucketEncryption:                                     true,
	tBucketLifecycle:                                      true,
}

func TestGuardrailEveryResourceTagged(t *testing.T) {
	for _, sc := range guardrailScenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			r := sc.r
			stackColor := sc.stack
			checked, fleet := 0, 0
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
					fleet++
					assert.Equal(t, stackColor, tags[TagColor], "%s: a fleet carries its own colour", res.Name)
				}
			}
			assert.Equal(t, 4, fleet, "the fleet's role, instance profile, launch template and ASG")
			if sc.edge {
				assert.Greater(t, checked, fleet, "the edge's network and ALB too")
			}
			lts := r.mocks.byType(tLT)
			require.Len(t, lts, 1)
			for _, lt := range lts {
				for _, spec := range prop(lt.Inputs, "tagSpecifications").([]any) {
					tags := spec.(map[string]any)["tags"].(map[string]any)
					assert.Equal(t, stackColor, tags[TagColor], "instances and volumes carry the colour")
				}
			}
		})
	}
}

// A role a service assumes on the account's behalf names the account (and, where the
// service documents it, the source ARN) it may act for: without aws:SourceAccount or
// aws:SourceArn, any account's use of the service could assume it (IAM User Guide, "The
// confused deputy problem"; VPC User Guide, "IAM role for publishing flow logs to
// CloudWatch Logs"). EC2's instance role is the exception: EC2 passes no source keys
// when it assumes an instance profile's role, so a condition would lock the instances out.
func TestGuardrailServiceRolesTrustOnlyTheirSource(t *testing.T) {
	for _, sc := range guardrailScenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			roles := sc.r.mocks.byType("aws:iam/role:Role")
			require.NotEmpty(t, roles)
			checked := 0
			for _, role := range roles {
				for _, problem := range trustProblems(t, prop(role.Inputs, "assumeRolePolicy").(string)) {
					assert.Fail(t, problem, role.Name)
				}
				checked++
			}
			want := 1
			if sc.flowLogs {
				want = 2
			}
			assert.Equal(t, want, checked, "the fleet's role, and the flow logs' role when they are on")
		})
	}
}

// trustProblems checks one trust policy: every service principal but EC2 is held to a
// source account or ARN, and EC2 to none.
func trustProblems(t *testing.T, policy string) []string {
	t.Helper()
	var doc struct {
		Statement []struct {
			Principal struct{ Service any }
			Condition map[string]map[string]any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(policy), &doc))
	require.NotEmpty(t, doc.Statement)
	var problems []string
	for _, st := range doc.Statement {
		keys := map[string]bool{}
		for _, kv := range st.Condition {
			for k := range kv {
				keys[k] = true
			}
		}
		for _, svc := range policyStrings(st.Principal.Service) {
			switch {
			case svc == "ec2.amazonaws.com" && len(keys) > 0:
				problems = append(problems, "EC2's instance role takes no source condition (EC2 sends none)")
			case svc != "ec2.amazonaws.com" && !keys["aws:SourceAccount"] && !keys["aws:SourceArn"]:
				problems = append(problems, fmt.Sprintf("%s may assume it for any account: no aws:SourceAccount or aws:SourceArn condition", svc))
			}
		}
	}
	return problems
}

func TestTrustProblemsCatchesAServiceRoleWithoutASource(t *testing.T) {
	unconditioned, err := json.Marshal(assumeRolePolicy("vpc-flow-logs.amazonaws.com"))
	require.NoError(t, err)
	assert.Equal(t, []string{"vpc-flow-logs.amazonaws.com may assume it for any account: no aws:SourceAccount or aws:SourceArn condition"},
		trustProblems(t, string(unconditioned)))
	conditioned, err := FlowLogsTrustPolicy("arn:aws:ec2:eu-west-1:111122223333:vpc/vpc-0123")
	require.NoError(t, err)
	assert.Empty(t, trustProblems(t, conditioned))
	assert.Len(t, trustProblems(t, strings.Replace(conditioned, "vpc-flow-logs.amazonaws.com", "ec2.amazonaws.com", 1)), 1,
		"a condition on EC2's role is a problem too")
}
