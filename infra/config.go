package infra

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/webapi-platform/infra/internal/bake"
)

// ConfigNamespace is the Pulumi config namespace of every key this program reads.
const ConfigNamespace = "webapi"

// Color names one of the two fleets.
type Color string

const (
	Blue  Color = "blue"
	Green Color = "green"
)

// Colors lists both colours in a stable order.
var Colors = []Color{Blue, Green}

// Other returns the opposite colour.
func (c Color) Other() Color {
	if c == Blue {
		return Green
	}
	return Blue
}

// ParseColor accepts exactly "blue" or "green".
func ParseColor(s string) (Color, error) {
	switch Color(s) {
	case Blue, Green:
		return Color(s), nil
	}
	return "", fmt.Errorf("colour %q is not allowed: want blue or green", s)
}

// NatMode says how private subnets reach the internet.
type NatMode string

const (
	NatSingle NatMode = "single" // one NAT gateway in the first AZ: cheaper, one AZ is a single point of egress
	NatPerAz  NatMode = "perAz"  // one NAT gateway per AZ: egress survives the loss of an AZ
	NatNone   NatMode = "none"   // no internet egress; Systems Manager is reached through VPC endpoints
)

// Config is the whole validated configuration of one stack. Field names follow the
// flat keys of Pulumi.yaml (namespace webapi).
type Config struct {
	Color       Color
	Edge        bool
	EdgeStack   string
	GreenWeight int
	StableColor Color

	VpcCidr           string
	AvailabilityZones []string
	AzCount           int
	MaxAzCount        int // zones the address plan leaves room for; 0: the zones in use
	NatGateways       NatMode
	FlowLogs          bool

	IngressCidrs       []string
	CertificateArn     string
	DeletionProtection bool
	AccessLogsBucket   string

	HealthCheckPath     string
	HealthCheckInterval int
	HealthyThreshold    int
	UnhealthyThreshold  int

	InstanceType    string
	MinSize         int
	MaxSize         int
	DesiredCapacity int

	AppRepository      string
	AppRef             string
	AmiID              string
	PrerequisitesAmiID string
	BakeInstanceType   string
	BakeSubnetID       string
	DeregisterAmis     bool

	Alarm5xxPercent int
	AlarmLatencyMs  int

	// AccessLogs: the edge stack creates and owns the access-log bucket (SSE-S3, public
	// access blocked, expiry after AccessLogsRetentionDays). Refused with AccessLogsBucket.
	AccessLogs              bool
	AccessLogsRetentionDays int
	// AppProject is the project to publish, relative to the app repository's root.
	AppProject string
	// AlarmTopicArn receives the alarms' ALARM and OK notifications.
	AlarmTopicArn string

	// DotnetChannel overrides the .NET channel detected from the app's project (empty:
	// detect). AllowUnsupportedRuntime lets a channel past its end of support bake (with a
	// warning).
	DotnetChannel           string
	AllowUnsupportedRuntime bool
	// AppRepositoryTokenSecret names the Secrets Manager secret (name or ARN) holding a
	// token for cloning a private appRepository on the builder. Only the name travels.
	AppRepositoryTokenSecret string
	// WindowsVersion is the Windows Server base image: 2022 or 2025.
	WindowsVersion string
	// BaseAmiID pins the prerequisites stage's source AMI (empty: the newest Amazon
	// Windows Server image of WindowsVersion). The scheduled image refresh sets it.
	BaseAmiID string

	// The release gates the bluegreen tool reads (releaseconfig.go).
	Release ReleaseConfig

	// Runtime is not read from config: ResolveRuntime sets it from the app's project
	// (or DotnetChannel) before anything is registered; nil when nothing is baked.
	Runtime *Runtime
}

// ConfigError is one invalid key: which key, the value given, and what is allowed.
type ConfigError struct {
	Key     string // without namespace
	Value   string
	Allowed string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s:%s: %s is not allowed: %s", ConfigNamespace, e.Key, quoteValue(e.Value), e.Allowed)
}

