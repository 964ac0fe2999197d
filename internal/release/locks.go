package release

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/webapi-platform/infra/infra"
)

// BackendLocks lists and removes a Pulumi backend's stack locks (the lock files a
// file backend keeps while an update runs). internal/engine implements it.
type BackendLocks interface {
	StackLocks(ctx context.Context, c infra.Color) ([]BackendLock, error)
	RemoveLock(ctx context.Context, l BackendLock) error
}

// BackendLock is one lock: where it is, and the process that took it.
type BackendLock struct {
	Path    string
	PID     int
	User    string
	Host    string
	Created time.Time
}

func (l BackendLock) String() string {
	return fmt.Sprintf("%s (taken by %s@%s, pid %d, at %s)", l.Path, l.User, l.Host, l.PID, l.Created.UTC().Format(time.RFC3339))
}

// restoreBackoff is the wait before each retry of a restore that met a backend lock: a
// live update of the stack (someone's refresh) may end within it.
var restoreBackoff = []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}

// isLocked says whether an update failed on the backend's lock: the DIY backend's
// "the stack is currently locked by" or Pulumi Cloud's 409 (auto.IsConcurrentUpdateError
// checks the CLI's stderr for both).
func isLocked(err error) bool {
	return err != nil && (auto.IsConcurrentUpdateError(err) || strings.Contains(err.Error(), "the stack is currently locked by"))
}

// up is every update the tool runs. One that meets the backend's lock while this command
// holds the release lease clears the lock if it is stale — left by a process of this
// host that is gone, such as a killed Pulumi CLI — and tries once more; any other lock is
// left alone and named.
func (r *Release) up(ctx context.Context, c infra.Color, opts UpOptions) (Changes, error) {
	ch, err := r.Engine.Up(ctx, c, opts)
	if !isLocked(err) || r.lease == nil || r.Locks == nil {
		return ch, err
	}
	cleared, why := r.clearStaleLocks(ctx, c)
	if !cleared {
		return ch, fmt.Errorf("%w\n%s", err, why)
	}
	return r.Engine.Up(ctx, c, opts)
}

// clearStaleLocks removes the stack's locks when every one is stale, and says what it
// did or why it did not.
func (r *Release) clearStaleLocks(ctx context.Context, c infra.Color) (bool, string) {
	locks, err := r.Locks.StackLocks(ctx, c)
	if err != nil {
		return false, fmt.Sprintf("the stack's backend locks could not be read: %v", err)
	}
	if len(locks) == 0 {
		return false, "no backend lock is left to clear (it was released meanwhile)"
	}
	var live []string
	for _, l := range locks {
		if !r.stale(l) {
			live = append(live, l.String())
		}
	}
	if len(live) > 0 {
		return false, fmt.Sprintf("stack %s is locked by a process that may be running (another host, or alive here), so the lock was left alone: %s",
			c, strings.Join(live, "; "))
	}
	for _, l := range locks {
		if err := r.Locks.RemoveLock(ctx, l); err != nil && !errors.Is(err, context.Canceled) {
			return false, fmt.Sprintf("removing the stale backend lock %s: %v", l, err)
		}
		r.printf("removed the stale backend lock %s: its process is gone from this host\n", l)
	}
	return true, ""
}

// stale says whether a lock was left by a process of this host that no longer runs.
func (r *Release) stale(l BackendLock) bool {
	return l.Host != "" && l.Host == r.Owner.Host && r.ProcessAlive != nil && l.PID > 0 && !r.ProcessAlive(l.PID)
}

// applyRestore applies a restore, retrying with backoff while the backend is locked.
func (r *Release) applyRestore(ctx context.Context, st *state, to infra.Weights) error {
	err := r.apply(ctx, st, to)
	for _, wait := range restoreBackoff {
		if !isLocked(err) {
			return err
		}
		r.printf("the backend is locked; trying the restore again in %s\n", wait)
		if serr := r.Clock.Sleep(ctx, wait); serr != nil {
			return err
		}
		err = r.apply(ctx, st, to)
	}
	return err
}
