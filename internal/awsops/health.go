// Package awsops answers the release logic's questions to AWS (release.Health) with
// aws-sdk-go-v2: target health and listener weights from ELBv2, request, 5xx and latency
// metrics from CloudWatch. The SDK clients sit behind interfaces shaped like the SDK's
// own methods, so tests and an AWS test double can stand in for them.
package awsops

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/webapi-platform/infra/internal/release"
)

// ELBv2API is the subset of *elasticloadbalancingv2.Client that Health calls.
type ELBv2API interface {
	DescribeTargetHealth(context.Context, *elbv2.DescribeTargetHealthInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error)
	DescribeListeners(context.Context, *elbv2.DescribeListenersInput, ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error)
}

// CloudWatchAPI is the subset of *cloudwatch.Client that Health calls.
type CloudWatchAPI interface {
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

// AutoScalingAPI is the subset of *autoscaling.Client that Health calls.
type AutoScalingAPI interface {
	DescribeAutoScalingGroups(context.Context, *autoscaling.DescribeAutoScalingGroupsInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error)
	DescribeInstanceRefreshes(context.Context, *autoscaling.DescribeInstanceRefreshesInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeInstanceRefreshesOutput, error)
}

var (
	_ ELBv2API       = (*elbv2.Client)(nil)
	_ CloudWatchAPI  = (*cloudwatch.Client)(nil)
	_ AutoScalingAPI = (*autoscaling.Client)(nil)
)

// Clients are the AWS API clients Health calls: the SDK's, fakes or a test double's.
type Clients struct {
	ELBv2       ELBv2API
	CloudWatch  CloudWatchAPI
	AutoScaling AutoScalingAPI
}

// Health answers release.Health, release.Fleets and release.Alarms from the ELBv2,
// CloudWatch and Auto Scaling APIs.
type Health struct {
	elb ELBv2API
	cw  CloudWatchAPI
	asg AutoScalingAPI
}

var (
	_ release.Health = (*Health)(nil)
	_ release.Fleets = (*Health)(nil)
	_ release.Alarms = (*Health)(nil)

	_ release.LoadBalancerMetrics = (*Health)(nil)
)

// FromClients builds a Health on the given clients.
func FromClients(c Clients) *Health {
	return &Health{elb: c.ELBv2, cw: c.CloudWatch, asg: c.AutoScaling}
}

// New uses the SDK's normal credential chain (environment, profile, SSO, or
// the OIDC role in CI) and the region of the edge stack.
func New(ctx context.Context, region string) (*Health, error) {
	cfg, err := loadConfig(ctx, region)
	if err != nil {
		return nil, err
	}
	return FromClients(Clients{ELBv2: elbv2.NewFromConfig(cfg), CloudWatch: cloudwatch.NewFromConfig(cfg), AutoScaling: autoscaling.NewFromConfig(cfg)}), nil
}

// loadConfig loads the SDK's configuration with its normal credential chain, in region
// when one is given (else the SDK's own: AWS_REGION, the profile).
func loadConfig(ctx context.Context, region string) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w", err)
	}
	return cfg, nil
}

func (h *Health) TargetHealth(ctx context.Context, tg string) (release.TargetCounts, error) {
	out, err := h.elb.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)})
	if err != nil {
		return release.TargetCounts{}, fmt.Errorf("describe target health of %s: %w", tg, err)
	}
	return targetCounts(out.TargetHealthDescriptions), nil
}

// targetCounts counts targets by state. A description without TargetHealth counts as
// an unknown state, never as healthy.
func targetCounts(descs []elbtypes.TargetHealthDescription) release.TargetCounts {
	var c release.TargetCounts
	for _, d := range descs {
		c.Total++
		th := d.TargetHealth
		if th == nil {
			th = &elbtypes.TargetHealth{State: "unknown"}
		}
		switch th.State {
		case elbtypes.TargetHealthStateEnumHealthy:
			c.Healthy++
			continue
		case elbtypes.TargetHealthStateEnumDraining:
			c.Draining++
			continue
		case elbtypes.TargetHealthStateEnumInitial:
			c.Initial++
		default:
			c.Others++
		}
		id := ""
		if d.Target != nil {
			id = aws.ToString(d.Target.Id)
		}
		c.Problems = append(c.Problems, release.TargetProblem{ID: id, State: string(th.State), Reason: string(th.Reason), Description: aws.ToString(th.Description)})
	}
	return c
}

func (h *Health) ListenerWeights(ctx context.Context, listener string) (map[string]int, error) {
	out, err := h.elb.DescribeListeners(ctx, &elbv2.DescribeListenersInput{ListenerArns: []string{listener}})
	if err != nil {
		return nil, fmt.Errorf("describe listener %s: %w", listener, err)
	}
	if len(out.Listeners) != 1 {
		return nil, fmt.Errorf("describe listener %s: %d listeners returned", listener, len(out.Listeners))
	}
	weights := map[string]int{}
	for _, a := range out.Listeners[0].DefaultActions {
		if a.Type != elbtypes.ActionTypeEnumForward {
			continue
		}
		if a.ForwardConfig != nil {
			for _, tg := range a.ForwardConfig.TargetGroups {
				weights[aws.ToString(tg.TargetGroupArn)] = int(aws.ToInt32(tg.Weight))
			}
		} else if a.TargetGroupArn != nil {
			weights[aws.ToString(a.TargetGroupArn)] = 100
		}
	}
	if len(weights) == 0 {
		return nil, fmt.Errorf("listener %s has no forward action", listener)
	}
	return weights, nil
}

