package enginetest

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/testutil"
)

// The harness itself, on one deployed blue stack (green and the StackReference are
// exercised by every engine test of the tool and the day-two tests): the real program
// deploys on the double, a second up plans nothing, a second checkout of the project
// plans nothing either, and a fixture saved from the World starts the same World again.
func TestWorldDeploysTheProgramAndPlansNothingTwice(t *testing.T) {
	t.Parallel()
	stacks := map[infra.Color]testutil.StackConfig{infra.Blue: testutil.Blue()}
	w := New(t, Options{Stacks: stacks})
	w.Up(t, infra.Blue)
	assert.Empty(t, Changed(w.Plan(t, infra.Blue)), "a second up with no change changes nothing")
	other := w.SecondCheckout(t, Options{Stacks: stacks})
	assert.Empty(t, Changed(other.Plan(t, infra.Blue)), "another folder, same commit: nothing to do")
	assert.NotEqual(t, w.Dir, other.Dir)
	checkFixtureRoundTrip(t, w)
}
