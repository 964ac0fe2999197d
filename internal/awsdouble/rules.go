package awsdouble

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Type tokens of every resource infra.Program registers.
const (
	TypeAutoscalingGroup     = "aws:autoscaling/group:Group"
	TypeLogGroup             = "aws:cloudwatch/logGroup:LogGroup"
	TypeMetricAlarm          = "aws:cloudwatch/metricAlarm:MetricAlarm"
	TypeDefaultSecurityGroup = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
	TypeEip                  = "aws:ec2/eip:Eip"
	TypeFlowLog              = "aws:ec2/flowLog:FlowLog"
	TypeInternetGateway      = "aws:ec2/internetGateway:InternetGateway"
	TypeLaunchTemplate       = "aws:ec2/launchTemplate:LaunchTemplate"
	TypeNatGateway           = "aws:ec2/natGateway:NatGateway"
	TypeRouteTable           = "aws:ec2/routeTable:RouteTable"
	TypeRouteTableAssoc      = "aws:ec2/routeTableAssociation:RouteTableAssociation"
	TypeSecurityGroup        = "aws:ec2/securityGroup:SecurityGroup"
	TypeSubnet               = "aws:ec2/subnet:Subnet"
	TypeVpc                  = "aws:ec2/vpc:Vpc"
	TypeVpcEndpoint          = "aws:ec2/vpcEndpoint:VpcEndpoint"
	TypeInstanceProfile      = "aws:iam/instanceProfile:InstanceProfile"
	TypeRole                 = "aws:iam/role:Role"
	TypeRolePolicy           = "aws:iam/rolePolicy:RolePolicy"
	TypeRolePolicyAttachment = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	TypeListener             = "aws:lb/listener:Listener"
	TypeListenerRule         = "aws:lb/listenerRule:ListenerRule"
	TypeLoadBalancer         = "aws:lb/loadBalancer:LoadBalancer"
	TypeTargetGroup          = "aws:lb/targetGroup:TargetGroup"
	TypeSGEgressRule         = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	TypeSGIngressRule        = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	TypeBucket               = "aws:s3/bucketV2:BucketV2"
	TypeBucketPolicy         = "aws:s3/bucketPolicy:BucketPolicy"
	TypeBucketPublicAccess   = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	TypeBucketOwnership      = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	TypeBucketEncryption     = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	TypeBucketLifecycle      = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
)

// Rule says, for one resource type, which input properties force a replacement and
// which AWS updates in place. Names are Pulumi's (camelCase); the lists come from the
// schema of the terraform-provider-aws resource that pulumi-aws v6 wraps (ForceNew: true
// or RequiresReplace), cited per type in Source. An input named in neither list is
// refused by Check: the double fails closed, so a property the program starts setting
// can never be silently treated as updatable.
type Rule struct {
	Type      string
	Source    string // hashicorp/terraform-provider-aws file the lists come from
	ForceNew  []string
	Updatable []string
	// ReplaceIf adds replacements that depend on values, as a CustomizeDiff or
	// ModifyPlan does in the provider.
	ReplaceIf func(olds, news resource.PropertyMap) []string
	// AutoName is the length limit of the name Check generates when the program gives
	// none (0: the type is not autonamed).
	AutoName int
}

var tags = []string{"tags"}

