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
// the double's CloudWatch, as the tool's awsops queries it: RequestCount, the 5xx
// counts, TargetConnectionErrorCount and TargetResponseTime p99 per LoadBalancer and
// the colour's TargetGroup, and HTTPCode_ELB_5XX_Count per LoadBalancer alone (the ALB's
// own 5xx have no target group: the last colour served sets them). A datapoint put
// for a minute (Double.PutDatapoint, ALBMetric) replaces the steady value there.
func (w *World) ServeTraffic(t testing.TB, c infra.Color, perMinute Traffic) {
	t.Helper()
	ev := w.Edge(t)
	values := map[string]float64{
		"RequestCount":               perMinute.Requests,
		"HTTPCode_Target_5XX_Count":  perMinute.Target5xx,
		"TargetConnectionErrorCount": perMinute.ConnectionErrors,
		"HTTPCode_ELB_5XX_Count":     perMinute.ELB5xx,
		"TargetResponseTime":         perMinute.P99.Seconds(),
	}
	for name, v := range values {
		if err := w.Double.ServeSteady(ALBMetric(ev, c, name), TrafficSince, v); err != nil {
			t.Fatalf("enginetest: serving %s of %s: %v", name, c, err)
		}
	}
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
