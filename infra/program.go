package infra

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Program is the one entry point of `pulumi up` (main.go): Run with no run options, so
// the traffic listener keeps the weights it serves. The stack's role (edge or colour)
// comes from config, never from the stack's name.
func Program(ctx *pulumi.Context) error { return Run(RunOptions{})(ctx) }

// ProgramIn is Program for the project in dir.
func ProgramIn(dir string) pulumi.RunFunc { return Run(RunOptions{ProjectDir: dir}) }

// RunOptions are what one run decides, as opposed to the stack's config.
type RunOptions struct {
	// ListenerWeights, when set, is the split the traffic listener gets in this run: the
	// bluegreen tool passes the weights it read live on the ALB, or a shift step's
	// target. Unset — a plain `pulumi up`, or a deploy from a stale checkout — the
	// listener keeps what it serves now (read live), so no run moves traffic by accident.
	ListenerWeights *Weights
	// Config overrides keys of the stack's config for this run only (keys without the
	// namespace, values as Pulumi.<stack>.yaml would hold them): the tool's release
	// inputs (appRef, desiredCapacity, minSize) come from the release, never from a
	// checkout, and are never written into one. They are validated like the stack's own.
	Config map[string]string
	// ProjectDir is where Pulumi.yaml and images/ are (empty: the engine's root
	// directory, else the working directory). The Automation API runs an inline program
	// without telling it its project's root (sdk v3.274.1 go/auto/stack.go builds the
	// RunInfo without RootDirectory or Pwd), so an inline program would otherwise read
	// images/ from the process's working directory, which need not be the project's.
	ProjectDir string
}

// Run is the program with run options: what the tool runs through the Automation API.
func Run(opts RunOptions) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		outputs, err := BuildWith(ctx, opts)
		if err != nil {
			return err
		}
		// Sorted: the same program exports in the same order on every run.
		for _, name := range slices.Sorted(maps.Keys(outputs)) {
			ctx.Export(name, outputs[name])
		}
		return nil
	}
}

// Build is BuildWith no run options.
func Build(ctx *pulumi.Context) (pulumi.Map, error) { return BuildWith(ctx, RunOptions{}) }

// BuildWith registers the stack's resources and returns its outputs (names from
// outputs.go). Config is loaded and validated before anything is registered.
func BuildWith(ctx *pulumi.Context, opts RunOptions) (pulumi.Map, error) {
	cfg, err := LoadConfig(func(key string) (string, bool) {
		if v, ok := opts.Config[key]; ok {
			return v, true
		}
		return ctx.GetConfig(ConfigNamespace + ":" + key)
	})
	if err != nil {
		return nil, fmt.Errorf("config of stack %s: %w", ctx.Stack(), err)
	}
	// The access-log prefix comes from the project and stack names, not from config, so
	// it is checked here: before anything is registered, like the config.
	if cfg.Edge && (cfg.AccessLogs || cfg.AccessLogsBucket != "") {
		if _, err := AccessLogPrefix(ctx.Project(), ctx.Stack()); err != nil {
			return nil, fmt.Errorf("config of stack %s: %w", ctx.Stack(), err)
		}
	}
	if err := ResolveRuntime(ctx, cfg, repoRoot(ctx, opts.ProjectDir)); err != nil {
		return nil, fmt.Errorf("config of stack %s: %w", ctx.Stack(), err)
	}
	if cfg.Edge {
		return edgeStack(ctx, cfg, opts)
	}
	return colorStack(ctx, cfg, opts.ProjectDir)
}

