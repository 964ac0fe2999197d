package daytwo

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/enginetest"
	"github.com/webapi-platform/infra/internal/preview"
	"github.com/webapi-platform/infra/internal/release"
	"github.com/webapi-platform/infra/internal/testutil"
)

// MatrixTableEnv names a file the measured table is written to (Markdown), when set.
const MatrixTableEnv = "WEBAPI_MATRIX_TABLE"

// TestMatrixDayTwoChangesUpdateInPlace is the transition matrix: from a deployed blue
// (edge) + green on the AWS double, each routine config change alone — previewed and
// checked against its row, applied, planned again (nothing left to do), then reverted
// the same way. The table of measured plans is logged, and written to
// $WEBAPI_MATRIX_TABLE when set.
func TestMatrixDayTwoChangesUpdateInPlace(t *testing.T) {
	testutil.RequireTool(t, "pulumi")
	t.Parallel()
	start := time.Now()
	results := make([][]matrixResult, len(matrixWorlds))
	t.Run("world", func(t *testing.T) {
		for i, mw := range matrixWorlds {
			t.Run(mw.Name, func(t *testing.T) {
				t.Parallel()
				matrixRunWorld(t, mw, &results[i])
			})
		}
	})
	table := matrixMarkdown(slices.Concat(results...))
	t.Logf("day-two transition matrix (measured plans), %d steps in %s:\n\n%s", len(slices.Concat(results...)), time.Since(start).Round(time.Second), table)
	if p := os.Getenv(MatrixTableEnv); p != "" {
		require.NoError(t, os.WriteFile(p, []byte(table), 0o644))
	}
}

// matrixRunWorld deploys the world's baseline and runs its rows in order, appending
// each step's measurement to results as it goes (a failed row still shows in the table).
// Every step leaves both stacks with nothing to do, so a row's revert leaves the
// baseline for the next. A failed row ends the world: the rows after it would not start
// from the baseline.
func matrixRunWorld(t *testing.T, mw matrixWorld, results *[]matrixResult) {
	w := enginetest.New(t, enginetest.Options{
		Stacks: map[infra.Color]testutil.StackConfig{infra.Blue: mw.Blue, infra.Green: mw.Green},
	})
	matrixUp(t, w, infra.Blue)
	matrixUp(t, w, infra.Green)
	for i, row := range mw.Rows {
		ended := false
		ok := t.Run(row.Name, func(t *testing.T) {
			for j, s := range row.Steps {
				ended = ended || s.Fails != ""
				// A revert followed by another row is applied and nothing more: that row's
				// first preview covers every resource, so a leftover of the revert fails
				// it. The world's last step keeps every check.
				last := i == len(mw.Rows)-1 && j == len(row.Steps)-1
				if matrixIsRevert(s) && !last {
					matrixSetConfig(t, w, s.Stack, s.Set...)
					matrixUp(t, w, s.Stack)
					continue
				}
				matrixRunStep(t, w, s, func(r matrixResult) { *results = append(*results, r) })
			}
		})
		if !ok {
			t.Fatalf("row %q failed; the rows after it would not start from the baseline", row.Name)
		}
		if ended {
			return
		}
	}
}

// matrixRunStep sets one change, checks the preview of both stacks against the step,
// applies it (the changed stack, then the other colour if the change reaches it) and
// checks that a second plan is empty. It records what it measured even when it fails.
// matrixIsRevert says whether a step puts the baseline back (its label starts with ↩).
func matrixIsRevert(s matrixStep) bool { return strings.HasPrefix(s.Label, "↩") }

func matrixRunStep(t *testing.T, w *enginetest.World, s matrixStep, record func(matrixResult)) {
	t.Helper()
	matrixSetConfig(t, w, s.Stack, s.Set...)
	res := matrixResult{Step: s, Plan: matrixPlanOf(t, w, s.Stack), Outcome: "failed: see the test log"}
	defer func() {
		for _, p := range matrixCheck(s, res.Plan) {
			t.Errorf("%s: %s", s.Label, p)
		}
		record(res)
	}()
	if s.Fails != "" {
		err := matrixWithin(t, "up "+string(s.Stack), func() error {
			_, err := w.Engine.Up(context.Background(), s.Stack, release.UpOptions{})
			return err
		})
		require.Error(t, err, "%s: the up must fail", s.Label)
		res.Outcome = "fails: " + matrixErrorLine(err.Error(), s.Fails)
		assert.Contains(t, err.Error(), s.Fails, "%s: the failure AWS gives", s.Label)
		return
	}
	left := matrixApply(t, w, s.Stack)
	other := s.Stack.Other()
	otherPlan := matrixPlanOf(t, w, other)
	if len(enginetest.Changed(otherPlan.ops())) > 0 {
		if s.Stack == infra.Green {
			t.Errorf("%s: a change to green changes the edge stack: %v", s.Label, enginetest.Changed(otherPlan.ops()))
		}
		maps.Copy(left, matrixApply(t, w, other))
	}
	maps.Copy(res.Plan, otherPlan)
	res.Outcome = "ok, then nothing to do"
	if len(left) > 0 {
		res.Outcome = fmt.Sprintf("ok, but a second plan still changes %v", left)
		t.Errorf("%s: a second plan after the up must be empty, and changes %v", s.Label, left)
	}
}

