package release

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
	"github.com/webapi-platform/infra/internal/smoke"
)

const albURL = "http://webapi-alb-1.eu-west-1.elb.amazonaws.com"

// fakeSmoker answers every request 2xx unless told to fail a call, and records what it
// was asked and what the listener served at the time.
type fakeSmoker struct {
	mu   sync.Mutex
	aws  *fakeAWS
	fail map[int]error // by call index
	reqs []SmokeRequest
	seen []infra.Weights // the listener's weights at each call
}

func (s *fakeSmoker) Smoke(_ context.Context, req SmokeRequest) (SmokeResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := len(s.reqs)
	s.reqs = append(s.reqs, req)
	s.seen = append(s.seen, s.aws.live())
	res := SmokeResult{URL: req.BaseURL, Color: req.Color}
	for _, p := range req.Paths {
		res.Paths = append(res.Paths, smoke.PathResult{Path: p, OK: req.Requests, P50: 12 * time.Millisecond, P95: 20 * time.Millisecond, Max: 25 * time.Millisecond})
	}
	err := s.fail[i]
	if err != nil {
		res.Paths[0].OK--
		res.Paths[0].Other, res.Paths[0].Statuses = 1, map[int]int{500: 1}
	}
	return res, err
}

// smokeFixture is a fixture whose release smoke-tests green: the edge exports its URL
// and health check path, green asks for one more path and 5 requests per path.
func smokeFixture() (*fixture, *fakeSmoker) {
	f := newFixture(0, infra.Blue)
	f.aws.outputs[infra.Blue][infra.OutAlbURL] = albURL
	f.aws.outputs[infra.Blue][infra.OutHealthCheckPath] = "/healthz"
	f.aws.outputs[infra.Blue][infra.OutColorHeader] = infra.ColorHeader
	f.eng.config[infra.Blue]["ingressCidrs"] = `["203.0.113.0/24","198.51.100.0/24"]`
	f.eng.config[infra.Green]["smokePaths"] = `["/api/version"]`
	f.eng.config[infra.Green]["smokeRequests"] = "5"
	sm := &fakeSmoker{aws: f.aws, fail: map[int]error{}}
	f.r.Smoke = sm
	return f, sm
}

// smokeEntries are the history's smoke entries.
func smokeEntries(rec record.Record) []record.Entry {
	var out []record.Entry
	for _, e := range rec.History {
		if e.Action == "smoke" {
			out = append(out, e)
		}
	}
	return out
}

var errSmoke = errors.New("smoke test of green through " + albURL + " failed: /healthz: 4/5 2xx, 1 answered 500 (GET /healthz answered 500 Internal Server Error)")

func TestSmokePassesBeforeTheShiftAndAfterEachStep(t *testing.T) {
	f, sm := smokeFixture()
	require.NoError(t, f.r.Shift(context.Background(), shiftToGreen(10, 100)))
	assert.Equal(t, []infra.Weights{{Blue: 100}, {Blue: 90, Green: 10}, {Green: 100}}, sm.seen,
		"before any weight moves, then at each step's live weights once its watch passed")
	require.Len(t, sm.reqs, 3)
	for _, req := range sm.reqs {
		assert.Equal(t, SmokeRequest{BaseURL: albURL, Color: "green", Header: infra.ColorHeader, Paths: []string{"/healthz", "/api/version"}, Requests: 5,
			Timeout: SmokeTimeout, IngressCidrs: []string{"203.0.113.0/24", "198.51.100.0/24"}}, req)
	}
	entries := smokeEntries(f.store.load())
	require.Len(t, entries, 3)
	for i, to := range []infra.Weights{{Blue: 100}, {Blue: 90, Green: 10}, {Green: 100}} {
		e := entries[i]
		assert.Equal(t, record.OutcomeSucceeded, e.Outcome)
		assert.Equal(t, "v2", e.Version)
		require.NotNil(t, e.To)
		assert.Equal(t, to, *e.To, "the weights the listener served during the smoke test")
		assert.Contains(t, e.Message, "/healthz: 5/5 2xx, p50 12ms p95 20ms max 25ms; /api/version: 5/5 2xx")
		assert.Equal(t, owners["ci"].String(), e.Who)
	}
	assert.Contains(t, entries[0].Message, "before any weight moves")
	assert.Contains(t, entries[1].Message, "step 1/2 green 10%")
	assert.Contains(t, f.out.String(), "smoke test of green passed")
}

