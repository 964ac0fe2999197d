package release

import (
	"context"

	"github.com/webapi-platform/infra/infra"
)

// refuseShiftWithoutRollback refuses a new shift to target when the colour a rollback
// would send everything back to is not ready to take it.
func (r *Release) refuseShiftWithoutRollback(ctx context.Context, st *state, target infra.Color) error {
	return nil
}

// warnUnready prints loudly what is wrong with the stable colour before an automatic
// restore sends all traffic to it.
func (r *Release) warnUnready(ctx context.Context, st *state, stable infra.Color, label string) {}

// readiness is a colour's capacity to take all traffic, as AWS reports it now.
type readiness struct {
	color   infra.Color
	targets TargetCounts
	fleet   *Fleet
	need    int
}

func (rd readiness) ready() bool { return true }