func quoteValue(v string) string {
	if v == "" {
		return "an empty value"
	}
	return strconv.Quote(v)
}

// ConfigSource returns the raw string of a key (without namespace) and whether it is set.
// pulumi.Context.GetConfig and a plain map both fit.
type ConfigSource func(key string) (string, bool)

// MapSource adapts a map of un-namespaced keys, for tests and tools.
func MapSource(m map[string]string) ConfigSource {
	return func(key string) (string, bool) {
		v, ok := m[key]
		return v, ok
	}
}

// configKey describes one key: its Pulumi.yaml type and default. It is the Go side of
// the contract that schema_test.go checks against Pulumi.yaml.
type configKey struct {
	Name    string
	Type    string // string | integer | boolean | array
	Default any    // nil: required
}

// ConfigKeys lists every key the program reads, with the defaults Pulumi.yaml declares.
// Defaults are applied here too because mocks and Automation API callers may not go
// through the CLI's project-config defaulting.
var ConfigKeys = []configKey{
	{"color", "string", nil},
	{"edge", "boolean", false},
	{"edgeStack", "string", ""},
	{"greenWeight", "integer", 0},
	{"stableColor", "string", "blue"},
	{"vpcCidr", "string", "10.20.0.0/16"},
	{"availabilityZones", "array", []string{}},
	{"azCount", "integer", 2},
	{"maxAzCount", "integer", 0},
	{"natGateways", "string", "perAz"},
	{"flowLogs", "boolean", true},
	{"ingressCidrs", "array", []string{"0.0.0.0/0"}},
	{"certificateArn", "string", ""},
	{"deletionProtection", "boolean", true},
	{"accessLogsBucket", "string", ""},
	{"healthCheckPath", "string", "/health"},
	{"healthCheckInterval", "integer", 15},
	{"healthyThreshold", "integer", 3},
	{"unhealthyThreshold", "integer", 3},
	{"instanceType", "string", "t3.large"},
	{"minSize", "integer", 2},
	{"maxSize", "integer", 4},
	{"desiredCapacity", "integer", 2},
	{"appRepository", "string", ""},
	{"appRef", "string", ""},
	{"amiId", "string", ""},
	{"prerequisitesAmiId", "string", ""},
	{"bakeInstanceType", "string", "t3.large"},
	{"bakeSubnetId", "string", ""},
	{"deregisterAmisOnDelete", "boolean", false},
	{"alarm5xxPercent", "integer", 1},
	{"alarmLatencyMs", "integer", 1000},
	{"accessLogs", "boolean", false},
	{"accessLogsRetentionDays", "integer", 90},
	{"appProject", "string", ""},
	{"alarmTopicArn", "string", ""},
	{"dotnetChannel", "string", ""},
	{"allowUnsupportedRuntime", "boolean", true},
	{"appRepositoryTokenSecret", "string", ""},
	{"windowsVersion", "string", "2022"},
	{"baseAmiId", "string", ""},
	{"minRequests", "integer", 100},
	{"gateAlarms", "array", []string{}},
	{"publicHostname", "string", ""},
	{"smokePaths", "array", []string{}},
	{"smokeRequests", "integer", 20},
	{"deployTimeoutMinutes", "integer", 30},
}

