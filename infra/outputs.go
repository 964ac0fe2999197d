package infra

import "fmt"

// Stack output names: the contract between the edge stack, the other colour's stack and
// the automation tool. Every name is exported by Program and read back by the tests on
// both sides, so a rename breaks a test rather than a release.
const (
	// Exported by the edge stack only.
	OutVpcID                   = "vpcId"
	OutVpcCidr                 = "vpcCidr"
	OutPublicSubnetIDs         = "publicSubnetIds"
	OutPrivateSubnetIDs        = "privateSubnetIds"
	OutAlbSecurityGroupID      = "albSecurityGroupId"
	OutInstanceSecurityGroupID = "instanceSecurityGroupId"
	OutAlbArn                  = "albArn"
	OutAlbArnSuffix            = "albArnSuffix"
	OutAlbDNSName              = "albDnsName"
	OutAlbURL                  = "albUrl"
	OutListenerArn             = "listenerArn"
	OutListenerURN             = "listenerUrn"
	OutTargetGroupArns         = "targetGroupArns"        // map colour → ARN
	OutTargetGroupArnSuffixes  = "targetGroupArnSuffixes" // map colour → CloudWatch dimension
	OutWeights                 = "weights"                // map colour → percent
	OutColorHeader             = "colorHeader"            // header that pins a request to one colour
	OutStableColor             = "stableColor"            // colour that served before the last shift
	OutHealthCheckPath         = "healthCheckPath"        // what the target groups check; bakes check it too

	// Exported by every stack about its own colour.
	OutColor         = "color"
	OutRole          = "role" // RoleEdge or RoleColor
	OutAsgName       = "asgName"
	OutAmiID         = "amiId"
	OutAppRef        = "appRef"
	OutDesired       = "desiredCapacity"
	OutAlarmNames    = "alarmNames"
	OutPrerequisites = "prerequisitesAmiId"
	// OutBaseAmiID is the pinned base image of the prerequisites stage (webapi:baseAmiId;
	// empty when unset): deploys keep it from here, never from a checkout.
	OutBaseAmiID = "baseAmiId"
)

// EdgeOutputs lists what the other colour needs from the edge stack; a missing one is
// a clear error naming the output and the edge stack.
var EdgeOutputs = []string{
	OutVpcID, OutPrivateSubnetIDs, OutInstanceSecurityGroupID,
	OutTargetGroupArns, OutTargetGroupArnSuffixes, OutAlbArnSuffix, OutWeights,
}

// ColorHeader is the request header that routes to one colour alone, so an idle colour
// can be tested through the real ALB before it gets weight.
const ColorHeader = "X-Webapi-Color"

// Role values.
const (
	RoleEdge  = "edge"
	RoleColor = "color"
)

// EdgeValues are the edge stack's outputs that the other colour and the tool use.
type EdgeValues struct {
	VpcID                   string
	PrivateSubnetIDs        []string
	InstanceSecurityGroupID string
	TargetGroupArns         map[string]string
	TargetGroupArnSuffixes  map[string]string
	AlbArnSuffix            string
	Weights                 Weights
	// HealthCheckPath is optional: edge stacks deployed before it was exported lack it.
	HealthCheckPath string

	// Read by the tool, not needed by the other colour (StackReference does not ask for
	// them): empty when absent.
	AlbArn      string
	AlbURL      string
	ListenerArn string
	ListenerURN string
}

