package awsops

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/release"
)

type fakeELB struct {
	health    []elbtypes.TargetHealthDescription
	listeners []elbtypes.Listener
	asked     string
}

func (f *fakeELB) DescribeTargetHealth(_ context.Context, in *elbv2.DescribeTargetHealthInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	f.asked = aws.ToString(in.TargetGroupArn)
	return &elbv2.DescribeTargetHealthOutput{TargetHealthDescriptions: f.health}, nil
}

func (f *fakeELB) DescribeListeners(_ context.Context, in *elbv2.DescribeListenersInput, _ ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error) {
	f.asked = in.ListenerArns[0]
	return &elbv2.DescribeListenersOutput{Listeners: f.listeners}, nil
}

type fakeCW struct {
	in     *cloudwatch.GetMetricDataInput
	alarms []cwtypes.MetricAlarm
	asked  [][]string
}

func (f *fakeCW) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	f.asked = append(f.asked, in.AlarmNames)
	out := &cloudwatch.DescribeAlarmsOutput{}
	for _, a := range f.alarms {
		if slices.Contains(in.AlarmNames, aws.ToString(a.AlarmName)) {
			out.MetricAlarms = append(out.MetricAlarms, a)
		}
	}
	return out, nil
}

func (f *fakeCW) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	f.in = in
	return &cloudwatch.GetMetricDataOutput{MetricDataResults: []cwtypes.MetricDataResult{
		{Id: aws.String("requests"), Values: []float64{600, 400}},
		{Id: aws.String("errors"), Values: []float64{3, 2}},
		{Id: aws.String("p99"), Values: []float64{0.25, 0.4, 0.3}},
	}}, nil
}

func TestAWSHealthTargetCounts(t *testing.T) {
	state := func(id string, s elbtypes.TargetHealthStateEnum, reason elbtypes.TargetHealthReasonEnum) elbtypes.TargetHealthDescription {
		return elbtypes.TargetHealthDescription{Target: &elbtypes.TargetDescription{Id: aws.String(id)},
			TargetHealth: &elbtypes.TargetHealth{State: s, Reason: reason, Description: aws.String(string(reason))}}
	}
	elb := &fakeELB{health: []elbtypes.TargetHealthDescription{
		state("i-1", elbtypes.TargetHealthStateEnumHealthy, ""), state("i-2", elbtypes.TargetHealthStateEnumInitial, elbtypes.TargetHealthReasonEnumRegistrationInProgress),
		state("i-3", elbtypes.TargetHealthStateEnumHealthy, ""), state("i-4", elbtypes.TargetHealthStateEnumUnhealthy, elbtypes.TargetHealthReasonEnumFailedHealthChecks),
		state("i-5", elbtypes.TargetHealthStateEnumDraining, elbtypes.TargetHealthReasonEnumDeregistrationInProgress),
		{Target: &elbtypes.TargetDescription{Id: aws.String("i-6")}},
	}}
	h := FromClients(Clients{ELBv2: elb})
	c, err := h.TargetHealth(context.Background(), "arn:tg/green")
	require.NoError(t, err)
	assert.Equal(t, release.TargetCounts{Healthy: 2, Total: 6, Initial: 1, Draining: 1, Others: 2, Problems: []release.TargetProblem{
		{ID: "i-2", State: "initial", Reason: "Elb.RegistrationInProgress", Description: "Elb.RegistrationInProgress"},
		{ID: "i-4", State: "unhealthy", Reason: "Target.FailedHealthChecks", Description: "Target.FailedHealthChecks"},
		{ID: "i-6", State: "unknown"},
	}}, c, "only healthy targets count as healthy; a description without health is no healthy target")
	assert.Equal(t, "arn:tg/green", elb.asked)
}

func TestAWSHealthListenerWeights(t *testing.T) {
	elb := &fakeELB{listeners: []elbtypes.Listener{{DefaultActions: []elbtypes.Action{{
		Type: elbtypes.ActionTypeEnumForward,
		ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{
			{TargetGroupArn: aws.String("arn:tg/blue"), Weight: aws.Int32(90)},
			{TargetGroupArn: aws.String("arn:tg/green"), Weight: aws.Int32(10)},
		}},
	}}}}}
	w, err := FromClients(Clients{ELBv2: elb}).ListenerWeights(context.Background(), "arn:listener")
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"arn:tg/blue": 90, "arn:tg/green": 10}, w)

	elb.listeners = []elbtypes.Listener{{DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumRedirect}}}}
	_, err = FromClients(Clients{ELBv2: elb}).ListenerWeights(context.Background(), "arn:listener")
	assert.ErrorContains(t, err, "has no forward action")
}

func TestAWSHealthMetrics(t *testing.T) {
	cw := &fakeCW{}
	start := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	m, err := FromClients(Clients{CloudWatch: cw}).Metrics(context.Background(), "app/alb/1", "targetgroup/green/2", start, start.Add(5*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 1000.0, m.Requests)
	assert.Equal(t, 5.0, m.Errors5xx)
	assert.InDelta(t, 0.5, m.ErrorPercent(), 1e-9)
	assert.Equal(t, 400*time.Millisecond, m.P99, "the worst minute's p99")
	require.Len(t, cw.in.MetricDataQueries, 3)
	for _, q := range cw.in.MetricDataQueries {
		dims := map[string]string{}
		for _, d := range q.MetricStat.Metric.Dimensions {
			dims[aws.ToString(d.Name)] = aws.ToString(d.Value)
		}
		assert.Equal(t, map[string]string{"LoadBalancer": "app/alb/1", "TargetGroup": "targetgroup/green/2"}, dims)
		assert.Equal(t, "AWS/ApplicationELB", aws.ToString(q.MetricStat.Metric.Namespace))
	}
	assert.Equal(t, release.Metrics{}.ErrorPercent(), 0.0, "no requests: no error rate")
}