var (
	edgeStackPattern    = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	acmArnPattern       = regexp.MustCompile(`^arn:aws(-[a-z]+)*:acm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:certificate/[0-9a-f-]{36}$`)
	bucketPattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	amiPattern          = bake.AmiIDPattern // one pattern for config, manifests and the app template
	instanceTypePattern = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	azPattern           = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d[a-z]$`)
	healthPathPattern   = regexp.MustCompile(`^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$`)
	subnetPattern       = regexp.MustCompile(`^subnet-[0-9a-f]{8}([0-9a-f]{9})?$`)
	gitRefPattern       = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)
	sshRepoPattern      = regexp.MustCompile(`^(ssh://)?[A-Za-z0-9._-]+@[A-Za-z0-9.-]+[:/].+$`)
	// A relative path of plain names: no drive, no leading '/' or '-', nothing a shell or
	// PowerShell would interpret (it reaches the build instance as APP_PROJECT).
	appProjectPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._/-]*$`)
	// Standard SNS topics (CloudWatch alarm actions do not take FIFO topics).
	snsTopicArnPattern = regexp.MustCompile(`^arn:aws(-[a-z]+)*:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$`)
)

// The VPC must leave room for two subnets per AZ of at least /28 (AWS's smallest subnet),
// and AWS accepts VPC CIDRs from /16 to /28.
const (
	minVpcPrefix    = 16
	minSubnetPrefix = 28
	maxAzCount      = 6
)

// LoadConfig reads every key from src, applies defaults and validates the whole. All
// problems are reported together, each naming its key; nothing is half-valid.
func LoadConfig(src ConfigSource) (*Config, error) {
	r := reader{src: src}
	c := &Config{}

	colorRaw := r.str("color")
	c.Edge = r.boolean("edge")
	c.EdgeStack = r.str("edgeStack")
	c.GreenWeight = r.integer("greenWeight")
	stableRaw := r.str("stableColor")
	c.VpcCidr = r.str("vpcCidr")
	c.AvailabilityZones = r.list("availabilityZones")
	c.AzCount = r.integer("azCount")
	c.MaxAzCount = r.integer("maxAzCount")
	c.NatGateways = NatMode(r.str("natGateways"))
	c.FlowLogs = r.boolean("flowLogs")
	c.IngressCidrs = r.list("ingressCidrs")
	c.CertificateArn = r.str("certificateArn")
	c.DeletionProtection = r.boolean("deletionProtection")
	c.AccessLogsBucket = r.str("accessLogsBucket")
	c.HealthCheckPath = r.str("healthCheckPath")
	c.HealthCheckInterval = r.integer("healthCheckInterval")
	c.HealthyThreshold = r.integer("healthyThreshold")
	c.UnhealthyThreshold = r.integer("unhealthyThreshold")
	c.InstanceType = r.str("instanceType")
	c.MinSize = r.integer("minSize")
	c.MaxSize = r.integer("maxSize")
	c.DesiredCapacity = r.integer("desiredCapacity")
	c.AppRepository = r.str("appRepository")
	c.AppRef = r.str("appRef")
	c.AmiID = r.str("amiId")
	c.PrerequisitesAmiID = r.str("prerequisitesAmiId")
	c.BakeInstanceType = r.str("bakeInstanceType")
	c.BakeSubnetID = r.str("bakeSubnetId")
	c.DeregisterAmis = r.boolean("deregisterAmisOnDelete")
	c.Alarm5xxPercent = r.integer("alarm5xxPercent")
	c.AlarmLatencyMs = r.integer("alarmLatencyMs")
	c.AccessLogs = r.boolean("accessLogs")
	c.AccessLogsRetentionDays = r.integer("accessLogsRetentionDays")
	c.AppProject = r.str("appProject")
	c.AlarmTopicArn = r.str("alarmTopicArn")
	c.DotnetChannel = r.str("dotnetChannel")
	c.AllowUnsupportedRuntime = r.boolean("allowUnsupportedRuntime")
	c.AppRepositoryTokenSecret = r.str("appRepositoryTokenSecret")
	c.WindowsVersion = r.str("windowsVersion")
	c.BaseAmiID = r.str("baseAmiId")
	c.Release = readReleaseConfig(&r)

	if colorRaw == "" {
		r.fail("color", colorRaw, "it is required: blue or green")
	} else if col, err := ParseColor(colorRaw); err != nil {
		r.fail("color", colorRaw, "want blue or green")
	} else {
		c.Color = col
	}
	if col, err := ParseColor(stableRaw); err != nil {
		r.fail("stableColor", stableRaw, "want blue or green (the colour that served before the last shift)")
	} else {
		c.StableColor = col
	}
	if len(r.problems) > 0 {
		// Type errors make the values below meaningless; report them first.
		return nil, errors.Join(r.problems...)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate checks the whole configuration and returns every problem found, joined, in
// the order of the areas below.
func (c *Config) Validate() error {
	var p problems
	for _, validate := range []func(*problems){
		c.validateRoles, c.validateNetwork, c.validateEdge, c.validateFleet, c.validateImages, c.validateAlarms,
		c.validateRelease,
	} {
		validate(&p)
	}
	return errors.Join(p...)
}

// problems collects every invalid key, so that one run reports all of them.
type problems []error

func (p *problems) fail(key, value, allowed string) {
	*p = append(*p, &ConfigError{Key: key, Value: value, Allowed: allowed})
}

// validateRoles: exactly one of edge / edgeStack, and weights only on the edge stack.
func (c *Config) validateRoles(p *problems) {
	switch {
	case c.Edge && c.EdgeStack != "":
		p.fail("edgeStack", c.EdgeStack, "must be empty when webapi:edge is true (the edge stack reads no other stack)")
	case !c.Edge && c.EdgeStack == "":
		p.fail("edgeStack", "", "it is required when webapi:edge is false: the fully qualified edge stack, e.g. organization/webapi/blue")
	case !c.Edge && !edgeStackPattern.MatchString(c.EdgeStack):
		p.fail("edgeStack", c.EdgeStack, "want a fully qualified stack name organization/project/stack")
	}
	if c.GreenWeight < 0 || c.GreenWeight > 100 {
		p.fail("greenWeight", strconv.Itoa(c.GreenWeight), "want an integer from 0 to 100 (percent of traffic to green)")
	} else if !c.Edge && c.GreenWeight != 0 {
		p.fail("greenWeight", strconv.Itoa(c.GreenWeight), "weights are set only on the edge stack ("+c.EdgeStack+"); leave it unset here")
	}
}

// validateNetwork checks the VPC CIDR, the zones and the NAT mode, and that the VPC
// holds the subnet plan for that many zones (or for maxAzCount, when it leaves room).
func (c *Config) validateNetwork(p *problems) {
	vpc, vpcErr := netip.ParsePrefix(c.VpcCidr)
	switch {
	case vpcErr != nil || !vpc.Addr().Is4():
		p.fail("vpcCidr", c.VpcCidr, "want an IPv4 CIDR such as 10.20.0.0/16")
	case vpc.Masked() != vpc:
		p.fail("vpcCidr", c.VpcCidr, fmt.Sprintf("host bits are set: did you mean %s?", vpc.Masked()))
	case vpc.Bits() < minVpcPrefix || vpc.Bits() > minSubnetPrefix:
		p.fail("vpcCidr", c.VpcCidr, fmt.Sprintf("AWS accepts VPC prefixes from /%d to /%d", minVpcPrefix, minSubnetPrefix))
	}
	azs := c.validateZones(p)
	room := c.validateMaxAzCount(p, azs)
	if vpcErr == nil && vpc.Addr().Is4() && vpc.Masked() == vpc && azs >= 2 && azs <= maxAzCount {
		if _, err := PlanSubnets(vpc, azs); err != nil {
			p.fail("vpcCidr", c.VpcCidr, err.Error())
		} else if _, err := PlanSubnets(vpc, room); room > azs && err != nil {
			p.fail("maxAzCount", strconv.Itoa(c.MaxAzCount), fmt.Sprintf("the VPC %s has no room for %d zones: %v", c.VpcCidr, room, err))
		}
	}
	switch c.NatGateways {
	case NatSingle, NatPerAz, NatNone:
	default:
		p.fail("natGateways", string(c.NatGateways), "want single, perAz or none")
	}
}

// validateMaxAzCount checks the room the address plan leaves, and returns the zone count
// to plan for: maxAzCount when it is valid and set, else the zones in use.
func (c *Config) validateMaxAzCount(p *problems, azs int) int {
	switch {
	case c.MaxAzCount == 0:
		return azs
	case c.MaxAzCount < 2 || c.MaxAzCount > maxAzCount:
		p.fail("maxAzCount", strconv.Itoa(c.MaxAzCount), fmt.Sprintf("want 2 to %d zones to leave room for in the address plan, or 0 for the zones in use", maxAzCount))
	case c.MaxAzCount < azs:
		p.fail("maxAzCount", strconv.Itoa(c.MaxAzCount), fmt.Sprintf("want at least the %d zones in use (webapi:azCount or webapi:availabilityZones); "+
			"raising it on a deployed VPC can move every subnet, which AWS refuses", azs))
	default:
		return c.MaxAzCount
	}
	return azs
}

// validateZones checks availabilityZones when set, azCount otherwise, and returns how
// many zones the network will span.
func (c *Config) validateZones(p *problems) int {
	if len(c.AvailabilityZones) == 0 {
		if c.AzCount < 2 || c.AzCount > maxAzCount {
			p.fail("azCount", strconv.Itoa(c.AzCount), fmt.Sprintf("want 2 to %d: an ALB needs two zones, and one AZ is no redundancy", maxAzCount))
		}
		return c.AzCount
	}
	seen := map[string]bool{}
	for _, az := range c.AvailabilityZones {
		if !azPattern.MatchString(az) {
			p.fail("availabilityZones", az, "want availability zone names such as eu-west-1a")
		} else if seen[az] {
			p.fail("availabilityZones", az, "each zone may be listed once")
		}
		seen[az] = true
	}
	if len(c.AvailabilityZones) < 2 || len(c.AvailabilityZones) > maxAzCount {
		p.fail("availabilityZones", strings.Join(c.AvailabilityZones, ","), fmt.Sprintf("want 2 to %d zones: an ALB needs two, and one AZ is no redundancy", maxAzCount))
	}
	return len(c.AvailabilityZones)
}

// validateEdge checks what only the edge stack uses: ingress, TLS, access logs and the
// target groups' health check.
func (c *Config) validateEdge(p *problems) {
	if !c.Edge {
		return
	}
	if len(c.IngressCidrs) == 0 {
		p.fail("ingressCidrs", "[]", "want at least one CIDR allowed to reach the load balancer, e.g. [\"0.0.0.0/0\"]")
	}
	if err := checkIngressCidrs(c.IngressCidrs); err != nil {
		*p = append(*p, err)
	}
	if c.CertificateArn != "" && !acmArnPattern.MatchString(c.CertificateArn) {
		p.fail("certificateArn", c.CertificateArn, "want an ACM certificate ARN: arn:aws:acm:<region>:<account>:certificate/<id>")
	}
	c.validateAccessLogs(p)
	if !strings.HasPrefix(c.HealthCheckPath, "/") || !healthPathPattern.MatchString(c.HealthCheckPath) || len(c.HealthCheckPath) > 1024 {
		p.fail("healthCheckPath", c.HealthCheckPath, "want a URL path starting with / (at most 1024 characters, no spaces)")
	}
	if c.HealthCheckInterval < 5 || c.HealthCheckInterval > 300 {
		p.fail("healthCheckInterval", strconv.Itoa(c.HealthCheckInterval), "want 5 to 300 seconds")
	}
	for _, k := range []struct {
		key string
		n   int
	}{{"healthyThreshold", c.HealthyThreshold}, {"unhealthyThreshold", c.UnhealthyThreshold}} {
		if k.n < 2 || k.n > 10 {
			p.fail(k.key, strconv.Itoa(k.n), "want 2 to 10 consecutive checks")
		}
	}
}

// validateAccessLogs: either the stack's own bucket (accessLogs) or a bucket brought
// along (accessLogsBucket), never both.
func (c *Config) validateAccessLogs(p *problems) {
	if c.AccessLogsBucket != "" && (!bucketPattern.MatchString(c.AccessLogsBucket) || strings.Contains(c.AccessLogsBucket, "..")) {
		p.fail("accessLogsBucket", c.AccessLogsBucket, "want an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens")
	}
	if c.AccessLogs && c.AccessLogsBucket != "" {
		p.fail("accessLogsBucket", c.AccessLogsBucket, "leave it empty when webapi:accessLogs is true (the stack then creates its own bucket), or set webapi:accessLogs to false to use this one")
	}
	if c.AccessLogsRetentionDays < 1 || c.AccessLogsRetentionDays > 36500 {
		p.fail("accessLogsRetentionDays", strconv.Itoa(c.AccessLogsRetentionDays), "want a number of days from 1 to 36500")
	}
}

// validateFleet checks instance types and sizes, and refuses to empty the edge
// stack's colour while it has weight.
func (c *Config) validateFleet(p *problems) {
	if !instanceTypePattern.MatchString(c.InstanceType) {
		p.fail("instanceType", c.InstanceType, "want an EC2 instance type such as t3.large")
	}
	if !instanceTypePattern.MatchString(c.BakeInstanceType) {
		p.fail("bakeInstanceType", c.BakeInstanceType, "want an EC2 instance type such as t3.large")
	}
	switch {
	case c.MinSize < 0:
		p.fail("minSize", strconv.Itoa(c.MinSize), "want 0 or more")
	case c.MaxSize < 1 || c.MaxSize > 100:
		p.fail("maxSize", strconv.Itoa(c.MaxSize), "want 1 to 100")
	case c.MinSize > c.MaxSize:
		p.fail("minSize", strconv.Itoa(c.MinSize), fmt.Sprintf("want at most webapi:maxSize (%d)", c.MaxSize))
	case c.DesiredCapacity < c.MinSize || c.DesiredCapacity > c.MaxSize:
		p.fail("desiredCapacity", strconv.Itoa(c.DesiredCapacity), fmt.Sprintf("want webapi:minSize <= desiredCapacity <= webapi:maxSize (%d..%d)", c.MinSize, c.MaxSize))
	}
	// Emptying a colour that has traffic is refused against what the listener serves,
	// not config (CheckCapacity in program.go, for both roles).
}

// validateImages: either an AMI to use as is, or an application to bake.
func (c *Config) validateImages(p *problems) {
	for _, k := range []struct{ key, val string }{{"amiId", c.AmiID}, {"prerequisitesAmiId", c.PrerequisitesAmiID}, {"baseAmiId", c.BaseAmiID}} {
		if k.val != "" && !amiPattern.MatchString(k.val) {
			p.fail(k.key, k.val, "want an AMI id such as ami-0123456789abcdef0")
		}
	}
	if c.BakeSubnetID != "" && !subnetPattern.MatchString(c.BakeSubnetID) {
		p.fail("bakeSubnetId", c.BakeSubnetID, "want a subnet id such as subnet-0123456789abcdef0 (a subnet with internet access)")
	}
	c.validateRuntime(p)
	if c.AmiID != "" {
		return
	}
	if c.AppRepository == "" {
		p.fail("appRepository", "", "it is required unless webapi:amiId is set: the git URL of the web API to bake")
	} else if !validRepository(c.AppRepository) {
		p.fail("appRepository", c.AppRepository, "want an https:// or ssh git URL (git@host:org/repo.git)")
	}
	if c.AppRef == "" {
		p.fail("appRef", "", "it is required unless webapi:amiId is set: a tag, branch or commit to bake, pinned for repeatable images")
	} else if !gitRefPattern.MatchString(c.AppRef) || strings.Contains(c.AppRef, "..") || strings.HasPrefix(c.AppRef, "-") {
		p.fail("appRef", c.AppRef, "want a git ref: letters, digits, . _ / - (no spaces, no '..', not starting with '-')")
	}
	if c.AppProject != "" && !ValidAppProject(c.AppProject) {
		p.fail("appProject", c.AppProject, "want a path inside the app repository such as src/WebApi: letters, digits, . _ / - (no '..', not starting with '/' or '-', at most 255 characters)")
	}
}

// ValidAppProject: a relative path that stays inside the repository and that neither
// PowerShell (Join-Path, dotnet publish) nor a shell would read as anything but a path.
func ValidAppProject(s string) bool {
	return len(s) <= 255 && appProjectPattern.MatchString(s) && !strings.Contains(s, "..") && !strings.Contains(s, "//")
}

// validateAlarms checks the thresholds the alarms and the tool's gates share.
func (c *Config) validateAlarms(p *problems) {
	if c.Alarm5xxPercent < 1 || c.Alarm5xxPercent > 100 {
		p.fail("alarm5xxPercent", strconv.Itoa(c.Alarm5xxPercent), "want a percentage from 1 to 100")
	}
	if c.AlarmLatencyMs < 1 || c.AlarmLatencyMs > 60000 {
		p.fail("alarmLatencyMs", strconv.Itoa(c.AlarmLatencyMs), "want milliseconds from 1 to 60000")
	}
	if c.AlarmTopicArn != "" && !snsTopicArnPattern.MatchString(c.AlarmTopicArn) {
		p.fail("alarmTopicArn", c.AlarmTopicArn, "want a standard SNS topic ARN: arn:aws:sns:<region>:<account>:<topic>")
	}
}

// checkIngressCidrs rejects malformed CIDRs, set host bits and overlaps: AWS rejects a
// duplicate rule, and an overlap is a list nobody can reason about.
func checkIngressCidrs(cidrs []string) error {
	var errs []error
	var valid []netip.Prefix
	for _, s := range cidrs {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			errs = append(errs, &ConfigError{"ingressCidrs", s, "want IPv4 or IPv6 CIDRs such as 203.0.113.0/24"})
			continue
		}
		if p.Masked() != p {
			errs = append(errs, &ConfigError{"ingressCidrs", s, fmt.Sprintf("host bits are set: did you mean %s?", p.Masked())})
			continue
		}
		for _, q := range valid {
			if q.Overlaps(p) {
				errs = append(errs, &ConfigError{"ingressCidrs", s, fmt.Sprintf("it overlaps %s: list each range once", q)})
			}
		}
		valid = append(valid, p)
	}
	return errors.Join(errs...)
}

func validRepository(s string) bool {
	if strings.ContainsAny(s, " \t\n\"'`$;|&") {
		return false
	}
	return strings.HasPrefix(s, "https://") || sshRepoPattern.MatchString(s)
}

