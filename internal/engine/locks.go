package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/release"
)

var _ release.BackendLocks = (*Auto)(nil)

// lockFile is a DIY backend's lock: pulumi pkg/backend/diy/lock.go (lockContent),
// written at .pulumi/locks/<org>/<project>/<stack>/<lock id>.json while an update runs
// (project-scoped stacks; .pulumi/locks/<stack>/ in the legacy layout).
type lockFile struct {
	PID       int       `json:"pid"`
	Username  string    `json:"username"`
	Hostname  string    `json:"hostname"`
	Timestamp time.Time `json:"timestamp"`
}

// stateDir is a file backend's root directory; other backends keep locks elsewhere.
func (e *Auto) stateDir() (string, error) {
	u := e.BackendURL()
	rest, ok := strings.CutPrefix(u, "file://")
	if !ok {
		return "", fmt.Errorf("the backend %s is not a file backend: its locks are not files the tool can read (use `pulumi cancel`)", u)
	}
	dir, _, _ := strings.Cut(rest, "?")
	if dir == "~" || strings.HasPrefix(dir, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, strings.TrimPrefix(dir[1:], "/"))
	}
	return filepath.Abs(filepath.FromSlash(dir))
}

// StackLocks lists the lock files of a colour's stack in a file backend.
func (e *Auto) StackLocks(_ context.Context, c infra.Color) ([]release.BackendLock, error) {
	root, err := e.stateDir()
	if err != nil {
		return nil, err
	}
	locks := filepath.Join(root, ".pulumi", "locks")
	var paths []string
	for _, pattern := range []string{filepath.Join(locks, "*", e.project, string(c), "*.json"), filepath.Join(locks, string(c), "*.json")} {
		found, err := filepath.Glob(pattern)
		if err != nil {
			return nil, err
		}
		paths = append(paths, found...)
	}
	var out []release.BackendLock
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("reading backend lock %s: %w", p, err)
		}
		var l lockFile
		if err := json.Unmarshal(b, &l); err != nil {
			return nil, fmt.Errorf("backend lock %s: %w", p, err)
		}
		out = append(out, release.BackendLock{Path: p, PID: l.PID, User: l.Username, Host: l.Hostname, Created: l.Timestamp})
	}
	return out, nil
}

// RemoveLock deletes a lock file (gone already is fine).
func (e *Auto) RemoveLock(_ context.Context, l release.BackendLock) error {
	if err := os.Remove(l.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing backend lock %s: %w", l.Path, err)
	}
	return nil
}
