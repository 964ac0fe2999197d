package engine

import (
	"maps"
	"sync"
	"time"

	"github.com/webapi-platform/infra/infra"
)

// OutputsMaxAge is how long a stack's outputs read by this Auto are served again without
// asking the CLI. One command reads the same outputs many times (each gate, the smoke
// test, the readiness checks, status), and every read runs the CLI and decrypts the
// stack's secrets (about half a second each). This Auto's own updates replace or drop the
// entry, and taking the release lease drops them all (release.OutputsCache): a command
// that changes anything acts only on outputs read while it holds the lease, when no other
// run may update the stacks. A read-only command (no lease) serves one snapshot at most
// OutputsMaxAge old: what a single read at its start would have given.
const OutputsMaxAge = 30 * time.Second

// outputsCache holds each colour's last outputs and when they were read.
type outputsCache struct {
	mu      sync.Mutex
	now     func() time.Time
	entries map[infra.Color]outputsEntry
}

type outputsEntry struct {
	outs map[string]any
	at   time.Time
}

func newOutputsCache(now func() time.Time) *outputsCache {
	return &outputsCache{now: now, entries: map[infra.Color]outputsEntry{}}
}

// get returns a copy of c's outputs when they were read less than OutputsMaxAge ago.
func (o *outputsCache) get(c infra.Color) (map[string]any, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, ok := o.entries[c]
	if !ok || o.now().Sub(e.at) >= OutputsMaxAge {
		return nil, false
	}
	return maps.Clone(e.outs), true
}

// put remembers c's outputs as read now.
func (o *outputsCache) put(c infra.Color, outs map[string]any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.entries[c] = outputsEntry{outs: maps.Clone(outs), at: o.now()}
}

// drop forgets c's outputs: the stack changed, or may have.
func (o *outputsCache) drop(c infra.Color) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.entries, c)
}

// dropAll forgets every colour's outputs.
func (o *outputsCache) dropAll() {
	o.mu.Lock()
	defer o.mu.Unlock()
	clear(o.entries)
}
