package awsdouble

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// world is what creating or updating a resource may look at and change.
type world struct {
	st     *State
	region string
}

// behaviour is what one resource type does beyond storing its inputs: the ID and
// computed outputs AWS gives it, and live-state side effects.
type behaviour struct {
	// create sets the computed outputs in props and returns the ID.
	create func(w *world, props map[string]any) (string, error)
	// afterWrite runs once the resource is in the store (old is nil on create).
	afterWrite func(w *world, r *Resource, old map[string]any) error
	// beforeDelete runs before the resource leaves the store.
	beforeDelete func(w *world, r *Resource) error
}

func ec2ARN(region, kind, id string) string {
	return fmt.Sprintf("arn:aws:ec2:%s:%s:%s/%s", region, Account, kind, id)
}

// ec2Resource is the common shape of EC2 resources: prefix-<17 hex> IDs and an ARN.
func ec2Resource(prefix, arnKind string) func(*world, map[string]any) (string, error) {
	return func(w *world, p map[string]any) (string, error) {
		id := prefix + "-" + randomHex(17)
		p["arn"] = ec2ARN(w.region, arnKind, id)
		p["ownerId"] = Account
		return id, nil
	}
}

var behaviours = map[string]behaviour{
	TypeVpc:                  {create: createVpc},
	TypeDefaultSecurityGroup: {create: createDefaultSG},
	TypeSubnet:               {create: createSubnet},
	TypeInternetGateway:      {create: ec2Resource("igw", "internet-gateway")},
	TypeRouteTable:           {create: ec2Resource("rtb", "route-table")},
	TypeRouteTableAssoc:      {create: func(*world, map[string]any) (string, error) { return "rtbassoc-" + randomHex(17), nil }},
	TypeEip:                  {create: createEip},
	TypeNatGateway:           {create: createNat},
	TypeVpcEndpoint:          {create: createEndpoint},
	TypeFlowLog:              {create: ec2Resource("fl", "vpc-flow-log")},
	TypeSecurityGroup:        {create: ec2Resource("sg", "security-group")},
	TypeSGIngressRule:        {create: createSGRule},
	TypeSGEgressRule:         {create: createSGRule},
	TypeLogGroup:             {create: createLogGroup},
	TypeMetricAlarm:          {create: createAlarm},
	TypeRole:                 {create: createRole},
	TypeRolePolicy:           {create: func(_ *world, p map[string]any) (string, error) { return str(p, "role") + ":" + str(p, "name"), nil }},
	TypeRolePolicyAttachment: {create: func(_ *world, p map[string]any) (string, error) { return str(p, "role") + "-" + randomHex(26), nil }},
	TypeInstanceProfile:      {create: createInstanceProfile},
	TypeLaunchTemplate:       {create: createLaunchTemplate, afterWrite: bumpLaunchTemplateVersion},
	TypeAutoscalingGroup:     {create: createASG, afterWrite: reconcileASG, beforeDelete: deleteASG},
	TypeLoadBalancer:         {create: createLoadBalancer, beforeDelete: checkDeletionProtection},
	TypeTargetGroup:          {create: createTargetGroup},
	TypeListener:             {create: createListener},
	TypeListenerRule:         {create: createListenerRule},
}

func createVpc(w *world, p map[string]any) (string, error) {
	id, _ := ec2Resource("vpc", "vpc")(w, p)
	p["defaultSecurityGroupId"] = "sg-" + randomHex(17)
	p["mainRouteTableId"] = "rtb-" + randomHex(17)
	p["defaultRouteTableId"] = p["mainRouteTableId"]
	p["defaultNetworkAclId"] = "acl-" + randomHex(17)
	p["dhcpOptionsId"] = "dopt-" + randomHex(17)
	return id, nil
}

// createDefaultSG adopts the VPC's default security group: AWS made it with the VPC.
func createDefaultSG(w *world, p map[string]any) (string, error) {
	vpc, ok := w.st.Resources[str(p, "vpcId")]
	if !ok || vpc.Type != TypeVpc {
		return "", apiErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", str(p, "vpcId"))
	}
	id := str(vpc.Props, "defaultSecurityGroupId")
	p["arn"] = ec2ARN(w.region, "security-group", id)
	p["ownerId"] = Account
	p["name"] = "default"
	p["description"] = "default VPC security group"
	return id, nil
}

