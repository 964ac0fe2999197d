package awsdouble

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"regexp"
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
	TypeLoadBalancer:         {create: createLoadBalancer, afterWrite: checkAccessLogDelivery, beforeDelete: checkDeletionProtection},
	TypeTargetGroup:          {create: createTargetGroup},
	TypeListener:             {create: createListener},
	TypeListenerRule:         {create: createListenerRule},
	TypeBucket:               {create: createBucket, afterWrite: keepBucketName},
	TypeBucketPolicy:         {create: bucketConfig("policy")},
	TypeBucketPublicAccess:   {create: bucketConfig("publicAccessBlock")},
	TypeBucketOwnership:      {create: bucketConfig("ownershipControls")},
	TypeBucketEncryption:     {create: bucketConfig("encryption")},
	TypeBucketLifecycle:      {create: bucketConfig("lifecycle")},
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

// createBucket names the bucket as the provider does: the given name, or bucket_prefix
// and a 26-character unique suffix (terraform-provider-aws internal/service/s3/bucket.go,
// id.PrefixedUniqueId). Bucket names are global: the ID is the name.
func createBucket(w *world, p map[string]any) (string, error) {
	name := str(p, "bucket")
	if name == "" {
		name = str(p, "bucketPrefix") + randomHex(26)
	}
	if len(name) < 3 || len(name) > 63 {
		return "", apiErr("InvalidBucketName", "The specified bucket is not valid: %q", name)
	}
	p["bucket"] = name
	p["arn"] = "arn:aws:s3:::" + name
	p["bucketDomainName"] = name + ".s3.amazonaws.com"
	p["bucketRegionalDomainName"] = fmt.Sprintf("%s.s3.%s.amazonaws.com", name, w.region)
	p["region"] = w.region
	p["hostedZoneId"] = "Z1BKCTXD74EZPE"
	return name, nil
}

// keepBucketName: the generated name is an output, not an input, so an update (new tags)
// keeps it.
func keepBucketName(_ *world, r *Resource, old map[string]any) error {
	if old != nil && str(r.Props, "bucket") == "" {
		r.Props["bucket"] = old["bucket"]
	}
	return nil
}

// bucketConfig is a bucket configuration (Put<kind> on the bucket it names): the bucket
// must exist, and a bucket holds one of each kind.
func bucketConfig(kind string) func(*world, map[string]any) (string, error) {
	return func(w *world, p map[string]any) (string, error) {
		name := str(p, "bucket")
		if b, ok := w.st.Resources[name]; !ok || b.Type != TypeBucket {
			return "", apiErr("NoSuchBucket", "The specified bucket does not exist: %s", name)
		}
		return name + "#" + kind, nil
	}
}

// elbLogAccounts are the ELB accounts of the double's test regions (AWS's public ids, ELB
// User Guide, "Enable access logs"); other regions' policies must name the log delivery
// service principal.
var elbLogAccounts = map[string]string{"eu-west-1": "156460612806", "us-east-1": "127311923021", "eu-central-1": "054676820928"}

// checkAccessLogDelivery is what AWS does when access logging is turned on: it checks the
// prefix and writes a test object (<prefix>/AWSLogs/<account>/ELBAccessLogTestFile), which
// fails unless the bucket's policy lets the region's ELB log delivery put it and the
// bucket's default encryption is SSE-S3. Only buckets in the store are checked: a bucket
// brought along lives outside the double.
func checkAccessLogDelivery(w *world, r *Resource, _ map[string]any) error {
	logs := obj(r.Props, "accessLogs")
	if !boolean(logs, "enabled") {
		return nil
	}
	bucket, prefix := str(logs, "bucket"), str(logs, "prefix")
	if strings.Contains(prefix, "AWSLogs") {
		return apiErr("ValidationError", "The prefix for the access logs cannot contain 'AWSLogs'")
	}
	b, ok := w.st.Resources[bucket]
	if !ok || b.Type != TypeBucket {
		return nil
	}
	denied := apiErr("InvalidConfigurationRequest", "Access Denied for bucket: %s. Please check S3bucket permission", bucket)
	if enc, ok := w.st.Resources[bucket+"#encryption"]; ok {
		for _, rule := range objects(enc.Props, "rules") {
			if strings.HasPrefix(str(obj(rule, "applyServerSideEncryptionByDefault"), "sseAlgorithm"), "aws:kms") {
				return denied
			}
		}
	}
	policy, ok := w.st.Resources[bucket+"#policy"]
	if !ok {
		return denied
	}
	key := strings.TrimPrefix(prefix+"/", "/") + "AWSLogs/" + Account + "/ELBAccessLogTestFile"
	if !policyAllowsPut(str(policy.Props, "policy"), w.region, "arn:aws:s3:::"+bucket+"/"+key) {
		return denied
	}
	return nil
}

// policyAllowsPut: an Allow statement for the region's ELB log delivery principal, with
// s3:PutObject on a resource pattern that covers objectArn.
func policyAllowsPut(doc, region, objectArn string) bool {
	var policy struct {
		Statement []struct {
			Effect    string
			Principal map[string]any
			Action    any
			Resource  any
		}
	}
	if json.Unmarshal([]byte(doc), &policy) != nil {
		return false
	}
	want := []string{"Service", "logdelivery.elasticloadbalancing.amazonaws.com"}
	if id, ok := elbLogAccounts[region]; ok {
		want = []string{"AWS", "arn:aws:iam::" + id + ":root"}
	}
	for _, st := range policy.Statement {
		if st.Effect != "Allow" || !slices.Contains(anyStrings(st.Principal[want[0]]), want[1]) ||
			!slices.Contains(anyStrings(st.Action), "s3:PutObject") {
			continue
		}
		for _, pattern := range anyStrings(st.Resource) {
			re := "^" + strings.ReplaceAll(regexp.QuoteMeta(pattern), `\*`, ".*") + "$"
			if ok, _ := regexp.MatchString(re, objectArn); ok {
				return true
			}
		}
	}
	return false
}

// anyStrings reads a policy element that is one string or a list of them.
func anyStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
