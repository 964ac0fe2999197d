package infra

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Windows needs several minutes to boot, run EC2Launch and start IIS before the first
// health check can pass; the ASG must not replace instances during that window.
const (
	healthCheckGraceSeconds = 900
	capacityTimeout         = "30m"
	rootVolumeGiB           = 50
)

// ssmCorePolicy lets Session Manager replace RDP/WinRM; no key pair is ever attached.
const ssmCorePolicy = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"

// cloudWatchAgentPolicy lets the agent baked into the image ship logs and metrics.
const cloudWatchAgentPolicy = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"

// FleetArgs configures one colour's instances.
type FleetArgs struct {
	Color                   Color
	AmiID                   pulumi.StringInput
	AppVersion              string // the app ref baked into the image, or a note when prebaked
	InstanceType            string
	MinSize                 int
	MaxSize                 int
	DesiredCapacity         int
	PrivateSubnetIDs        pulumi.StringArrayInput
	InstanceSecurityGroupID pulumi.StringInput
	TargetGroupArn          pulumi.StringInput
	// TrafficListener, when the stack owns it, is the listener that routes to
	// TargetGroupArn: the Auto Scaling group is created after it, so no instance is
	// registered in a target group before traffic can be routed to it.
	TrafficListener pulumi.Resource
	Tags            map[string]string
}

// Fleet is one colour: an instance role, a launch template on the baked AMI and an
// Auto Scaling group registered in the colour's target group.
type Fleet struct {
	pulumi.ResourceState

	AsgName          pulumi.StringOutput
	LaunchTemplateID pulumi.IDOutput
}

// instancePolicies are the managed policies of the instance role, by the suffix of their
// attachment's name. A slice, not a map: resources register in the same order every run.
var instancePolicies = []struct{ key, arn string }{
	{"ssm", ssmCorePolicy},
	{"cwagent", cloudWatchAgentPolicy},
}

// NewFleet creates one colour's fleet.
func NewFleet(ctx *pulumi.Context, name string, args *FleetArgs, opts ...pulumi.ResourceOption) (*Fleet, error) {
	f := &Fleet{}
	if err := ctx.RegisterComponentResource(TypeFleet, name, f, opts...); err != nil {
		return nil, fmt.Errorf("fleet %s: register: %w", args.Color, err)
	}
	parent := pulumi.Parent(f)

	profile, err := newInstanceProfile(ctx, name, args, parent)
	if err != nil {
		return nil, err
	}
	lt, err := newLaunchTemplate(ctx, name, args, profile, parent)
	if err != nil {
		return nil, err
	}
	asg, err := newAutoScalingGroup(ctx, name, args, lt, parent)
	if err != nil {
		return nil, err
	}

	f.AsgName = asg.Name
	f.LaunchTemplateID = lt.ID()
	if err := ctx.RegisterResourceOutputs(f, pulumi.Map{
		"asgName":          asg.Name,
		"launchTemplateId": lt.ID(),
	}); err != nil {
		return nil, fmt.Errorf("fleet %s: outputs: %w", args.Color, err)
	}
	return f, nil
}

// newInstanceProfile creates the instances' role, with the managed policies Session
// Manager and the CloudWatch agent need and nothing else, and its instance profile.
func newInstanceProfile(ctx *pulumi.Context, name string, args *FleetArgs, parent pulumi.ResourceOption) (*iam.InstanceProfile, error) {
	trust, err := json.Marshal(assumeRolePolicy("ec2.amazonaws.com"))
	if err != nil {
		return nil, fmt.Errorf("fleet %s: trust policy: %w", args.Color, err)
	}
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(trust),
		Description:      pulumi.Sprintf("webapi %s instances: Systems Manager and CloudWatch agent only", args.Color),
		Tags:             tagMap(args.Tags),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("fleet %s: role: %w", args.Color, err)
	}
	for _, p := range instancePolicies {
		if _, err := iam.NewRolePolicyAttachment(ctx, fmt.Sprintf("%s-%s", name, p.key), &iam.RolePolicyAttachmentArgs{
			Role:      role.Name,
			PolicyArn: pulumi.String(p.arn),
		}, parent); err != nil {
			return nil, fmt.Errorf("fleet %s: policy %s: %w", args.Color, p.key, err)
		}
	}
	profile, err := iam.NewInstanceProfile(ctx, name+"-profile", &iam.InstanceProfileArgs{
		Role: role.Name,
		Tags: tagMap(args.Tags),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("fleet %s: instance profile: %w", args.Color, err)
	}
	return profile, nil
}

