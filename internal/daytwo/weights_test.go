package daytwo

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/enginetest"
	"github.com/webapi-platform/infra/internal/release"
	"github.com/webapi-platform/infra/internal/testutil"
)

const weightsTestCert = "arn:aws:acm:eu-west-1:111122223333:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"

// weightsLive reads what the double's listener serves, by colour.
func weightsLive(t *testing.T, w *enginetest.World, listenerArn string, tgs map[string]string) infra.Weights {
	t.Helper()
	live, err := w.Double.ListenerWeights(context.Background(), listenerArn)
	require.NoError(t, err)
	return infra.Weights{Blue: live[tgs["blue"]], Green: live[tgs["green"]]}
}

func weightsEdge(t *testing.T, w *enginetest.World) *infra.EdgeValues {
	t.Helper()
	outs, err := w.Engine.Outputs(context.Background(), infra.Blue)
	require.NoError(t, err)
	ev, err := infra.ParseEdgeOutputs("blue", outs)
	require.NoError(t, err)
	return ev
}

// The weight rows of the day-two matrix: traffic is what the listener serves, and no
// run without weights of its own — a plain up, a deploy from a stale checkout, turning
// TLS on — moves it.
func TestWeightsLiveListenerIsKeptByEveryUpWithoutWeights(t *testing.T) {
	t.Parallel()
	w := enginetest.New(t, enginetest.Options{Stacks: map[infra.Color]testutil.StackConfig{
		infra.Blue: testutil.Blue("greenWeight", "0"), infra.Green: testutil.Green(),
	}})
	w.Up(t, infra.Blue)
	w.Up(t, infra.Green)
	ev := weightsEdge(t, w)

	// The tool (or an operator on the console) sets 50/50 on the ALB; the checkout's
	// Pulumi.blue.yaml still says greenWeight 0.
	require.NoError(t, w.Double.ModifyListenerWeights(context.Background(), ev.ListenerArn,
		map[string]int{ev.TargetGroupArns["blue"]: 50, ev.TargetGroupArns["green"]: 50}))

	w.Up(t, infra.Blue)
	assert.Equal(t, infra.Weights{Blue: 50, Green: 50}, weightsLive(t, w, ev.ListenerArn, ev.TargetGroupArns), "a stale checkout's up keeps the live weights")
	assert.Equal(t, infra.Weights{Blue: 50, Green: 50}, weightsEdge(t, w).Weights, "the weights output follows the listener")
	assert.Empty(t, enginetest.Changed(w.Plan(t, infra.Blue)), "and the next up has nothing to do")

	// Green may not be emptied while the listener sends it half the traffic.
	w.SetConfig(t, infra.Green, "minSize", "0", "desiredCapacity", "0")
	_, err := w.Engine.Up(context.Background(), infra.Green, release.UpOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "green still has 50% of traffic")
	w.SetConfig(t, infra.Green, "minSize", "2", "desiredCapacity", "2")

	// TLS on at 50/50: the new traffic listener (443) starts at 50/50, port 80 redirects.
	w.SetConfig(t, infra.Blue, "certificateArn", weightsTestCert)
	plan := w.Plan(t, infra.Blue)
	assert.Equal(t, "update", plan["aws:lb/listener:Listener::edge-listener-80"])
	assert.Equal(t, "create", plan["aws:lb/listener:Listener::edge-listener-443"])
	w.Up(t, infra.Blue)
	tls := weightsEdge(t, w)
	assert.NotEqual(t, ev.ListenerArn, tls.ListenerArn, "the traffic listener is now the HTTPS one")
	assert.Equal(t, infra.Weights{Blue: 50, Green: 50}, weightsLive(t, w, tls.ListenerArn, tls.TargetGroupArns), "TLS on keeps 50/50")
	assert.Empty(t, enginetest.Changed(w.Plan(t, infra.Blue)))
}
