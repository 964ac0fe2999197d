package release

import (
	"context"

	"github.com/webapi-platform/infra/internal/record"
	"github.com/webapi-platform/infra/internal/smoke"
)

// Smoker sends a colour's smoke test through the ALB. internal/smoke's Client
// implements it; tests use fakes.
type Smoker interface {
	Smoke(ctx context.Context, req SmokeRequest) (SmokeResult, error)
}

// SmokeRequest and SmokeResult are internal/smoke's: a plain library with no Pulumi in it.
// SmokeTimeout bounds each smoke request.
const SmokeTimeout = 0

type (
	SmokeRequest = smoke.Request
	SmokeResult  = smoke.Result
)

func (r *Release) smokeBeforeShift(ctx context.Context, st *state, rec record.Record) error {
	return nil
}

func (r *Release) smokeAfterStep(ctx context.Context, st *state, rec record.Record, label string) error {
	return nil
}