func createSubnet(w *world, p map[string]any) (string, error) {
	id, _ := ec2Resource("subnet", "subnet")(w, p)
	az := str(p, "availabilityZone")
	if az != "" {
		p["availabilityZoneId"] = zoneID(w.region, az)
	}
	return id, nil
}

// zoneID is AWS's zone ID for a zone name (eu-west-1a → euw1-az1).
func zoneID(region, zone string) string {
	parts := strings.Split(region, "-")
	short := parts[0]
	for _, s := range parts[1 : len(parts)-1] {
		short += s[:1]
	}
	short += parts[len(parts)-1]
	return fmt.Sprintf("%s-az%d", short, int(zone[len(zone)-1]-'a')+1)
}

// randomNumber is a random number below n.
func randomNumber(n uint64) uint64 {
	v, _ := strconv.ParseUint(randomHex(15), 16, 64)
	return v % n
}

func createEip(w *world, p map[string]any) (string, error) {
	id := "eipalloc-" + randomHex(17)
	ip := fmt.Sprintf("203.0.113.%d", 1+randomNumber(250)) // TEST-NET-3: documentation only
	p["allocationId"] = id
	p["arn"] = ec2ARN(w.region, "elastic-ip", id)
	p["publicIp"] = ip
	p["publicDns"] = fmt.Sprintf("ec2-%s.%s.compute.amazonaws.com", strings.ReplaceAll(ip, ".", "-"), w.region)
	return id, nil
}

func createNat(w *world, p map[string]any) (string, error) {
	id := "nat-" + randomHex(17)
	if eip, ok := w.st.Resources[str(p, "allocationId")]; ok {
		p["publicIp"] = eip.Props["publicIp"]
	}
	if sub, ok := w.st.Resources[str(p, "subnetId")]; ok {
		if pfx, err := netip.ParsePrefix(str(sub.Props, "cidrBlock")); err == nil {
			p["privateIp"] = pfx.Addr().Next().Next().Next().Next().String() // AWS reserves the first four
		}
	}
	p["networkInterfaceId"] = "eni-" + randomHex(17)
	p["associationId"] = "eipassoc-" + randomHex(17)
	return id, nil
}

func createEndpoint(w *world, p map[string]any) (string, error) {
	id, _ := ec2Resource("vpce", "vpc-endpoint")(w, p)
	var enis []any
	for range strList(p, "subnetIds") {
		enis = append(enis, "eni-"+randomHex(17))
	}
	p["networkInterfaceIds"] = enis
	p["state"] = "available"
	p["dnsEntries"] = []any{map[string]any{
		"dnsName":      fmt.Sprintf("%s.%s.%s.vpce.amazonaws.com", id, str(p, "serviceName"), w.region),
		"hostedZoneId": "Z" + strings.ToUpper(randomHex(13)),
	}}
	return id, nil
}

func createSGRule(w *world, p map[string]any) (string, error) {
	id := "sgr-" + randomHex(17)
	p["arn"] = ec2ARN(w.region, "security-group-rule", id)
	p["securityGroupRuleId"] = id
	return id, nil
}

func createLogGroup(w *world, p map[string]any) (string, error) {
	name := str(p, "name")
	p["arn"] = fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", w.region, Account, name)
	return name, nil
}

func createAlarm(w *world, p map[string]any) (string, error) {
	name := str(p, "name")
	p["arn"] = fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", w.region, Account, name)
	return name, nil
}

func createRole(_ *world, p map[string]any) (string, error) {
	name := str(p, "name")
	path := cmp.Or(str(p, "path"), "/")
	p["arn"] = fmt.Sprintf("arn:aws:iam::%s:role%s%s", Account, path, name)
	p["uniqueId"] = "AROA" + strings.ToUpper(randomHex(17))
	p["createDate"] = time.Now().UTC().Format(time.RFC3339)
	return name, nil
}

func createInstanceProfile(_ *world, p map[string]any) (string, error) {
	name := str(p, "name")
	path := cmp.Or(str(p, "path"), "/")
	p["arn"] = fmt.Sprintf("arn:aws:iam::%s:instance-profile%s%s", Account, path, name)
	p["uniqueId"] = "AIPA" + strings.ToUpper(randomHex(17))
	p["createDate"] = time.Now().UTC().Format(time.RFC3339)
	return name, nil
}

