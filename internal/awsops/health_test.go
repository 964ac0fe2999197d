package awsops

import (
	"context"
	"fmt"
	"maps"
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
	// pages are GetMetricData's answers, one per call, chained by NextToken.
	pages [][]cwtypes.MetricDataResult
	calls int
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
	out := &cloudwatch.GetMetricDataOutput{}
	if f.calls < len(f.pages) {
		out.MetricDataResults = f.pages[f.calls]
	}
	f.calls++
	if f.calls < len(f.pages) {
		out.NextToken = aws.String(fmt.Sprint("page-", f.calls))
	}
	return out, nil
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

func TestAWSHealthMetricsPerMinute(t *testing.T) {
	start := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return start.Add(time.Duration(m) * time.Minute) }
	series := func(id string, values map[int]float64) cwtypes.MetricDataResult {
		r := cwtypes.MetricDataResult{Id: aws.String(id)}
		for _, m := range slices.Sorted(maps.Keys(values)) {
			r.Timestamps, r.Values = append(r.Timestamps, at(m)), append(r.Values, values[m])
		}
		return r
	}
	cw := &fakeCW{pages: [][]cwtypes.MetricDataResult{
		{series("requests", map[int]float64{0: 600, 1: 400}), series("target5xx", map[int]float64{1: 2}), series("p99", map[int]float64{0: 0.25, 1: 0.4})},
		{series("connectionErrors", map[int]float64{0: 1}), series("elb5xx", map[int]float64{0: 3, 2: 7}), series("requests", map[int]float64{3: 100}), series("albRequests", map[int]float64{0: 6000, 2: 50})},
	}}
	minutes, err := FromClients(Clients{CloudWatch: cw}).Metrics(context.Background(), release.MetricsQuery{
		AlbArnSuffix: "app/alb/1", TargetGroupArnSuffix: "targetgroup/green/2", Start: start.Add(30 * time.Second), End: at(5).Add(10 * time.Second)})
	require.NoError(t, err)
	assert.Equal(t, []release.Minute{
		{Start: at(0), Requests: 600, ConnectionErrors: 1, ELB5xx: 3, ALBRequests: 6000, P99: 250 * time.Millisecond, HasLatency: true},
		{Start: at(1), Requests: 400, Target5xx: 2, P99: 400 * time.Millisecond, HasLatency: true},
		{Start: at(2), ELB5xx: 7, ALBRequests: 50},
		{Start: at(3), Requests: 100},
	}, minutes, "each minute on its own, the pages folded together, a minute without data absent")
	assert.Equal(t, 2, cw.calls, "every page read")
	assert.Equal(t, start, aws.ToTime(cw.in.StartTime), "whole minutes")
	assert.Equal(t, at(5), aws.ToTime(cw.in.EndTime))
	dims := map[string]map[string]string{}
	for _, q := range cw.in.MetricDataQueries {
		d := map[string]string{}
		for _, dim := range q.MetricStat.Metric.Dimensions {
			d[aws.ToString(dim.Name)] = aws.ToString(dim.Value)
		}
		dims[aws.ToString(q.Id)+": "+aws.ToString(q.MetricStat.Metric.MetricName)+" "+aws.ToString(q.MetricStat.Stat)] = d
		assert.Equal(t, "AWS/ApplicationELB", aws.ToString(q.MetricStat.Metric.Namespace))
		assert.Equal(t, int32(60), aws.ToInt32(q.MetricStat.Period))
	}
	both := map[string]string{"LoadBalancer": "app/alb/1", "TargetGroup": "targetgroup/green/2"}
	assert.Equal(t, map[string]map[string]string{
		"requests: RequestCount Sum": both, "target5xx: HTTPCode_Target_5XX_Count Sum": both, "connectionErrors: TargetConnectionErrorCount Sum": both, "p99: TargetResponseTime p99": both,
		"elb5xx: HTTPCode_ELB_5XX_Count Sum": {"LoadBalancer": "app/alb/1"},
		"albRequests: RequestCount Sum":      {"LoadBalancer": "app/alb/1"},
	}, dims, "the load balancer's own 5xx exist only per load balancer; its requests to every target group are what they are a share of")
}

// The load balancer's own figures, for a release's ELB 5xx baseline: its 5xx and its
// requests per LoadBalancer alone.
func TestAWSHealthLoadBalancerMinutes(t *testing.T) {
	start := time.Date(2026, 11, 29, 11, 47, 0, 0, time.UTC)
	cw := &fakeCW{pages: [][]cwtypes.MetricDataResult{{
		{Id: aws.String("elb5xx"), Timestamps: []time.Time{start}, Values: []float64{25}},
		{Id: aws.String("albRequests"), Timestamps: []time.Time{start}, Values: []float64{10000}},
	}}}
	minutes, err := FromClients(Clients{CloudWatch: cw}).LoadBalancerMinutes(context.Background(), release.MetricsQuery{
		AlbArnSuffix: "app/alb/1", Start: start, End: start.Add(10 * time.Minute)})
	require.NoError(t, err)
	assert.Equal(t, []release.Minute{{Start: start, ELB5xx: 25, ALBRequests: 10000}}, minutes)
	require.Len(t, cw.in.MetricDataQueries, 2)
	for _, q := range cw.in.MetricDataQueries {
		require.Len(t, q.MetricStat.Metric.Dimensions, 1)
		assert.Equal(t, "LoadBalancer", aws.ToString(q.MetricStat.Metric.Dimensions[0].Name))
	}
}