func TestSmokeFailureRefusesTheShiftBeforeAnyWeightMoves(t *testing.T) {
	f, sm := smokeFixture()
	sm.fail[0] = errSmoke
	err := f.r.Shift(context.Background(), shiftToGreen(10, 100))
	require.Error(t, err)
	assert.Equal(t, ExitRefused, ExitCode(err), "%v", err)
	assert.Contains(t, err.Error(), "GET /healthz answered 500")
	assert.Contains(t, err.Error(), "nothing was shifted")
	assert.Empty(t, f.eng.ups, "no listener update")
	assert.Empty(t, f.aws.applied)
	assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
	rec := f.store.load()
	require.NotNil(t, rec.Release)
	assert.Equal(t, record.OutcomeAborted, rec.Release.Outcome)
	assert.Nil(t, rec.Lease, "the lease is given up")
	entries := smokeEntries(rec)
	require.Len(t, entries, 1)
	assert.Equal(t, record.OutcomeFailed, entries[0].Outcome)
	assert.Contains(t, entries[0].Message, "GET /healthz answered 500")
	assert.Contains(t, f.out.String(), "before any weight moves: FAILED: smoke test of green through "+albURL+" failed: /healthz: 4/5 2xx")
}

func TestSmokeFailureAfterAStepRestores(t *testing.T) {
	f, sm := smokeFixture()
	sm.fail[1] = errSmoke
	err := f.r.Shift(context.Background(), shiftToGreen(10, 100))
	require.Error(t, err)
	assert.Equal(t, ExitRolledBack, ExitCode(err), "%v", err)
	assert.Equal(t, []int{10, 0}, f.aws.greens(), "restored to the stable colour after the 10% step")
	assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
	rec := f.store.load()
	assert.Equal(t, record.OutcomeRolledBack, rec.Release.Outcome)
	assert.Contains(t, rec.Release.Message, "GET /healthz answered 500")
	entries := smokeEntries(rec)
	require.Len(t, entries, 2)
	assert.Equal(t, []record.Outcome{record.OutcomeSucceeded, record.OutcomeFailed}, []record.Outcome{entries[0].Outcome, entries[1].Outcome})
}

