package infra

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/testutil"
)

// alarmNamesIn runs the edge stack of a project in an organization and returns its alarm
// names (inputs, by resource name) and its alarmNames output.
func alarmNamesIn(t *testing.T, org, project string) (inputs map[string]string, output []string) {
	t.Helper()
	m := &mocks{}
	var out map[string]any
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		outs, err := Build(ctx)
		if err != nil {
			return err
		}
		outs.ToMapOutput().ApplyT(func(v map[string]any) error { out = v; return nil })
		return nil
	}, pulumi.WithMocksWithOrganization(org, project, "blue", m), func(ri *pulumi.RunInfo) {
		ri.Config = testutil.StackConfig(blueConfig()).Namespaced()
		ri.RootDirectory = testutil.RepoRoot()
	})
	require.NoError(t, err)
	inputs = map[string]string{}
	for _, a := range m.byType(tAlarm) {
		inputs[a.Name] = prop(a.Inputs, "name").(string)
	}
	return inputs, out[OutAlarmNames].([]string)
}

// PutMetricAlarm creates or replaces by name: two deployments with the same stack and
// colour in one account and region must compute different names, or the second
// overwrites the first's alarms.
func TestAlarmNamesAreUniquePerDeployment(t *testing.T) {
	names, output := alarmNamesIn(t, "organization", "webapi")
	assert.Equal(t, map[string]string{
		"monitoring-blue-5xx":       "organization-webapi-blue-blue-5xx",
		"monitoring-blue-unhealthy": "organization-webapi-blue-blue-unhealthy",
		"monitoring-blue-latency":   "organization-webapi-blue-blue-latency",
	}, names)
	assert.Equal(t, []string{"organization-webapi-blue-blue-5xx", "organization-webapi-blue-blue-unhealthy", "organization-webapi-blue-blue-latency"}, output,
		"the tool reads the names from the stack's output, so a rename needs nothing of it")

	otherProject, _ := alarmNamesIn(t, "organization", "shop")
	otherOrg, _ := alarmNamesIn(t, "acme", "webapi")
	require.Len(t, names, 3)
	for res, name := range names {
		assert.NotEqual(t, name, otherProject[res], "another project, same stack names")
		assert.NotEqual(t, name, otherOrg[res], "another organization, same project and stack")
	}
	assert.Equal(t, "webapi-blue-blue-5xx", AlarmName("", "webapi", "blue", Blue, "5xx"), "no organization, no leading dash")
}

func TestAlarmTopicArnNotifiesAlarmAndOK(t *testing.T) {
	const topic = "arn:aws:sns:eu-west-1:111122223333:webapi-alarms"
	for _, tc := range []struct {
		stack string
		r     runResult
	}{
		{"blue", runOK(t, "blue", blueConfig("alarmTopicArn", topic), nil)},
		{"green", runOK(t, "green", greenConfig("alarmTopicArn", topic), edgeOutputsOf(t))},
	} {
		alarms := tc.r.mocks.byType(tAlarm)
		require.Len(t, alarms, 3, tc.stack)
		for _, a := range alarms {
			assert.Equal(t, []any{topic}, prop(a.Inputs, "alarmActions"), "%s %s", tc.stack, a.Name)
			assert.Equal(t, []any{topic}, prop(a.Inputs, "okActions"), "%s %s", tc.stack, a.Name)
			assert.Nil(t, prop(a.Inputs, "insufficientDataActions"), "an idle colour has no data: no page for it")
		}
	}
	for _, a := range runOK(t, "blue", blueConfig(), nil).mocks.byType(tAlarm) {
		assert.False(t, a.Inputs.HasValue(resource.PropertyKey("alarmActions")), "no topic, no actions: %s", a.Name)
	}
}

func TestAlarmTopicArnIsValidated(t *testing.T) {
	for _, bad := range []string{
		"webapi-alarms",
		"arn:aws:sns:eu-west-1:1111:webapi",
		"arn:aws:sqs:eu-west-1:111122223333:webapi",
		"arn:aws:sns:eu-west-1:111122223333:webapi.fifo",
		"arn:aws:sns:eu-west-1:111122223333:web api",
	} {
		_, err := LoadConfig(MapSource(blueConfig("alarmTopicArn", bad)))
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "webapi:alarmTopicArn:")
		assert.Contains(t, err.Error(), "want a standard SNS topic ARN")
	}
	for _, good := range []string{"arn:aws:sns:eu-west-1:111122223333:webapi-alarms", "arn:aws-us-gov:sns:us-gov-west-1:111122223333:a_b"} {
		_, err := LoadConfig(MapSource(blueConfig("alarmTopicArn", good)))
		assert.NoError(t, err, good)
	}
}
