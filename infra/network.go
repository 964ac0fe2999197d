package infra

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NetworkArgs configures the VPC shared by both colours.
type NetworkArgs struct {
	VpcCidr           netip.Prefix
	AvailabilityZones []string // resolved names, at least two
	// MaxAzCount is how many zones the address plan leaves room for (0: the zones in
	// use); see PlanSubnets for why it must not change once the VPC exists.
	MaxAzCount  int
	NatGateways NatMode
	FlowLogs    bool
	Region      string // for the Systems Manager endpoints when NatGateways is none
	Tags        map[string]string
}

// Network is the VPC: public subnets for the load balancer, private subnets for the
// instances, egress through NAT (or VPC endpoints only).
type Network struct {
	pulumi.ResourceState

	VpcID            pulumi.IDOutput
	PublicSubnetIDs  pulumi.StringArrayOutput
	PrivateSubnetIDs pulumi.StringArrayOutput
}

// endpointServices are the interface endpoints instances without internet egress need:
// Session Manager (ssm, ssmmessages, ec2messages), and the CloudWatch agent baked into
// the image, which ships logs (logs) and metrics (monitoring) (CloudWatch User Guide,
// "Using CloudWatch and CloudWatch Synthetics with interface VPC endpoints"). Appended,
// never reordered: each endpoint is named by its service.
var endpointServices = []string{"ssm", "ssmmessages", "ec2messages", "logs", "monitoring"}

// NewNetwork creates the VPC and everything in it.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	plan, err := PlanSubnetsWithRoom(args.VpcCidr, len(args.AvailabilityZones), args.MaxAzCount)
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	n := &Network{}
	if err := ctx.RegisterComponentResource(TypeNetwork, name, n, opts...); err != nil {
		return nil, fmt.Errorf("network: register: %w", err)
	}
	parent := pulumi.Parent(n)

	v, err := newVpc(ctx, name, args, parent)
	if err != nil {
		return nil, err
	}
	public, err := newPublicTier(ctx, name, args, plan, v, parent)
	if err != nil {
		return nil, err
	}
	private, err := newPrivateTier(ctx, name, args, plan, v, public.natIDs, parent)
	if err != nil {
		return nil, err
	}
	privateIDs := private.subnetIDs
	if args.NatGateways == NatNone {
		if err := newSsmEndpoints(ctx, name, v, args, privateIDs, parent); err != nil {
			return nil, err
		}
		if err := newS3GatewayEndpoint(ctx, name, v, args, private.routeTableIDs, parent); err != nil {
			return nil, err
		}
	}
	if args.FlowLogs {
		if err := newFlowLogs(ctx, name, v, args.Tags, parent); err != nil {
			return nil, err
		}
	}

	n.VpcID = v.ID()
	n.PublicSubnetIDs = public.subnetIDs.ToStringArrayOutput()
	n.PrivateSubnetIDs = privateIDs.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(n, pulumi.Map{
		"vpcId":            n.VpcID,
		"publicSubnetIds":  n.PublicSubnetIDs,
		"privateSubnetIds": n.PrivateSubnetIDs,
	}); err != nil {
		return nil, fmt.Errorf("network: outputs: %w", err)
	}
	return n, nil
}

// newVpc creates the VPC and closes its default security group.
func newVpc(ctx *pulumi.Context, name string, args *NetworkArgs, parent pulumi.ResourceOption) (*ec2.Vpc, error) {
	v, err := ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
		CidrBlock:          pulumi.String(args.VpcCidr.String()),
		EnableDnsHostnames: pulumi.Bool(true),
		EnableDnsSupport:   pulumi.Bool(true),
		Tags:               tagMap(args.Tags, "Name", name+"-vpc"),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("network: vpc: %w", err)
	}
	// The default security group of a new VPC allows all traffic between its members;
	// adopting it with no rules leaves nothing open by accident.
	if _, err := ec2.NewDefaultSecurityGroup(ctx, name+"-default-sg", &ec2.DefaultSecurityGroupArgs{
		VpcId: v.ID(),
		Tags:  tagMap(args.Tags, "Name", name+"-default-closed"),
	}, parent); err != nil {
		return nil, fmt.Errorf("network: default security group: %w", err)
	}
	return v, nil
}

// publicTier is what the public subnets hold: the ALB's subnets and the NAT gateways
// (one per AZ, one in the first AZ, or none, as NatGateways says), in AZ order.
type publicTier struct {
	subnetIDs pulumi.StringArray
	natIDs    []pulumi.IDOutput
}

