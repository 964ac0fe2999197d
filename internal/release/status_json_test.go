package release

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
)

// noStacks is a backend without any stack: nothing was ever deployed.
func noStacks(f *fixture) {
	f.aws.mu.Lock()
	defer f.aws.mu.Unlock()
	f.aws.outputs = map[infra.Color]map[string]any{infra.Blue: {}, infra.Green: {}}
	f.aws.missing = map[infra.Color]bool{infra.Blue: true, infra.Green: true}
}

// Before anything is deployed every value is unknown: null, never a "-" or a weight
// from config.
func TestStatusReportOfNothingDeployedIsNulls(t *testing.T) {
	f := newFixture(0, infra.Blue)
	noStacks(f)
	rep, err := f.r.StatusReport(context.Background())
	require.NoError(t, err)
	b, err := json.MarshalIndent(rep, "", "  ")
	require.NoError(t, err)
	notDeployed := func(c string) string {
		return `{
      "color": "` + c + `",
      "deployed": false,
      "liveWeight": null,
      "appRef": null,
      "amiId": null,
      "baseAmiId": null,
      "asgName": null,
      "desired": null,
      "inService": null,
      "healthy": null,
      "targetsTotal": null,
      "alarmsInAlarm": null
    }`
	}
	assert.Equal(t, `{
  "schemaVersion": 1,
  "alb": null,
  "weights": null,
  "stableColor": null,
  "lease": null,
  "release": null,
  "lastHistory": null,
  "colors": [
    `+notDeployed("blue")+`,
    `+notDeployed("green")+`
  ],
  "warnings": []
}`, string(b))
	assert.Empty(t, f.out.String(), "the report prints nothing")

	require.NoError(t, f.r.Status(context.Background()))
	for _, c := range []string{"blue", "green"} {
		assert.Regexp(t, regexp.MustCompile(`(?m)^`+c+` +not deployed`), f.out.String())
	}
	assert.NotContains(t, f.out.String(), "weights: blue", "no weights before the edge is deployed")

	sections, err := f.r.Preview(context.Background(), infra.Colors)
	require.NoError(t, err, "a stack not deployed yet is no failed preview")
	assert.ErrorContains(t, sections[1].Err, "green is not deployed (its stack does not exist yet)")
	_, err = f.r.Idle(context.Background())
	require.NoError(t, err)
}

func TestStatusReportOfAPausedRelease(t *testing.T) {
	ctx := context.Background()
	f := newFixture(0, infra.Blue)
	f.aws.outputs[infra.Blue][infra.OutAlbURL] = "http://alb-1.example.com"
	opts := shiftToGreen(10, 50, 100)
	opts.Manual = true
	require.NoError(t, f.r.Shift(ctx, opts))
	f.alarms.states["webapi-green-5xx"] = AlarmState{Value: AlarmStateAlarm, Reason: "Threshold Crossed"}
	f.fleets.fleets[asgGreen] = Fleet{Name: asgGreen, Desired: 3, Instances: servingFleet(asgGreen, 2, "1").Instances}
	f.aws.outputs[infra.Green][infra.OutBaseAmiID] = "ami-0123456789abcdef0" // the image refresh compares it with base-ami's
	f.out.Reset()

	rep, err := f.r.StatusReport(ctx)
	require.NoError(t, err)
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, float64(1), got["schemaVersion"])
	assert.Equal(t, "http://alb-1.example.com", got["alb"])
	assert.Equal(t, map[string]any{"blue": float64(90), "green": float64(10), "source": "listener"}, got["weights"])
	assert.Equal(t, "blue", got["stableColor"])
	lease := got["lease"].(map[string]any)
	assert.Equal(t, map[string]any{"user": "runner", "host": "runner-1", "pid": float64(100), "runUrl": "https://github.com/org/infra/actions/runs/1"}, lease["owner"])
	assert.Equal(t, f.clock.now.Add(PausedLeaseTTL).Format("2006-01-02T15:04:05Z07:00"), lease["expires"])
	rel := got["release"].(map[string]any)
	assert.Equal(t, "20261129T120000Z-green", rel["id"])
	assert.Equal(t, true, rel["inProgress"])
	assert.Equal(t, "paused", rel["phase"])
	assert.Equal(t, float64(1), rel["step"], "steps count from 1")
	assert.Equal(t, []any{float64(10), float64(50), float64(100)}, rel["steps"])
	assert.Nil(t, rel["outcome"])
	assert.Equal(t, false, rel["holding"])
	assert.Equal(t, map[string]any{"blue": float64(90), "green": float64(10)}, rel["to"])
	assert.Equal(t, "step-passed", got["lastHistory"].(map[string]any)["action"], "the paused step passed its gates")
	assert.Equal(t, []any{}, got["warnings"])

	blue, green := got["colors"].([]any)[0].(map[string]any), got["colors"].([]any)[1].(map[string]any)
	assert.Equal(t, map[string]any{"color": "green", "deployed": true, "liveWeight": float64(10), "appRef": "v2", "amiId": "ami-2", "baseAmiId": "ami-0123456789abcdef0", "asgName": asgGreen,
		"desired": float64(3), "inService": float64(2), "healthy": float64(2), "targetsTotal": float64(2), "alarmsInAlarm": []any{"webapi-green-5xx"}}, green)
	assert.Equal(t, []any{}, blue["alarmsInAlarm"], "none in ALARM: empty, not null")
	assert.Nil(t, blue["baseAmiId"], "no pin (an empty output): null")
	assert.Empty(t, f.out.String(), "the report prints nothing")

	require.NoError(t, f.r.Status(ctx))
	out := f.out.String()
	assert.Contains(t, out, "weights: blue 90% / green 10% (from the listener)")
	assert.Regexp(t, `(?m)^green +10% +v2 +ami-2 +3 +2/2 +2 +webapi-green-5xx$`, out)
	assert.Contains(t, out, "paused at step 1/3")
}

