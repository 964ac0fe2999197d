//go:build upgradefixture

package daytwo

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/enginetest"
)

// TestUpgradeFixtureGenerate deploys each upgrade shape with the program of the checkout
// it runs in — which must be fdcf84c, the program as deployed before listeners and
// ingress rules were renamed — and saves it as a fixture under
// $WEBAPI_UPGRADE_FIXTURE_OUT/<shape>. testdata/upgrade/regenerate.sh runs it.
func TestUpgradeFixtureGenerate(t *testing.T) {
	out := os.Getenv("WEBAPI_UPGRADE_FIXTURE_OUT")
	if out == "" {
		t.Fatal("WEBAPI_UPGRADE_FIXTURE_OUT must name the directory the fixtures go to (testdata/upgrade)")
	}
	for _, shape := range upgradeShapes {
		t.Run(shape.Name, func(t *testing.T) {
			t.Parallel()
			w := enginetest.New(t, enginetest.Options{Stacks: shape.Stacks})
			for _, c := range infra.Colors {
				if _, ok := shape.Stacks[c]; ok {
					w.Up(t, c)
				}
			}
			plan := w.Plan(t, infra.Blue)
			for _, name := range shape.OldNames {
				if plan[name] != "same" {
					t.Fatalf("%s is not deployed (plan %q): this is not the old program; run at fdcf84c", name, plan[name])
				}
			}
			w.SaveFixture(t, filepath.Join(out, shape.Name))
		})
	}
}
