package infra

import (
	"encoding/json"
	"fmt"
	"net/netip"

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

// ssmEndpointServices are what Session Manager needs when instances have no internet.
var ssmEndpointServices = []string{"ssm", "ssmmessages", "ec2messages"}

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
	privateIDs, err := newPrivateTier(ctx, name, args, plan, v, public.natIDs, parent)
	if err != nil {
		return nil, err
	}
	if args.NatGateways == NatNone {
		if err := newSsmEndpoints(ctx, name, v, args, privateIDs, parent); err != nil {
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

// newPrivateTier creates, per AZ, a private subnet and its route table: a default route
// through its AZ's NAT (perAz), the one NAT (single), or none at all (none).
func newPrivateTier(ctx *pulumi.Context, name string, args *NetworkArgs, plan SubnetPlan, v *ec2.Vpc, natIDs []pulumi.IDOutput, parent pulumi.ResourceOption) (pulumi.StringArray, error) {
	var privateIDs pulumi.StringArray
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
			return nil, fmt.Errorf("network: private subnet %s: %w", az, err)
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
			return nil, fmt.Errorf("network: private route table %s: %w", az, err)
		}
		if _, err := ec2.NewRouteTableAssociation(ctx, fmt.Sprintf("%s-private-%d", name, i), &ec2.RouteTableAssociationArgs{
			SubnetId: priv.ID(), RouteTableId: rt.ID(),
		}, parent); err != nil {
			return nil, fmt.Errorf("network: private route association %s: %w", az, err)
		}
		privateIDs = append(privateIDs, priv.ID().ToStringOutput())
	}
	return privateIDs, nil
}

// newSsmEndpoints lets instances without internet egress reach Systems Manager.
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
	for _, svc := range ssmEndpointServices {
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

// newFlowLogs records all VPC traffic to CloudWatch Logs, kept 90 days.
func newFlowLogs(ctx *pulumi.Context, name string, v *ec2.Vpc, baseTags map[string]string, parent pulumi.ResourceOption) error {
	group, err := cloudwatch.NewLogGroup(ctx, name+"-flow-logs", &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(90),
		Tags:            tagMap(baseTags),
	}, parent)
	if err != nil {
		return fmt.Errorf("network: flow log group: %w", err)
	}
	assume, err := json.Marshal(assumeRolePolicy("vpc-flow-logs.amazonaws.com"))
	if err != nil {
		return fmt.Errorf("network: flow log trust policy: %w", err)
	}
	role, err := iam.NewRole(ctx, name+"-flow-logs", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(assume),
		Tags:             tagMap(baseTags),
	}, parent)
	if err != nil {
		return fmt.Errorf("network: flow log role: %w", err)
	}
	// Only what the delivery needs, only on this log group.
	policy := group.Arn.ApplyT(func(arn string) (string, error) {
		b, err := json.Marshal(map[string]any{
			"Version": "2012-10-17",
			"Statement": []map[string]any{{
				"Effect":   "Allow",
				"Action":   []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
				"Resource": []string{arn, arn + ":*"},
			}},
		})
		return string(b), err
	}).(pulumi.StringOutput)
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
