package daytwo

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/awsdouble"
	"github.com/webapi-platform/infra/internal/awsops"
	"github.com/webapi-platform/infra/internal/bake"
	"github.com/webapi-platform/infra/internal/engine"
	"github.com/webapi-platform/infra/internal/enginetest"
	"github.com/webapi-platform/infra/internal/release"
	"github.com/webapi-platform/infra/internal/testutil"
)

// changesEngine records the changes of each update the tool runs.
type changesEngine struct {
	release.Engine
	ups []release.Changes
}

func (e *changesEngine) Up(ctx context.Context, c infra.Color, opts release.UpOptions) (release.Changes, error) {
	ch, err := e.Engine.Up(ctx, c, opts)
	e.ups = append(e.ups, ch)
	return ch, err
}

// bakesTouched are the bake commands the last update changed.
func (e *changesEngine) bakesTouched() []string {
	var out []string
	for _, u := range e.ups[len(e.ups)-1].Touched {
		if strings.Contains(u, awsdouble.TypeCommand+"::") {
			out = append(out, u[strings.LastIndex(u, "::")+2:])
		}
	}
	slices.Sort(out)
	return out
}

func amazonWindows(id string, d int) awsdouble.Image {
	created := time.Date(2026, 11, d, 6, 0, 0, 0, time.UTC)
	return awsdouble.Image{ID: id, Name: "Windows_Server-2022-English-Full-Base-" + created.Format("2006.01.02"), OwnerAlias: "amazon", OwnerID: "801119661308", Created: created}
}

// The scheduled image refresh on the real program: base-ami finds the newest Amazon
// Windows Server image for the idle colour (green, baking; blue, the edge, prebaked),
// `deploy green --base-ami` bakes both stages on it, a deploy without the flag or with
// the same pin bakes nothing (the pin comes from green's outputs), and a newer image
// replaces both bake commands and rolls the fleet to the new app AMI.
func TestBaseAmiRefreshRebakesTheIdleColourOnlyForANewImage(t *testing.T) {
	t.Parallel()
	p := newBakePacker(t)
	w := enginetest.New(t, enginetest.Options{
		Checkout: true,
		Env:      map[string]string{bake.EnvPacker: p.path},
		Stacks: map[infra.Color]testutil.StackConfig{infra.Blue: testutil.Blue(), infra.Green: testutil.Green(
			"amiId", testutil.Unset, "appRepository", bakeAppRepository, "appRef", bakeAppCommit, "dotnetChannel", "10.0")},
	})
	eng := &changesEngine{Engine: w.Engine}
	out := &enginetest.SyncBuffer{}
	r := &release.Release{Engine: eng, Health: w.Health(), Clock: release.RealClock{}, Out: out, Store: w.RecordStore(t),
		Owner: enginetest.Owner("refresh-1"), Locks: w.Engine, ProcessAlive: engine.ProcessAlive}
	ctx := context.Background()
	deploy := func(opts release.DeployOptions) ([]bakeBuild, []string) {
		t.Helper()
		before := len(p.Builds(t))
		require.NoError(t, r.Deploy(ctx, infra.Green, opts), "tool:\n%s\nengine:\n%s", out.String(), w.Log.String())
		return p.Since(t, before)
	}
	greenOutputs := func() map[string]any {
		t.Helper()
		outs, err := w.Engine.Outputs(ctx, infra.Green)
		require.NoError(t, err)
		return outs
	}
	require.NoError(t, r.Deploy(ctx, infra.Blue, release.DeployOptions{}), out.String())

	ec2 := awsdouble.NewEC2(amazonWindows("ami-0a000000000001112", 12), amazonWindows("ami-0a000000000001126", 26), amazonWindows("ami-0a000000000001015", 15))
	images := awsops.ImagesFromClient(ec2)
	first, err := r.BaseAmi(ctx, images, "")
	require.NoError(t, err)
	require.Equal(t, "ami-0a000000000001126", first.ID, "the newest for green's windowsVersion")

	builds, stages := deploy(release.DeployOptions{BaseAmiID: first.ID})
	require.Equal(t, []string{"prerequisites", "app"}, stages)
	assert.Equal(t, first.ID, builds[0].SourceAmi, "Packer built on the pin")
	assert.Equal(t, builds[0].Ami, builds[1].SourceAmi)
	assert.Equal(t, first.ID, greenOutputs()[infra.OutBaseAmiID])
	assert.Equal(t, builds[1].Ami, greenOutputs()[infra.OutAmiID])

	_, stages = deploy(release.DeployOptions{})
	assert.Empty(t, stages, "no flag: the pin from green's outputs, nothing baked")
	assert.Empty(t, eng.bakesTouched())
	assert.Equal(t, first.ID, greenOutputs()[infra.OutBaseAmiID], "still pinned")
	_, stages = deploy(release.DeployOptions{BaseAmiID: first.ID})
	assert.Empty(t, stages, "the same pin: nothing baked")
	assert.Empty(t, eng.bakesTouched())

	ec2.PutImage(amazonWindows("ami-0a000000000001210", 30))
	next, err := r.BaseAmi(ctx, images, "")
	require.NoError(t, err)
	require.Equal(t, "ami-0a000000000001210", next.ID)
	rebuilt, stages := deploy(release.DeployOptions{BaseAmiID: next.ID})
	require.Equal(t, []string{"prerequisites", "app"}, stages)
	assert.Equal(t, next.ID, rebuilt[0].SourceAmi)
	assert.Equal(t, builds[1].Hash, rebuilt[1].Hash, "the app's own inputs are the same; it re-bakes on the new prerequisites AMI")
	assert.Equal(t, []string{"image-green-app", "image-green-prerequisites"}, eng.bakesTouched(), "both bake commands replaced")
	assert.Equal(t, 2, eng.ups[len(eng.ups)-1].Counts["replace"], "%v", eng.ups[len(eng.ups)-1].Counts)
	assert.Equal(t, next.ID, greenOutputs()[infra.OutBaseAmiID])
	assert.Equal(t, rebuilt[1].Ami, greenOutputs()[infra.OutAmiID], "the fleet runs the new app AMI")
}
