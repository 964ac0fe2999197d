// Package daytwo holds engine tests of day-two changes: the real program, deployed on
// the AWS double, changed the way an operator would change it.
package daytwo

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/awsdouble"
	"github.com/webapi-platform/infra/internal/enginetest"
	"github.com/webapi-platform/infra/internal/testutil"
)

// aws12Passphrase is this file's worlds' secrets passphrase (Options.Env overrides the
// harness's), so a test can open the stack's state itself.
const aws12Passphrase = "aws12-engine-test"

func aws12World(t *testing.T, blue testutil.StackConfig) *enginetest.World {
	t.Helper()
	return enginetest.New(t, enginetest.Options{
		Stacks: map[infra.Color]testutil.StackConfig{infra.Blue: blue},
		Env:    map[string]string{"PULUMI_CONFIG_PASSPHRASE": aws12Passphrase},
	})
}

// aws12Deployed is blue deployed with testutil.Blue() and this file's passphrase.
var aws12Deployed = newSharedFixture()

// aws12DeployedWorld is a World whose blue stack is deployed with testutil.Blue(), as
// aws12World then an up would make it, started from aws12Deployed.
func aws12DeployedWorld(t *testing.T) *enginetest.World {
	t.Helper()
	dir := aws12Deployed.get(t, func(t *testing.T) *enginetest.World {
		w := aws12World(t, testutil.Blue())
		w.Up(t, infra.Blue)
		return w
	}, saveWorld)
	return enginetest.New(t, enginetest.Options{
		Fixture: dir,
		Env:     map[string]string{"PULUMI_CONFIG_PASSPHRASE": aws12Passphrase},
	})
}

// aws12Resources are the double's resources of one type.
func aws12Resources(t *testing.T, w *enginetest.World, token string) []awsdouble.Resource {
	t.Helper()
	rs, err := w.Double.Resources(token)
	require.NoError(t, err)
	return rs
}

var aws12BucketTypes = []string{
	awsdouble.TypeBucket, awsdouble.TypeBucketPublicAccess, awsdouble.TypeBucketOwnership,
	awsdouble.TypeBucketEncryption, awsdouble.TypeBucketLifecycle, awsdouble.TypeBucketPolicy,
}

// aws12BucketPlan is the plan of turning access logs on (op create) or off (op delete):
// the ALB updated in place, the bucket resources created or deleted, nothing else.
func aws12BucketPlan(op string) map[string]string {
	plan := map[string]string{awsdouble.TypeLoadBalancer + "::edge-alb": "update"}
	for _, typ := range aws12BucketTypes {
		plan[typ+"::edge-access-logs"] = op
	}
	return plan
}

// Access logs on → off → on: each step updates the ALB in place and creates or deletes
// only the bucket and its configuration. The double refuses to turn logging on unless
// the bucket's policy lets eu-west-1's ELB account write the test object, so each "on"
// also proves the ALB waited for the policy.
func TestAWS12AccessLogsOnOffOn(t *testing.T) {
	t.Parallel()
	w := aws12DeployedWorld(t)

	for i, on := range []bool{true, false, true} {
		w.SetConfig(t, infra.Blue, "accessLogs", map[bool]string{true: "true", false: "false"}[on])
		want := aws12BucketPlan(map[bool]string{true: "create", false: "delete"}[on])
		assert.Equal(t, want, enginetest.Changed(w.Plan(t, infra.Blue)), "step %d", i)
		w.Up(t, infra.Blue)

		albs := aws12Resources(t, w, awsdouble.TypeLoadBalancer)
		require.Len(t, albs, 1)
		buckets := aws12Resources(t, w, awsdouble.TypeBucket)
		logs, _ := albs[0].Props["accessLogs"].(map[string]any)
		if !on {
			assert.Empty(t, buckets, "turning logs off deletes the stack's bucket")
			assert.NotEqual(t, true, logs["enabled"], "logging is off")
			continue
		}
		require.Len(t, buckets, 1)
		assert.Equal(t, map[string]any{"bucket": buckets[0].ID, "prefix": "webapi/blue", "enabled": true}, logs)
		for _, typ := range aws12BucketTypes {
			assert.Len(t, aws12Resources(t, w, typ), 1, typ)
		}
		assert.Empty(t, enginetest.Changed(w.Plan(t, infra.Blue)), "step %d: a second up changes nothing", i)
	}
}

// natGateways: none deploys with the endpoints the instances need instead of NAT.
func TestAWS12NoNatDeploysTheEndpoints(t *testing.T) {
	t.Parallel()
	w := aws12World(t, testutil.Blue("natGateways", "none"))
	w.Up(t, infra.Blue)
	assert.Empty(t, aws12Resources(t, w, awsdouble.TypeNatGateway))
	types := map[string]string{}
	for _, e := range aws12Resources(t, w, awsdouble.TypeVpcEndpoint) {
		svc, _ := e.Props["serviceName"].(string)
		types[strings.TrimPrefix(svc, "com.amazonaws."+enginetest.Region+".")], _ = e.Props["vpcEndpointType"].(string)
		if e.Props["vpcEndpointType"] == "Gateway" {
			assert.Len(t, e.Props["routeTableIds"], 2, "on both private route tables")
		}
	}
	assert.Equal(t, map[string]string{
		"ssm": "Interface", "ssmmessages": "Interface", "ec2messages": "Interface",
		"logs": "Interface", "monitoring": "Interface", "s3": "Gateway",
	}, types)
	assert.Empty(t, enginetest.Changed(w.Plan(t, infra.Blue)))
}

