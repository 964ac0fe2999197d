package awsops

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/webapi-platform/infra/internal/release"
)

// Fleet describes one Auto Scaling group. DescribeAutoScalingGroups leaves out names
// that do not exist (no error), so an empty answer is reported as missing here.
func (h *Health) Fleet(ctx context.Context, name string) (release.Fleet, error) {
	if h.asg == nil {
		return release.Fleet{}, fmt.Errorf("describe auto scaling group %s: no Auto Scaling client", name)
	}
	out, err := h.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil {
		return release.Fleet{}, fmt.Errorf("describe auto scaling group %s: %w", name, err)
	}
	if len(out.AutoScalingGroups) != 1 {
		return release.Fleet{}, fmt.Errorf("describe auto scaling group %s: %d groups returned (it does not exist?)", name, len(out.AutoScalingGroups))
	}
	return fleetFrom(out.AutoScalingGroups[0]), nil
}

func fleetFrom(g asgtypes.AutoScalingGroup) release.Fleet {
	f := release.Fleet{
		Name:    aws.ToString(g.AutoScalingGroupName),
		Desired: int(aws.ToInt32(g.DesiredCapacity)), Min: int(aws.ToInt32(g.MinSize)), Max: int(aws.ToInt32(g.MaxSize)),
	}
	if lt := g.LaunchTemplate; lt != nil {
		f.LaunchTemplateID, f.LaunchTemplateVersion = aws.ToString(lt.LaunchTemplateId), aws.ToString(lt.Version)
	}
	for _, in := range g.Instances {
		i := release.Instance{ID: aws.ToString(in.InstanceId), LifecycleState: string(in.LifecycleState), HealthStatus: aws.ToString(in.HealthStatus)}
		if in.LaunchTemplate != nil {
			i.LaunchTemplateVersion = aws.ToString(in.LaunchTemplate.Version)
		}
		f.Instances = append(f.Instances, i)
	}
	return f
}

// InstanceRefreshes lists a group's refreshes, newest first (the API's order).
func (h *Health) InstanceRefreshes(ctx context.Context, name string) ([]release.InstanceRefresh, error) {
	if h.asg == nil {
		return nil, fmt.Errorf("describe instance refreshes of %s: no Auto Scaling client", name)
	}
	out, err := h.asg.DescribeInstanceRefreshes(ctx, &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("describe instance refreshes of %s: %w", name, err)
	}
	refs := make([]release.InstanceRefresh, 0, len(out.InstanceRefreshes))
	for _, r := range out.InstanceRefreshes {
		refs = append(refs, release.InstanceRefresh{
			ID: aws.ToString(r.InstanceRefreshId), Status: string(r.Status), StatusReason: aws.ToString(r.StatusReason),
			PercentComplete: int(aws.ToInt32(r.PercentageComplete)), StartTime: aws.ToTime(r.StartTime), EndTime: aws.ToTime(r.EndTime),
		})
	}
	return refs, nil
}

// AlarmStates reads the named alarms' states, metric and composite alike (a team's own
// gate may be either). CloudWatch API Reference, DescribeAlarms: AlarmNames takes up to
// 100 names; "If you omit [AlarmTypes], only metric alarms are returned"; names that do
// not exist are left out of the answer, as here.
func (h *Health) AlarmStates(ctx context.Context, names []string) (map[string]release.AlarmState, error) {
	states := map[string]release.AlarmState{}
	for start := 0; start < len(names); start += 100 {
		batch := names[start:min(start+100, len(names))]
		out, err := h.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: batch, MaxRecords: aws.Int32(100),
			AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm}})
		if err != nil {
			return nil, fmt.Errorf("describe alarms %v: %w", batch, err)
		}
		for _, a := range out.MetricAlarms {
			states[aws.ToString(a.AlarmName)] = release.AlarmState{Value: string(a.StateValue), Reason: aws.ToString(a.StateReason)}
		}
		for _, a := range out.CompositeAlarms {
			states[aws.ToString(a.AlarmName)] = release.AlarmState{Value: string(a.StateValue), Reason: aws.ToString(a.StateReason)}
		}
	}
	return states, nil
}
