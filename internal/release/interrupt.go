package release

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
)

// InterruptBudget is how long the tool has, from an interrupt, to restore traffic
// itself: a cancelled GitHub Actions job gets SIGINT, SIGTERM 7.5 s later and SIGKILL
// 2.5 s after that (REFERENCE.md, "Cancelling a GitHub Actions job"). The restore must be
// done, verified and recorded before the SIGKILL, with a margin for the record writes.
const InterruptBudget = 8 * time.Second

// minDirectRestore is the least time a direct restore needs: a ModifyListener, a few
// DescribeListeners to verify it, and two record writes. With less left, it is not begun.
const minDirectRestore = 2 * time.Second

// ReconcilePending begins the message of a release restored directly on the listener:
// the edge stack's state still holds the weights before the restore until the next
// command refreshes the listener.
const ReconcilePending = "restored directly — reconcile pending"

// interruptClock notes when the command's context ended (the interrupt), so the restore
// after it knows how much of the budget is left.
type interruptClock struct {
	mu sync.Mutex
	at time.Time
}

func (c *interruptClock) note() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		c.at = time.Now()
	}
}

// left is what remains of the budget (the whole budget when no interrupt was noted).
func (c *interruptClock) left(budget time.Duration) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		return budget
	}
	return budget - time.Since(c.at)
}

// watchInterrupt notes when ctx ends; the returned function stops watching.
func (r *Release) watchInterrupt(ctx context.Context) func() bool {
	r.intr = &interruptClock{}
	return context.AfterFunc(ctx, r.intr.note)
}

// interrupted handles an interrupt (SIGINT, SIGTERM) during a release. If traffic has
// moved and a direct restore fits in what is left of InterruptBudget, the listener goes
// back to the stable colour by ModifyListener, verified, and the release is recorded as
// rolled back with ReconcilePending; otherwise the record keeps where it stopped (and
// the lease), and the next command — or the workflow's cancelled() step — finishes it.
func (r *Release) interrupted(ctx context.Context, st *state, rec record.Record, label string, cause error) error {
	rel := rec.Release
	msg := fmt.Sprintf("interrupted at %s, phase %s (%v)", label, rel.Phase, cause)
	r.printf("%s: %s\n", label, msg)
	start := time.Now()
	to, err := r.restoreDirectly(ctx, st, rec, msg)
	if err == nil {
		r.printf("%s: restored directly to %s in %s (ModifyListener, verified); the next command refreshes the listener into the edge stack's state\n",
			label, to, time.Since(start).Round(time.Millisecond))
		r.endLease(ctx)
		return RolledBack{Cause: errors.New(msg), Restored: to}
	}
	r.printf("%s: no direct restore: %v\n", label, err)
	r.note(ctx, record.Entry{Action: "interrupted", Version: rel.AppRef, To: &rel.To, Message: msg})
	return fmt.Errorf("%s: the release record keeps release %s there; run `bluegreen shift %s` to resume it, or `bluegreen rollback` (to %s)",
		msg, rel.ID, rel.Target, rec.StableColor)
}

// restoreDirectly sends all traffic to the stable colour with one ModifyListener on a
// fresh context bounded by what is left of the budget, verifies it on fresh readings and
// records it. Nothing is done (an error says why) when traffic never moved, when the
// tool has no AWS client that can modify listeners, or when the budget is spent.
func (r *Release) restoreDirectly(ctx context.Context, st *state, rec record.Record, msg string) (infra.Weights, error) {
	stable := rec.StableColor
	setter, ok := r.Health.(ListenerSetter)
	budget := cmp.Or(r.InterruptBudget, InterruptBudget)
	left := budget
	if r.intr != nil {
		left = r.intr.left(budget)
	}
	switch {
	case stable == "" || st.deployed == nil:
		return infra.Weights{}, errors.New("the record has no stable colour")
	case !ok:
		return infra.Weights{}, errors.New("no AWS client that can modify the listener")
	case left < minDirectRestore:
		return infra.Weights{}, fmt.Errorf("%s of the %s budget left, less than the %s a direct restore needs", max(left, 0).Round(time.Millisecond), budget, minDirectRestore)
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), left)
	defer cancel()
	to := with(stable, 100)
	live, err := r.readLive(dctx, st)
	if err != nil {
		return infra.Weights{}, err
	}
	if rec, err = r.write(dctx, func(rec record.Record, now time.Time) (record.Record, error) {
		return record.StartRestore(rec, live, ReconcilePending+": "+msg, now)
	}); err != nil {
		return infra.Weights{}, err
	}
	if err := r.setDirect(dctx, st, setter, to); err != nil {
		return infra.Weights{}, err
	}
	_, err = r.write(dctx, func(rec record.Record, now time.Time) (record.Record, error) {
		return record.Restored(rec, r.who(), now)
	})
	return to, err
}

// setDirect sets the listener's weights with one ModifyListener, outside the engine,
// and verifies them on fresh readings within ctx.
func (r *Release) setDirect(ctx context.Context, st *state, setter ListenerSetter, w infra.Weights) error {
	if err := setter.SetListenerWeights(ctx, st.deployed.ListenerArn, map[string]int{
		st.targetGroup(infra.Blue): w.Blue, st.targetGroup(infra.Green): w.Green,
	}); err != nil {
		return fmt.Errorf("ModifyListener %s: %w", st.deployed.ListenerArn, err)
	}
	return r.verifyDirect(ctx, st, w)
}

// verifyDirect re-reads the listener until it serves w, within ctx.
func (r *Release) verifyDirect(ctx context.Context, st *state, w infra.Weights) error {
	for {
		live, err := r.readLive(ctx, st)
		if err == nil && live == w {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("verify listener weights: %s not seen in time (last %s, %v)", w, live, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// reconcile refreshes the traffic listener into the edge stack's state when the last
// release was restored directly (its state still holds the weights before the restore,
// and an update to those weights would change nothing), and records that it did.
func (r *Release) reconcile(ctx context.Context, st *state) error {
	rel := st.rec.Release
	if rel == nil || rel.Phase != record.PhaseDone || !strings.HasPrefix(rel.Message, ReconcilePending) || st.deployed == nil {
		return nil
	}
	r.printf("release %s was restored directly on the listener: refreshing %s into stack %s's state\n", rel.ID, st.deployed.ListenerURN, st.edge)
	targets := []string{st.deployed.ListenerURN}
	err := r.Engine.Refresh(ctx, st.edge, targets)
	if isLocked(err) && r.lease != nil && r.Locks != nil {
		if cleared, why := r.clearStaleLocks(ctx, st.edge); !cleared {
			return fmt.Errorf("%w\n%s", err, why)
		}
		err = r.Engine.Refresh(ctx, st.edge, targets)
	}
	if err != nil {
		return fmt.Errorf("reconciling the listener after a direct restore: %w", err)
	}
	rec, err := r.write(ctx, func(rec record.Record, now time.Time) (record.Record, error) {
		if rec.Release != nil && rec.Release.ID == rel.ID {
			r := *rec.Release
			r.Message = "restored directly, state reconciled" + strings.TrimPrefix(r.Message, ReconcilePending)
			rec.Release = &r
		}
		return rec, nil
	})
	if err != nil {
		return err
	}
	st.rec = rec
	r.note(ctx, record.Entry{Action: "reconciled", Version: rel.AppRef, Message: "refreshed " + st.deployed.ListenerURN})
	return nil
}
