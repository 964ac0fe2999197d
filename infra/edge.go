package infra

import (
	"fmt"
	"net/netip"
	"strings"

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
	AccessLogsBucket   string // a bucket brought along (bucket policy the operator's)
	AccessLogs         AccessLogs
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
	// ServedWeights are the traffic listener's weights by colour, in percent, from the
	// listener's own outputs (what its last update set or a refresh read), never config.
	ServedWeights pulumi.IntMapOutput
}

// NewEdge creates the edge.
func NewEdge(ctx *pulumi.Context, name string, args *EdgeArgs, opts ...pulumi.ResourceOption) (*Edge, error) {
	e := &Edge{}
	if err := ctx.RegisterComponentResource(TypeEdge, name, e, opts...); err != nil {
		return nil, fmt.Errorf("edge: register: %w", err)
	}
	parent := pulumi.Parent(e)

	sgs, err := newEdgeSecurityGroups(ctx, name, args, parent)
	if err != nil {
		return nil, err
	}
	alb, err := newLoadBalancer(ctx, name, args, sgs.alb, parent)
	if err != nil {
		return nil, err
	}
	if e.TargetGroups, err = newTargetGroups(ctx, name, args, parent); err != nil {
		return nil, err
	}
	if e.Listener, e.URL, err = newListeners(ctx, name, args, alb, e.TargetGroups, parent); err != nil {
		return nil, err
	}
	if err := newHeaderRules(ctx, name, args.Tags, e.Listener, e.TargetGroups, parent); err != nil {
		return nil, err
	}

	e.AlbSecurityGroupID = sgs.alb.ID()
	e.InstanceSecurityGroupID = sgs.instances.ID()
	e.Alb = alb
	e.ServedWeights = listenerWeightsOutput(e.Listener, e.TargetGroups)
	if err := ctx.RegisterResourceOutputs(e, pulumi.Map{
		"albArn":      alb.Arn,
		"albDnsName":  alb.DnsName,
		"listenerArn": e.Listener.Arn,
		"url":         e.URL,
		"weights":     e.ServedWeights,
	}); err != nil {
		return nil, fmt.Errorf("edge: outputs: %w", err)
	}
	return e, nil
}

// edgeSecurityGroups are the ALB's group and the instances' group, which only each other
// may cross on the app port.
type edgeSecurityGroups struct {
	alb       *ec2.SecurityGroup
	instances *ec2.SecurityGroup
}

// newEdgeSecurityGroups creates both security groups and every rule in them. Rules are
// separate resources, never inline, so one rule changes without touching the others.
func newEdgeSecurityGroups(ctx *pulumi.Context, name string, args *EdgeArgs, parent pulumi.ResourceOption) (edgeSecurityGroups, error) {
	var sgs edgeSecurityGroups
	var err error
	sgs.alb, err = ec2.NewSecurityGroup(ctx, name+"-alb-sg", &ec2.SecurityGroupArgs{
		VpcId:       args.VpcID,
		Description: pulumi.String("webapi ALB: HTTP/HTTPS from the allowed ranges only"),
		Tags:        tagMap(args.Tags, "Name", name+"-alb"),
	}, parent)
	if err != nil {
		return sgs, fmt.Errorf("edge: alb security group: %w", err)
	}
	sgs.instances, err = ec2.NewSecurityGroup(ctx, name+"-instance-sg", &ec2.SecurityGroupArgs{
		VpcId:       args.VpcID,
		Description: pulumi.String("webapi instances: app port from the ALB only; no RDP/WinRM/SSH (Session Manager instead)"),
		Tags:        tagMap(args.Tags, "Name", name+"-instances"),
	}, parent)
	if err != nil {
		return sgs, fmt.Errorf("edge: instance security group: %w", err)
	}
	if err := newAlbIngressRules(ctx, name, args, sgs.alb, parent); err != nil {
		return sgs, err
	}
	if err := newAlbToInstanceRules(ctx, name, args.Tags, sgs, parent); err != nil {
		return sgs, err
	}
	if err := newInstanceEgressRules(ctx, name, args.Tags, sgs.instances, parent); err != nil {
		return sgs, err
	}
	return sgs, nil
}

