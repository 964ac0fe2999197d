package awsdouble

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// AutoScalingAPI is the part of *autoscaling.Client the bluegreen tool calls.
type AutoScalingAPI interface {
	DescribeAutoScalingGroups(context.Context, *autoscaling.DescribeAutoScalingGroupsInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error)
	DescribeInstanceRefreshes(context.Context, *autoscaling.DescribeInstanceRefreshesInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeInstanceRefreshesOutput, error)
}

var (
	_ AutoScalingAPI = (*autoscaling.Client)(nil)
	_ AutoScalingAPI = (*AutoScaling)(nil)
)

// AutoScaling serves Auto Scaling calls from the store.
type AutoScaling struct{ store *Store }

// DescribeAutoScalingGroups lists the named groups (all when none are named); names
// that do not exist are left out, as AWS does.
func (a *AutoScaling) DescribeAutoScalingGroups(_ context.Context, in *autoscaling.DescribeAutoScalingGroupsInput, _ ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error) {
	out := &autoscaling.DescribeAutoScalingGroupsOutput{}
	err := a.store.View(func(st *State) error {
		for _, r := range st.ofType(TypeAutoscalingGroup) {
			if len(in.AutoScalingGroupNames) == 0 || slices.Contains(in.AutoScalingGroupNames, r.ID) {
				out.AutoScalingGroups = append(out.AutoScalingGroups, groupToAPI(st, r))
			}
		}
		return nil
	})
	return out, err
}

func groupToAPI(st *State, r *Resource) asgtypes.AutoScalingGroup {
	lo, _ := num(r.Props, "minSize")
	hi, _ := num(r.Props, "maxSize")
	ltID, ltName, _ := asgLaunchTemplate(st, r.Props)
	g := asgtypes.AutoScalingGroup{
		AutoScalingGroupName: aws.String(r.ID),
		AutoScalingGroupARN:  aws.String(str(r.Props, "arn")),
		MinSize:              aws.Int32(int32(lo)),
		MaxSize:              aws.Int32(int32(hi)),
		DesiredCapacity:      aws.Int32(int32(desiredOf(r.Props))),
		HealthCheckType:      aws.String(str(r.Props, "healthCheckType")),
		TargetGroupARNs:      strList(r.Props, "targetGroupArns"),
		VPCZoneIdentifier:    aws.String(strings.Join(strList(r.Props, "vpcZoneIdentifiers"), ",")),
		AvailabilityZones:    subnetZones(st, strList(r.Props, "vpcZoneIdentifiers")),
		LaunchTemplate: &asgtypes.LaunchTemplateSpecification{
			LaunchTemplateId: aws.String(ltID), LaunchTemplateName: aws.String(ltName),
			Version: aws.String(str(obj(r.Props, "launchTemplate"), "version")),
		},
	}
	for _, in := range st.Instances[r.ID] {
		g.Instances = append(g.Instances, asgtypes.Instance{
			InstanceId:       aws.String(in.ID),
			AvailabilityZone: aws.String(in.AvailabilityZone),
			HealthStatus:     aws.String(in.HealthStatus),
			LifecycleState:   asgtypes.LifecycleState(in.LifecycleState),
			InstanceType:     aws.String(in.InstanceType),
			LaunchTemplate: &asgtypes.LaunchTemplateSpecification{
				LaunchTemplateId: aws.String(in.LaunchTemplateID), LaunchTemplateName: aws.String(in.LaunchTemplateName),
				Version: aws.String(in.LaunchTemplateVersion),
			},
			ProtectedFromScaleIn: aws.Bool(in.ProtectedFromScaleIn),
		})
	}
	return g
}

// DescribeInstanceRefreshes lists a group's refreshes, newest first, as AWS does. Each
// call is a poll: a scripted refresh in progress moves a step on first (RefreshScript).
func (a *AutoScaling) DescribeInstanceRefreshes(_ context.Context, in *autoscaling.DescribeInstanceRefreshesInput, _ ...func(*autoscaling.Options)) (*autoscaling.DescribeInstanceRefreshesOutput, error) {
	out := &autoscaling.DescribeInstanceRefreshesOutput{}
	err := a.store.Update(func(st *State) error {
		name := aws.ToString(in.AutoScalingGroupName)
		pollRefreshes(st, name)
		refs := st.Refreshes[name]
		for i := len(refs) - 1; i >= 0; i-- {
			ref := refs[i]
			if len(in.InstanceRefreshIds) > 0 && !slices.Contains(in.InstanceRefreshIds, ref.ID) {
				continue
			}
			out.InstanceRefreshes = append(out.InstanceRefreshes, refreshToAPI(name, ref))
		}
		return nil
	})
	return out, err
}

func refreshToAPI(asg string, ref *InstanceRefresh) asgtypes.InstanceRefresh {
	r := asgtypes.InstanceRefresh{
		AutoScalingGroupName: aws.String(asg),
		InstanceRefreshId:    aws.String(ref.ID),
		Status:               asgtypes.InstanceRefreshStatus(ref.Status),
		PercentageComplete:   aws.Int32(ref.PercentageComplete),
		StartTime:            aws.Time(time.Unix(ref.StartTime, 0).UTC()),
		Strategy:             asgtypes.RefreshStrategyRolling,
	}
	if ref.StatusReason != "" {
		r.StatusReason = aws.String(ref.StatusReason)
	}
	if ref.EndTime != 0 {
		r.EndTime = aws.Time(time.Unix(ref.EndTime, 0).UTC())
	}
	return r
}