// rules is the replacement table. Computed-only outputs (arn, id, tagsAll, …) are not
// inputs and are deliberately absent.
var rules = []Rule{
	{Type: TypeVpc, Source: "internal/service/ec2/vpc_.go",
		ForceNew: []string{"cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"},
		Updatable: append([]string{"assignGeneratedIpv6CidrBlock", "enableDnsHostnames", "enableDnsSupport",
			"enableNetworkAddressUsageMetrics", "instanceTenancy", "ipv6CidrBlock", "ipv6CidrBlockNetworkBorderGroup",
			"ipv6IpamPoolId", "ipv6NetmaskLength"}, tags...)},
	{Type: TypeSubnet, Source: "internal/service/ec2/vpc_subnet.go",
		ForceNew: []string{"availabilityZone", "availabilityZoneId", "cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength",
			"ipv6IpamPoolId", "ipv6Native", "ipv6NetmaskLength", "outpostArn", "vpcId"},
		Updatable: append([]string{"assignIpv6AddressOnCreation", "customerOwnedIpv4Pool", "enableDns64",
			"enableLniAtDeviceIndex", "enableResourceNameDnsAaaaRecordOnLaunch", "enableResourceNameDnsARecordOnLaunch",
			"ipv6CidrBlock", "mapCustomerOwnedIpOnLaunch", "mapPublicIpOnLaunch", "privateDnsHostnameTypeOnLaunch"}, tags...)},
	{Type: TypeDefaultSecurityGroup, Source: "internal/service/ec2/vpc_default_security_group.go",
		ForceNew:  []string{"vpcId"},
		Updatable: append([]string{"egress", "ingress", "revokeRulesOnDelete"}, tags...)},
	{Type: TypeSecurityGroup, Source: "internal/service/ec2/vpc_security_group.go", AutoName: 255,
		ForceNew:  []string{"description", "name", "namePrefix", "vpcId"},
		Updatable: append([]string{"egress", "ingress", "revokeRulesOnDelete"}, tags...)},
	{Type: TypeSGIngressRule, Source: "internal/service/ec2/vpc_security_group_ingress_rule.go",
		ForceNew: []string{"securityGroupId"}, Updatable: sgRuleUpdatable, ReplaceIf: sgRuleSourceChanged},
	// The egress rule shares the ingress rule's schema and ModifyPlan in the provider.
	{Type: TypeSGEgressRule, Source: "internal/service/ec2/vpc_security_group_ingress_rule.go",
		ForceNew: []string{"securityGroupId"}, Updatable: sgRuleUpdatable, ReplaceIf: sgRuleSourceChanged},
	{Type: TypeInternetGateway, Source: "internal/service/ec2/vpc_internet_gateway.go",
		Updatable: append([]string{"vpcId"}, tags...)},
	{Type: TypeRouteTable, Source: "internal/service/ec2/vpc_route_table.go",
		ForceNew: []string{"vpcId"}, Updatable: append([]string{"propagatingVgws", "routes"}, tags...)},
	{Type: TypeRouteTableAssoc, Source: "internal/service/ec2/vpc_route_table_association.go",
		ForceNew: []string{"gatewayId", "subnetId"}, Updatable: []string{"routeTableId"}},
	{Type: TypeEip, Source: "internal/service/ec2/ec2_eip.go",
		ForceNew: []string{"address", "domain", "ipamPoolId", "networkBorderGroup", "publicIpv4Pool"},
		Updatable: append([]string{"associateWithPrivateIp", "customerOwnedIpv4Pool", "instance",
			"networkInterface"}, tags...)},
	{Type: TypeNatGateway, Source: "internal/service/ec2/vpc_nat_gateway.go",
		ForceNew:  []string{"allocationId", "connectivityType", "privateIp", "secondaryPrivateIpAddressCount", "subnetId"},
		Updatable: append([]string{"secondaryAllocationIds", "secondaryPrivateIpAddresses"}, tags...)},
	{Type: TypeVpcEndpoint, Source: "internal/service/ec2/vpc_endpoint.go",
		ForceNew: []string{"resourceConfigurationArn", "serviceName", "serviceNetworkArn", "serviceRegion",
			"vpcEndpointType", "vpcId"},
		Updatable: append([]string{"autoAccept", "dnsOptions", "ipAddressType", "policy", "privateDnsEnabled",
			"routeTableIds", "securityGroupIds", "subnetConfigurations", "subnetIds"}, tags...),
		ReplaceIf: endpointPrivateDNSChanged},
	// Every argument of a flow log but its tags is ForceNew (its update is tags only).
	{Type: TypeFlowLog, Source: "internal/service/ec2/vpc_flow_log.go",
		ForceNew: []string{"deliverCrossAccountRole", "destinationOptions", "eniId", "iamRoleArn", "logDestination",
			"logDestinationType", "logFormat", "maxAggregationInterval", "subnetId", "trafficType",
			"transitGatewayAttachmentId", "transitGatewayId", "vpcId"},
		Updatable: tags},
	{Type: TypeLogGroup, Source: "internal/service/logs/group.go", AutoName: 512,
		ForceNew:  []string{"logGroupClass", "name", "namePrefix"},
		Updatable: append([]string{"kmsKeyId", "retentionInDays", "skipDestroy"}, tags...)},
	// alarm_name (Pulumi: name) is the alarm's identity; everything else is a new PutMetricAlarm.
	{Type: TypeMetricAlarm, Source: "internal/service/cloudwatch/metric_alarm.go",
		ForceNew: []string{"name"},
		Updatable: append([]string{"actionsEnabled", "alarmActions", "alarmDescription", "comparisonOperator",
			"datapointsToAlarm", "dimensions", "evaluateLowSampleCountPercentiles", "evaluationPeriods",
			"extendedStatistic", "insufficientDataActions", "metricName", "metricQueries", "namespace", "okActions",
			"period", "statistic", "threshold", "thresholdMetricId", "treatMissingData", "unit"}, tags...)},
	{Type: TypeRole, Source: "internal/service/iam/role.go", AutoName: 64,
		ForceNew: []string{"name", "namePrefix", "path"},
		Updatable: append([]string{"assumeRolePolicy", "description", "forceDetachPolicies", "inlinePolicies",
			"managedPolicyArns", "maxSessionDuration", "permissionsBoundary"}, tags...)},
	{Type: TypeRolePolicy, Source: "internal/service/iam/role_policy.go", AutoName: 128,
		ForceNew: []string{"name", "namePrefix", "role"}, Updatable: []string{"policy"}},
	{Type: TypeRolePolicyAttachment, Source: "internal/service/iam/role_policy_attachment.go",
		ForceNew: []string{"policyArn", "role"}},
	{Type: TypeInstanceProfile, Source: "internal/service/iam/instance_profile.go", AutoName: 128,
		ForceNew: []string{"name", "namePrefix", "path"}, Updatable: append([]string{"role"}, tags...)},
	// Everything but the name makes a new launch template version.
	{Type: TypeLaunchTemplate, Source: "internal/service/ec2/ec2_launch_template.go", AutoName: 128,
		ForceNew: []string{"name", "namePrefix"},
		Updatable: append([]string{"blockDeviceMappings", "capacityReservationSpecification", "cpuOptions",
			"creditSpecification", "defaultVersion", "description", "disableApiStop", "disableApiTermination",
			"ebsOptimized", "enclaveOptions", "hibernationOptions", "iamInstanceProfile", "imageId",
			"instanceInitiatedShutdownBehavior", "instanceMarketOptions", "instanceRequirements", "instanceType",
			"kernelId", "keyName", "licenseSpecifications", "maintenanceOptions", "metadataOptions", "monitoring",
			"networkInterfaces", "placement", "privateDnsNameOptions", "ramDiskId", "securityGroupNames",
			"tagSpecifications", "updateDefaultVersion", "userData", "vpcSecurityGroupIds"}, tags...)},
	{Type: TypeAutoscalingGroup, Source: "internal/service/autoscaling/group.go", AutoName: 255,
		ForceNew: []string{"initialLifecycleHooks", "name", "namePrefix"},
		Updatable: append([]string{"availabilityZones", "capacityRebalance", "context", "defaultCooldown",
			"defaultInstanceWarmup", "desiredCapacity", "desiredCapacityType", "enabledMetrics", "forceDelete",
			"forceDeleteWarmPool", "healthCheckGracePeriod", "healthCheckType", "ignoreFailedScalingActivities",
			"instanceMaintenancePolicy", "instanceRefresh", "launchConfiguration", "launchTemplate", "loadBalancers",
			"maxInstanceLifetime", "maxSize", "metricsGranularity", "minElbCapacity", "minSize",
			"mixedInstancesPolicy", "placementGroup", "protectFromScaleIn", "serviceLinkedRoleArn",
			"suspendedProcesses", "targetGroupArns", "terminationPolicies", "trafficSources", "vpcZoneIdentifiers",
			"waitForCapacityTimeout", "waitForElbCapacity", "warmPool"}, tags...)},
	{Type: TypeLoadBalancer, Source: "internal/service/elbv2/load_balancer.go", AutoName: 32,
		ForceNew: []string{"customerOwnedIpv4Pool", "internal", "loadBalancerType", "name", "namePrefix"},
		Updatable: append([]string{"accessLogs", "clientKeepAlive", "connectionLogs", "desyncMitigationMode",
			"dnsRecordClientRoutingPolicy", "dropInvalidHeaderFields", "enableCrossZoneLoadBalancing",
			"enableDeletionProtection", "enableHttp2", "enableTlsVersionAndCipherSuiteHeaders", "enableWafFailOpen",
			"enableXffClientPort", "enableZonalShift", "enforceSecurityGroupInboundRulesOnPrivateLinkTraffic",
			"idleTimeout", "ipAddressType", "ipamPools", "minimumLoadBalancerCapacity", "preserveHostHeader",
			"securityGroups", "subnetMappings", "subnets", "xffHeaderProcessingMode"}, tags...)},
	{Type: TypeTargetGroup, Source: "internal/service/elbv2/target_group.go", AutoName: 32,
		ForceNew: []string{"ipAddressType", "name", "namePrefix", "port", "protocol", "protocolVersion",
			"targetType", "vpcId"},
		Updatable: append([]string{"connectionTermination", "deregistrationDelay", "healthCheck",
			"lambdaMultiValueHeadersEnabled", "loadBalancingAlgorithmType", "loadBalancingAnomalyMitigation",
			"loadBalancingCrossZoneEnabled", "preserveClientIp", "proxyProtocolV2", "slowStart", "stickiness",
			"targetFailovers", "targetGroupHealth", "targetHealthStates"}, tags...)},
	{Type: TypeListener, Source: "internal/service/elbv2/listener.go",
		ForceNew: []string{"loadBalancerArn"},
		Updatable: append([]string{"alpnPolicy", "certificateArn", "defaultActions", "mutualAuthentication",
			"port", "protocol", "sslPolicy"}, tags...)},
	// The access-log bucket (pulumi-aws v6's BucketV2 is aws_s3_bucket). The name is the
	// bucket's identity; force_destroy and tags are provider-side or tagging calls. Its
	// deprecated inline configuration blocks are left unclassified: the program uses the
	// separate resources below.
	{Type: TypeBucket, Source: "internal/service/s3/bucket.go",
		ForceNew: []string{"bucket", "bucketPrefix", "objectLockEnabled"}, Updatable: append([]string{"forceDestroy"}, tags...)},
	// Each bucket configuration is a Put… on the bucket it names, which is ForceNew.
	{Type: TypeBucketPolicy, Source: "internal/service/s3/bucket_policy.go",
		ForceNew: []string{"bucket"}, Updatable: []string{"policy"}},
	{Type: TypeBucketPublicAccess, Source: "internal/service/s3/bucket_public_access_block.go",
		ForceNew:  []string{"bucket"},
		Updatable: []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"}},
	{Type: TypeBucketOwnership, Source: "internal/service/s3/bucket_ownership_controls.go",
		ForceNew: []string{"bucket"}, Updatable: []string{"rule"}},
	{Type: TypeBucketEncryption, Source: "internal/service/s3/bucket_server_side_encryption_configuration.go",
		ForceNew: []string{"bucket", "expectedBucketOwner"}, Updatable: []string{"rules"}},
	{Type: TypeBucketLifecycle, Source: "internal/service/s3/bucket_lifecycle_configuration.go",
		ForceNew: []string{"bucket", "expectedBucketOwner"}, Updatable: []string{"rules", "transitionDefaultMinimumObjectSize"}},
	// priority is explicitly ForceNew: false there: a new priority is a SetRulePriorities.
	{Type: TypeListenerRule, Source: "internal/service/elbv2/listener_rule.go",
		ForceNew:  []string{"listenerArn"},
		Updatable: append([]string{"actions", "conditions", "priority", "transforms"}, tags...)},
}

var sgRuleUpdatable = append([]string{"cidrIpv4", "cidrIpv6", "description", "fromPort", "ipProtocol",
	"prefixListId", "referencedSecurityGroupId", "toPort"}, tags...)

// RuleFor is the rule of a type token.
func RuleFor(token string) (Rule, bool) {
	i := slices.IndexFunc(rules, func(r Rule) bool { return r.Type == token })
	if i < 0 {
		return Rule{}, false
	}
	return rules[i], true
}

// CheckInputs refuses a type the double does not know and any input property its rule
// does not classify.
func CheckInputs(token string, inputs resource.PropertyMap) error {
	r, ok := RuleFor(token)
	if !ok {
		return fmt.Errorf("awsdouble: resource type %s is not implemented by the AWS test double", token)
	}
	var unknown []string
	for _, k := range inputs.StableKeys() {
		name := string(k)
		if strings.HasPrefix(name, "__") { // engine metadata such as __defaults
			continue
		}
		if !slices.Contains(r.ForceNew, name) && !slices.Contains(r.Updatable, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("awsdouble: %s: no replacement rule for input %s: add it to the rule table in "+
			"internal/awsdouble/rules.go from %s (ForceNew or updatable)", token, strings.Join(unknown, ", "), r.Source)
	}
	return nil
}

// Changes compares old and new inputs and returns the changed properties and those of
// them that force a replacement, both sorted.
func Changes(token string, olds, news resource.PropertyMap) (changed, replaces []string) {
	r, _ := RuleFor(token)
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	for _, k := range sortedKeys(keys) {
		if strings.HasPrefix(string(k), "__") || olds[k].DeepEquals(news[k]) {
			continue
		}
		changed = append(changed, string(k))
		if slices.Contains(r.ForceNew, string(k)) {
			replaces = append(replaces, string(k))
		}
	}
	if r.ReplaceIf != nil {
		for _, k := range r.ReplaceIf(olds, news) {
			if !slices.Contains(replaces, k) {
				replaces = append(replaces, k)
			}
		}
		slices.Sort(replaces)
	}
	return changed, replaces
}

// sgRuleSource is the one source attribute a security group rule sets.
func sgRuleSource(m resource.PropertyMap) string {
	for _, k := range []resource.PropertyKey{"cidrIpv4", "cidrIpv6", "prefixListId", "referencedSecurityGroupId"} {
		if v, ok := m[k]; ok && !v.IsNull() {
			return string(k)
		}
	}
	return ""
}

// sgRuleSourceChanged: "When you modify a rule, you cannot change the rule's source
// type" — the provider's ModifyPlan requires replacement of both attributes.
func sgRuleSourceChanged(olds, news resource.PropertyMap) []string {
	o, n := sgRuleSource(olds), sgRuleSource(news)
	if o == n || o == "" || n == "" {
		return nil
	}
	return []string{o, n}
}

// endpointPrivateDNSChanged: the provider's CustomizeDiff forces a new endpoint when
// private_dns_enabled changes on anything but an Interface endpoint.
func endpointPrivateDNSChanged(olds, news resource.PropertyMap) []string {
	if olds["privateDnsEnabled"].DeepEquals(news["privateDnsEnabled"]) {
		return nil
	}
	if t := news["vpcEndpointType"]; t.IsString() && t.StringValue() == "Interface" {
		return nil
	}
	return []string{"privateDnsEnabled"}
}
