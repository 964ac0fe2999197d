package daytwo

import (
	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/testutil"
)

// upgradeCertificateArn is a made-up ACM certificate in the double's account.
const upgradeCertificateArn = "arn:aws:acm:eu-west-1:000000000000:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"

// upgradeShape is one set of stacks deployed by the program as it was at fdcf84c
// (listeners edge-http, or edge-https and edge-http-redirect; ALB ingress rules named
// by list index), saved under testdata/upgrade/<Name>.
type upgradeShape struct {
	Name   string
	Stacks map[infra.Color]testutil.StackConfig
	// OldNames are names only the old program gives, "<type>::<name>": the generator
	// refuses to save a fixture without them (it ran on the wrong commit).
	OldNames []string
	// Edge is what the fixture holds in AWS, as upgradeEdgeIDs keys it.
	Edge []string
	// NewNames are today's names of resources the old program named otherwise.
	NewNames map[infra.Color][]string
	// ListenerURN is the traffic listener's URN in the blue stack's outputs after the upgrade.
	ListenerURN string
}

const (
	upgradeListenerType = "aws:lb/listener:Listener"
	upgradeIngressType  = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
)

var upgradeShapes = []upgradeShape{
	{
		// Plain HTTP, three ranges (one IPv6), and a green stack reading the edge.
		Name: "http",
		Stacks: map[infra.Color]testutil.StackConfig{
			infra.Blue:  testutil.Blue("ingressCidrs", `["203.0.113.0/24","198.51.100.0/24","2001:db8::/32"]`),
			infra.Green: testutil.Green(),
		},
		OldNames: []string{
			upgradeListenerType + "::edge-http",
			upgradeIngressType + "::edge-alb-in-80-0",
			upgradeIngressType + "::edge-alb-in-80-2",
		},
		Edge: []string{"listener 80", "in 80 203.0.113.0/24", "in 80 198.51.100.0/24", "in 80 2001:db8::/32"},
		NewNames: map[infra.Color][]string{infra.Blue: {
			upgradeListenerType + "::edge-listener-80",
			upgradeIngressType + "::edge-alb-in-80-203.0.113.0-24",
			upgradeIngressType + "::edge-alb-in-80-198.51.100.0-24",
			upgradeIngressType + "::edge-alb-in-80-2001_db8__-32",
		}},
		ListenerURN: "urn:pulumi:blue::webapi::webapi:infra:Edge$" + upgradeListenerType + "::edge-listener-80",
	},
	{
		// HTTPS with the port-80 redirect, two ranges.
		Name: "https",
		Stacks: map[infra.Color]testutil.StackConfig{
			infra.Blue: testutil.Blue("ingressCidrs", `["203.0.113.0/24","198.51.100.0/24"]`, "certificateArn", upgradeCertificateArn),
		},
		OldNames: []string{
			upgradeListenerType + "::edge-https",
			upgradeListenerType + "::edge-http-redirect",
			upgradeIngressType + "::edge-alb-in-443-1",
		},
		Edge: []string{"listener 80", "listener 443",
			"in 80 203.0.113.0/24", "in 80 198.51.100.0/24", "in 443 203.0.113.0/24", "in 443 198.51.100.0/24"},
		NewNames: map[infra.Color][]string{infra.Blue: {
			upgradeListenerType + "::edge-listener-443",
			upgradeListenerType + "::edge-listener-80",
			upgradeIngressType + "::edge-alb-in-80-203.0.113.0-24",
			upgradeIngressType + "::edge-alb-in-80-198.51.100.0-24",
			upgradeIngressType + "::edge-alb-in-443-203.0.113.0-24",
			upgradeIngressType + "::edge-alb-in-443-198.51.100.0-24",
		}},
		ListenerURN: "urn:pulumi:blue::webapi::webapi:infra:Edge$" + upgradeListenerType + "::edge-listener-443",
	},
}