// Without AWS the values AWS would give are null, the weights come from the edge
// stack's outputs, and the warnings say why.
func TestStatusReportWithoutAWS(t *testing.T) {
	f := newFixture(10, infra.Blue)
	f.r.Health, f.r.Fleets, f.r.Alarms = nil, nil, nil
	f.eng.aws.outputs[infra.Green] = nil
	rep, err := f.r.StatusReport(context.Background())
	require.NoError(t, err)
	assert.Equal(t, &StatusWeights{Blue: 90, Green: 10, Source: WeightsFromEdgeOutputs}, rep.Weights)
	blue := rep.Colors[0]
	assert.True(t, blue.Deployed)
	assert.Nil(t, blue.Healthy)
	assert.Nil(t, blue.Desired)
	assert.Nil(t, blue.AlarmsInAlarm)
	assert.False(t, rep.Colors[1].Deployed)
	assert.Equal(t, 10, *rep.Colors[1].LiveWeight, "a colour without a stack still has its live weight")
	assert.NotEmpty(t, rep.Warnings)

	f.alarms.err = errors.New("AccessDenied")
	f.r.Alarms = f.alarms
	rep, err = f.r.StatusReport(context.Background())
	require.NoError(t, err)
	assert.Nil(t, rep.Colors[0].AlarmsInAlarm)
	assert.Contains(t, rep.Warnings, "blue: alarm states: AccessDenied")
}

// failingListener is AWS configured but the listener unreadable (no credentials,
// throttled).
type failingListener struct{ *fakeHealth }

func (failingListener) ListenerWeights(context.Context, string) (map[string]int, error) {
	return nil, errors.New("operation error Elastic Load Balancing v2: DescribeListeners, get identity: get credentials: failed to refresh cached credentials")
}

// status and status --json fall back to the edge stack's outputs, with a warning, when
// the listener cannot be read: a report with what could be read, never none.
func TestStatusReportWhenTheListenerCannotBeRead(t *testing.T) {
	f := newFixture(0, infra.Blue)
	f.r.Health = failingListener{f.health}
	rep, err := f.r.StatusReport(context.Background())
	require.NoError(t, err)
	require.NotNil(t, rep.Weights)
	assert.Equal(t, WeightsFromEdgeOutputs, rep.Weights.Source)
	assert.Equal(t, 100, rep.Weights.Blue)
	require.NotEmpty(t, rep.Warnings)
	assert.Contains(t, strings.Join(rep.Warnings, "\n"), "failed to refresh cached credentials")

	require.NoError(t, f.r.Status(context.Background()))
	assert.Contains(t, f.out.String(), "from the edge stack's outputs")

	err = f.r.Shift(context.Background(), shiftToGreen(10, 100))
	assert.Error(t, err, "a command that moves traffic still needs the listener")
	assert.Empty(t, f.aws.greens())
}
