package infra

import (
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AppPort is where IIS serves the web API on each instance (the Packer template binds
// the site to *:80).
const AppPort = 80

// TLS 1.3 with 1.2 fallback: the ALB policy AWS recommends for new listeners.
const tlsPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"

// HealthCheck is the target groups' health check.
type HealthCheck struct {
	Path               string
	Interval           int
	HealthyThreshold   int
	UnhealthyThreshold int
}

// EdgeArgs configures the load balancer shared by both colours.
type EdgeArgs struct {
	VpcID              pulumi.StringInput
	PublicSubnetIDs    pulumi.StringArrayInput
	IngressCidrs       []string
	CertificateArn     string
	DeletionProtection bool
	AccessLogsBucket   string
	HealthCheck        HealthCheck
	Weights            Weights
	Tags               map[string]string
}

// Edge is the internet-facing part: security groups, the ALB, one target group per
// colour, and the one listener whose weights move traffic between colours.
type Edge struct {
	pulumi.ResourceState

	AlbSecurityGroupID      pulumi.IDOutput
	InstanceSecurityGroupID pulumi.IDOutput
	Alb                     *lb.LoadBalancer
	// Listener is the traffic listener: its default action carries the weights, and a
	// shift updates it alone.
	Listener     *lb.Listener
	TargetGroups map[Color]*lb.TargetGroup
	URL          pulumi.StringOutput
}

// NewEdge creates the edge.
func NewEdge(ctx *pulumi.Context, name string, args *EdgeArgs, opts ...pulumi.ResourceOption) (*Edge, error) {
	e := &Edge{TargetGroups: map[Color]*lb.TargetGroup{}}
	if err := ctx.RegisterComponentResource(TypeEdge, name, e, opts...); err != nil {
		return nil, fmt.Errorf("edge: register: %w", err)
	}
	parent := pulumi.Parent(e)
	shared := tagMap(args.Tags)

	albSG, err := ec2.NewSecurityGroup(ctx, name+"-alb-sg", &ec2.SecurityGroupArgs{
		VpcId:       args.VpcID,
		Description: pulumi.String("webapi ALB: HTTP/HTTPS from the allowed ranges only"),
		Tags:        tagMap(args.Tags, "Name", name+"-alb"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("edge: alb security group: %w", err)
	}
	instSG, err := ec2.NewSecurityGroup(ctx, name+"-instance-sg", &ec2.SecurityGroupArgs{
		VpcId:       args.VpcID,
		Description: pulumi.String("webapi instances: app port from the ALB only; no RDP/WinRM/SSH (Session Manager instead)"),
		Tags:        tagMap(args.Tags, "Name", name+"-instances"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("edge: instance security group: %w", err)
	}

	ports := []int{80}
	if args.CertificateArn != "" {
		ports = append(ports, 443)
	}
	for i, cidr := range args.IngressCidrs {
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return nil, fmt.Errorf("edge: ingress cidr %q: %w", cidr, err)
		}
		for _, port := range ports {
			rule := &vpc.SecurityGroupIngressRuleArgs{
				SecurityGroupId: albSG.ID(),
				IpProtocol:      pulumi.String("tcp"),
				FromPort:        pulumi.Int(port),
				ToPort:          pulumi.Int(port),
				Description:     pulumi.Sprintf("port %d from %s", port, cidr),
				Tags:            shared,
			}
			if p.Addr().Is4() {
				rule.CidrIpv4 = pulumi.String(cidr)
			} else {
				rule.CidrIpv6 = pulumi.String(cidr)
			}
			if _, err := vpc.NewSecurityGroupIngressRule(ctx, fmt.Sprintf("%s-alb-in-%d-%d", name, port, i), rule, parent); err != nil {
				return nil, fmt.Errorf("edge: alb ingress %s:%d: %w", cidr, port, err)
			}
		}
	}
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-alb-to-instances", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId:           albSG.ID(),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(AppPort),
		ToPort:                    pulumi.Int(AppPort),
		ReferencedSecurityGroupId: instSG.ID(),
		Description:               pulumi.String("to the instances' app port"),
		Tags:                      shared,
	}, parent); err != nil {
		return nil, fmt.Errorf("edge: alb egress: %w", err)
	}
	if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-instances-from-alb", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId:           instSG.ID(),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(AppPort),
		ToPort:                    pulumi.Int(AppPort),
		ReferencedSecurityGroupId: albSG.ID(),
		Description:               pulumi.String("app port from the ALB only"),
		Tags:                      shared,
	}, parent); err != nil {
		return nil, fmt.Errorf("edge: instance ingress: %w", err)
	}
	// Instances reach Systems Manager, CloudWatch and Windows Update over HTTPS (and
	// HTTP for certificate revocation lists) through NAT or endpoints; nothing else.
	for _, port := range []int{443, 80} {
		if _, err := vpc.NewSecurityGroupEgressRule(ctx, fmt.Sprintf("%s-instances-out-%d", name, port), &vpc.SecurityGroupEgressRuleArgs{
			SecurityGroupId: instSG.ID(),
			IpProtocol:      pulumi.String("tcp"),
			FromPort:        pulumi.Int(port),
			ToPort:          pulumi.Int(port),
			CidrIpv4:        pulumi.String("0.0.0.0/0"),
			Description:     pulumi.Sprintf("outbound %d (SSM, CloudWatch, updates)", port),
			Tags:            shared,
		}, parent); err != nil {
			return nil, fmt.Errorf("edge: instance egress %d: %w", port, err)
		}
	}

	albArgs := &lb.LoadBalancerArgs{
		LoadBalancerType:         pulumi.String("application"),
		Internal:                 pulumi.Bool(false),
		Subnets:                  args.PublicSubnetIDs,
		SecurityGroups:           pulumi.StringArray{albSG.ID().ToStringOutput()},
		DropInvalidHeaderFields:  pulumi.Bool(true),
		DesyncMitigationMode:     pulumi.String("strictest"),
		EnableDeletionProtection: pulumi.Bool(args.DeletionProtection),
		EnableHttp2:              pulumi.Bool(true),
		IdleTimeout:              pulumi.Int(60),
		Tags:                     tagMap(args.Tags, "Name", name+"-alb"),
	}
	if args.AccessLogsBucket != "" {
		albArgs.AccessLogs = &lb.LoadBalancerAccessLogsArgs{
			Bucket:  pulumi.String(args.AccessLogsBucket),
			Prefix:  pulumi.String(accessLogPrefix(ctx)),
			Enabled: pulumi.Bool(true),
		}
	}
	alb, err := lb.NewLoadBalancer(ctx, name+"-alb", albArgs, parent)
	if err != nil {
		return nil, fmt.Errorf("edge: load balancer: %w", err)
	}

	hc := args.HealthCheck
	timeout := 5
	if hc.Interval <= timeout {
		timeout = hc.Interval - 1 // the ALB wants the timeout below the interval
	}
	for _, c := range Colors {
		tg, err := lb.NewTargetGroup(ctx, fmt.Sprintf("%s-tg-%s", name, c), &lb.TargetGroupArgs{
			VpcId:      args.VpcID,
			Port:       pulumi.Int(AppPort),
			Protocol:   pulumi.String("HTTP"),
			TargetType: pulumi.String("instance"),
			// Long enough for in-flight requests, short enough that a shift settles fast.
			DeregistrationDelay: pulumi.Int(60),
			HealthCheck: &lb.TargetGroupHealthCheckArgs{
				Enabled:            pulumi.Bool(true),
				Path:               pulumi.String(hc.Path),
				Protocol:           pulumi.String("HTTP"),
				Port:               pulumi.String("traffic-port"),
				Matcher:            pulumi.String("200"),
				Interval:           pulumi.Int(hc.Interval),
				Timeout:            pulumi.Int(timeout),
				HealthyThreshold:   pulumi.Int(hc.HealthyThreshold),
				UnhealthyThreshold: pulumi.Int(hc.UnhealthyThreshold),
			},
			Tags: tagMap(withColor(args.Tags, string(c)), "Name", fmt.Sprintf("%s-%s", name, c)),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("edge: target group %s: %w", c, err)
		}
		e.TargetGroups[c] = tg
	}

	forward := weightedForward(args.Weights, e.TargetGroups)
	if args.CertificateArn != "" {
		e.Listener, err = lb.NewListener(ctx, name+"-https", &lb.ListenerArgs{
			LoadBalancerArn: alb.Arn,
			Port:            pulumi.Int(443),
			Protocol:        pulumi.String("HTTPS"),
			SslPolicy:       pulumi.String(tlsPolicy),
			CertificateArn:  pulumi.String(args.CertificateArn),
			DefaultActions:  lb.ListenerDefaultActionArray{forward},
			Tags:            shared,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("edge: https listener: %w", err)
		}
		if _, err := lb.NewListener(ctx, name+"-http-redirect", &lb.ListenerArgs{
			LoadBalancerArn: alb.Arn,
			Port:            pulumi.Int(80),
			Protocol:        pulumi.String("HTTP"),
			DefaultActions: lb.ListenerDefaultActionArray{&lb.ListenerDefaultActionArgs{
				Type: pulumi.String("redirect"),
				Redirect: &lb.ListenerDefaultActionRedirectArgs{
					Protocol:   pulumi.String("HTTPS"),
					Port:       pulumi.String("443"),
					StatusCode: pulumi.String("HTTP_301"),
				},
			}},
			Tags: shared,
		}, parent); err != nil {
			return nil, fmt.Errorf("edge: http redirect listener: %w", err)
		}
		e.URL = pulumi.Sprintf("https://%s", alb.DnsName)
	} else {
		e.Listener, err = lb.NewListener(ctx, name+"-http", &lb.ListenerArgs{
			LoadBalancerArn: alb.Arn,
			Port:            pulumi.Int(80),
			Protocol:        pulumi.String("HTTP"),
			DefaultActions:  lb.ListenerDefaultActionArray{forward},
			Tags:            shared,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("edge: http listener: %w", err)
		}
		e.URL = pulumi.Sprintf("http://%s", alb.DnsName)
	}

	// A request with X-Webapi-Color: <colour> reaches that colour alone, whatever the
	// weights: the way to smoke-test an idle colour through the real ALB.
	for i, c := range Colors {
		if _, err := lb.NewListenerRule(ctx, fmt.Sprintf("%s-pin-%s", name, c), &lb.ListenerRuleArgs{
			ListenerArn: e.Listener.Arn,
			Priority:    pulumi.Int(10 * (i + 1)),
			Conditions: lb.ListenerRuleConditionArray{&lb.ListenerRuleConditionArgs{
				HttpHeader: &lb.ListenerRuleConditionHttpHeaderArgs{
					HttpHeaderName: pulumi.String(ColorHeader),
					Values:         pulumi.StringArray{pulumi.String(string(c))},
				},
			}},
			Actions: lb.ListenerRuleActionArray{&lb.ListenerRuleActionArgs{
				Type:           pulumi.String("forward"),
				TargetGroupArn: e.TargetGroups[c].Arn,
			}},
			Tags: tagMap(withColor(args.Tags, string(c))),
		}, parent); err != nil {
			return nil, fmt.Errorf("edge: %s header rule: %w", c, err)
		}
	}

	e.AlbSecurityGroupID = albSG.ID()
	e.InstanceSecurityGroupID = instSG.ID()
	e.Alb = alb
	if err := ctx.RegisterResourceOutputs(e, pulumi.Map{
		"albArn":      alb.Arn,
		"albDnsName":  alb.DnsName,
		"listenerArn": e.Listener.Arn,
		"url":         e.URL,
	}); err != nil {
		return nil, fmt.Errorf("edge: outputs: %w", err)
	}
	return e, nil
}

// weightedForward is the listener's default action: one forward to both target groups
// with the configured weights. A zero weight stays in the list, so moving traffic is an
// in-place update of the weights and never a change in the action's shape.
func weightedForward(w Weights, tgs map[Color]*lb.TargetGroup) *lb.ListenerDefaultActionArgs {
	var groups lb.ListenerDefaultActionForwardTargetGroupArray
	for _, c := range Colors {
		groups = append(groups, &lb.ListenerDefaultActionForwardTargetGroupArgs{
			Arn:    tgs[c].Arn,
			Weight: pulumi.Int(w.Of(c)),
		})
	}
	return &lb.ListenerDefaultActionArgs{
		Type: pulumi.String("forward"),
		Forward: &lb.ListenerDefaultActionForwardArgs{
			TargetGroups: groups,
			// Off: every request is routed by weight, so a canary percentage means what it says.
			Stickiness: &lb.ListenerDefaultActionForwardStickinessArgs{
				Enabled:  pulumi.Bool(false),
				Duration: pulumi.Int(1),
			},
		},
	}
}

// accessLogPrefix keeps each stack's ALB logs apart in a shared bucket.
func accessLogPrefix(ctx *pulumi.Context) string {
	return fmt.Sprintf("%s/%s", ctx.Project(), ctx.Stack())
}