// newAlbIngressRules opens the listener ports (80, and 443 with a certificate) to each
// allowed range: one rule per range and port, IPv4 or IPv6 as the range is.
//
// A rule is named by its port and range, never by its position in the list: putting a
// range in front of the others must create one rule and leave the others alone. Rules
// were once named by list index (edge-alb-in-80-0); each carries the index name it has in
// today's config as an alias, so a stack deployed with those names upgrades in place.
func newAlbIngressRules(ctx *pulumi.Context, name string, args *EdgeArgs, albSG *ec2.SecurityGroup, parent pulumi.ResourceOption) error {
	ports := []int{80}
	if args.CertificateArn != "" {
		ports = append(ports, 443)
	}
	for i, cidr := range args.IngressCidrs {
		p, err := netip.ParsePrefix(cidr)
		if err != nil {
			return fmt.Errorf("edge: ingress cidr %q: %w", cidr, err)
		}
		for _, port := range ports {
			rule := &vpc.SecurityGroupIngressRuleArgs{
				SecurityGroupId: albSG.ID(),
				IpProtocol:      pulumi.String("tcp"),
				FromPort:        pulumi.Int(port),
				ToPort:          pulumi.Int(port),
				Description:     pulumi.Sprintf("port %d from %s", port, cidr),
				Tags:            tagMap(args.Tags),
			}
			if p.Addr().Is4() {
				rule.CidrIpv4 = pulumi.String(cidr)
			} else {
				rule.CidrIpv6 = pulumi.String(cidr)
			}
			legacy := pulumi.Aliases([]pulumi.Alias{{Name: pulumi.Sprintf("%s-alb-in-%d-%d", name, port, i)}})
			if _, err := vpc.NewSecurityGroupIngressRule(ctx, IngressRuleName(name, port, p), rule, parent, legacy); err != nil {
				return fmt.Errorf("edge: alb ingress %s:%d: %w", cidr, port, err)
			}
		}
	}
	return nil
}

// IngressRuleName names an ALB ingress rule by port and range. A URN may not hold "::"
// (its own separator), which IPv6 ranges do, so ':' becomes '_' and '/' becomes '-':
// edge-alb-in-443-2001_db8__-32.
func IngressRuleName(edge string, port int, cidr netip.Prefix) string {
	safe := strings.NewReplacer(":", "_", "/", "-").Replace(cidr.String())
	return fmt.Sprintf("%s-alb-in-%d-%s", edge, port, safe)
}

// newAlbToInstanceRules lets the ALB reach the instances' app port, and nothing else
// reach it: both sides name the other group, never a CIDR.
func newAlbToInstanceRules(ctx *pulumi.Context, name string, tags map[string]string, sgs edgeSecurityGroups, parent pulumi.ResourceOption) error {
	if _, err := vpc.NewSecurityGroupEgressRule(ctx, name+"-alb-to-instances", &vpc.SecurityGroupEgressRuleArgs{
		SecurityGroupId:           sgs.alb.ID(),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(AppPort),
		ToPort:                    pulumi.Int(AppPort),
		ReferencedSecurityGroupId: sgs.instances.ID(),
		Description:               pulumi.String("to the instances' app port"),
		Tags:                      tagMap(tags),
	}, parent); err != nil {
		return fmt.Errorf("edge: alb egress: %w", err)
	}
	if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-instances-from-alb", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId:           sgs.instances.ID(),
		IpProtocol:                pulumi.String("tcp"),
		FromPort:                  pulumi.Int(AppPort),
		ToPort:                    pulumi.Int(AppPort),
		ReferencedSecurityGroupId: sgs.alb.ID(),
		Description:               pulumi.String("app port from the ALB only"),
		Tags:                      tagMap(tags),
	}, parent); err != nil {
		return fmt.Errorf("edge: instance ingress: %w", err)
	}
	return nil
}

// newInstanceEgressRules: instances reach Systems Manager, CloudWatch and Windows Update
// over HTTPS (and HTTP for certificate revocation lists) through NAT or endpoints;
// nothing else.
func newInstanceEgressRules(ctx *pulumi.Context, name string, tags map[string]string, instSG *ec2.SecurityGroup, parent pulumi.ResourceOption) error {
	for _, port := range []int{443, 80} {
		if _, err := vpc.NewSecurityGroupEgressRule(ctx, fmt.Sprintf("%s-instances-out-%d", name, port), &vpc.SecurityGroupEgressRuleArgs{
			SecurityGroupId: instSG.ID(),
			IpProtocol:      pulumi.String("tcp"),
			FromPort:        pulumi.Int(port),
			ToPort:          pulumi.Int(port),
			CidrIpv4:        pulumi.String("0.0.0.0/0"),
			Description:     pulumi.Sprintf("outbound %d (SSM, CloudWatch, updates)", port),
			Tags:            tagMap(tags),
		}, parent); err != nil {
			return fmt.Errorf("edge: instance egress %d: %w", port, err)
		}
	}
	return nil
}

