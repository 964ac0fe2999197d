package engine_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
	"github.com/webapi-platform/infra/internal/release"
)

// The smoke test reads the real program's outputs (albUrl, healthCheckPath) and config
// and goes through the World's stand-in for the ALB: a failing smoke test refuses the
// shift before the listener moves; a passing one lets it through, before and after the step.
func TestEngineSmokeTestGatesTheShift(t *testing.T) {
	t.Parallel()
	f := newDeployed(t, newSteppingClock())
	f.r.Smoke = f.w.Smoke.Client()
	f.w.ServeTraffic(t, infra.Green, healthyTraffic)
	ev := f.edge(t)
	opts := release.ShiftOptions{Target: infra.Green, Steps: []int{100}, Pause: time.Minute, Interval: time.Minute}

	f.w.Smoke.Fail(http.StatusServiceUnavailable)
	err := f.r.Shift(context.Background(), opts)
	assert.Equal(t, release.ExitRefused, release.ExitCode(err), "%v\n%s", err, f.logs())
	assert.ErrorContains(t, err, "GET /health answered 503 Service Unavailable")
	assert.Empty(t, f.r.Touched, "no update ran")
	assert.Equal(t, infra.Weights{Blue: 100}, f.liveWeights(t, ev), "listener untouched")
	assert.Equal(t, record.OutcomeAborted, f.record(t).Release.Outcome)
	assert.Equal(t, 20, f.w.Smoke.Requests(infra.Green), "webapi:smokeRequests (default 20) to the health check path, pinned to green")
	assert.Zero(t, f.w.Smoke.Requests(infra.Blue))

	f.w.Smoke.Fail(0)
	require.NoError(t, f.r.Shift(context.Background(), opts), f.logs())
	assert.Equal(t, infra.Weights{Green: 100}, f.liveWeights(t, ev))
	assert.Equal(t, 20+2*20, f.w.Smoke.Requests(infra.Green), "before the step and after its watch")
	var outcomes []record.Outcome
	for _, e := range f.record(t).History {
		if e.Action == "smoke" {
			outcomes = append(outcomes, e.Outcome)
		}
	}
	assert.Equal(t, []record.Outcome{record.OutcomeFailed, record.OutcomeSucceeded, record.OutcomeSucceeded}, outcomes)
	t.Logf("the tool said:\n%s", f.out.String())
}
