package awsops

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/release"
)

type fakeASG struct {
	groups    []asgtypes.AutoScalingGroup
	refreshes []asgtypes.InstanceRefresh
}

func (f *fakeASG) DescribeAutoScalingGroups(_ context.Context, in *autoscaling.DescribeAutoScalingGroupsInput, _ ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error) {
	out := &autoscaling.DescribeAutoScalingGroupsOutput{}
	for _, g := range f.groups {
		if aws.ToString(g.AutoScalingGroupName) == in.AutoScalingGroupNames[0] {
			out.AutoScalingGroups = append(out.AutoScalingGroups, g)
		}
	}
	return out, nil
}

func (f *fakeASG) DescribeInstanceRefreshes(context.Context, *autoscaling.DescribeInstanceRefreshesInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeInstanceRefreshesOutput, error) {
	return &autoscaling.DescribeInstanceRefreshesOutput{InstanceRefreshes: f.refreshes}, nil
}

func TestFleetReadsCapacityTemplateAndInstances(t *testing.T) {
	inst := func(id string, state asgtypes.LifecycleState, version string) asgtypes.Instance {
		return asgtypes.Instance{InstanceId: aws.String(id), LifecycleState: state, HealthStatus: aws.String("Healthy"),
			LaunchTemplate: &asgtypes.LaunchTemplateSpecification{Version: aws.String(version)}}
	}
	asg := &fakeASG{groups: []asgtypes.AutoScalingGroup{{
		AutoScalingGroupName: aws.String("webapi-green"), DesiredCapacity: aws.Int32(2), MinSize: aws.Int32(2), MaxSize: aws.Int32(4),
		LaunchTemplate: &asgtypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String("lt-1"), Version: aws.String("3")},
		Instances:      []asgtypes.Instance{inst("i-1", asgtypes.LifecycleStateInService, "3"), inst("i-2", asgtypes.LifecycleStatePending, "3"), inst("i-0", asgtypes.LifecycleStateInService, "2")},
	}}}
	h := FromClients(Clients{AutoScaling: asg})
	f, err := h.Fleet(context.Background(), "webapi-green")
	require.NoError(t, err)
	assert.Equal(t, release.Fleet{Name: "webapi-green", Desired: 2, Min: 2, Max: 4, LaunchTemplateID: "lt-1", LaunchTemplateVersion: "3", Instances: []release.Instance{
		{ID: "i-1", LifecycleState: "InService", HealthStatus: "Healthy", LaunchTemplateVersion: "3"},
		{ID: "i-2", LifecycleState: "Pending", HealthStatus: "Healthy", LaunchTemplateVersion: "3"},
		{ID: "i-0", LifecycleState: "InService", HealthStatus: "Healthy", LaunchTemplateVersion: "2"},
	}}, f)
	assert.Equal(t, 2, f.InService())

	_, err = h.Fleet(context.Background(), "webapi-blue")
	assert.ErrorContains(t, err, "webapi-blue: 0 groups returned", "a group AWS leaves out of the answer is missing, not empty")
	_, err = FromClients(Clients{}).Fleet(context.Background(), "webapi-green")
	assert.ErrorContains(t, err, "no Auto Scaling client")
}

func TestInstanceRefreshesKeepTheAPIsOrderAndReasons(t *testing.T) {
	start := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	asg := &fakeASG{refreshes: []asgtypes.InstanceRefresh{
		{InstanceRefreshId: aws.String("r-2"), Status: asgtypes.InstanceRefreshStatusInProgress, PercentageComplete: aws.Int32(50), StartTime: aws.Time(start.Add(time.Hour))},
		{InstanceRefreshId: aws.String("r-1"), Status: asgtypes.InstanceRefreshStatusFailed, StatusReason: aws.String("launch failed"), PercentageComplete: aws.Int32(0), StartTime: aws.Time(start), EndTime: aws.Time(start.Add(time.Minute))},
	}}
	refs, err := FromClients(Clients{AutoScaling: asg}).InstanceRefreshes(context.Background(), "webapi-green")
	require.NoError(t, err)
	assert.Equal(t, []release.InstanceRefresh{
		{ID: "r-2", Status: "InProgress", PercentComplete: 50, StartTime: start.Add(time.Hour)},
		{ID: "r-1", Status: "Failed", StatusReason: "launch failed", StartTime: start, EndTime: start.Add(time.Minute)},
	}, refs)
}

func TestAlarmStatesAsksInBatchesOfAHundredAndLeavesMissingNamesOut(t *testing.T) {
	var names []string
	cw := &fakeCW{}
	for i := range 150 {
		names = append(names, fmt.Sprintf("alarm-%03d", i))
	}
	cw.alarms = []cwtypes.MetricAlarm{
		{AlarmName: aws.String("alarm-007"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("Threshold Crossed")},
		{AlarmName: aws.String("alarm-120"), StateValue: cwtypes.StateValueOk},
	}
	states, err := FromClients(Clients{CloudWatch: cw}).AlarmStates(context.Background(), append(names, "no-such-alarm"))
	require.NoError(t, err)
	assert.Equal(t, map[string]release.AlarmState{"alarm-007": {Value: "ALARM", Reason: "Threshold Crossed"}, "alarm-120": {Value: "OK"}}, states)
	require.Len(t, cw.asked, 2, "DescribeAlarms takes at most 100 names")
	assert.Len(t, cw.asked[0], 100)
	assert.Len(t, cw.asked[1], 51)
}
