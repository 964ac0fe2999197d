package infra

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Alarms evaluate one-minute periods and fire on 2 of the last 3, so one bad minute
// during a deploy does not page, two do. The bluegreen tool gates shifts on the same
// thresholds (webapi:alarm5xxPercent, webapi:alarmLatencyMs).
const (
	alarmPeriodSeconds     = 60
	alarmEvaluationPeriods = 3
	alarmDatapoints        = 2
)

// fiveXXPercentExpression is the 5xx share of requests. The ALB publishes
// HTTPCode_Target_5XX_Count only for minutes that had a 5xx, so without FILL a busy
// minute with no errors has no "errors" datapoint and the whole expression is missing
// for it; FILL(m, 0) turns a missing minute into 0 (CloudWatch User Guide, "Use metric
// math", metric math functions: FILL). A minute without requests is 0% too.
const fiveXXPercentExpression = "IF(FILL(requests, 0) > 0, 100 * FILL(errors, 0) / FILL(requests, 0), 0)"

// AlarmName is unique per deployment in an account and region: PutMetricAlarm creates
// or replaces by name (CloudWatch API reference, PutMetricAlarm), so two deployments
// with the same stack names (two projects, or one project in two organizations) would
// otherwise overwrite each other's alarms. The tool reads the names from the stack's
// alarmNames output, never rebuilds them. The name is the alarm's identity (alarm_name
// forces a new resource in terraform-provider-aws internal/service/cloudwatch/
// metric_alarm.go): a rename replaces the alarm, created under the new name before the
// old one is deleted.
// An engine that reports no organization leaves it out.
func AlarmName(org, project, stack string, c Color, suffix string) string {
	parts := slices.DeleteFunc([]string{org, project, stack, string(c), suffix}, func(s string) bool { return s == "" })
	return strings.Join(parts, "-")
}

// MonitoringArgs configures one colour's alarms.
type MonitoringArgs struct {
	Color                Color
	AlbArnSuffix         pulumi.StringInput
	TargetGroupArnSuffix pulumi.StringInput
	Max5xxPercent        int
	MaxLatencyMs         int
	// TopicArn, when set, is notified when an alarm enters ALARM and when it returns to OK.
	TopicArn string
	Tags     map[string]string
}

// Monitoring is one colour's CloudWatch alarms: 5xx rate, unhealthy hosts, p99 latency.
type Monitoring struct {
	pulumi.ResourceState

	AlarmNames pulumi.StringArrayOutput
}

// NewMonitoring creates the alarms of one colour's target group.
func NewMonitoring(ctx *pulumi.Context, name string, args *MonitoringArgs, opts ...pulumi.ResourceOption) (*Monitoring, error) {
	m := &Monitoring{}
	if err := ctx.RegisterComponentResource(TypeMonitoring, name, m, opts...); err != nil {
		return nil, fmt.Errorf("monitoring %s: register: %w", args.Color, err)
	}
	parent := pulumi.Parent(m)
	dims := pulumi.StringMap{"LoadBalancer": args.AlbArnSuffix, "TargetGroup": args.TargetGroupArnSuffix}
	metric := func(id, metricName, stat string) *cloudwatch.MetricAlarmMetricQueryArgs {
		return &cloudwatch.MetricAlarmMetricQueryArgs{
			Id: pulumi.String(id),
			Metric: &cloudwatch.MetricAlarmMetricQueryMetricArgs{
				Namespace: pulumi.String("AWS/ApplicationELB"), MetricName: pulumi.String(metricName),
				Dimensions: dims, Period: pulumi.Int(alarmPeriodSeconds), Stat: pulumi.String(stat),
			},
		}
	}
	common := func(a *cloudwatch.MetricAlarmArgs) *cloudwatch.MetricAlarmArgs {
		a.EvaluationPeriods = pulumi.Int(alarmEvaluationPeriods)
		a.DatapointsToAlarm = pulumi.Int(alarmDatapoints)
		a.ComparisonOperator = pulumi.String("GreaterThanThreshold")
		a.TreatMissingData = pulumi.String("notBreaching") // an idle colour has no data
		if args.TopicArn != "" {
			a.AlarmActions = pulumi.Array{pulumi.String(args.TopicArn)}
			a.OkActions = pulumi.Array{pulumi.String(args.TopicArn)}
		}
		a.Tags = tagMap(args.Tags)
		return a
	}
	alarms := []struct {
		suffix string
		args   *cloudwatch.MetricAlarmArgs
	}{
		{"5xx", common(&cloudwatch.MetricAlarmArgs{
			AlarmDescription: pulumi.Sprintf("webapi %s: target 5xx above %d%% of requests", args.Color, args.Max5xxPercent),
			Threshold:        pulumi.Float64(float64(args.Max5xxPercent)),
			MetricQueries: cloudwatch.MetricAlarmMetricQueryArray{
				metric("errors", "HTTPCode_Target_5XX_Count", "Sum"),
				metric("requests", "RequestCount", "Sum"),
				&cloudwatch.MetricAlarmMetricQueryArgs{
					Id:         pulumi.String("rate"),
					Expression: pulumi.String(fiveXXPercentExpression),
					Label:      pulumi.String("5xx percent"),
					ReturnData: pulumi.Bool(true),
				},
			},
		})},
		{"unhealthy", common(&cloudwatch.MetricAlarmArgs{
			AlarmDescription: pulumi.Sprintf("webapi %s: a target is unhealthy", args.Color),
			Namespace:        pulumi.String("AWS/ApplicationELB"),
			MetricName:       pulumi.String("UnHealthyHostCount"),
			Dimensions:       dims,
			Statistic:        pulumi.String("Maximum"),
			Period:           pulumi.Int(alarmPeriodSeconds),
			Threshold:        pulumi.Float64(0),
		})},
		{"latency", common(&cloudwatch.MetricAlarmArgs{
			AlarmDescription:  pulumi.Sprintf("webapi %s: p99 target response time above %dms", args.Color, args.MaxLatencyMs),
			Namespace:         pulumi.String("AWS/ApplicationELB"),
			MetricName:        pulumi.String("TargetResponseTime"),
			Dimensions:        dims,
			ExtendedStatistic: pulumi.String("p99"),
			Period:            pulumi.Int(alarmPeriodSeconds),
			Threshold:         pulumi.Float64(float64(args.MaxLatencyMs) / 1000),
		})},
	}
	var names pulumi.StringArray
	for _, a := range alarms {
		a.args.Name = pulumi.String(AlarmName(ctx.Organization(), ctx.Project(), ctx.Stack(), args.Color, a.suffix))
		alarm, err := cloudwatch.NewMetricAlarm(ctx, fmt.Sprintf("%s-%s", name, a.suffix), a.args, parent)
		if err != nil {
			return nil, fmt.Errorf("monitoring %s: %s alarm: %w", args.Color, a.suffix, err)
		}
		names = append(names, alarm.Name)
	}
	m.AlarmNames = names.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(m, pulumi.Map{"alarmNames": m.AlarmNames}); err != nil {
		return nil, fmt.Errorf("monitoring %s: outputs: %w", args.Color, err)
	}
	return m, nil
}