func createLaunchTemplate(w *world, p map[string]any) (string, error) {
	id := "lt-" + randomHex(17)
	p["arn"] = ec2ARN(w.region, "launch-template", id)
	p["latestVersion"] = float64(0) // bumped to 1 by afterWrite, as every write makes a version
	p["defaultVersion"] = float64(0)
	return id, nil
}

// bumpLaunchTemplateVersion: every create or update of a launch template makes a new
// version (CreateLaunchTemplateVersion); update_default_version makes it the default.
func bumpLaunchTemplateVersion(w *world, r *Resource, old map[string]any) error {
	v, _ := num(r.Props, "latestVersion")
	if old != nil {
		v, _ = num(old, "latestVersion")
	}
	r.Props["latestVersion"] = float64(v + 1)
	if old == nil || boolean(r.Props, "updateDefaultVersion") {
		r.Props["defaultVersion"] = float64(v + 1)
	} else if d, ok := num(old, "defaultVersion"); ok {
		r.Props["defaultVersion"] = float64(d)
	}
	return nil
}

func createASG(w *world, p map[string]any) (string, error) {
	name := str(p, "name")
	p["arn"] = fmt.Sprintf("arn:aws:autoscaling:%s:%s:autoScalingGroup:%s-%s-%s-%s-%s:autoScalingGroupName/%s",
		w.region, Account, randomHex(8), randomHex(4), randomHex(4), randomHex(4), randomHex(12), name)
	return name, nil
}

func createLoadBalancer(w *world, p map[string]any) (string, error) {
	name, hex := str(p, "name"), randomHex(16)
	arn := fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/app/%s/%s", w.region, Account, name, hex)
	p["arn"] = arn
	p["arnSuffix"] = fmt.Sprintf("app/%s/%s", name, hex)
	p["dnsName"] = fmt.Sprintf("%s-%d.%s.elb.amazonaws.com", name, 1000000000+randomNumber(1000000000), w.region)
	p["zoneId"] = "Z32O12XQLNTSW2"
	if subnets := strList(p, "subnets"); len(subnets) > 0 {
		if s, ok := w.st.Resources[subnets[0]]; ok {
			p["vpcId"] = s.Props["vpcId"]
		}
	}
	return arn, nil
}

func createTargetGroup(w *world, p map[string]any) (string, error) {
	name, hex := str(p, "name"), randomHex(16)
	arn := fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%s", w.region, Account, name, hex)
	p["arn"] = arn
	p["arnSuffix"] = fmt.Sprintf("targetgroup/%s/%s", name, hex)
	return arn, nil
}

func createListener(w *world, p map[string]any) (string, error) {
	lb, ok := w.st.Resources[str(p, "loadBalancerArn")]
	if !ok || lb.Type != TypeLoadBalancer {
		return "", apiErr("LoadBalancerNotFound", "One or more load balancers not found")
	}
	arn := strings.Replace(str(lb.Props, "arn"), ":loadbalancer/", ":listener/", 1) + "/" + randomHex(16)
	p["arn"] = arn
	return arn, nil
}

func createListenerRule(w *world, p map[string]any) (string, error) {
	l, ok := w.st.Resources[str(p, "listenerArn")]
	if !ok || l.Type != TypeListener {
		return "", apiErr("ListenerNotFound", "One or more listeners not found")
	}
	arn := strings.Replace(str(l.Props, "arn"), ":listener/", ":listener-rule/", 1) + "/" + randomHex(16)
	p["arn"] = arn
	return arn, nil
}

// checkDeletionProtection refuses to delete a load balancer that has it on, as AWS does.
func checkDeletionProtection(_ *world, r *Resource) error {
	if boolean(r.Props, "enableDeletionProtection") {
		return apiErr("OperationNotPermitted",
			"Load balancer '%s' cannot be deleted because deletion protection is enabled", r.ID)
	}
	return nil
}

// mergeComputed keeps the outputs AWS computed (anything that is not an input of the
// type) when a resource is updated with new inputs.
func mergeComputed(token string, old, news map[string]any) map[string]any {
	r, _ := RuleFor(token)
	out := map[string]any{}
	maps.Copy(out, news)
	for k, v := range old {
		if _, set := out[k]; set || slices.Contains(r.ForceNew, k) || slices.Contains(r.Updatable, k) {
			continue
		}
		out[k] = v
	}
	return out
}
