package release

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// directTimeout bounds the break-glass rollback's ModifyListener and its verification.
const directTimeout = time.Minute

// DirectOptions are the options of `rollback --direct`.
type DirectOptions struct {
	To    infra.Color // explicit destination; empty: the release record's stable colour
	Force bool        // even when the destination is not ready to take all traffic
	// ListenerArn and TargetGroupArns (colour → ARN) name the edge when the release
	// record does not (a release started by an older tool); given, they win over it.
	ListenerArn     string
	TargetGroupArns map[string]string
}

// RollbackDirect is the break-glass rollback, for when the engine cannot run (a backend
// lock held by a dead process, a program that fails to evaluate, an unreachable
// backend): it never calls the Engine. The listener and the target groups come from the
// release record (recorded when the release started) or the options; the destination
// is checked as every rollback's is, as far as AWS alone tells (its group when the
// record names it); the listener is set with one ModifyListener, verified with
// DescribeListeners, and the release recorded as restored (or aborted, --to elsewhere)
// with ReconcilePending: the next shift or rollback refreshes the listener into the edge
// stack's state.
func (r *Release) RollbackDirect(ctx context.Context, opts DirectOptions) error {
	start := time.Now()
	if err := r.requireStore(); err != nil {
		return err
	}
	rec, _, err := r.Store.Load(ctx)
	if err != nil {
		return fmt.Errorf("reading the release record: %w", err)
	}
	st, err := directState(rec, opts)
	if err != nil {
		return err
	}
	setter, ok := r.Health.(ListenerSetter)
	if !ok {
		return errors.New("rollback --direct needs AWS access that can modify the listener (ELBv2 ModifyListener)")
	}
	if st.live, err = r.readLive(ctx, st); err != nil {
		return fmt.Errorf("reading listener %s (its region is in its ARN; --direct takes the region from --region, AWS_REGION or the AWS config, never from the stack): %w",
			st.deployed.ListenerArn, err)
	}
	st.liveFromALB = true
	if err := r.takeLease(ctx); err != nil {
		return err
	}
	defer r.stopKeeping()
	to, err := r.directTarget(ctx, st, opts)
	if err != nil {
		return r.settle(ctx, err)
	}
	from := st.live
	w, err := r.rollDirect(ctx, st, setter, to)
	if err != nil {
		return r.settle(ctx, err)
	}
	elapsed := time.Since(start).Round(time.Millisecond)
	r.note(ctx, record.Entry{Action: "rollback --direct", Version: st.rec.Release.AppRef, From: &from, To: &w,
		Message: fmt.Sprintf("ModifyListener %s, verified, in %s, without the engine; %s", st.deployed.ListenerArn, elapsed, ReconcilePending)})
	r.endLease(ctx)
	r.printf("rolled back directly to %s in %s (ModifyListener, verified with DescribeListeners; no engine run)\n", w, elapsed)
	r.printReconcile(st, from)
	return nil
}

// directState is the state --direct starts from: the edge as the record (or the options)
// name it, and the record; no engine call.
func directState(rec record.Record, opts DirectOptions) (*state, error) {
	var edge record.Edge
	if rec.Edge != nil {
		edge = *rec.Edge
	}
	edge.ListenerArn = cmp.Or(opts.ListenerArn, edge.ListenerArn)
	if len(opts.TargetGroupArns) > 0 {
		edge.TargetGroupArns = maps.Clone(opts.TargetGroupArns)
	}
	for k := range edge.TargetGroupArns {
		if _, err := infra.ParseColor(k); err != nil {
			return nil, Usagef("--target-groups: %q is no colour: want blue=<arn>,green=<arn>", k)
		}
	}
	if edge.ListenerArn == "" || edge.TargetGroupArns[string(infra.Blue)] == "" || edge.TargetGroupArns[string(infra.Green)] == "" {
		return nil, Usagef("rollback --direct: the release record does not name the edge's listener and both target groups (a release started by this tool records them): "+
			"pass --listener-arn <arn> and --target-groups blue=<arn>,green=<arn> (the edge stack's outputs %s and %s)", infra.OutListenerArn, infra.OutTargetGroupArns)
	}
	return &state{edge: edge.Stack, undeployed: "not read: --direct", rec: rec,
		deployed: &infra.EdgeValues{ListenerArn: edge.ListenerArn, TargetGroupArns: edge.TargetGroupArns}}, nil
}