// newPublicTier creates the internet gateway, the public route table and, per AZ, a
// public subnet and its NAT gateway when the mode wants one there.
func newPublicTier(ctx *pulumi.Context, name string, args *NetworkArgs, plan SubnetPlan, v *ec2.Vpc, parent pulumi.ResourceOption) (publicTier, error) {
	var tier publicTier
	igw, err := ec2.NewInternetGateway(ctx, name+"-igw", &ec2.InternetGatewayArgs{
		VpcId: v.ID(),
		Tags:  tagMap(args.Tags, "Name", name+"-igw"),
	}, parent)
	if err != nil {
		return tier, fmt.Errorf("network: internet gateway: %w", err)
	}
	publicRT, err := ec2.NewRouteTable(ctx, name+"-public-rt", &ec2.RouteTableArgs{
		VpcId: v.ID(),
		Routes: ec2.RouteTableRouteArray{&ec2.RouteTableRouteArgs{
			CidrBlock: pulumi.String("0.0.0.0/0"),
			GatewayId: igw.ID(),
		}},
		Tags: tagMap(args.Tags, "Name", name+"-public", "tier", "public"),
	}, parent)
	if err != nil {
		return tier, fmt.Errorf("network: public route table: %w", err)
	}
	for i, az := range args.AvailabilityZones {
		pub, err := ec2.NewSubnet(ctx, fmt.Sprintf("%s-public-%d", name, i), &ec2.SubnetArgs{
			VpcId:            v.ID(),
			CidrBlock:        pulumi.String(plan.Public[i].String()),
			AvailabilityZone: pulumi.String(az),
			// The ALB gets its own addresses; nothing launched here needs a public IP.
			MapPublicIpOnLaunch: pulumi.Bool(false),
			Tags:                tagMap(args.Tags, "Name", fmt.Sprintf("%s-public-%s", name, az), "tier", "public"),
		}, parent)
		if err != nil {
			return tier, fmt.Errorf("network: public subnet %s: %w", az, err)
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("%s-public-%d", name, i), &ec2.RouteTableAssociationArgs{
			SubnetId: pub.ID(), RouteTableId: publicRT.ID(),
		}, parent); err != nil {
			return tier, fmt.Errorf("network: public route association %s: %w", az, err)
		}
		tier.subnetIDs = append(tier.subnetIDs, pub.ID().ToStringOutput())

		if args.NatGateways == NatPerAz || (args.NatGateways == NatSingle && i == 0) {
			natID, err := newNatGateway(ctx, name, i, az, args.Tags, pub, igw, parent)
			if err != nil {
				return tier, err
			}
			tier.natIDs = append(tier.natIDs, natID)
		}
	}
	return tier, nil
}

// newNatGateway creates the NAT gateway of public subnet i and its address.
func newNatGateway(ctx *pulumi.Context, name string, i int, az string, tags map[string]string, subnet *ec2.Subnet, igw *ec2.InternetGateway, parent pulumi.ResourceOption) (pulumi.IDOutput, error) {
	eip, err := ec2.NewEip(ctx, fmt.Sprintf("%s-nat-%d", name, i), &ec2.EipArgs{
		Domain: pulumi.String("vpc"),
		Tags:   tagMap(tags, "Name", fmt.Sprintf("%s-nat-%s", name, az)),
	}, parent)
	if err != nil {
		return pulumi.IDOutput{}, fmt.Errorf("network: NAT address %s: %w", az, err)
	}
	nat, err := ec2.NewNatGateway(ctx, fmt.Sprintf("%s-nat-%d", name, i), &ec2.NatGatewayArgs{
		AllocationId: eip.ID(),
		SubnetId:     subnet.ID(),
		Tags:         tagMap(tags, "Name", fmt.Sprintf("%s-nat-%s", name, az)),
	}, parent, pulumi.DependsOn([]pulumi.Resource{igw}))
	if err != nil {
		return pulumi.IDOutput{}, fmt.Errorf("network: NAT gateway %s: %w", az, err)
	}
	return nat.ID(), nil
}

// privateTier is what the private subnets hold, in AZ order.
type privateTier struct {
	subnetIDs     pulumi.StringArray
	routeTableIDs pulumi.StringArray
}

