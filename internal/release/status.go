package release

import (
	"cmp"
	"context"
	"errors"
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

// Status prints what StatusReport knows, for people: the ALB, the listener's weights and
// where they were read, the release record, then one line per colour.
func (r *Release) Status(ctx context.Context) error {
	rep, err := r.StatusReport(ctx)
	if err != nil {
		return err
	}
	weights := "- (the edge stack is not deployed)"
	if w := rep.Weights; w != nil {
		source := "the listener"
		if w.Source == WeightsFromEdgeOutputs {
			source = "the edge stack's outputs (AWS not reachable)"
		}
		weights = fmt.Sprintf("%s (from %s)", infra.Weights{Blue: w.Blue, Green: w.Green}, source)
	}
	r.printf("ALB: %s   weights: %s   stable colour: %s\n", orDash(deref(rep.ALB)), weights, orDash(string(deref(rep.StableColor))))
	r.printReport(rep)
	r.printf("%-6s %-7s %-24s %-22s %-8s %-8s %-11s %s\n", "COLOUR", "WEIGHT", "APP REF", "AMI", "DESIRED", "HEALTHY", "IN SERVICE", "ALARMS IN ALARM")
	for _, c := range rep.Colors {
		if !c.Deployed {
			line := "not deployed"
			if c.LiveWeight != nil {
				line += fmt.Sprintf(" (%d%% of traffic)", *c.LiveWeight)
			}
			r.printf("%-6s %s\n", c.Color, line)
			continue
		}
		healthy := "-"
		if c.Healthy != nil && c.TargetsTotal != nil {
			healthy = fmt.Sprintf("%d/%d", *c.Healthy, *c.TargetsTotal)
		}
		alarms := "-"
		if c.AlarmsInAlarm != nil {
			alarms = cmp.Or(strings.Join(c.AlarmsInAlarm, ","), "none")
		}
		r.printf("%-6s %-7s %-24s %-22s %-8s %-8s %-11s %s\n", c.Color, orDash(intString(c.LiveWeight, "%")), orDash(deref(c.AppRef)), orDash(deref(c.AmiID)),
			orDash(intString(c.Desired, "")), healthy, orDash(intString(c.InService, "")), alarms)
	}
	for _, w := range rep.Warnings {
		r.printf("warning: %s\n", w)
	}
	return nil
}

// printReport prints the report's release, lease and last history entry.
func (r *Release) printReport(rep *StatusReport) {
	if rel := rep.Release; rel != nil {
		state := fmt.Sprintf("%s at step %d/%d", rel.Phase, rel.Step, len(rel.Steps))
		switch {
		case rel.Holding:
			state = fmt.Sprintf("holds %s until `bluegreen promote` (to 100%%) or a rollback", rel.To)
		case !rel.InProgress:
			state = fmt.Sprintf("ended %s at step %d/%d", deref(rel.Outcome), rel.Step, len(rel.Steps))
		}
		r.printf("release %s: %s into %s, steps %v, %s (%s -> %s)\n", rel.ID, orDash(deref(rel.AppRef)), rel.Target, rel.Steps, state, rel.From, rel.To)
	}
	if l := rep.Lease; l != nil {
		r.printf("lease: held by %s@%s (pid %d) since %s, expires %s\n", l.Owner.User, l.Owner.Host, l.Owner.PID,
			l.Acquired.UTC().Format(time.RFC3339), l.Expires.UTC().Format(time.RFC3339))
	} else {
		r.printf("lease: free\n")
	}
	if h := rep.LastHistory; h != nil {
		r.printf("last: %s\n", historyLine(record.Entry{At: h.At, Who: h.Who, Action: h.Action, Version: deref(h.Version), From: h.From, To: h.To,
			Outcome: record.Outcome(deref(h.Outcome)), Message: deref(h.Message)}))
	}
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
		r.printf("%s\n", historyLine(e))
	}
	return nil
}

// historyLine is one history entry on one line.
func historyLine(e record.Entry) string {
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
	return line
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
		switch {
		case errors.Is(err, ErrStackNotFound):
			// Not a failure: a preview needs the stack, and only a deploy creates one.
			p.Err = fmt.Errorf("%s is not deployed (its stack does not exist yet): nothing to preview; `bluegreen deploy %s` creates it", c, c)
		case err != nil:
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
