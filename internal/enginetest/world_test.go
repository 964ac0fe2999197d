package enginetest

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/testutil"
)

// The harness itself: the real program deploys blue and green on the double, a second
// up plans nothing, and a second checkout of the project plans nothing either.
func TestWorldDeploysTheProgramAndPlansNothingTwice(t *testing.T) {
	t.Parallel()
	stacks := map[infra.Color]testutil.StackConfig{infra.Blue: testutil.Blue(), infra.Green: testutil.Green()}
	w := New(t, Options{Stacks: stacks})
	for _, c := range infra.Colors {
		w.Up(t, c)
	}
	for _, c := range infra.Colors {
		assert.Empty(t, Changed(w.Plan(t, c)), "%s: a second up with no change changes nothing", c)
	}
	other := w.SecondCheckout(t, Options{Stacks: stacks})
	assert.Empty(t, Changed(other.Plan(t, infra.Blue)), "another folder, same commit: nothing to do")
	assert.NotEqual(t, w.Dir, other.Dir)
}
