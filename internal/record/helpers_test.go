package record

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// storeKinds are the stores every behavioural test runs against: the file store in a
// temporary directory, the S3 store on the fake S3 (412 only), and the S3 store on a
// fake S3 whose overlapping conditional writes also get 409 ConditionalRequestConflict.
var storeKinds = []string{"file", "s3", "s3-with-409"}

func newStore(t *testing.T, kind string) Store {
	t.Helper()
	switch kind {
	case "file":
		return NewFileStore(t.TempDir())
	case "s3":
		s, _ := newS3Store(t)
		return s
	case "s3-with-409":
		s, f := newS3Store(t)
		f.conflictWindow = 2 * time.Millisecond
		return s
	}
	t.Fatalf("unknown store kind %q", kind)
	return nil
}

var t0 = time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)

func owner(i int) Owner {
	return Owner{User: fmt.Sprintf("user%d", i), Host: "host", PID: 1000 + i, RunURL: fmt.Sprintf("https://ci.example/runs/%d", i), RunID: fmt.Sprintf("run-%d", i)}
}

// together runs f(i) for i in [0, n) on n goroutines released at the same moment and
// returns their results in order.
func together[T any](n int, f func(i int) T) []T {
	out := make([]T, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			out[i] = f(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return out
}

// stepClock is a Clock that moves only when the test sends a tick.
type stepClock struct {
	mu    sync.Mutex
	now   time.Time
	ticks chan struct{}
}

func newStepClock(now time.Time) *stepClock {
	return &stepClock{now: now, ticks: make(chan struct{})}
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) Sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.ticks:
		c.mu.Lock()
		c.now = c.now.Add(d)
		c.mu.Unlock()
		return nil
	}
}

// countingStore counts the conflicts its Saves met, to show that a race really raced.
type countingStore struct {
	Store
	mu        sync.Mutex
	conflicts int
}

func (c *countingStore) Save(ctx context.Context, rec Record, expected Version) (Version, error) {
	v, err := c.Store.Save(ctx, rec, expected)
	if errors.Is(err, ErrConflict) {
		c.mu.Lock()
		c.conflicts++
		c.mu.Unlock()
	}
	return v, err
}

func (c *countingStore) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conflicts
}