// newLaunchTemplate describes one instance: the AMI, IMDSv2 only, an encrypted root
// volume, the instance security group and no key pair (Session Manager instead).
func newLaunchTemplate(ctx *pulumi.Context, name string, args *FleetArgs, profile *iam.InstanceProfile, parent pulumi.ResourceOption) (*ec2.LaunchTemplate, error) {
	userData := args.AmiID.ToStringOutput().ApplyT(func(ami string) string {
		return base64.StdEncoding.EncodeToString([]byte(UserData(args.Color, args.AppVersion, ami)))
	}).(pulumi.StringOutput)

	lt, err := ec2.NewLaunchTemplate(ctx, name+"-lt", &ec2.LaunchTemplateArgs{
		Description:          pulumi.Sprintf("webapi %s", args.Color),
		ImageId:              args.AmiID,
		InstanceType:         pulumi.String(args.InstanceType),
		UpdateDefaultVersion: pulumi.Bool(true),
		IamInstanceProfile: &ec2.LaunchTemplateIamInstanceProfileArgs{
			Arn: profile.Arn,
		},
		VpcSecurityGroupIds: pulumi.StringArray{args.InstanceSecurityGroupID},
		MetadataOptions: &ec2.LaunchTemplateMetadataOptionsArgs{
			HttpEndpoint:            pulumi.String("enabled"),
			HttpTokens:              pulumi.String("required"),
			HttpPutResponseHopLimit: pulumi.Int(1),
			InstanceMetadataTags:    pulumi.String("enabled"),
		},
		BlockDeviceMappings: ec2.LaunchTemplateBlockDeviceMappingArray{&ec2.LaunchTemplateBlockDeviceMappingArgs{
			DeviceName: pulumi.String("/dev/sda1"), // the root device of Amazon's Windows AMIs
			Ebs: &ec2.LaunchTemplateBlockDeviceMappingEbsArgs{
				VolumeSize:          pulumi.Int(rootVolumeGiB),
				VolumeType:          pulumi.String("gp3"),
				Encrypted:           pulumi.String("true"),
				DeleteOnTermination: pulumi.String("true"),
			},
		}},
		Monitoring: &ec2.LaunchTemplateMonitoringArgs{Enabled: pulumi.Bool(true)},
		TagSpecifications: ec2.LaunchTemplateTagSpecificationArray{
			&ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("instance"), Tags: tagMap(args.Tags, "Name", name, "app-version", args.AppVersion)},
			&ec2.LaunchTemplateTagSpecificationArgs{ResourceType: pulumi.String("volume"), Tags: tagMap(args.Tags)},
		},
		UserData: userData,
		Tags:     tagMap(args.Tags, "app-version", args.AppVersion),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("fleet %s: launch template: %w", args.Color, err)
	}
	return lt, nil
}

// newAutoScalingGroup runs the launch template's latest version in the private subnets,
// registered in the colour's target group and judged by its health check.
func newAutoScalingGroup(ctx *pulumi.Context, name string, args *FleetArgs, lt *ec2.LaunchTemplate, parent pulumi.ResourceOption) (*autoscaling.Group, error) {
	var asgTags autoscaling.GroupTagArray
	for _, k := range slices.Sorted(maps.Keys(args.Tags)) {
		asgTags = append(asgTags, &autoscaling.GroupTagArgs{Key: pulumi.String(k), Value: pulumi.String(args.Tags[k]), PropagateAtLaunch: pulumi.Bool(true)})
	}
	asg, err := autoscaling.NewGroup(ctx, name+"-asg", &autoscaling.GroupArgs{
		VpcZoneIdentifiers: args.PrivateSubnetIDs,
		LaunchTemplate: &autoscaling.GroupLaunchTemplateArgs{
			Id:      lt.ID(),
			Version: lt.LatestVersion.ApplyT(func(v int) string { return fmt.Sprint(v) }).(pulumi.StringOutput),
		},
		MinSize:                pulumi.Int(args.MinSize),
		MaxSize:                pulumi.Int(args.MaxSize),
		DesiredCapacity:        pulumi.Int(args.DesiredCapacity),
		TargetGroupArns:        pulumi.StringArray{args.TargetGroupArn},
		HealthCheckType:        pulumi.String("ELB"),
		HealthCheckGracePeriod: pulumi.Int(healthCheckGraceSeconds),
		// `pulumi up` of a colour succeeds only once this many instances pass the ALB's
		// health check: a release that does not serve fails here, before any traffic moves.
		WaitForElbCapacity:     pulumi.Int(args.DesiredCapacity),
		WaitForCapacityTimeout: pulumi.String(capacityTimeout),
		DefaultInstanceWarmup:  pulumi.Int(healthCheckGraceSeconds),
		EnabledMetrics:         pulumi.ToStringArray([]string{"GroupDesiredCapacity", "GroupInServiceInstances", "GroupTotalInstances"}),
		// A new launch template version on a colour that serves is rolled in
		// launch-before-terminate, never dipping below the desired capacity (100% minimum
		// healthy, up to 200% while new instances warm up: GroupInstanceRefreshPreferencesArgs
		// of pulumi-aws v6.83.4, "Values must be between 100 and 200"). The provider starts
		// the refresh on a launch template change and returns without waiting for it
		// (terraform-provider-aws internal/service/autoscaling/group.go, resourceGroupUpdate:
		// shouldRefreshInstances; it waits for ELB capacity only when min_size or
		// desired_capacity change), so `bluegreen deploy` follows it (internal/release,
		// deploywait.go). SkipMatching: instances already on the new version are kept, so
		// a 0 → N scale together with a new template launches N instances once instead of
		// replacing the ones it just launched.
		InstanceRefresh: &autoscaling.GroupInstanceRefreshArgs{
			Strategy: pulumi.String("Rolling"),
			Preferences: &autoscaling.GroupInstanceRefreshPreferencesArgs{
				MinHealthyPercentage: pulumi.Int(100),
				MaxHealthyPercentage: pulumi.Int(200),
				SkipMatching:         pulumi.Bool(true),
				InstanceWarmup:       pulumi.String(fmt.Sprint(healthCheckGraceSeconds)),
			},
		},
		Tags: asgTags,
	}, asgOptions(args, parent)...)
	if err != nil {
		return nil, fmt.Errorf("fleet %s: auto scaling group: %w", args.Color, err)
	}
	return asg, nil
}