// Wiring a topic into the alarms updates them in place (a new PutMetricAlarm), and only
// them.
func TestAWS12AlarmTopicUpdatesTheAlarmsInPlace(t *testing.T) {
	t.Parallel()
	const topic = "arn:aws:sns:eu-west-1:000000000000:webapi-alarms"
	w := aws12DeployedWorld(t)
	w.SetConfig(t, infra.Blue, "alarmTopicArn", topic)
	assert.Equal(t, map[string]string{
		awsdouble.TypeMetricAlarm + "::monitoring-blue-5xx":       "update",
		awsdouble.TypeMetricAlarm + "::monitoring-blue-unhealthy": "update",
		awsdouble.TypeMetricAlarm + "::monitoring-blue-latency":   "update",
	}, enginetest.Changed(w.Plan(t, infra.Blue)))
	w.Up(t, infra.Blue)
	alarms := aws12Resources(t, w, awsdouble.TypeMetricAlarm)
	require.Len(t, alarms, 3)
	for _, a := range alarms {
		assert.Equal(t, []any{topic}, a.Props["alarmActions"], a.ID)
		assert.Equal(t, []any{topic}, a.Props["okActions"], a.ID)
	}
}

// aws12OldAlarmName is the name a stack deployed before issue 12 gave an alarm.
func aws12OldAlarmName(name string) string {
	return strings.TrimPrefix(name, "organization-")
}

// A stack deployed with the old alarm names (webapi-<stack>-<colour>-*) upgrades by
// replacing its three alarms, created under the new names before the old ones go, and
// nothing else; the outputs the tool reads carry the new names.
func TestAWS12AlarmRenameReplacesTheAlarmsOnUpgrade(t *testing.T) {
	t.Parallel()
	w := aws12DeployedWorld(t)
	aws12RenameAlarms(t, w, aws12OldAlarmName)
	for _, a := range aws12Resources(t, w, awsdouble.TypeMetricAlarm) {
		require.True(t, strings.HasPrefix(a.ID, "webapi-blue-blue-"), "the world now looks deployed by the old program: %s", a.ID)
	}

	assert.Equal(t, map[string]string{
		awsdouble.TypeMetricAlarm + "::monitoring-blue-5xx":       "replace",
		awsdouble.TypeMetricAlarm + "::monitoring-blue-unhealthy": "replace",
		awsdouble.TypeMetricAlarm + "::monitoring-blue-latency":   "replace",
	}, enginetest.Changed(w.Plan(t, infra.Blue)), "the name is the alarm's identity: a new name replaces it")
	w.Up(t, infra.Blue)

	var names []string
	for _, a := range aws12Resources(t, w, awsdouble.TypeMetricAlarm) {
		names = append(names, a.ID)
	}
	assert.ElementsMatch(t, []string{"organization-webapi-blue-blue-5xx", "organization-webapi-blue-blue-unhealthy", "organization-webapi-blue-blue-latency"},
		names, "the old alarms are gone, the new ones exist")
	out, err := w.Engine.Outputs(context.Background(), infra.Blue)
	require.NoError(t, err)
	assert.ElementsMatch(t, []any{"organization-webapi-blue-blue-5xx", "organization-webapi-blue-blue-unhealthy", "organization-webapi-blue-blue-latency"},
		out[infra.OutAlarmNames], "the tool reads the new names")
}

// aws12RenameAlarms rewrites the deployed alarms' names, in the double and in the stack's
// state, as an older program would have left them.
func aws12RenameAlarms(t *testing.T, w *enginetest.World, rename func(string) string) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, w.Double.Store.Update(func(st *awsdouble.State) error {
		for _, id := range slices.Sorted(maps.Keys(st.Resources)) {
			r := st.Resources[id]
			if r.Type != awsdouble.TypeMetricAlarm {
				continue
			}
			delete(st.Resources, id)
			r.ID = rename(id)
			r.Props["name"] = rename(r.Props["name"].(string))
			r.Props["arn"] = strings.Replace(r.Props["arn"].(string), id, r.ID, 1)
			st.Resources[r.ID] = r
		}
		return nil
	}))

	env := map[string]string{"PULUMI_BACKEND_URL": w.Backend, "PULUMI_CONFIG_PASSPHRASE": aws12Passphrase, "PULUMI_SKIP_UPDATE_CHECK": "true"}
	maps.Copy(env, w.AWS.Vars)
	stack, err := auto.UpsertStackInlineSource(ctx, string(infra.Blue), "webapi", infra.Program, auto.WorkDir(w.Dir), auto.EnvVars(env))
	require.NoError(t, err)
	dep, err := stack.Export(ctx)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(dep.Deployment, &doc))
	for _, r := range doc["resources"].([]any) {
		r := r.(map[string]any)
		if r["type"] != awsdouble.TypeMetricAlarm {
			continue
		}
		old := r["id"].(string)
		r["id"] = rename(old)
		for _, field := range []string{"inputs", "outputs"} {
			props := r[field].(map[string]any)
			props["name"] = rename(props["name"].(string))
			if arn, ok := props["arn"].(string); ok {
				props["arn"] = strings.Replace(arn, old, rename(old), 1)
			}
		}
	}
	dep.Deployment, err = json.Marshal(doc)
	require.NoError(t, err)
	require.NoError(t, stack.Import(ctx, dep))
}
