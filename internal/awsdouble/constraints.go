package awsdouble

import (
	"fmt"
	"net/netip"
	"strings"
)

// The AWS API constraints the double enforces. Each is checked when a resource is
// created or updated, against what the store holds at that moment (the resource itself
// excluded), so an order of operations AWS refuses is refused here too — e.g. Pulumi's
// create-before-delete of a renamed port-80 listener meets the old listener still there.
var constraints = map[string]func(st *State, r *Resource) error{
	TypeListener:         checkListener,
	TypeListenerRule:     checkListenerRule,
	TypeTargetGroup:      func(st *State, r *Resource) error { return checkELBName(st, r, "target group") },
	TypeLoadBalancer:     func(st *State, r *Resource) error { return checkELBName(st, r, "load balancer") },
	TypeSGIngressRule:    checkSGRule,
	TypeSGEgressRule:     checkSGRule,
	TypeSubnet:           checkSubnet,
	TypeAutoscalingGroup: checkASGSizes,
	TypeRole:             checkRoleName,
}

// checkConstraints runs the type's constraint, if any.
func checkConstraints(st *State, r *Resource) error {
	if c, ok := constraints[r.Type]; ok {
		return c(st, r)
	}
	return nil
}

// others are the other resources of r's type.
func others(st *State, r *Resource) []*Resource {
	var out []*Resource
	for _, o := range st.ofType(r.Type) {
		if o.ID != r.ID {
			out = append(out, o)
		}
	}
	return out
}

// checkListener: one listener per port per load balancer, and valid forward weights.
func checkListener(st *State, r *Resource) error {
	port, _ := num(r.Props, "port")
	for _, o := range others(st, r) {
		if p, _ := num(o.Props, "port"); p == port && str(o.Props, "loadBalancerArn") == str(r.Props, "loadBalancerArn") {
			return apiErr("DuplicateListener", "A listener already exists on this port for this load balancer")
		}
	}
	return checkActions(objects(r.Props, "defaultActions"), "defaultActions")
}

// checkListenerRule: rule priorities are unique within a listener.
func checkListenerRule(st *State, r *Resource) error {
	prio, set := num(r.Props, "priority")
	for _, o := range others(st, r) {
		if p, ok := num(o.Props, "priority"); set && ok && p == prio && str(o.Props, "listenerArn") == str(r.Props, "listenerArn") {
			return apiErr("PriorityInUse", "Priority '%d' is currently in use", prio)
		}
	}
	return checkActions(objects(r.Props, "actions"), "actions")
}

// checkActions validates forward actions' target group tuples: weights 0–999
// (TargetGroupTuple) and at least one of them above zero.
func checkActions(actions []map[string]any, field string) error {
	for i, a := range actions {
		groups := objects(obj(a, "forward"), "targetGroups")
		if len(groups) == 0 {
			continue
		}
		if err := checkWeights(groups, fmt.Sprintf("%s.%d.member.forwardConfig.targetGroups", field, i+1)); err != nil {
			return err
		}
	}
	return nil
}

func checkWeights(groups []map[string]any, at string) error {
	positive := false
	for j, g := range groups {
		w, ok := num(g, "weight")
		if !ok {
			w = 1 // the provider's default weight
		}
		if w < 0 || w > 999 {
			return apiErr("ValidationError", "1 validation error detected: Value '%d' at '%s.%d.member.weight' "+
				"failed to satisfy constraint: Member must have value between 0 and 999", w, at, j+1)
		}
		positive = positive || w > 0
	}
	if !positive {
		return apiErr("ValidationError", "At least one target group in a forward action must have a weight greater than zero")
	}
	return nil
}

// checkELBName: ELBv2 names are at most 32 characters and unique per account and region.
func checkELBName(st *State, r *Resource, kind string) error {
	name := str(r.Props, "name")
	if len(name) > 32 {
		return apiErr("ValidationError", "The %s name '%s' cannot be longer than '32' characters", kind, name)
	}
	for _, o := range others(st, r) {
		if str(o.Props, "name") == name {
			code := "DuplicateTargetGroupName"
			if r.Type == TypeLoadBalancer {
				code = "DuplicateLoadBalancerName"
			}
			return apiErr(code, "A %s with the same name '%s' exists, but with different settings", kind, name)
		}
	}
	return nil
}

// sgRuleKey is what makes two rules the same rule: group, direction, protocol, ports and source.
func sgRuleKey(r *Resource) string {
	from, _ := num(r.Props, "fromPort")
	to, _ := num(r.Props, "toPort")
	src := ""
	for _, k := range []string{"cidrIpv4", "cidrIpv6", "prefixListId", "referencedSecurityGroupId"} {
		src += str(r.Props, k)
	}
	return fmt.Sprintf("%s|%s|%s|%d|%d|%s", r.Type, str(r.Props, "securityGroupId"),
		strings.ToLower(str(r.Props, "ipProtocol")), from, to, src)
}

// checkSGRule: the same rule cannot be authorised twice in a group.
func checkSGRule(st *State, r *Resource) error {
	key := sgRuleKey(r)
	for _, o := range others(st, r) {
		if sgRuleKey(o) == key {
			from, _ := num(r.Props, "fromPort")
			to, _ := num(r.Props, "toPort")
			return apiErr("InvalidPermission.Duplicate", "the specified rule \"peer: %s, %s, from port: %d, to port: %d, "+
				"ALLOW\" already exists", strings.Split(key, "|")[5], strings.ToUpper(str(r.Props, "ipProtocol")), from, to)
		}
	}
	return nil
}

// checkSubnet: a subnet's CIDR lies inside its VPC's and overlaps no other subnet of it.
func checkSubnet(st *State, r *Resource) error {
	cidr := str(r.Props, "cidrBlock")
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return apiErr("InvalidParameterValue", "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", cidr)
	}
	vpc, ok := st.Resources[str(r.Props, "vpcId")]
	if !ok {
		return apiErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", str(r.Props, "vpcId"))
	}
	vp, err := netip.ParsePrefix(str(vpc.Props, "cidrBlock"))
	if err != nil || p.Bits() < vp.Bits() || !vp.Contains(p.Addr()) {
		return apiErr("InvalidSubnet.Range", "The CIDR '%s' is invalid.", cidr)
	}
	for _, o := range others(st, r) {
		op, err := netip.ParsePrefix(str(o.Props, "cidrBlock"))
		if err == nil && str(o.Props, "vpcId") == vpc.ID && op.Overlaps(p) {
			return apiErr("InvalidSubnet.Conflict", "The CIDR '%s' conflicts with another subnet", cidr)
		}
	}
	return nil
}

// checkASGSizes: min ≤ max and min ≤ desired ≤ max.
func checkASGSizes(_ *State, r *Resource) error {
	lo, _ := num(r.Props, "minSize")
	hi, _ := num(r.Props, "maxSize")
	if lo > hi {
		return apiErr("ValidationError", "Max bound, %d, must be greater than or equal to min bound, %d", hi, lo)
	}
	if d, ok := num(r.Props, "desiredCapacity"); ok && (d < lo || d > hi) {
		return apiErr("ValidationError", "Desired capacity:%d must be between the specified min size:%d and max size:%d", d, lo, hi)
	}
	return nil
}

// checkRoleName: IAM role names are unique in the account (case-insensitively).
func checkRoleName(st *State, r *Resource) error {
	for _, o := range others(st, r) {
		if strings.EqualFold(str(o.Props, "name"), str(r.Props, "name")) {
			return apiErr("EntityAlreadyExists", "Role with name %s already exists.", str(r.Props, "name"))
		}
	}
	return nil
}
