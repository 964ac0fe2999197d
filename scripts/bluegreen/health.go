package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// Health is what the tool asks AWS: is a colour healthy, and does the listener really
// have the weights the stack says.
type Health interface {
	// TargetHealth counts the targets registered in a target group and the healthy ones.
	TargetHealth(ctx context.Context, targetGroupArn string) (TargetCounts, error)
	// ListenerWeights returns target group ARN → weight of the listener's forward action.
	ListenerWeights(ctx context.Context, listenerArn string) (map[string]int, error)
	// Metrics are one target group's requests, 5xx and p99 latency over [start, end).
	Metrics(ctx context.Context, albArnSuffix, targetGroupArnSuffix string, start, end time.Time) (Metrics, error)
}

// TargetCounts is a target group's registered and healthy targets.
type TargetCounts struct{ Healthy, Total int }

// Metrics over a window; a window without requests has no error rate.
type Metrics struct {
	Requests   float64
	Errors5xx  float64
	P99        time.Duration
	HasLatency bool
}

// ErrorPercent is 5xx as a percentage of requests (0 without requests).
func (m Metrics) ErrorPercent() float64 {
	if m.Requests == 0 {
		return 0
	}
	return 100 * m.Errors5xx / m.Requests
}

// elbAPI and cloudWatchAPI are the calls awsHealth makes (fakes in tests).
type elbAPI interface {
	DescribeTargetHealth(context.Context, *elbv2.DescribeTargetHealthInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error)
	DescribeListeners(context.Context, *elbv2.DescribeListenersInput, ...func(*elbv2.Options)) (*elbv2.DescribeListenersOutput, error)
}

type cloudWatchAPI interface {
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// awsHealth answers Health from the ELBv2 and CloudWatch APIs.
type awsHealth struct {
	elb elbAPI
	cw  cloudWatchAPI
}

// newAWSHealth uses the SDK's normal credential chain (environment, profile, SSO, or
// the OIDC role in CI) and the region of the edge stack.
func newAWSHealth(ctx context.Context, region string) (*awsHealth, error) {
	opts := []func(*config.LoadOptions) error{}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return &awsHealth{elb: elbv2.NewFromConfig(cfg), cw: cloudwatch.NewFromConfig(cfg)}, nil
}

func (h *awsHealth) TargetHealth(ctx context.Context, tg string) (TargetCounts, error) {
	out, err := h.elb.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)})
	if err != nil {
		return TargetCounts{}, fmt.Errorf("describe target health of %s: %w", tg, err)
	}
	var c TargetCounts
	for _, d := range out.TargetHealthDescriptions {
		c.Total++
		if d.TargetHealth != nil && d.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy {
			c.Healthy++
		}
	}
	return c, nil
}

func (h *awsHealth) ListenerWeights(ctx context.Context, listener string) (map[string]int, error) {
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

func (h *awsHealth) Metrics(ctx context.Context, alb, tg string, start, end time.Time) (Metrics, error) {
	dims := []cwtypes.Dimension{{Name: aws.String("LoadBalancer"), Value: aws.String(alb)}, {Name: aws.String("TargetGroup"), Value: aws.String(tg)}}
	q := func(id, metric, stat string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/ApplicationELB"), MetricName: aws.String(metric), Dimensions: dims},
			Period: aws.Int32(60), Stat: aws.String(stat),
		}}
	}
	out, err := h.cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start), EndTime: aws.Time(end),
		MetricDataQueries: []cwtypes.MetricDataQuery{
			q("requests", "RequestCount", "Sum"),
			q("errors", "HTTPCode_Target_5XX_Count", "Sum"),
			q("p99", "TargetResponseTime", "p99"),
		},
	})
	if err != nil {
		return Metrics{}, fmt.Errorf("get metric data for %s: %w", tg, err)
	}
	return metricsFrom(out.MetricDataResults), nil
}

// metricsFrom sums the counts and takes the worst p99 of the window.
func metricsFrom(results []cwtypes.MetricDataResult) Metrics {
	var m Metrics
	for _, r := range results {
		for _, v := range r.Values {
			switch aws.ToString(r.Id) {
			case "requests":
				m.Requests += v
			case "errors":
				m.Errors5xx += v
			case "p99":
				if d := time.Duration(v * float64(time.Second)); !m.HasLatency || d > m.P99 {
					m.P99, m.HasLatency = d, true
				}
			}
		}
	}
	return m
}
