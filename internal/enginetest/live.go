package enginetest

import (
	"context"
	"testing"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/testutil"
)

// PrebakedBlue and PrebakedGreen are the tool's engine-test stacks: the shared fixtures
// on AMIs of their own, so a value seen in state or on the double is known to come from
// these files.
var (
	PrebakedBlue  = testutil.Blue("greenWeight", "0", "amiId", "ami-0aaaaaaaaaaaaaaaa")
	PrebakedGreen = testutil.Green("amiId", "ami-0bbbbbbbbbbbbbbbb")
)

// Edge reads the edge (blue) stack's outputs as the program's contract parses them.
func (w *World) Edge(t testing.TB) *infra.EdgeValues {
	t.Helper()
	outs, err := w.Engine.Outputs(context.Background(), infra.Blue)
	if err != nil {
		t.Fatalf("enginetest: edge outputs: %v", err)
	}
	ev, err := infra.ParseEdgeOutputs(string(infra.Blue), outs)
	if err != nil {
		t.Fatalf("enginetest: edge outputs: %v", err)
	}
	return ev
}

// WeightsOf turns a listener's forward weights by target group ARN into colours, and
// fails unless it forwards to both colours' groups with weights that add up to 100.
func WeightsOf(t testing.TB, byArn map[string]int, ev *infra.EdgeValues) infra.Weights {
	t.Helper()
	b, okB := byArn[ev.TargetGroupArns[string(infra.Blue)]]
	g, okG := byArn[ev.TargetGroupArns[string(infra.Green)]]
	if !okB || !okG || len(byArn) != len(infra.Colors) || b+g != 100 {
		t.Fatalf("enginetest: the listener does not forward to both colours with weights adding up to 100: %v", byArn)
	}
	return infra.Weights{Blue: b, Green: g}
}

// LiveWeights are the weights the double's listener serves, read through its ELBv2
// DescribeListeners: what AWS would route, whatever Pulumi's state says.
func (w *World) LiveWeights(t testing.TB, ev *infra.EdgeValues) infra.Weights {
	t.Helper()
	byArn, err := w.Double.ListenerWeights(context.Background(), ev.ListenerArn)
	if err != nil {
		t.Fatalf("enginetest: live weights: %v", err)
	}
	return WeightsOf(t, byArn, ev)
}
