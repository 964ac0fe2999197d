package release

import (
	"context"
	"fmt"
	"strings"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/preview"
)

// Idle returns the colour without traffic, the one to release into. Mid-shift there is
// none: promote or roll back first.
func (r *Release) Idle(ctx context.Context) (infra.Color, error) {
	st, err := r.edge(ctx)
	if err != nil {
		return "", err
	}
	for _, c := range infra.Colors {
		if st.weights.Of(c) == 0 {
			return c, nil
		}
	}
	return "", Refusef("a shift is in progress (%s): run `bluegreen promote` or `bluegreen rollback` first", st.weights)
}

// Status prints, per colour, what it runs, its capacity and health, and its weight.
func (r *Release) Status(ctx context.Context) error {
	st, err := r.edge(ctx)
	if err != nil {
		return err
	}
	albURL := ""
	if st.deployed != nil {
		albURL = st.deployed.AlbURL
	}
	r.printf("ALB: %s   weights: %s   stable colour: %s\n", orDash(albURL), st.weights, st.stable)
	r.printf("%-6s %-7s %-24s %-22s %-8s %s\n", "COLOUR", "WEIGHT", "APP REF", "AMI", "DESIRED", "HEALTHY TARGETS")
	for _, c := range infra.Colors {
		outs, err := r.Engine.Outputs(ctx, c)
		if err != nil {
			return err
		}
		healthy := "-"
		if tg := st.targetGroup(c); tg != "" && r.Health != nil {
			if counts, err := r.Health.TargetHealth(ctx, tg); err == nil {
				healthy = fmt.Sprintf("%d/%d", counts.Healthy, counts.Total)
			} else {
				healthy = "unknown (" + err.Error() + ")"
			}
		}
		r.printf("%-6s %-7s %-24s %-22s %-8s %s\n", c, fmt.Sprintf("%d%%", st.weights.Of(c)),
			orDash(fmt.Sprint(outs[infra.OutAppRef])), orDash(fmt.Sprint(outs[infra.OutAmiID])), orDash(fmt.Sprint(outs[infra.OutDesired])), healthy)
	}
	return nil
}

func orDash(s string) string {
	if s == "" || s == "<nil>" {
		return "-"
	}
	return s
}

// Preview runs previews of the given stacks; a stack that fails is reported in its
// section and the others still run. The edge stack's section carries its weights:
// deployed before, configured after.
func (r *Release) Preview(ctx context.Context, stacks []infra.Color) ([]preview.Stack, error) {
	st, _ := r.edge(ctx) // no edge yet: previews without weights
	var out []preview.Stack
	var failed []string
	for _, c := range stacks {
		evs, err := r.Engine.Preview(ctx, c)
		p := preview.NewStack(c, evs)
		p.Err = err
		if err != nil {
			failed = append(failed, string(c))
		}
		if st != nil && c == st.color {
			after := st.weights
			before := after
			if st.deployed != nil {
				before = st.deployed.Weights
			}
			p.Before, p.After = &before, &after
		}
		out = append(out, p)
	}
	if len(failed) > 0 {
		return out, fmt.Errorf("preview failed for %s", strings.Join(failed, ", "))
	}
	return out, nil
}
