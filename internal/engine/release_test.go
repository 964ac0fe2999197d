package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/preview"
	"github.com/webapi-platform/infra/internal/release"
)

// stateHealth plays AWS for the engine tests: the listener's weights are read from the
// listener record in the edge stack's real exported state, so a verified shift proves
// that the targeted update really changed the listener.
type stateHealth struct {
	w       *engineWorkspace
	failAt  int // the metrics call that reports a 5xx storm (0: never)
	calls   int
	targets release.TargetCounts
}

func (h *stateHealth) TargetHealth(context.Context, string) (release.TargetCounts, error) {
	return h.targets, nil
}

func (h *stateHealth) ListenerWeights(ctx context.Context, _ string) (map[string]int, error) {
	s, err := h.w.engine.stack(ctx, infra.Blue)
	if err != nil {
		return nil, err
	}
	dep, err := s.Export(ctx)
	if err != nil {
		return nil, err
	}
	var state struct {
		Resources []struct {
			URN     string         `json:"urn"`
			Outputs map[string]any `json:"outputs"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(dep.Deployment, &state); err != nil {
		return nil, err
	}
	for _, r := range state.Resources {
		if strings.HasSuffix(r.URN, "::listener") {
			out := map[string]int{}
			for _, g := range r.Outputs["targetGroups"].([]any) {
				g := g.(map[string]any)
				out[g["arn"].(string)] = int(g["weight"].(float64))
			}
			return out, nil
		}
	}
	return nil, errors.New("no listener in the edge stack's state")
}

func (h *stateHealth) Metrics(context.Context, string, string, time.Time, time.Time) (release.Metrics, error) {
	h.calls++
	if h.failAt > 0 && h.calls >= h.failAt {
		return release.Metrics{Requests: 100, Errors5xx: 30}, nil
	}
	return release.Metrics{Requests: 100, P99: 100 * time.Millisecond, HasLatency: true}, nil
}

func engineRelease(t *testing.T) (*engineWorkspace, *release.Release, *stateHealth, *bytes.Buffer) {
	w := newEngineWorkspace(t, engineBlue.YAML(), engineGreen.YAML())
	h := &stateHealth{w: w, targets: release.TargetCounts{Healthy: 2, Total: 2}}
	out := &bytes.Buffer{}
	return w, &release.Release{Engine: w.engine, Health: h, Clock: release.RealClock{}, Out: out}, h, out
}

func greenWeightInState(t *testing.T, w *engineWorkspace) int {
	t.Helper()
	outs, err := w.engine.Outputs(context.Background(), infra.Blue)
	require.NoError(t, err)
	ws, err := infra.ParseWeights(outs[infra.OutWeights])
	require.NoError(t, err)
	return ws.Green
}

func TestEngineReleaseLifecycle(t *testing.T) {
	w, r, h, out := engineRelease(t)
	ctx := context.Background()

	// First deploy: blue (edge) then green, which reads blue through a real StackReference.
	require.NoError(t, r.Deploy(ctx, infra.Blue, release.DeployOptions{}), w.log.String())
	require.NoError(t, r.Deploy(ctx, infra.Green, release.DeployOptions{AppRef: "v2.0.0"}), w.log.String())
	green, err := w.engine.Outputs(ctx, infra.Green)
	require.NoError(t, err)
	assert.Equal(t, infra.RoleColor, green[infra.OutRole])
	assert.Equal(t, "v2.0.0", green[infra.OutAppRef])
	assert.Contains(t, w.stackFile(t, infra.Green), "webapi:appRef: v2.0.0", "deploy wrote the release into the stack's config")

	// Preview Markdown from a real preview of a weight change.
	require.NoError(t, w.engine.SetConfig(ctx, infra.Blue, map[string]string{"greenWeight": "30"}))
	previews, err := r.Preview(ctx, infra.Colors)
	require.NoError(t, err)
	md := preview.RenderMarkdown(previews)
	t.Logf("preview of greenWeight 0 → 30:\n%s", md)
	assert.Contains(t, md, "**Traffic:** blue 100% → 70%, green 0% → 30%")
	assert.Contains(t, md, "- update `listener` (`webapitest:index:Record`): `targetGroups`")
	assert.Contains(t, md, "| update | 1 |")
	assert.Contains(t, md, "### Stack `green`\n\nNo changes:")
	require.NoError(t, w.engine.SetConfig(ctx, infra.Blue, map[string]string{"greenWeight": "0"}))

	// Shift to green: every step is a listener-only update, verified in state.
	r.Touched = nil
	require.NoError(t, r.Shift(ctx, release.ShiftOptions{Target: infra.Green, Steps: []int{10, 50, 100}, Limits: &release.Limits{Max5xxPercent: 1, MaxP99: time.Second}}), out.String()+w.log.String())
	require.Len(t, r.Touched, 3)
	for i, ch := range r.Touched {
		t.Logf("shift step %d: engine summary %v, touched %v", i+1, ch.Counts, ch.Touched)
		assert.Equal(t, 1, ch.Modified(), "a shift step modifies one resource")
		assert.Equal(t, []string{"urn:pulumi:blue::webapi::webapitest:index:Record::listener"}, ch.Touched)
	}
	assert.Equal(t, 100, greenWeightInState(t, w))
	assert.Contains(t, w.stackFile(t, infra.Blue), `webapi:greenWeight: "100"`)
	assert.Contains(t, w.stackFile(t, infra.Blue), "webapi:stableColor: blue")

	// The green stack sees blue's new weights through the StackReference: emptying green
	// now is refused by the program, and its state is untouched.
	require.NoError(t, w.engine.SetConfig(ctx, infra.Green, map[string]string{"minSize": "0", "desiredCapacity": "0"}))
	_, err = w.engine.Up(ctx, infra.Green, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "webapi:desiredCapacity")
	assert.Contains(t, err.Error(), "green still has 100% of traffic")
	green, _ = w.engine.Outputs(ctx, infra.Green)
	assert.Equal(t, float64(2), green[infra.OutDesired], "refused update left green's state as it was")
	require.NoError(t, w.engine.SetConfig(ctx, infra.Green, map[string]string{"minSize": "2", "desiredCapacity": "2"}))

	// Tool refusals leave state untouched.
	before, _ := w.engine.Outputs(ctx, infra.Green)
	err = r.Destroy(ctx, infra.Green)
	assert.Equal(t, release.ExitRefused, release.ExitCode(err))
	err = r.Retire(ctx, infra.Green, 0)
	assert.Equal(t, release.ExitRefused, release.ExitCode(err))
	after, _ := w.engine.Outputs(ctx, infra.Green)
	assert.Equal(t, before, after)

	// Rollback: one targeted update back to blue, timed.
	r.Touched = nil
	start := time.Now()
	require.NoError(t, r.Rollback(ctx, false), out.String())
	elapsed := time.Since(start)
	t.Logf("rollback took %s and modified %d resource(s): %v", elapsed.Round(time.Millisecond), r.Touched[0].Modified(), r.Touched[0].Touched)
	require.Len(t, r.Touched, 1)
	assert.Equal(t, 1, r.Touched[0].Modified())
	assert.Equal(t, 0, greenWeightInState(t, w))

	// A shift whose health fails at its second step is rolled back in real state.
	h.failAt, h.calls = 2, 0
	err = r.Shift(ctx, release.ShiftOptions{Target: infra.Green, Steps: []int{25, 75, 100}, Limits: &release.Limits{Max5xxPercent: 1, MaxP99: time.Second}})
	assert.Equal(t, release.ExitRolledBack, release.ExitCode(err), "%v", err)
	assert.Equal(t, 0, greenWeightInState(t, w), "weights restored where the shift began")
	assert.Contains(t, w.stackFile(t, infra.Blue), `webapi:greenWeight: "0"`)

	// Green is idle again: retire scales it to zero for real, then destroy removes it.
	h.failAt = 0
	require.NoError(t, r.Retire(ctx, infra.Green, 0), w.log.String())
	green, _ = w.engine.Outputs(ctx, infra.Green)
	assert.Equal(t, float64(0), green[infra.OutDesired])
	require.NoError(t, r.Destroy(ctx, infra.Green), w.log.String())
	green, _ = w.engine.Outputs(ctx, infra.Green)
	assert.Empty(t, green)
}

// Shifting to a colour without healthy targets is refused before any config or state changes.
func TestEngineRefusesShiftWithoutHealthyTargets(t *testing.T) {
	w, r, h, _ := engineRelease(t)
	ctx := context.Background()
	require.NoError(t, r.Deploy(ctx, infra.Blue, release.DeployOptions{}), w.log.String())
	fileBefore := w.stackFile(t, infra.Blue)
	h.targets = release.TargetCounts{Healthy: 0, Total: 2}
	err := r.Shift(ctx, release.ShiftOptions{Target: infra.Green, Steps: []int{10, 100}})
	assert.Equal(t, release.ExitRefused, release.ExitCode(err))
	assert.Equal(t, fileBefore, w.stackFile(t, infra.Blue), "config untouched")
	assert.Equal(t, 0, greenWeightInState(t, w), "state untouched")
}
