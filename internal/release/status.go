package release

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/preview"
	"github.com/webapi-platform/infra/internal/record"
)

// Idle returns the colour without traffic on the live listener, the one to release
// into. Mid-shift, or with a release in progress in the record, there is none: promote,
// resume or roll back first.
func (r *Release) Idle(ctx context.Context) (infra.Color, error) {
	st, err := r.look(ctx)
	if err != nil {
		return "", err
	}
	if rel := st.active(); rel != nil {
		return "", Refusef("release %s (%s into %s) is in progress (%s, phase %s; the listener serves %s): resume it with `bluegreen shift %s`, `bluegreen promote`, or `bluegreen rollback`",
			rel.ID, orDash(rel.AppRef), rel.Target, stepLabel(st.rec), rel.Phase, st.live, rel.Target)
	}
	for _, c := range infra.Colors {
		if st.live.Of(c) == 0 {
			return c, nil
		}
	}
	return "", Refusef("a shift is in progress (the listener serves %s): run `bluegreen promote` or `bluegreen rollback` first", st.live)
}

// Status prints the listener's weights and the release record, then, per colour, what
// it runs, its capacity and health, and its live weight.
func (r *Release) Status(ctx context.Context) error {
	st, err := r.look(ctx)
	if err != nil {
		return err
	}
	albURL, source := "", "the listener"
	if st.deployed != nil {
		albURL = st.deployed.AlbURL
	}
	if !st.liveFromALB {
		source = "the edge stack's outputs (AWS not reachable)"
	}
	r.printf("ALB: %s   weights: %s (from %s)   stable colour: %s\n", orDash(albURL), st.live, source, orDash(string(st.rec.StableColor)))
	r.printRecord(st.rec)
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
		r.printf("%-6s %-7s %-24s %-22s %-8s %s\n", c, fmt.Sprintf("%d%%", st.live.Of(c)),
			orDash(fmt.Sprint(outs[infra.OutAppRef])), orDash(fmt.Sprint(outs[infra.OutAmiID])), orDash(fmt.Sprint(outs[infra.OutDesired])), healthy)
	}
	return nil
}

// printRecord prints the release in progress (or the last one) and the lease.
func (r *Release) printRecord(rec record.Record) {
	if rel := rec.Release; rel != nil {
		state := "phase " + string(rel.Phase)
		if rel.Phase == record.PhaseDone {
			state = "ended " + string(rel.Outcome)
		}
		if record.Holding(rec) {
			state = fmt.Sprintf("holds %s until `bluegreen promote` (to 100%%) or a rollback", rel.To)
		}
		r.printf("release %s: %s into %s, %s, %s (%s -> %s)\n", rel.ID, orDash(rel.AppRef), rel.Target, stepLabel(rec), state, rel.From, rel.To)
	}
	if l := rec.Lease; l != nil {
		r.printf("lease: held by %s since %s, expires %s\n", l.Owner, l.Acquired.UTC().Format(time.RFC3339), l.Expires.UTC().Format(time.RFC3339))
	} else {
		r.printf("lease: free\n")
	}
}

// History prints the release record: where it lives, the release and the lease, and
// the history, oldest first.
func (r *Release) History(ctx context.Context) error {
	if err := r.requireStore(); err != nil {
		return err
	}
	rec, _, err := r.Store.Load(ctx)
	if err != nil {
		return fmt.Errorf("reading the release record: %w", err)
	}
	r.printf("release record: %s\nstable colour: %s\n", r.Store.Where(), orDash(string(rec.StableColor)))
	r.printRecord(rec)
	for _, e := range rec.History {
		line := fmt.Sprintf("%s  %-16s %s", e.At.UTC().Format(time.RFC3339), e.Action, e.Who)
		if e.Version != "" {
			line += "  version " + e.Version
		}
		switch {
		case e.From != nil && e.To != nil:
			line += fmt.Sprintf("  %s -> %s", e.From, e.To)
		case e.From != nil:
			line += fmt.Sprintf("  from %s", e.From)
		case e.To != nil:
			line += fmt.Sprintf("  -> %s", e.To)
		}
		if len(e.Steps) > 0 {
			line += fmt.Sprintf("  steps %v", e.Steps)
		}
		if e.Outcome != "" {
			line += "  " + string(e.Outcome)
		}
		if e.Message != "" {
			line += ": " + e.Message
		}
		r.printf("%s\n", line)
	}
	return nil
}

// Unlock shows who holds the release lease and breaks it (written to the history). The
// holder's next renewal or record write fails, and it stops without touching traffic.
func (r *Release) Unlock(ctx context.Context, reason string) error {
	if err := r.requireStore(); err != nil {
		return err
	}
	broken, err := record.BreakLease(ctx, r.Store, r.Owner, reason, r.Clock.Now())
	if err != nil {
		return fmt.Errorf("breaking the release lease: %w", err)
	}
	if broken == nil {
		r.printf("the release lease on %s is free: nothing to unlock\n", r.Store.Where())
		return nil
	}
	r.printf("broke the release lease of %s (acquired %s, expires %s)\n", broken.Owner,
		broken.Acquired.UTC().Format(time.RFC3339), broken.Expires.UTC().Format(time.RFC3339))
	return nil
}

func orDash(s string) string {
	if s == "" || s == "<nil>" {
		return "-"
	}
	return s
}

// Preview runs previews of the given stacks; a stack that fails is reported in its
// section and the others still run. The edge stack's section carries its weights: its
// state's before, the live listener's after (an up keeps what the listener serves).
func (r *Release) Preview(ctx context.Context, stacks []infra.Color) ([]preview.Stack, error) {
	st, _ := r.look(ctx) // no edge yet: previews without weights
	var out []preview.Stack
	var failed []string
	for _, c := range stacks {
		evs, err := r.Engine.Preview(ctx, c, UpOptions{})
		p := preview.NewStack(c, evs)
		p.Err = err
		if err != nil {
			failed = append(failed, string(c))
		}
		if st != nil && c == st.edge && st.deployed != nil {
			before, after := st.deployed.Weights, st.live
			p.Before, p.After = &before, &after
		}
		out = append(out, p)
	}
	if len(failed) > 0 {
		return out, fmt.Errorf("preview failed for %s", strings.Join(failed, ", "))
	}
	return out, nil
}

// StatusReport is not written yet.
func (r *Release) StatusReport(ctx context.Context) (*StatusReport, error) {
	return &StatusReport{}, nil
}
