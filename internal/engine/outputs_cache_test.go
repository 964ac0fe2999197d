package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/webapi-platform/infra/infra"
)

func TestOutputsCacheServesRecentReadsOnlyAndCopies(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	cache := newOutputsCache(func() time.Time { return now })
	_, ok := cache.get(infra.Blue)
	assert.False(t, ok, "nothing read yet")

	cache.put(infra.Blue, map[string]any{"appRef": "v1"})
	got, ok := cache.get(infra.Blue)
	assert.True(t, ok)
	assert.Equal(t, map[string]any{"appRef": "v1"}, got)
	got["appRef"] = "changed by a caller"
	again, _ := cache.get(infra.Blue)
	assert.Equal(t, "v1", again["appRef"], "callers get copies")
	_, ok = cache.get(infra.Green)
	assert.False(t, ok, "per colour")

	now = now.Add(OutputsMaxAge - time.Second)
	_, ok = cache.get(infra.Blue)
	assert.True(t, ok, "still recent")
	now = now.Add(time.Second)
	_, ok = cache.get(infra.Blue)
	assert.False(t, ok, "too old: read again")

	cache.put(infra.Blue, map[string]any{"appRef": "v2"})
	cache.drop(infra.Blue)
	_, ok = cache.get(infra.Blue)
	assert.False(t, ok, "dropped after a change")

	cache.put(infra.Blue, map[string]any{"appRef": "v2"})
	cache.put(infra.Green, map[string]any{"appRef": "v3"})
	cache.dropAll()
	_, okB := cache.get(infra.Blue)
	_, okG := cache.get(infra.Green)
	assert.False(t, okB || okG, "all dropped when the lease is taken")
}