// newPrivateTier creates, per AZ, a private subnet and its route table: a default route
// through its AZ's NAT (perAz), the one NAT (single), or none at all (none).
func newPrivateTier(ctx *pulumi.Context, name string, args *NetworkArgs, plan SubnetPlan, v *ec2.Vpc, natIDs []pulumi.IDOutput, parent pulumi.ResourceOption) (privateTier, error) {
	var tier privateTier
	for i, az := range args.AvailabilityZones {
		tags := tagMap(args.Tags, "Name", fmt.Sprintf("%s-private-%s", name, az), "tier", "private")
		priv, err := ec2.NewSubnet(ctx, fmt.Sprintf("%s-private-%d", name, i), &ec2.SubnetArgs{
			VpcId:               v.ID(),
			CidrBlock:           pulumi.String(plan.Private[i].String()),
			AvailabilityZone:    pulumi.String(az),
			MapPublicIpOnLaunch: pulumi.Bool(false),
			Tags:                tags,
		}, parent)
		if err != nil {
			return tier, fmt.Errorf("network: private subnet %s: %w", az, err)
		}
		var routes ec2.RouteTableRouteArray
		if len(natIDs) > 0 {
			nat := natIDs[0]
			if args.NatGateways == NatPerAz {
				nat = natIDs[i]
			}
			routes = append(routes, &ec2.RouteTableRouteArgs{CidrBlock: pulumi.String("0.0.0.0/0"), NatGatewayId: nat})
		}
		rt, err := ec2.NewRouteTable(ctx, fmt.Sprintf("%s-private-rt-%d", name, i), &ec2.RouteTableArgs{
			VpcId:  v.ID(),
			Routes: routes,
			Tags:   tags,
		}, parent)
		if err != nil {
			return tier, fmt.Errorf("network: private route table %s: %w", az, err)
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("%s-private-%d", name, i), &ec2.RouteTableAssociationArgs{
			SubnetId: priv.ID(), RouteTableId: rt.ID(),
		}, parent); err != nil {
			return tier, fmt.Errorf("network: private route association %s: %w", az, err)
		}
		tier.subnetIDs = append(tier.subnetIDs, priv.ID().ToStringOutput())
		tier.routeTableIDs = append(tier.routeTableIDs, rt.ID().ToStringOutput())
	}
	return tier, nil
}

// newSsmEndpoints lets instances without internet egress reach Systems Manager and
// CloudWatch. (The security group's description still says Systems Manager: a new
// description would replace the group.)
func newSsmEndpoints(ctx *pulumi.Context, name string, v *ec2.Vpc, args *NetworkArgs, subnets pulumi.StringArray, parent pulumi.ResourceOption) error {
	sg, err := ec2.NewSecurityGroup(ctx, name+"-endpoints-sg", &ec2.SecurityGroupArgs{
		VpcId:       v.ID(),
		Description: pulumi.String("Systems Manager endpoints: HTTPS from inside the VPC"),
		Tags:        tagMap(args.Tags, "Name", name+"-endpoints"),
	}, parent)
	if err != nil {
		return fmt.Errorf("network: endpoint security group: %w", err)
	}
	if _, err := vpc.NewSecurityGroupIngressRule(ctx, name+"-endpoints-https", &vpc.SecurityGroupIngressRuleArgs{
		SecurityGroupId: sg.ID(),
		IpProtocol:      pulumi.String("tcp"),
		FromPort:        pulumi.Int(443),
		ToPort:          pulumi.Int(443),
		CidrIpv4:        pulumi.String(args.VpcCidr.String()),
		Description:     pulumi.String("HTTPS from the VPC"),
		Tags:            tagMap(args.Tags),
	}, parent); err != nil {
		return fmt.Errorf("network: endpoint ingress: %w", err)
	}
	for _, svc := range endpointServices {
		if _, err := ec2.NewVpcEndpoint(ctx, fmt.Sprintf("%s-%s", name, svc), &ec2.VpcEndpointArgs{
			VpcId:             v.ID(),
			ServiceName:       pulumi.Sprintf("com.amazonaws.%s.%s", args.Region, svc),
			VpcEndpointType:   pulumi.String("Interface"),
			PrivateDnsEnabled: pulumi.Bool(true),
			SubnetIds:         subnets,
			SecurityGroupIds:  pulumi.StringArray{sg.ID().ToStringOutput()},
			Tags:              tagMap(args.Tags, "Name", fmt.Sprintf("%s-%s", name, svc)),
		}, parent); err != nil {
			return fmt.Errorf("network: %s endpoint: %w", svc, err)
		}
	}
	return nil
}

