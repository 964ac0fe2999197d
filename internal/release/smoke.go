package release

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
	"github.com/webapi-platform/infra/internal/smoke"
)

// Smoker sends a colour's smoke test through the ALB. internal/smoke's Client
// implements it; tests use fakes.
type Smoker interface {
	Smoke(ctx context.Context, req SmokeRequest) (SmokeResult, error)
}

// SmokeRequest and SmokeResult are internal/smoke's: a plain library with no Pulumi in it.
type (
	SmokeRequest = smoke.Request
	SmokeResult  = smoke.Result
)

// SmokeTimeout bounds each smoke request, from dialling to the end of the answer.
const SmokeTimeout = 10 * time.Second

// smokeBeforeShift smoke-tests the receiving colour of a new release through the colour
// header before any weight moves: a failure refuses the shift (the caller aborts the
// release, nothing moved).
func (r *Release) smokeBeforeShift(ctx context.Context, st *state, rec record.Record) error {
	err := r.smokeTest(ctx, st, rec, rec.Release.From, "before any weight moves")
	if err == nil || ctx.Err() != nil || errors.As(err, new(Refusal)) {
		return err
	}
	return Refusal{msg: fmt.Sprintf("%v; nothing was shifted (release %s aborted): fix %s, or its webapi:smokePaths, and shift again", err, rec.Release.ID, rec.Release.Target), err: err}
}

// smokeAfterStep repeats the smoke test once a step's watch has passed, at the step's
// live weights (the header still pins the requests to the receiving colour): a failure
// fails the step, which restores the stable colour.
func (r *Release) smokeAfterStep(ctx context.Context, st *state, rec record.Record, label string) error {
	return r.smokeTest(ctx, st, rec, rec.Release.To, label)
}

// smokeTest runs the smoke test of the release's receiving colour (nothing without a
// Smoker), prints the result and records it in the history; live are the weights the
// listener serves meanwhile, when says when in the release it runs.
func (r *Release) smokeTest(ctx context.Context, st *state, rec record.Record, live infra.Weights, when string) error {
	if r.Smoke == nil {
		return nil
	}
	target := rec.Release.Target
	req, err := r.smokeRequest(ctx, st, target)
	if err != nil {
		return err
	}
	r.printf("%s: smoke test of %s through %s (%s: %s): %d requests each to %v\n", when, target, req.BaseURL, req.Header, req.Color, req.Requests, req.Paths)
	res, err := r.Smoke.Smoke(ctx, req)
	entry := record.Entry{Action: "smoke", Version: rec.Release.AppRef, To: &live, Outcome: record.OutcomeSucceeded,
		Message: fmt.Sprintf("%s, %s: %s", target, when, res.Summary())}
	if err != nil {
		entry.Outcome, entry.Message = record.OutcomeFailed, fmt.Sprintf("%s, %s: %v", target, when, err)
		r.printf("%s: FAILED: %v\n", when, err)
	} else {
		r.printf("%s: smoke test of %s passed: %s\n", when, target, res.Summary())
	}
	r.note(ctx, entry)
	return err
}

// smokeRequest builds the smoke test of c: the edge's URL and health check path (its
// outputs; the edge's config for an edge deployed before healthCheckPath was exported)
// and ingress CIDRs, c's smoke paths, requests and public hostname (else the edge's).
func (r *Release) smokeRequest(ctx context.Context, st *state, c infra.Color) (SmokeRequest, error) {
	if st.deployed.AlbURL == "" {
		return SmokeRequest{}, fmt.Errorf("the edge stack %s has no %s output (deployed by an older program): run `bluegreen deploy %s` once, then shift again",
			st.edge, infra.OutAlbURL, st.edge)
	}
	cfg, _, err := r.config(ctx, c)
	if err != nil {
		return SmokeRequest{}, err
	}
	edgeCfg := cfg
	if c != st.edge {
		if edgeCfg, _, err = r.config(ctx, st.edge); err != nil {
			return SmokeRequest{}, err
		}
	}
	paths := []string{cmp.Or(st.deployed.HealthCheckPath, edgeCfg.HealthCheckPath)}
	for _, p := range cfg.Release.SmokePaths {
		if !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	return SmokeRequest{
		BaseURL: st.deployed.AlbURL,
		Color:   string(c),
		// The header the edge's rules match (its colorHeader output is this constant).
		Header:         infra.ColorHeader,
		Paths:          paths,
		Requests:       cfg.Release.SmokeRequests,
		Timeout:        SmokeTimeout,
		PublicHostname: cmp.Or(cfg.Release.PublicHostname, edgeCfg.Release.PublicHostname),
		IngressCidrs:   edgeCfg.IngressCidrs,
	}, nil
}

// SmokeTest smoke-tests colour c through the ALB now, whatever weight it has: what a
// release does before its first step, read-only (no lease, nothing recorded). A failure
// is refused (exit 3).
func (r *Release) SmokeTest(ctx context.Context, c infra.Color) error {
	if r.Smoke == nil {
		return errors.New("the smoke test needs a smoke client")
	}
	st, err := r.lookDeployed(ctx)
	if err != nil {
		return err
	}
	req, err := r.smokeRequest(ctx, st, c)
	if err != nil {
		return err
	}
	r.printf("smoke test of %s through %s (%s: %s): %d requests each to %v\n", c, req.BaseURL, req.Header, req.Color, req.Requests, req.Paths)
	res, err := r.Smoke.Smoke(ctx, req)
	for _, p := range res.Paths {
		r.printf("  %s\n", p)
	}
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return Refusal{msg: err.Error(), err: err}
	}
	r.printf("smoke test of %s passed (the listener serves %s)\n", c, st.live)
	return nil
}
