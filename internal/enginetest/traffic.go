package enginetest

import (
	"testing"
	"time"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/awsdouble"
)

// Traffic is one minute of a colour's traffic as CloudWatch reports it.
type Traffic struct {
	Requests, Target5xx, ELB5xx, ConnectionErrors float64
	P99                                           time.Duration
}

// TrafficSince is where ServeTraffic's minutes begin: before any clock a test uses (the
// engine tests' stepping clocks start in 2026, the tool's test build's fast clock at the
// test's own start), so every minute a test's clock covers has them.
var TrafficSince = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// ServeTraffic makes every minute from TrafficSince on carry perMinute for colour c on
// the double's CloudWatch, as the tool's awsops queries it: RequestCount, the target
// 5xx, TargetConnectionErrorCount and TargetResponseTime p99 per LoadBalancer and the
// colour's TargetGroup. The load balancer's own series (LoadBalancer alone: its
// RequestCount and HTTPCode_ELB_5XX_Count, which the ELB 5xx baseline reads) are the sums
// over the colours served so far, as on an ALB, where they count every request. A
// datapoint put for a minute (Double.PutDatapoint, ALBMetric) replaces the steady value.
func (w *World) ServeTraffic(t testing.TB, c infra.Color, perMinute Traffic) {
	t.Helper()
	ev := w.Edge(t)
	serve := func(m awsdouble.Metric, v float64) {
		if err := w.Double.ServeSteady(m, TrafficSince, v); err != nil {
			t.Fatalf("enginetest: serving %s of %s: %v", m.MetricName, c, err)
		}
	}
	for name, v := range map[string]float64{
		"RequestCount":               perMinute.Requests,
		"HTTPCode_Target_5XX_Count":  perMinute.Target5xx,
		"TargetConnectionErrorCount": perMinute.ConnectionErrors,
		"TargetResponseTime":         perMinute.P99.Seconds(),
	} {
		serve(ALBMetric(ev, c, name), v)
	}
	if w.served == nil {
		w.served = map[infra.Color]Traffic{}
	}
	w.served[c] = perMinute
	var requests, elb5xx float64
	for _, t := range w.served {
		requests, elb5xx = requests+t.Requests, elb5xx+t.ELB5xx
	}
	serve(LoadBalancerMetric(ev, "RequestCount"), requests)
	serve(LoadBalancerMetric(ev, "HTTPCode_ELB_5XX_Count"), elb5xx)
}

// LoadBalancerMetric is one of the load balancer's own metrics (the LoadBalancer
// dimension alone, Sum) on the double's CloudWatch, as awsops queries it.
func LoadBalancerMetric(ev *infra.EdgeValues, name string) awsdouble.Metric {
	return awsdouble.Metric{Namespace: "AWS/ApplicationELB", MetricName: name, Stat: "Sum",
		Dimensions: map[string]string{"LoadBalancer": ev.AlbArnSuffix}}
}

// ALBMetric is one of a colour's ALB metrics on the double's CloudWatch as awsops queries
// it (namespace, dimensions, statistic): HTTPCode_ELB_5XX_Count per LoadBalancer alone,
// TargetResponseTime as p99, the others as Sum per LoadBalancer and TargetGroup.
func ALBMetric(ev *infra.EdgeValues, c infra.Color, name string) awsdouble.Metric {
	m := awsdouble.Metric{Namespace: "AWS/ApplicationELB", MetricName: name, Stat: "Sum",
		Dimensions: map[string]string{"LoadBalancer": ev.AlbArnSuffix, "TargetGroup": ev.TargetGroupArnSuffixes[string(c)]}}
	switch name {
	case "HTTPCode_ELB_5XX_Count":
		delete(m.Dimensions, "TargetGroup")
	case "TargetResponseTime":
		m.Stat = "p99"
	}
	return m
}