// newS3GatewayEndpoint routes the private subnets' S3 traffic through a gateway
// endpoint (VPC User Guide, "Gateway endpoints for Amazon S3"): without NAT it is the
// only way to S3, which Systems Manager and the CloudWatch agent use (Systems Manager User
// Guide: SSM Agent communicates with AWS managed S3 buckets), and it costs nothing.
func newS3GatewayEndpoint(ctx *pulumi.Context, name string, v *ec2.Vpc, args *NetworkArgs, routeTables pulumi.StringArray, parent pulumi.ResourceOption) error {
	if _, err := ec2.NewVpcEndpoint(ctx, name+"-s3", &ec2.VpcEndpointArgs{
		VpcId:           v.ID(),
		ServiceName:     pulumi.Sprintf("com.amazonaws.%s.s3", args.Region),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   routeTables,
		Tags:            tagMap(args.Tags, "Name", name+"-s3"),
	}, parent); err != nil {
		return fmt.Errorf("network: s3 endpoint: %w", err)
	}
	return nil
}

// newFlowLogs records all VPC traffic to CloudWatch Logs, kept 90 days.
func newFlowLogs(ctx *pulumi.Context, name string, v *ec2.Vpc, baseTags map[string]string, parent pulumi.ResourceOption) error {
	group, err := cloudwatch.NewLogGroup(ctx, name+"-flow-logs", &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(90),
		Tags:            tagMap(baseTags),
	}, parent)
	if err != nil {
		return fmt.Errorf("network: flow log group: %w", err)
	}
	// The source condition names this account's flow logs, from the VPC's ARN
	// (arn:<partition>:ec2:<region>:<account>:vpc/<id>).
	assume := v.Arn.ApplyT(FlowLogsTrustPolicy).(pulumi.StringOutput)
	role, err := iam.NewRole(ctx, name+"-flow-logs", &iam.RoleArgs{
		AssumeRolePolicy: assume,
		Tags:             tagMap(baseTags),
	}, parent)
	if err != nil {
		return fmt.Errorf("network: flow log role: %w", err)
	}
	policy := group.Arn.ApplyT(FlowLogsPolicy).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-flow-logs", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policy,
	}, parent); err != nil {
		return fmt.Errorf("network: flow log policy: %w", err)
	}
	if _, err := ec2.NewFlowLog(ctx, name+"-flow-logs", &ec2.FlowLogArgs{
		VpcId:          v.ID(),
		TrafficType:    pulumi.String("ALL"),
		LogDestination: group.Arn,
		IamRoleArn:     role.Arn,
		Tags:           tagMap(baseTags),
	}, parent); err != nil {
		return fmt.Errorf("network: flow log: %w", err)
	}
	return nil
}

// FlowLogsTrustPolicy lets VPC Flow Logs assume the role for this account's flow logs
// only: aws:SourceAccount and aws:SourceArn guard against the confused deputy (VPC User
// Guide, "IAM role for publishing flow logs to CloudWatch Logs"). vpcArn gives the
// partition, region and account.
func FlowLogsTrustPolicy(vpcArn string) (string, error) {
	parts := strings.SplitN(vpcArn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || parts[1] == "" || parts[3] == "" || parts[4] == "" {
		return "", fmt.Errorf("network: flow log trust policy: %q is not a VPC ARN", vpcArn)
	}
	partition, region, account := parts[1], parts[3], parts[4]
	doc := assumeRolePolicy("vpc-flow-logs.amazonaws.com")
	doc["Statement"].([]map[string]any)[0]["Condition"] = map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": account},
		"ArnLike":      map[string]any{"aws:SourceArn": fmt.Sprintf("arn:%s:ec2:%s:%s:vpc-flow-log/*", partition, region, account)},
	}
	b, err := json.Marshal(doc)
	return string(b), err
}

// FlowLogsPolicy is what the delivery needs (VPC User Guide, "IAM role for publishing
// flow logs to CloudWatch Logs": logs:CreateLogGroup, CreateLogStream, PutLogEvents,
// DescribeLogGroups, DescribeLogStreams), scoped to this log group, except
// DescribeLogGroups, which lists groups and so is scoped to the account's groups
// (arn:…:log-group:*) rather than "*".
func FlowLogsPolicy(groupArn string) (string, error) {
	i := strings.LastIndex(groupArn, ":log-group:")
	if i < 0 {
		return "", fmt.Errorf("network: flow log policy: %q is not a log group ARN", groupArn)
	}
	b, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{
			{
				"Effect":   "Allow",
				"Action":   []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
				"Resource": []string{groupArn, groupArn + ":*"},
			},
			{
				"Effect":   "Allow",
				"Action":   []string{"logs:DescribeLogGroups"},
				"Resource": []string{groupArn[:i] + ":log-group:*"},
			},
		},
	})
	return string(b), err
}

func assumeRolePolicy(service string) map[string]any {
	return map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": service},
			"Action":    "sts:AssumeRole",
		}},
	}
}