// reader turns raw strings into typed values, applying defaults and collecting errors.
type reader struct {
	problems
	src ConfigSource
}

func (r *reader) raw(key string) (string, bool) {
	if r.src == nil {
		return "", false
	}
	v, ok := r.src(key)
	if !ok {
		return "", false
	}
	return v, true
}

func defaultOf(key string) any {
	for _, k := range ConfigKeys {
		if k.Name == key {
			return k.Default
		}
	}
	panic("infra: config key " + key + " is not declared in ConfigKeys") // programming error, caught by tests
}

func (r *reader) str(key string) string {
	if v, ok := r.raw(key); ok {
		return strings.TrimSpace(v)
	}
	d, _ := defaultOf(key).(string)
	return d
}

func (r *reader) integer(key string) int {
	v, ok := r.raw(key)
	if !ok || strings.TrimSpace(v) == "" {
		return defaultOf(key).(int)
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		r.fail(key, v, "want a whole number")
	}
	return n
}

func (r *reader) boolean(key string) bool {
	v, ok := r.raw(key)
	if !ok || strings.TrimSpace(v) == "" {
		return defaultOf(key).(bool)
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		r.fail(key, v, "want true or false")
	}
	return b
}

func (r *reader) list(key string) []string {
	v, ok := r.raw(key)
	if !ok || strings.TrimSpace(v) == "" {
		return append([]string(nil), defaultOf(key).([]string)...)
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		r.fail(key, v, `want a list of strings, e.g. ["a", "b"] in Pulumi.<stack>.yaml`)
		return nil
	}
	return out
}