// ParseEdgeOutputs turns raw stack outputs (as StackReference or the Automation API
// return them: strings, []any, map[string]any, float64) into EdgeValues. stack names
// the edge stack in errors.
func ParseEdgeOutputs(stack string, raw map[string]any) (*EdgeValues, error) {
	p := edgeOutputParser{stack: stack, raw: raw}
	for _, name := range EdgeOutputs {
		if v, ok := raw[name]; !ok || v == nil {
			return nil, fmt.Errorf("edge stack %s has no output %q: deploy the edge stack first (webapi:edgeStack)", stack, name)
		}
	}
	var err error
	ev := &EdgeValues{}
	if ev.VpcID, err = p.str(OutVpcID); err != nil {
		return nil, err
	}
	if ev.InstanceSecurityGroupID, err = p.str(OutInstanceSecurityGroupID); err != nil {
		return nil, err
	}
	if ev.AlbArnSuffix, err = p.str(OutAlbArnSuffix); err != nil {
		return nil, err
	}
	if ev.PrivateSubnetIDs, err = p.subnetIDs(OutPrivateSubnetIDs); err != nil {
		return nil, err
	}
	if ev.TargetGroupArns, err = p.colorMap(OutTargetGroupArns); err != nil {
		return nil, err
	}
	if ev.TargetGroupArnSuffixes, err = p.colorMap(OutTargetGroupArnSuffixes); err != nil {
		return nil, err
	}
	for _, opt := range []struct {
		name  string
		field *string
	}{
		{OutHealthCheckPath, &ev.HealthCheckPath},
		{OutAlbArn, &ev.AlbArn},
		{OutAlbURL, &ev.AlbURL},
		{OutListenerArn, &ev.ListenerArn},
		{OutListenerURN, &ev.ListenerURN},
	} {
		if s, ok := raw[opt.name].(string); ok {
			*opt.field = s
		}
	}
	if ev.Weights, err = ParseWeights(raw[OutWeights]); err != nil {
		return nil, fmt.Errorf("edge stack %s: output %q: %w", stack, OutWeights, err)
	}
	return ev, nil
}

// edgeOutputParser reads typed values out of an edge stack's raw outputs; its errors
// name the edge stack and the output.
type edgeOutputParser struct {
	stack string
	raw   map[string]any
}

func (p edgeOutputParser) wrong(name string, v any, want string) error {
	return fmt.Errorf("edge stack %s: output %q is %T (%v), want %s", p.stack, name, v, v, want)
}

// str reads an output that must be a non-empty string.
func (p edgeOutputParser) str(name string) (string, error) {
	s, ok := p.raw[name].(string)
	if !ok || s == "" {
		return "", p.wrong(name, p.raw[name], "a non-empty string")
	}
	return s, nil
}

// subnetIDs reads an output that must be a non-empty list of strings.
func (p edgeOutputParser) subnetIDs(name string) ([]string, error) {
	list, ok := p.raw[name].([]any)
	if !ok || len(list) == 0 {
		return nil, p.wrong(name, p.raw[name], "a non-empty list of subnet ids")
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		s, ok := v.(string)
		if !ok {
			return nil, p.wrong(name, v, "subnet id strings")
		}
		out = append(out, s)
	}
	return out, nil
}

// colorMap reads a map that must hold a non-empty string for every colour.
func (p edgeOutputParser) colorMap(name string) (map[string]string, error) {
	m, ok := p.raw[name].(map[string]any)
	if !ok {
		return nil, p.wrong(name, p.raw[name], "a map of colour to string")
	}
	out := map[string]string{}
	for _, c := range Colors {
		if m[string(c)] == nil {
			return nil, fmt.Errorf("edge stack %s: output %q has no entry for %s: redeploy the edge stack", p.stack, name, c)
		}
		s, ok := m[string(c)].(string)
		if !ok || s == "" {
			return nil, p.wrong(name+"."+string(c), m[string(c)], "a non-empty string")
		}
		out[string(c)] = s
	}
	return out, nil
}

// ParseWeights reads a {"blue": n, "green": m} output and checks it adds up to 100.
func ParseWeights(v any) (Weights, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Weights{}, fmt.Errorf("is %T, want a map of colour to percent", v)
	}
	num := func(c Color) (int, error) {
		switch n := m[string(c)].(type) {
		case float64:
			return int(n), nil
		case int:
			return n, nil
		}
		return 0, fmt.Errorf("weight of %s is %v, want a number", c, m[string(c)])
	}
	b, err := num(Blue)
	if err != nil {
		return Weights{}, err
	}
	g, err := num(Green)
	if err != nil {
		return Weights{}, err
	}
	if b+g != 100 || b < 0 || g < 0 {
		return Weights{}, fmt.Errorf("blue %d + green %d must be 100, each 0 to 100", b, g)
	}
	return Weights{Blue: b, Green: g}, nil
}
