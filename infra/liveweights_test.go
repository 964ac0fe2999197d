package infra

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/testutil"
)

const (
	liveListenerArn = "arn:aws:elasticloadbalancing:eu-west-1:000000000000:listener/app/edge-alb/0123456789abcdef/fedcba9876543210"
	liveBlueTG      = "arn:aws:elasticloadbalancing:eu-west-1:000000000000:targetgroup/edge-tg-blue/0123456789abcdef"
	liveGreenTG     = "arn:aws:elasticloadbalancing:eu-west-1:000000000000:targetgroup/edge-tg-green/0123456789abcdef"
)

// deployedEdge are mocks of an edge stack deployed before, whose listener serves blue and
// green with the given forward weights right now.
func deployedEdge(blue, green int) *mocks {
	return &mocks{
		selfOutputs: map[string]any{
			OutListenerArn:     liveListenerArn,
			OutTargetGroupArns: map[string]any{"blue": liveBlueTG, "green": liveGreenTG},
		},
		liveListener: map[string]int{liveBlueTG: blue, liveGreenTG: green},
	}
}

func runEdge(t *testing.T, m *mocks, opts RunOptions, kv ...string) runResult {
	t.Helper()
	return runMocks(t, m, testutil.RepoRoot(), "blue", blueConfig(kv...), opts)
}

// A plain `pulumi up` (no run options) keeps what the listener serves, whatever the
// checkout's webapi:greenWeight says: a stale checkout moves no traffic.
func TestAPlainUpKeepsTheLiveWeights(t *testing.T) {
	r := runEdge(t, deployedEdge(70, 30), RunOptions{}, "greenWeight", "0")
	require.NoError(t, r.err)
	assert.Equal(t, map[string]int{"blue": 70, "green": 30}, trafficListenerWeights(t, r))
	assert.Equal(t, map[string]any{"blue": 70.0, "green": 30.0}, jsonShaped(t, r.outputs[OutWeights]), "the weights output comes from the listener")
	assert.Contains(t, r.mocks.calls, "aws:lb/getListener:getListener", "the weights are read on AWS")
}

// The tool's run says which weights the listener gets: a shift step's target, or the
// live weights it read.
func TestRunOptionsSetTheListenerWeights(t *testing.T) {
	r := runEdge(t, deployedEdge(70, 30), RunOptions{ListenerWeights: &Weights{Blue: 50, Green: 50}})
	require.NoError(t, r.err)
	assert.Equal(t, map[string]int{"blue": 50, "green": 50}, trafficListenerWeights(t, r))
	assert.NotContains(t, r.mocks.calls, "aws:lb/getListener:getListener", "nothing to read when the run decides")
}

// webapi:greenWeight is the split of a listener not created yet, and nothing more.
func TestGreenWeightIsOnlyTheInitialSplit(t *testing.T) {
	r := runEdge(t, &mocks{}, RunOptions{}, "greenWeight", "20")
	require.NoError(t, r.err)
	assert.Equal(t, map[string]int{"blue": 80, "green": 20}, trafficListenerWeights(t, r))
}

// Emptying the edge's own colour is judged on what the listener serves, not on config.
func TestEmptyingTheEdgeColorIsJudgedOnLiveWeights(t *testing.T) {
	empty := []string{"minSize", "0", "desiredCapacity", "0"}
	r := runEdge(t, deployedEdge(0, 100), RunOptions{}, append(empty, "greenWeight", "0")...)
	require.NoError(t, r.err, "config says blue has 100%%, but the listener sends blue nothing")

	r = runEdge(t, deployedEdge(10, 90), RunOptions{}, append(empty, "greenWeight", "100")...)
	require.Error(t, r.err, "config says blue has 0%%, but the listener sends blue 10%%")
	assert.Contains(t, r.err.Error(), "blue still has 10% of traffic")
	assert.Empty(t, r.mocks.awsResources())
}

func TestALostListenerIsAClearError(t *testing.T) {
	m := deployedEdge(100, 0)
	m.liveListener = nil
	r := runEdge(t, m, RunOptions{})
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), "reading the live weights of the traffic listener "+liveListenerArn)
	assert.Empty(t, r.mocks.awsResources())
}

func TestPercentOfForwardWeights(t *testing.T) {
	tgs := map[string]any{"blue": "b", "green": "g"}
	for _, c := range []struct {
		name    string
		byArn   map[string]int
		want    Weights
		wantErr string
	}{
		{"percent", map[string]int{"b": 90, "g": 10}, Weights{90, 10}, ""},
		{"relative weights are ratios", map[string]int{"b": 1, "g": 3}, Weights{25, 75}, ""},
		{"one colour only", map[string]int{"b": 999, "g": 0}, Weights{100, 0}, ""},
		{"rounded", map[string]int{"b": 2, "g": 1}, Weights{67, 33}, ""},
		{"both zero", map[string]int{"b": 0, "g": 0}, Weights{}, "both weights are 0"},
		{"a colour missing", map[string]int{"b": 100}, Weights{}, "does not forward to both"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := percentOf(c.byArn, tgs)
			if c.wantErr != "" {
				require.ErrorContains(t, err, c.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}

// jsonShaped is v as a StackReference would deliver it (numbers as float64).
func jsonShaped(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// A run's config overrides win over the stack's config for that run, and are validated
// the same way: a bad override is refused before anything is registered.
func TestRunConfigOverridesAreValidatedLikeStackConfig(t *testing.T) {
	r := runEdge(t, &mocks{}, RunOptions{Config: map[string]string{"desiredCapacity": "3", "maxSize": "4"}})
	require.NoError(t, r.err)
	assert.Equal(t, 3.0, prop(r.mocks.byType(tASG)[0].Inputs, "desiredCapacity"))

	r = runEdge(t, &mocks{}, RunOptions{Config: map[string]string{"desiredCapacity": "9"}})
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), "webapi:desiredCapacity")
	assert.Empty(t, r.mocks.resources)
}