// edgeStack owns what both colours share (network, ALB, both target groups, the
// weighted listener) and its own colour's fleet.
func edgeStack(ctx *pulumi.Context, cfg *Config, opts RunOptions) (pulumi.Map, error) {
	weights, err := listenerWeights(ctx, cfg, opts)
	if err != nil {
		return nil, err
	}
	if err := CheckCapacity(cfg, weights); err != nil {
		return nil, err
	}
	azs, err := resolveAvailabilityZones(ctx, cfg)
	if err != nil {
		return nil, err
	}
	region := ""
	if cfg.NatGateways == NatNone {
		if region, err = currentRegion(ctx); err != nil {
			return nil, err
		}
	}
	shared := baseTags(ctx, ColorShared)

	network, err := NewNetwork(ctx, "network", &NetworkArgs{
		VpcCidr:           netip.MustParsePrefix(cfg.VpcCidr), // validated by LoadConfig
		AvailabilityZones: azs,
		MaxAzCount:        cfg.MaxAzCount,
		NatGateways:       cfg.NatGateways,
		FlowLogs:          cfg.FlowLogs,
		Region:            region,
		Tags:              shared,
	})
	if err != nil {
		return nil, err
	}
	edge, err := NewEdge(ctx, EdgeName, &EdgeArgs{
		VpcID:              network.VpcID.ToStringOutput(),
		PublicSubnetIDs:    network.PublicSubnetIDs,
		IngressCidrs:       cfg.IngressCidrs,
		CertificateArn:     cfg.CertificateArn,
		DeletionProtection: cfg.DeletionProtection,
		AccessLogsBucket:   cfg.AccessLogsBucket,
		AccessLogs:         AccessLogs{Create: cfg.AccessLogs, RetentionDays: cfg.AccessLogsRetentionDays},
		HealthCheck: HealthCheck{
			Path:               cfg.HealthCheckPath,
			Interval:           cfg.HealthCheckInterval,
			HealthyThreshold:   cfg.HealthyThreshold,
			UnhealthyThreshold: cfg.UnhealthyThreshold,
		},
		Weights: weights,
		Tags:    shared,
	})
	if err != nil {
		return nil, err
	}

	out := edgeOutputs(cfg, network, edge)
	return colorResources(ctx, cfg, colorInputs{
		projectDir:              opts.ProjectDir,
		privateSubnetIDs:        network.PrivateSubnetIDs,
		instanceSecurityGroupID: edge.InstanceSecurityGroupID.ToStringOutput(),
		targetGroupArn:          edge.TargetGroups[cfg.Color].Arn,
		albArnSuffix:            edge.Alb.ArnSuffix,
		targetGroupArnSuffix:    edge.TargetGroups[cfg.Color].ArnSuffix,
		trafficListener:         edge.Listener,
	}, out)
}

// edgeOutputs are what the edge stack exports about the shared pieces, for the other
// colour's stack (EdgeOutputs) and for the tool.
func edgeOutputs(cfg *Config, network *Network, edge *Edge) pulumi.Map {
	tgArns := pulumi.StringMap{}
	tgSuffixes := pulumi.StringMap{}
	for _, c := range Colors {
		tgArns[string(c)] = edge.TargetGroups[c].Arn
		tgSuffixes[string(c)] = edge.TargetGroups[c].ArnSuffix
	}
	return pulumi.Map{
		OutRole:                    pulumi.String(RoleEdge),
		OutVpcID:                   network.VpcID,
		OutVpcCidr:                 pulumi.String(cfg.VpcCidr),
		OutPublicSubnetIDs:         network.PublicSubnetIDs,
		OutPrivateSubnetIDs:        network.PrivateSubnetIDs,
		OutAlbSecurityGroupID:      edge.AlbSecurityGroupID,
		OutInstanceSecurityGroupID: edge.InstanceSecurityGroupID,
		OutAlbArn:                  edge.Alb.Arn,
		OutAlbArnSuffix:            edge.Alb.ArnSuffix,
		OutAlbDNSName:              edge.Alb.DnsName,
		OutAlbURL:                  edge.URL,
		OutListenerArn:             edge.Listener.Arn,
		OutListenerURN:             edge.Listener.URN(),
		OutTargetGroupArns:         tgArns,
		OutTargetGroupArnSuffixes:  tgSuffixes,
		OutWeights:                 edge.ServedWeights,
		OutColorHeader:             pulumi.String(ColorHeader),
		OutStableColor:             pulumi.String(string(cfg.StableColor)),
		OutHealthCheckPath:         pulumi.String(cfg.HealthCheckPath),
	}
}