// newLoadBalancer creates the internet-facing ALB in the public subnets.
func newLoadBalancer(ctx *pulumi.Context, name string, args *EdgeArgs, albSG *ec2.SecurityGroup, parent pulumi.ResourceOption) (*lb.LoadBalancer, error) {
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
	albOpts, err := withAccessLogs(ctx, name, args, albSG, albArgs, parent)
	if err != nil {
		return nil, err
	}
	alb, err := lb.NewLoadBalancer(ctx, name+"-alb", albArgs, albOpts...)
	if err != nil {
		return nil, fmt.Errorf("edge: load balancer: %w", err)
	}
	return alb, nil
}

// newTargetGroups creates one target group per colour, in Colors order.
func newTargetGroups(ctx *pulumi.Context, name string, args *EdgeArgs, parent pulumi.ResourceOption) (map[Color]*lb.TargetGroup, error) {
	hc := args.HealthCheck
	timeout := 5
	if hc.Interval <= timeout {
		timeout = hc.Interval - 1 // the ALB wants the timeout below the interval
	}
	tgs := map[Color]*lb.TargetGroup{}
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
		tgs[c] = tg
	}
	return tgs, nil
}

// newListeners creates the traffic listener, whose default action carries the weights,
// and returns it with the URL it serves: HTTPS (and an HTTP listener that only
// redirects) with a certificate, plain HTTP without.
//
// Listeners are named by port. AWS allows one listener per port per load balancer
// (DuplicateListener), and Pulumi creates a renamed resource before it deletes the old
// one, so turning TLS on must change the port-80 listener's action in place rather than
// swap one port-80 listener for another. The old names (edge-http, edge-https,
// edge-http-redirect) are aliases, so stacks deployed with them upgrade in place.
func newListeners(ctx *pulumi.Context, name string, args *EdgeArgs, alb *lb.LoadBalancer, tgs map[Color]*lb.TargetGroup, parent pulumi.ResourceOption) (*lb.Listener, pulumi.StringOutput, error) {
	forward := weightedForward(args.Weights, tgs)
	http := aliased(name+"-http", name+"-http-redirect")
	if args.CertificateArn == "" {
		listener, err := newPortListener(ctx, name, 80, &lb.ListenerArgs{
			LoadBalancerArn: alb.Arn,
			Protocol:        pulumi.String("HTTP"),
			DefaultActions:  lb.ListenerDefaultActionArray{forward},
			Tags:            tagMap(args.Tags),
		}, parent, http)
		return listener, pulumi.Sprintf("http://%s", alb.DnsName), err
	}
	listener, err := newPortListener(ctx, name, 443, &lb.ListenerArgs{
		LoadBalancerArn: alb.Arn,
		Protocol:        pulumi.String("HTTPS"),
		SslPolicy:       pulumi.String(tlsPolicy),
		CertificateArn:  pulumi.String(args.CertificateArn),
		DefaultActions:  lb.ListenerDefaultActionArray{forward},
		Tags:            tagMap(args.Tags),
	}, parent, aliased(name+"-https"))
	if err != nil {
		return nil, pulumi.StringOutput{}, err
	}
	// HTTPS must exist before port 80 starts redirecting to it.
	if _, err := newPortListener(ctx, name, 80, &lb.ListenerArgs{
		LoadBalancerArn: alb.Arn,
		Protocol:        pulumi.String("HTTP"),
		DefaultActions: lb.ListenerDefaultActionArray{&lb.ListenerDefaultActionArgs{
			Type: pulumi.String("redirect"),
			Redirect: &lb.ListenerDefaultActionRedirectArgs{
				Protocol:   pulumi.String("HTTPS"),
				Port:       pulumi.String("443"),
				StatusCode: pulumi.String("HTTP_301"),
			},
		}},
		Tags: tagMap(args.Tags),
	}, parent, http, pulumi.DependsOn([]pulumi.Resource{listener})); err != nil {
		return nil, pulumi.StringOutput{}, err
	}
	return listener, pulumi.Sprintf("https://%s", alb.DnsName), nil
}

// ListenerName is the name of the edge's listener on a port.
func ListenerName(edge string, port int) string { return fmt.Sprintf("%s-listener-%d", edge, port) }