// Metrics answers per whole minute of [q.Start, q.End) (Period 60 on aligned minutes),
// the metrics as the ELB User Guide's "CloudWatch metrics for your Application Load
// Balancer" (docs.aws.amazon.com/elasticloadbalancing/latest/application/
// load-balancer-cloudwatch-metrics.html) gives their dimensions: RequestCount,
// HTTPCode_Target_5XX_Count, TargetConnectionErrorCount and TargetResponseTime per
// LoadBalancer+TargetGroup; HTTPCode_ELB_5XX_Count only per LoadBalancer (and per
// AvailabilityZone+LoadBalancer): the load balancer answers those 5xx itself, and
// CloudWatch does not say for which target group. RequestCount per LoadBalancer alone
// (every target group's) comes with them: the release charges the receiving colour only
// with the ELB 5xx above the rate per ALB request it measured before it started
// (release's chargeELB5xx), so the stable colour's background is not multiplied by its
// share against the limit.
func (h *Health) Metrics(ctx context.Context, q release.MetricsQuery) ([]release.Minute, error) {
	alb, tg := dimension("LoadBalancer", q.AlbArnSuffix), dimension("TargetGroup", q.TargetGroupArnSuffix)
	return h.minutes(ctx, q, q.TargetGroupArnSuffix,
		metricQuery(idRequests, "RequestCount", "Sum", alb, tg),
		metricQuery(idTarget5xx, "HTTPCode_Target_5XX_Count", "Sum", alb, tg),
		metricQuery(idConnErrors, "TargetConnectionErrorCount", "Sum", alb, tg),
		metricQuery(idELB5xx, "HTTPCode_ELB_5XX_Count", "Sum", alb),
		metricQuery(idALBRequests, "RequestCount", "Sum", alb),
		metricQuery(idP99, "TargetResponseTime", "p99", alb, tg),
	)
}

// LoadBalancerMinutes answers the load balancer's own figures per whole minute of
// [q.Start, q.End): HTTPCode_ELB_5XX_Count and RequestCount per LoadBalancer alone
// (release.LoadBalancerMetrics: a release's ELB 5xx baseline).
func (h *Health) LoadBalancerMinutes(ctx context.Context, q release.MetricsQuery) ([]release.Minute, error) {
	alb := dimension("LoadBalancer", q.AlbArnSuffix)
	return h.minutes(ctx, q, q.AlbArnSuffix,
		metricQuery(idELB5xx, "HTTPCode_ELB_5XX_Count", "Sum", alb),
		metricQuery(idALBRequests, "RequestCount", "Sum", alb),
	)
}

func dimension(name, value string) cwtypes.Dimension {
	return cwtypes.Dimension{Name: aws.String(name), Value: aws.String(value)}
}

// metricQuery is one AWS/ApplicationELB metric per minute (Period 60).
func metricQuery(id, metric, stat string, dims ...cwtypes.Dimension) cwtypes.MetricDataQuery {
	return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
		Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String(metric), Dimensions: dims},
		Period: aws.Int32(60), Stat: aws.String(stat),
	}}
}

// minutes runs the queries over q's whole minutes, every page, and folds them into
// minutes; what names what was asked, for the error.
func (h *Health) minutes(ctx context.Context, q release.MetricsQuery, what string, queries ...cwtypes.MetricDataQuery) ([]release.Minute, error) {
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(q.Start.Truncate(time.Minute)), EndTime: aws.Time(q.End.Truncate(time.Minute)),
		ScanBy: cwtypes.ScanByTimestampAscending, MetricDataQueries: queries,
	}
	var results []cwtypes.MetricDataResult
	for {
		out, err := h.cw.GetMetricData(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("get metric data for %s: %w", what, err)
		}
		results = append(results, out.MetricDataResults...)
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	return minutesFrom(results), nil
}

// The ids of Metrics' queries.
const (
	idRequests    = "requests"
	idTarget5xx   = "target5xx"
	idConnErrors  = "connectionErrors"
	idELB5xx      = "elb5xx"
	idALBRequests = "albRequests"
	idP99         = "p99"
)

// minutesFrom folds the queries' datapoints into minutes, oldest first. A minute with
// any datapoint is one (the ALB reports nothing for a minute without requests); a
// query's pages may repeat an id, each adding its own timestamps.
func minutesFrom(results []cwtypes.MetricDataResult) []release.Minute {
	byStart := map[time.Time]*release.Minute{}
	for _, r := range results {
		for i, v := range r.Values {
			if i >= len(r.Timestamps) {
				break
			}
			at := r.Timestamps[i].UTC().Truncate(time.Minute)
			m := byStart[at]
			if m == nil {
				m = &release.Minute{Start: at}
				byStart[at] = m
			}
			switch aws.ToString(r.Id) {
			case idRequests:
				m.Requests += v
			case idTarget5xx:
				m.Target5xx += v
			case idConnErrors:
				m.ConnectionErrors += v
			case idELB5xx:
				m.ELB5xx += v
			case idALBRequests:
				m.ALBRequests += v
			case idP99:
				m.P99, m.HasLatency = time.Duration(v*float64(time.Second)), true
			}
		}
	}
	out := make([]release.Minute, 0, len(byStart))
	for _, at := range slices.SortedFunc(maps.Keys(byStart), time.Time.Compare) {
		out = append(out, *byStart[at])
	}
	return out
}