// matrixSetConfig writes webapi keys into a stack's file, typed as Pulumi.yaml declares
// them (testutil.StackConfig's rules: JSON arrays, numbers and booleans bare); the value
// testutil.Unset removes the key. enginetest.World.SetConfig cannot do either: it stores
// an array as a string, which the CLI then refuses ("must be of type 'array<string>'").
func matrixSetConfig(t *testing.T, w *enginetest.World, c infra.Color, kv ...string) {
	t.Helper()
	file := filepath.Join(w.Dir, "Pulumi."+string(c)+".yaml")
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(b, &doc))
	cfg, _ := doc["config"].(map[string]any)
	require.NotNil(t, cfg, "%s has no config", file)
	for i := 0; i+1 < len(kv); i += 2 {
		key := infra.ConfigNamespace + ":" + kv[i]
		if kv[i+1] == testutil.Unset {
			delete(cfg, key)
			continue
		}
		var typed struct{ Config map[string]any }
		require.NoError(t, yaml.Unmarshal([]byte(testutil.StackConfig{kv[i]: kv[i+1]}.YAML()), &typed), "%s=%s", kv[i], kv[i+1])
		cfg[key] = typed.Config[key]
	}
	out, err := yaml.Marshal(doc)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, out, 0o644))
}

// matrixApply ups a stack and returns what a second plan would still change (nothing,
// when the program converges).
func matrixApply(t *testing.T, w *enginetest.World, c infra.Color) map[string]string {
	t.Helper()
	matrixUp(t, w, c)
	return enginetest.Changed(matrixPlanOf(t, w, c).ops())
}

// matrixUp updates a stack, failing the test with the engine's log when it fails.
func matrixUp(t *testing.T, w *enginetest.World, c infra.Color) {
	t.Helper()
	err := matrixWithin(t, "up "+string(c), func() error {
		_, err := w.Engine.Up(context.Background(), c, release.UpOptions{})
		return err
	})
	require.NoError(t, err, "up %s\n%s", c, w.Log.String())
}

// matrixTimeout bounds one engine run; they take seconds.
const matrixTimeout = 3 * time.Minute

// matrixWithin runs one engine operation and fails the test if it does not return in
// matrixTimeout. engine.Auto waits for the end of the CLI's event stream, which never
// comes when the CLI fails before streaming any (a stack config the CLI refuses, say):
// without this bound the matrix would hang until go test's own timeout, saying nothing.
func matrixWithin(t *testing.T, what string, op func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- op() }()
	select {
	case err := <-done:
		return err
	case <-time.After(matrixTimeout):
		t.Fatalf("%s did not return in %s: the CLI probably failed before streaming any event, "+
			"which internal/engine waits for forever", what, matrixTimeout)
		return nil
	}
}

// matrixPlanOf previews a stack: each resource's op and what forces a replacement.
func matrixPlanOf(t *testing.T, w *enginetest.World, c infra.Color) matrixPlan {
	t.Helper()
	var evs []events.EngineEvent
	err := matrixWithin(t, "preview "+string(c), func() (err error) {
		evs, err = w.Engine.Preview(context.Background(), c, release.UpOptions{})
		return err
	})
	require.NoError(t, err, "preview %s", c)
	p := matrixPlan{}
	for _, s := range preview.Steps(evs) {
		p[s.Type+"::"+s.Name()] = matrixOp{Op: s.Op, Replaces: s.Replaces}
	}
	return p
}

// ops is the plan as enginetest.World.Plan gives it.
func (p matrixPlan) ops() map[string]string {
	out := map[string]string{}
	for k, op := range p {
		out[k] = op.Op
	}
	return out
}

// matrixErrorLine is the error an engine failure reports for want: from the last
// "error: " before it on its line, so the AWS error itself rather than the CLI's output.
func matrixErrorLine(msg, want string) string {
	for _, line := range strings.Split(msg, "\n") {
		i := strings.Index(line, want)
		if i < 0 {
			continue
		}
		if j := strings.LastIndex(line[:i], "error: "); j >= 0 {
			line = line[j+len("error: "):]
		}
		return strings.TrimSpace(line)
	}
	return "(no line says " + want + ")"
}