// newPortListener registers the listener on one port, named by it.
func newPortListener(ctx *pulumi.Context, edge string, port int, args *lb.ListenerArgs, opts ...pulumi.ResourceOption) (*lb.Listener, error) {
	args.Port = pulumi.Int(port)
	l, err := lb.NewListener(ctx, ListenerName(edge, port), args, opts...)
	if err != nil {
		return nil, fmt.Errorf("edge: listener on port %d: %w", port, err)
	}
	return l, nil
}

// aliased gives a resource the names it had before, under the same parent.
func aliased(names ...string) pulumi.ResourceOption {
	aliases := make([]pulumi.Alias, 0, len(names))
	for _, n := range names {
		aliases = append(aliases, pulumi.Alias{Name: pulumi.String(n)})
	}
	return pulumi.Aliases(aliases)
}

// newHeaderRules: a request with X-Webapi-Color: <colour> reaches that colour alone,
// whatever the weights: the way to smoke-test an idle colour through the real ALB.
func newHeaderRules(ctx *pulumi.Context, name string, tags map[string]string, listener *lb.Listener, tgs map[Color]*lb.TargetGroup, parent pulumi.ResourceOption) error {
	for i, c := range Colors {
		if _, err := lb.NewListenerRule(ctx, fmt.Sprintf("%s-pin-%s", name, c), &lb.ListenerRuleArgs{
			ListenerArn: listener.Arn,
			Priority:    pulumi.Int(10 * (i + 1)),
			Conditions: lb.ListenerRuleConditionArray{&lb.ListenerRuleConditionArgs{
				HttpHeader: &lb.ListenerRuleConditionHttpHeaderArgs{
					HttpHeaderName: pulumi.String(ColorHeader),
					Values:         pulumi.StringArray{pulumi.String(string(c))},
				},
			}},
			Actions: lb.ListenerRuleActionArray{&lb.ListenerRuleActionArgs{
				Type:           pulumi.String("forward"),
				TargetGroupArn: tgs[c].Arn,
			}},
			Tags: tagMap(withColor(tags, string(c))),
		}, parent); err != nil {
			return fmt.Errorf("edge: %s header rule: %w", c, err)
		}
	}
	return nil
}

// listenerWeightsOutput reads the weights back from the listener's default action.
func listenerWeightsOutput(l *lb.Listener, tgs map[Color]*lb.TargetGroup) pulumi.IntMapOutput {
	return pulumi.All(l.DefaultActions, tgs[Blue].Arn, tgs[Green].Arn).ApplyT(func(v []any) (map[string]int, error) {
		byArn := map[string]int{}
		for _, a := range v[0].([]lb.ListenerDefaultAction) {
			if a.Forward == nil {
				continue
			}
			for _, tg := range a.Forward.TargetGroups {
				if tg.Weight != nil {
					byArn[tg.Arn] = *tg.Weight
				}
			}
		}
		w, err := percentOf(byArn, map[string]any{string(Blue): v[1], string(Green): v[2]})
		if err != nil {
			return nil, fmt.Errorf("edge: the traffic listener's weights: %w", err)
		}
		return map[string]int{string(Blue): w.Blue, string(Green): w.Green}, nil
	}).(pulumi.IntMapOutput)
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

// withAccessLogs turns the ALB's access logs on when the edge owns a bucket (created
// here, and waited for) or was given one, and returns the ALB's resource options.
func withAccessLogs(ctx *pulumi.Context, name string, args *EdgeArgs, albSG *ec2.SecurityGroup, albArgs *lb.LoadBalancerArgs, parent pulumi.ResourceOption) ([]pulumi.ResourceOption, error) {
	opts := []pulumi.ResourceOption{parent}
	if !args.AccessLogs.Create && args.AccessLogsBucket == "" {
		// No access_logs block: the provider sets access_logs.s3.enabled=false
		// (terraform-provider-aws internal/service/elbv2/load_balancer.go), an update in place.
		return opts, nil
	}
	prefix, err := AccessLogPrefix(ctx.Project(), ctx.Stack())
	if err != nil {
		return nil, err
	}
	bucket := pulumi.String(args.AccessLogsBucket).ToStringOutput()
	if args.AccessLogs.Create {
		logs, err := newAccessLogsBucket(ctx, name, args, albSG, prefix, parent)
		if err != nil {
			return nil, err
		}
		bucket = logs.name
		opts = append(opts, pulumi.DependsOn([]pulumi.Resource{logs.ready}))
	}
	albArgs.AccessLogs = &lb.LoadBalancerAccessLogsArgs{
		Bucket:  bucket,
		Prefix:  pulumi.String(prefix),
		Enabled: pulumi.Bool(true),
	}
	return opts, nil
}
