package daytwo

import (
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/enginetest"
)

// sharedFixture is a World deployed once per test binary and saved as a fixture
// (enginetest's SaveFixture), for the tests that all start from the same deployed
// stacks: each starts a World of its own from it (Options.Fixture) instead of deploying
// the same stacks again. A deploy from nothing is the costliest step of these tests.
type sharedFixture struct {
	once sync.Once
	dir  string
	err  error
}

// sharedFixtures are removed by TestMain.
var sharedFixtures []*sharedFixture

func newSharedFixture() *sharedFixture {
	f := &sharedFixture{}
	sharedFixtures = append(sharedFixtures, f)
	return f
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range sharedFixtures {
		if f.dir != "" {
			os.RemoveAll(f.dir)
		}
	}
	os.Exit(code)
}

// get returns the fixture's directory. The first caller's test makes it: deploy deploys
// a World (failing that test when it cannot), and save writes it into the directory
// given; every other caller waits for it, and fails if it was not made.
func (f *sharedFixture) get(t *testing.T, deploy func(t *testing.T) *enginetest.World, save func(t *testing.T, w *enginetest.World, dir string)) string {
	t.Helper()
	f.once.Do(func() {
		// Until the end: a t.Fatal on the way leaves this for the tests waiting.
		f.err = errors.New("the shared fixture was not made: see the first test that asked for it")
		w := deploy(t)
		dir, err := os.MkdirTemp("", "daytwo-fixture-")
		if err != nil {
			f.err = err
			return
		}
		f.dir = dir
		save(t, w, dir)
		f.err = nil
	})
	require.NoError(t, f.err)
	return f.dir
}

// saveWorld is the save of a World alone.
func saveWorld(t *testing.T, w *enginetest.World, dir string) { w.SaveFixture(t, dir) }