func TestSmokeRequestFromTheEdgeAndTheColorsConfig(t *testing.T) {
	for name, tc := range map[string]struct {
		set     func(f *fixture)
		want    func(*SmokeRequest)
		refused string
	}{
		"the receiving colour's public hostname": {
			set:  func(f *fixture) { f.eng.config[infra.Green]["publicHostname"] = "api.example.com" },
			want: func(r *SmokeRequest) { r.PublicHostname = "api.example.com" },
		},
		"else the edge's": {
			set:  func(f *fixture) { f.eng.config[infra.Blue]["publicHostname"] = "www.example.com" },
			want: func(r *SmokeRequest) { r.PublicHostname = "www.example.com" },
		},
		"an HTTPS edge": {
			set: func(f *fixture) {
				f.aws.outputs[infra.Blue][infra.OutAlbURL] = "https://webapi-alb-1.eu-west-1.elb.amazonaws.com"
				f.eng.config[infra.Green]["publicHostname"] = "api.example.com"
			},
			want: func(r *SmokeRequest) {
				r.BaseURL, r.PublicHostname = "https://webapi-alb-1.eu-west-1.elb.amazonaws.com", "api.example.com"
			},
		},
		"no healthCheckPath output: the edge's config": {
			set: func(f *fixture) {
				delete(f.aws.outputs[infra.Blue], infra.OutHealthCheckPath)
				f.eng.config[infra.Blue]["healthCheckPath"] = "/ping"
			},
			want: func(r *SmokeRequest) { r.Paths = []string{"/ping", "/api/version"} },
		},
		"a smoke path that is the health check path is sent once": {
			set:  func(f *fixture) { f.eng.config[infra.Green]["smokePaths"] = `["/api/version","/healthz"]` },
			want: func(*SmokeRequest) {},
		},
		"no albUrl output": {
			set:     func(f *fixture) { delete(f.aws.outputs[infra.Blue], infra.OutAlbURL) },
			refused: "has no albUrl output",
		},
	} {
		t.Run(name, func(t *testing.T) {
			f, sm := smokeFixture()
			tc.set(f)
			err := f.r.Shift(context.Background(), shiftToGreen(100))
			if tc.refused != "" {
				assert.Equal(t, ExitRefused, ExitCode(err), "%v", err)
				assert.Contains(t, err.Error(), tc.refused)
				assert.Empty(t, f.eng.ups)
				return
			}
			require.NoError(t, err)
			want := SmokeRequest{BaseURL: albURL, Color: "green", Header: infra.ColorHeader, Paths: []string{"/healthz", "/api/version"}, Requests: 5,
				Timeout: SmokeTimeout, IngressCidrs: []string{"203.0.113.0/24", "198.51.100.0/24"}}
			tc.want(&want)
			require.NotEmpty(t, sm.reqs)
			assert.Equal(t, want, sm.reqs[0])
		})
	}
}

func TestSmokeCommandIsReadOnly(t *testing.T) {
	f, sm := smokeFixture()
	require.NoError(t, f.r.SmokeTest(context.Background(), infra.Green))
	assert.Contains(t, f.out.String(), "/healthz: 5/5 2xx")
	assert.Contains(t, f.out.String(), "smoke test of green passed")
	require.Len(t, sm.reqs, 1)
	assert.Equal(t, "green", sm.reqs[0].Color)

	sm.fail[1] = errSmoke
	err := f.r.SmokeTest(context.Background(), infra.Green)
	assert.Equal(t, ExitRefused, ExitCode(err), "%v", err)
	assert.Contains(t, err.Error(), "GET /healthz answered 500")
	assert.Zero(t, f.store.saves, "nothing written: no lease, no history")
	assert.Empty(t, f.eng.ups)

	f.r.Smoke = nil
	assert.Error(t, f.r.SmokeTest(context.Background(), infra.Green))
}

// consoleDuringSmoke is a smoke test during whose call number `at` someone sets the
// listener on the console.
type consoleDuringSmoke struct {
	*fakeSmoker
	at int
	to infra.Weights
}

func (s consoleDuringSmoke) Smoke(ctx context.Context, req SmokeRequest) (SmokeResult, error) {
	s.mu.Lock()
	n := len(s.reqs)
	s.mu.Unlock()
	if n == s.at {
		s.aws.setListener(s.to)
	}
	return s.fakeSmoker.Smoke(ctx, req)
}

// The listener and the lease are checked again after the smoke test that ends a step's
// watch: someone who moved traffic meanwhile is neither overwritten by the next step nor
// recorded as the step's success.
func TestListenerMovedDuringTheSmokeTestAfterAStepStopsTheRelease(t *testing.T) {
	f, sm := smokeFixture()
	f.r.Smoke = consoleDuringSmoke{fakeSmoker: sm, at: 1, to: infra.Weights{Blue: 100}}
	err := f.r.Shift(context.Background(), shiftToGreen(10, 50, 100))
	assert.Equal(t, ExitRefused, ExitCode(err), "%v", err)
	assert.Equal(t, []int{10, 0}, f.aws.greens(), "the step, then the console; no further step")
	rel := f.store.load().Release
	assert.Equal(t, record.OutcomeAborted, rel.Outcome)
	assert.Equal(t, infra.Weights{Blue: 100}, f.aws.live())
}