// colorStack owns only its colour: it reads the shared pieces from the edge stack.
func colorStack(ctx *pulumi.Context, cfg *Config, dir string) (pulumi.Map, error) {
	edge, err := ReadEdgeOutputs(ctx, cfg.EdgeStack)
	if err != nil {
		return nil, err
	}
	if err := CheckCapacity(cfg, edge.Weights); err != nil {
		return nil, err
	}
	// The image must pass the health check the ALB will run, which is the edge's; edge
	// stacks deployed before it was exported leave the stack's own.
	cfg.HealthCheckPath = cmp.Or(edge.HealthCheckPath, cfg.HealthCheckPath)
	// ParseEdgeOutputs guarantees both colours in both target group maps.
	return colorResources(ctx, cfg, colorInputs{
		projectDir:              dir,
		privateSubnetIDs:        pulumi.ToStringArray(edge.PrivateSubnetIDs).ToStringArrayOutput(),
		instanceSecurityGroupID: pulumi.String(edge.InstanceSecurityGroupID).ToStringOutput(),
		targetGroupArn:          pulumi.String(edge.TargetGroupArns[string(cfg.Color)]).ToStringOutput(),
		albArnSuffix:            pulumi.String(edge.AlbArnSuffix).ToStringOutput(),
		targetGroupArnSuffix:    pulumi.String(edge.TargetGroupArnSuffixes[string(cfg.Color)]).ToStringOutput(),
	}, pulumi.Map{OutRole: pulumi.String(RoleColor)})
}

// CheckCapacity refuses to empty a colour that the listener still sends traffic to (w
// is what it serves, never config): its share of the traffic would turn into 5xx.
func CheckCapacity(cfg *Config, w Weights) error {
	if cfg.DesiredCapacity == 0 && w.Of(cfg.Color) > 0 {
		return &ConfigError{Key: "desiredCapacity", Value: "0", Allowed: fmt.Sprintf(
			"%s still has %d%% of traffic on the edge stack's listener (%s); shift traffic away before emptying it",
			cfg.Color, w.Of(cfg.Color), w)}
	}
	return nil
}

type colorInputs struct {
	projectDir              string // ProgramIn's dir
	privateSubnetIDs        pulumi.StringArrayOutput
	instanceSecurityGroupID pulumi.StringOutput
	targetGroupArn          pulumi.StringOutput
	albArnSuffix            pulumi.StringOutput
	targetGroupArnSuffix    pulumi.StringOutput
	// trafficListener is the listener that routes to the target groups, when this stack
	// owns it: the fleet registers targets only once it exists.
	trafficListener pulumi.Resource
}

