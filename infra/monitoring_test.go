package infra

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const tAlarm = "aws:cloudwatch/metricAlarm:MetricAlarm"

func TestAlarmsPerColorUseTheConfiguredThresholds(t *testing.T) {
	edge := edgeOutputsOf(t)
	for _, tc := range []struct {
		stack string
		r     runResult
	}{
		{"blue", runOK(t, "blue", blueConfig("alarm5xxPercent", "2", "alarmLatencyMs", "750"), nil)},
		{"green", runOK(t, "green", greenConfig("alarm5xxPercent", "2", "alarmLatencyMs", "750"), edge)},
	} {
		t.Run(tc.stack, func(t *testing.T) {
			alarms := map[string]registered{}
			for _, a := range tc.r.mocks.byType(tAlarm) {
				alarms[a.Name] = a
			}
			require.Len(t, alarms, 3, "5xx, unhealthy hosts, latency")
			prefix := "monitoring-" + tc.stack + "-"
			tgSuffix := "targetgroup/edge-tg-" + tc.stack + "/0123456789abcdef"

			rate := alarms[prefix+"5xx"]
			assert.Equal(t, 2.0, prop(rate.Inputs, "threshold"))
			queries := prop(rate.Inputs, "metricQueries").([]any)
			require.Len(t, queries, 3)
			assert.Equal(t, "IF(FILL(requests, 0) > 0, 100 * FILL(errors, 0) / FILL(requests, 0), 0)", queries[2].(map[string]any)["expression"],
				"FILL: a minute without 5xx datapoints counts as 0%, not as missing data")
			assert.Equal(t, tgSuffix, queries[0].(map[string]any)["metric"].(map[string]any)["dimensions"].(map[string]any)["TargetGroup"])

			unhealthy := alarms[prefix+"unhealthy"]
			assert.Equal(t, "UnHealthyHostCount", prop(unhealthy.Inputs, "metricName"))
			assert.Equal(t, 0.0, prop(unhealthy.Inputs, "threshold"))
			assert.Equal(t, "app/edge-alb/0123456789abcdef", prop(unhealthy.Inputs, "dimensions", "LoadBalancer"))

			latency := alarms[prefix+"latency"]
			assert.Equal(t, "p99", prop(latency.Inputs, "extendedStatistic"))
			assert.Equal(t, 0.75, prop(latency.Inputs, "threshold"), "alarmLatencyMs in seconds")
			for _, a := range alarms {
				assert.Equal(t, "notBreaching", prop(a.Inputs, "treatMissingData"), "an idle colour does not alarm")
				assert.Equal(t, "GreaterThanThreshold", prop(a.Inputs, "comparisonOperator"))
			}
			assert.Len(t, tc.r.outputs[OutAlarmNames], 3)
		})
	}
}