// asgOptions are the group's resource options: its parent, and the traffic listener to
// wait for when there is one (a dependency changes no input, so no diff).
func asgOptions(args *FleetArgs, parent pulumi.ResourceOption) []pulumi.ResourceOption {
	opts := []pulumi.ResourceOption{parent}
	if args.TrafficListener != nil {
		opts = append(opts, pulumi.DependsOn([]pulumi.Resource{args.TrafficListener}))
	}
	return opts
}

// UserData is the instance's first-boot script: it records which colour and version the
// instance is, for the app (environment variables of its IIS application pool) and for an
// operator (a JSON file). It holds no secret: user data is readable by anyone who can
// describe the instance.
//
// The variables are set on the webapi application pool (applicationHost.config,
// <applicationPools><add name="webapi"><environmentVariables>), which IIS 10 passes to
// that pool's worker processes (IIS configuration reference, "Environment Variables
// <environmentVariables>"); machine variables reach a worker process only once WAS itself
// restarts, which iisreset does not guarantee. An entry is removed before it is added,
// because appcmd refuses to add a name the collection already holds; then the pool is
// recycled so its worker process starts with them. The values need no escaping inside
// appcmd's [name='…',value='…'] syntax: a colour, and a version that is a validated git
// ref (letters, digits, . _ / -) or "prebaked:<ami id>".
func UserData(c Color, appVersion, amiID string) string {
	esc := func(s string) string { return strings.ReplaceAll(s, "'", "''") } // PowerShell single-quoted literal
	return fmt.Sprintf(`<powershell>
$ErrorActionPreference = 'Stop'
$dir = Join-Path $env:ProgramData 'webapi'
New-Item -ItemType Directory -Force -Path $dir | Out-Null
[ordered]@{ color = '%[1]s'; appVersion = '%[2]s'; amiId = '%[3]s' } |
  ConvertTo-Json | Set-Content -Path (Join-Path $dir 'deployment.json') -Encoding UTF8
$appcmd = Join-Path $env:windir 'System32\inetsrv\appcmd.exe'
$pool = '%[4]s'
foreach ($var in [ordered]@{ WEBAPI_COLOR = '%[1]s'; WEBAPI_VERSION = '%[2]s' }.GetEnumerator()) {
  # Absent on first boot: appcmd then fails to find the element, which is fine (and
  # its error output must not stop the script).
  & { $ErrorActionPreference = 'Continue'
      & $appcmd set config -section:system.applicationHost/applicationPools "/-[name='$pool'].environmentVariables.[name='$($var.Key)']" /commit:apphost 2>&1 | Out-Null }
  & $appcmd set config -section:system.applicationHost/applicationPools "/+[name='$pool'].environmentVariables.[name='$($var.Key)',value='$($var.Value)']" /commit:apphost
  if ($LASTEXITCODE -ne 0) { throw "appcmd could not set $($var.Key) on application pool $pool (exit $LASTEXITCODE)" }
}
& $appcmd recycle apppool "/apppool.name:$pool"
if ($LASTEXITCODE -ne 0) { throw "appcmd could not recycle application pool $pool (exit $LASTEXITCODE)" }
</powershell>
`, esc(string(c)), esc(appVersion), esc(amiID), AppPoolName)
}

// AppPoolName is the IIS application pool the image runs the web API in
// (images/scripts/deploy-app.ps1 creates it).
const AppPoolName = "webapi"