// directTarget is where --direct sends all traffic: the stable colour of the release in
// progress (or of a held split), or To; refused with neither, or a destination that is
// not ready (unless Force). Its group is checked when the record names it.
func (r *Release) directTarget(ctx context.Context, st *state, opts DirectOptions) (infra.Color, error) {
	rel := st.rollbackable()
	if rel == nil {
		why := "the release record has no release"
		if last := st.rec.Release; last != nil {
			why = fmt.Sprintf("the last one, %s into %s, ended %s", last.ID, last.Target, last.Outcome)
		}
		return "", Refusef("no release is in progress or holding a split (%s) and the listener serves %s: --direct rolls back a release in progress or a held split only, nothing was changed; "+
			"with a working engine, `bluegreen rollback --to <colour>` (or --revert) sends traffic anywhere", why, st.live)
	}
	to := cmp.Or(opts.To, st.rec.StableColor)
	if to == "" {
		return "", Refusef("release %s has no stable colour in the record: pass --to <colour>", rel.ID)
	}
	rd, err := r.readiness(ctx, st, to, st.live, recordNames(st.rec))
	if err != nil {
		return "", err
	}
	switch {
	case rd.ready():
	case opts.Force:
		r.printf("--force: rolling back to %s although it is not ready to take all traffic: %s\n", to, rd.describe())
	default:
		return "", Refusef("%s is not ready to take all traffic (%s): rolling back now would overload it, and --direct cannot scale it (that needs the engine: %s); --force rolls back anyway",
			to, rd.describe(), rd.scaleCommand())
	}
	r.printf("rollback --direct of release %s (%s into %s, %s, phase %s): sending all traffic to %s with ModifyListener, without the engine\n",
		rel.ID, orDash(rel.AppRef), rel.Target, stepLabel(st.rec), rel.Phase, to)
	return to, nil
}

// rollDirect records, sets and verifies the rollback. Back to the stable colour it is a
// restore (recorded before the change, so a failure leaves the record restoring); to
// the other colour the release is aborted once the listener is verified.
func (r *Release) rollDirect(ctx context.Context, st *state, setter ListenerSetter, to infra.Color) (infra.Weights, error) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), directTimeout)
	defer cancel()
	w := with(to, 100)
	msg := fmt.Sprintf("%s: rollback --direct by %s", ReconcilePending, r.who())
	restoring := to == st.rec.StableColor
	if restoring {
		if _, err := r.write(dctx, func(rec record.Record, now time.Time) (record.Record, error) {
			return record.StartRestore(rec, st.live, msg, now)
		}); err != nil {
			return w, err
		}
	}
	if err := r.setDirect(dctx, st, setter, w); err != nil {
		return w, fmt.Errorf("rollback --direct to %s failed (the listener served %s before it; run it again): %w", w, st.live, err)
	}
	var err error
	if restoring {
		_, err = r.write(dctx, func(rec record.Record, now time.Time) (record.Record, error) {
			return record.Restored(rec, r.who(), now)
		})
	} else {
		_, err = r.write(dctx, func(rec record.Record, now time.Time) (record.Record, error) {
			return record.Abort(rec, r.who(), msg, now)
		})
	}
	if err != nil {
		r.printf("warning: the rollback is done but recording it failed: %v\n", err)
	}
	return w, nil
}

// printReconcile says what the break-glass rollback left for later.
func (r *Release) printReconcile(st *state, before infra.Weights) {
	edge := "the edge stack"
	if st.edge != "" {
		edge = "the edge stack " + string(st.edge)
	}
	stack := cmp.Or(string(st.edge), "<edge stack>")
	lines := []string{
		fmt.Sprintf("%s's state still holds the listener's weights from before (the listener served %s): the next `bluegreen shift` or `bluegreen rollback` refreshes the listener "+
			"into it first (pulumi refresh --target <listener URN>, recorded as \"reconciled\"); the stack's weights output follows at the edge's next update, and `bluegreen status` reports the drift until then", edge, before),
		fmt.Sprintf("a backend lock left by a process of this host that is gone is cleared by that command; any other: check that its update is dead, then `pulumi cancel --stack %s`", stack),
		fmt.Sprintf("whatever stopped the engine (a program that fails, an unreachable backend): fix it and check with `pulumi preview --stack %s` before the next release", stack),
	}
	r.printf("to reconcile:\n")
	for _, l := range lines {
		r.printf("  - %s\n", l)
	}
}