// colorResources is what every stack creates for its own colour.
func colorResources(ctx *pulumi.Context, cfg *Config, in colorInputs, out pulumi.Map) (pulumi.Map, error) {
	tags := baseTags(ctx, string(cfg.Color))
	amiID := pulumi.String(cfg.AmiID).ToStringOutput()
	prereqID := pulumi.String(cfg.PrerequisitesAmiID).ToStringOutput()
	version := cfg.AppRef
	if cfg.AmiID != "" {
		version = "prebaked:" + cfg.AmiID
	} else {
		region, err := currentRegion(ctx)
		if err != nil {
			return nil, err
		}
		image, err := NewImage(ctx, "image-"+string(cfg.Color), &ImageArgs{
			RepoRoot:           repoRoot(ctx, in.projectDir),
			Project:            ctx.Project(),
			Stack:              ctx.Stack(),
			Color:              cfg.Color,
			Region:             region,
			BakeInstanceType:   cfg.BakeInstanceType,
			AppRepository:      cfg.AppRepository,
			AppRef:             cfg.AppRef,
			AppProject:         cfg.AppProject,
			HealthCheckPath:    cfg.HealthCheckPath,
			SubnetID:           cfg.BakeSubnetID,
			PrerequisitesAmiID: cfg.PrerequisitesAmiID,
			DeregisterOnDelete: cfg.DeregisterAmis,
			Runtime:            cfg.Runtime,
			WindowsVersion:     cfg.WindowsVersion,
			BaseAmiID:          cfg.BaseAmiID,
			// The secret's name only; its value is read on the builder.
			AppRepositoryTokenSecret: cfg.AppRepositoryTokenSecret,
		})
		if err != nil {
			return nil, err
		}
		amiID, prereqID = image.AmiID, image.PrerequisitesAmiID
	}
	fleet, err := NewFleet(ctx, "fleet-"+string(cfg.Color), &FleetArgs{
		Color:                   cfg.Color,
		AmiID:                   amiID,
		AppVersion:              version,
		InstanceType:            cfg.InstanceType,
		MinSize:                 cfg.MinSize,
		MaxSize:                 cfg.MaxSize,
		DesiredCapacity:         cfg.DesiredCapacity,
		PrivateSubnetIDs:        in.privateSubnetIDs,
		InstanceSecurityGroupID: in.instanceSecurityGroupID,
		TargetGroupArn:          in.targetGroupArn,
		TrafficListener:         in.trafficListener,
		Tags:                    tags,
	})
	if err != nil {
		return nil, err
	}
	monitoring, err := NewMonitoring(ctx, "monitoring-"+string(cfg.Color), &MonitoringArgs{
		Color:                cfg.Color,
		AlbArnSuffix:         in.albArnSuffix,
		TargetGroupArnSuffix: in.targetGroupArnSuffix,
		Max5xxPercent:        cfg.Alarm5xxPercent,
		MaxLatencyMs:         cfg.AlarmLatencyMs,
		TopicArn:             cfg.AlarmTopicArn,
		Tags:                 tags,
	})
	if err != nil {
		return nil, err
	}
	out[OutAlarmNames] = monitoring.AlarmNames
	out[OutColor] = pulumi.String(string(cfg.Color))
	out[OutAsgName] = fleet.AsgName
	out[OutAmiID] = amiID
	out[OutPrerequisites] = prereqID
	out[OutBaseAmiID] = pulumi.String(cfg.BaseAmiID)
	out[OutAppRef] = pulumi.String(version)
	out[OutDesired] = pulumi.Int(cfg.DesiredCapacity)
	return out, nil
}

// resolveAvailabilityZones returns the configured zones, or the first azCount zones the
// region offers (local and wavelength zones excluded).
func resolveAvailabilityZones(ctx *pulumi.Context, cfg *Config) ([]string, error) {
	if len(cfg.AvailabilityZones) > 0 {
		return cfg.AvailabilityZones, nil
	}
	res, err := aws.GetAvailabilityZones(ctx, &aws.GetAvailabilityZonesArgs{
		State:   pulumi.StringRef("available"),
		Filters: []aws.GetAvailabilityZonesFilter{{Name: "opt-in-status", Values: []string{"opt-in-not-required"}}},
	})
	if err != nil {
		return nil, fmt.Errorf("network: listing availability zones: %w", err)
	}
	if len(res.Names) < cfg.AzCount {
		return nil, &ConfigError{Key: "azCount", Value: fmt.Sprint(cfg.AzCount), Allowed: fmt.Sprintf("the region offers only %d zones (%v)", len(res.Names), res.Names)}
	}
	return slices.Sorted(slices.Values(res.Names))[:cfg.AzCount], nil
}

// repoRoot is where Pulumi.yaml and images/ are: the directory ProgramIn was given, else
// the project's root directory when the engine says so, otherwise the working directory
// (pulumi up runs there). The program reads the templates from it to hash them; it never
// becomes a resource input.
func repoRoot(ctx *pulumi.Context, dir string) string {
	return cmp.Or(dir, ctx.RootDirectory(), ".")
}

func currentRegion(ctx *pulumi.Context) (string, error) {
	r, err := aws.GetRegion(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("reading the stack's AWS region: %w", err)
	}
	return r.Name, nil
}
