package release

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// RollbackOptions say where a rollback sends all traffic.
type RollbackOptions struct {
	To     infra.Color // explicit destination; empty: the release record's stable colour
	Revert bool        // a completed release may be reverted (it is not by default)
	Force  bool        // even when the destination is not ready to take all traffic
	// ScaleUp deploys a destination that is scaled below what it must carry at that
	// capacity (run options, never config), waits until it is ready, then rolls back.
	ScaleUp bool
}

// Rollback sends all traffic to one colour in one targeted update, verified on the live
// listener, and says where and why: the release in progress goes back to the colour that
// served before its first shift; a completed release only with Revert; anywhere with To.
// With no release to roll back it changes nothing and says why. The destination must be
// ready to take all traffic (stable.go), else the rollback is refused — unless Force, or
// ScaleUp scales it first, or the rollback finishes a restore under way (a warning).
func (r *Release) Rollback(ctx context.Context, opts RollbackOptions) error {
	st, err := r.lookDeployed(ctx)
	if err != nil {
		return err
	}
	if err := r.takeLease(ctx); err != nil {
		return err
	}
	defer r.stopKeeping()
	if err := r.reconcile(ctx, st); err != nil {
		return r.settle(ctx, err)
	}
	to, why, err := rollbackTarget(st.rec, st.live, opts)
	switch {
	case err != nil:
	case finishesRestore(st.rec, to) && !opts.ScaleUp:
		// A restore under way (ROLLBACK FAILED left it) is finished whatever the stable
		// colour's state, with a warning, as the automatic restore does: traffic split
		// onto the colour that failed, with nobody watching, is worse.
		r.warnUnready(ctx, st, to, "rollback")
	default:
		err = r.requireReady(ctx, st, to, opts)
	}
	if err != nil {
		return r.settle(ctx, err)
	}
	r.printf("%s\n", why)
	return r.rollTo(ctx, st, to, why)
}

// finishesRestore says whether a rollback to `to` finishes the restore the record says
// is under way (phase restoring, to its stable colour).
func finishesRestore(rec record.Record, to infra.Color) bool {
	return rec.Release != nil && rec.Release.Phase == record.PhaseRestoring && to == rec.StableColor
}

// rollTo records the rollback, applies it and records the outcome. The release in
// progress, or a held split, is restored (to its stable colour) or aborted (--to
// elsewhere).
func (r *Release) rollTo(ctx context.Context, st *state, to infra.Color, why string) error {
	w := with(to, 100)
	rel := st.rollbackable()
	restoring := rel != nil && to == st.rec.StableColor
	if rel != nil {
		if _, err := r.write(ctx, func(rec record.Record, now time.Time) (record.Record, error) {
			if restoring {
				return record.StartRestore(rec, st.live, "rollback by "+r.who(), now)
			}
			return record.Abort(rec, r.who(), why, now)
		}); err != nil {
			return err
		}
	}
	start := r.Clock.Now()
	if err := r.applyRestore(ctx, st, w); err != nil {
		return fmt.Errorf("rollback to %s failed (the listener served %s before it; run the rollback again): %w", w, st.live, err)
	}
	if restoring {
		if _, err := r.write(ctx, func(rec record.Record, now time.Time) (record.Record, error) {
			return record.Restored(rec, r.who(), now)
		}); err != nil {
			r.printf("warning: the rollback is done but recording it failed: %v\n", err)
		}
	} else {
		from := st.live
		r.note(ctx, record.Entry{Action: "rollback", From: &from, To: &w, Message: why})
	}
	r.endLease(ctx)
	last := r.Touched[len(r.Touched)-1]
	r.printf("rolled back to %s in %s (%d resource(s) updated: %s)\n", w, r.Clock.Now().Sub(start).Round(time.Millisecond), last.Modified(), strings.Join(last.Touched, ", "))
	return nil
}

// rollbackTarget decides where a rollback goes, and says why, from the record and the
// live weights; a rollback with nowhere to go is refused.
func rollbackTarget(rec record.Record, live infra.Weights, opts RollbackOptions) (infra.Color, string, error) {
	rel := rec.Release
	active := record.Resume(rec) != record.NextNothing
	switch {
	case opts.To != "":
		return opts.To, fmt.Sprintf("rollback --to %s: sending all traffic to %s, as asked (the listener serves %s)", opts.To, opts.To, live), nil
	case active && rec.StableColor != "":
		return rec.StableColor, fmt.Sprintf("rolling back release %s (%s into %s, %s, phase %s): sending all traffic to %s, the colour that served before its first shift",
			rel.ID, orDash(rel.AppRef), rel.Target, stepLabel(rec), rel.Phase, rec.StableColor), nil
	case record.Holding(rec) && rec.StableColor != "":
		return rec.StableColor, fmt.Sprintf("rolling back held release %s (%s into %s, holding %s): sending all traffic to %s, the colour that served before its first shift",
			rel.ID, orDash(rel.AppRef), rel.Target, rel.To, rec.StableColor), nil
	case rel != nil && rel.Outcome == record.OutcomeSucceeded && live.Of(rel.Target) == 100 && rec.StableColor != "":
		if !opts.Revert {
			return "", "", Refusef("release %s (%s into %s) completed and %s serves all traffic: reverting a completed release is explicit: "+
				"`bluegreen rollback --revert` sends everything back to %s (or `bluegreen rollback --to <colour>`)", rel.ID, orDash(rel.AppRef), rel.Target, rel.Target, rec.StableColor)
		}
		return rec.StableColor, fmt.Sprintf("reverting completed release %s (%s into %s): sending all traffic to %s, the colour that served before it",
			rel.ID, orDash(rel.AppRef), rel.Target, rec.StableColor), nil
	}
	why := "the release record has no release"
	if rel != nil {
		why = fmt.Sprintf("the last one, %s into %s, ended %s", rel.ID, rel.Target, rel.Outcome)
	}
	return "", "", Refusef("no release is in progress (%s) and the listener serves %s: nothing to roll back, nothing was changed; "+
		"to send all traffic to one colour, run `bluegreen rollback --to <colour>`", why, live)
}
