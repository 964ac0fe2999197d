package daytwo

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/awsdouble"
	"github.com/webapi-platform/infra/internal/bake"
	"github.com/webapi-platform/infra/internal/engine"
	"github.com/webapi-platform/infra/internal/enginetest"
	"github.com/webapi-platform/infra/internal/release"
	"github.com/webapi-platform/infra/internal/testutil"
)

// The bake chain through the real engine: the program's bake commands run
// `go run ./scripts/bake build|current` in the World's checkout, which runs a fake
// packer (bake_packer_test.go) whose log says exactly which stages were baked.

// Full commit ids, so the app stage resolves them without `git ls-remote`
// (internal/bake/gitref.go).
const (
	bakeAppRepository = "https://github.com/acme/webapi.git"
	bakeAppCommit     = "0123456789abcdef0123456789abcdef01234567"
	bakeNextCommit    = "89abcdef0123456789abcdef0123456789abcdef"
)

// Plan keys ("<type>::<name>") of what a bake touches.
const (
	bakePrereqKey         = awsdouble.TypeCommand + "::image-blue-prerequisites"
	bakeAppKey            = awsdouble.TypeCommand + "::image-blue-app"
	bakeLaunchTemplateKey = "aws:ec2/launchTemplate:LaunchTemplate::fleet-blue-lt"
	bakeAsgKey            = "aws:autoscaling/group:Group::fleet-blue-asg"
)

// Scripts only one template refers to: a byte of one re-bakes its stage.
const (
	bakeAppOnlyScript    = "images/scripts/deploy-app.ps1"
	bakePrereqOnlyScript = "images/scripts/install-iis.ps1"
)

// bakeWorld is a World whose blue stack bakes its image, with the fake packer's log.
type bakeWorld struct {
	*enginetest.World
	packer *bakePacker
	opts   enginetest.Options
}

func newBakeWorld(t *testing.T) *bakeWorld {
	t.Helper()
	p := newBakePacker(t)
	opts := enginetest.Options{
		Checkout: true,
		Env:      map[string]string{bake.EnvPacker: p.path},
		Stacks: map[infra.Color]testutil.StackConfig{infra.Blue: testutil.Blue(
			// dotnetChannel: the program reads no app repository (there is none here).
			"amiId", testutil.Unset, "appRepository", bakeAppRepository, "appRef", bakeAppCommit, "dotnetChannel", "10.0")},
	}
	return &bakeWorld{World: enginetest.New(t, opts), packer: p, opts: opts}
}

// bakeBaked is blue's first up in a bake World, baking both stages, with the fake
// packer's log of it (bakeBuildsFile).
var bakeBaked = newSharedFixture()

// bakeBuildsFile is the fake packer's log in bakeBaked's directory (a name that
// enginetest's fixture files never take).
const bakeBuildsFile = "packer-builds.log"

// newBakedWorld is a bake World after its first up, as newBakeWorld then upBaking would
// leave it, started from bakeBaked: its stacks, its AWS and its packer's log. It returns
// the first up's builds and stages.
func newBakedWorld(t *testing.T) (*bakeWorld, []bakeBuild, []string) {
	t.Helper()
	var baked *bakePacker // the packer of the World that made the fixture
	dir := bakeBaked.get(t, func(t *testing.T) *enginetest.World {
		w := newBakeWorld(t)
		w.upBaking(t)
		baked = w.packer
		return w.World
	}, func(t *testing.T, w *enginetest.World, dir string) {
		w.SaveFixture(t, dir)
		copyTestFile(t, baked.log, filepath.Join(dir, bakeBuildsFile))
	})
	p := newBakePacker(t)
	copyTestFile(t, filepath.Join(dir, bakeBuildsFile), p.log)
	opts := enginetest.Options{Checkout: true, Env: map[string]string{bake.EnvPacker: p.path}, Fixture: dir}
	w := &bakeWorld{World: enginetest.New(t, opts), packer: p, opts: opts}
	builds, stages := p.Since(t, 0)
	return w, builds, stages
}

func copyTestFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dst, b, 0o644))
}

// secondCheckout is w's project checked out in another folder (enginetest's), its
// engine running the program of that folder.
func (w *bakeWorld) secondCheckout(t *testing.T) *bakeWorld {
	t.Helper()
	return &bakeWorld{World: w.SecondCheckout(t, w.opts), packer: w.packer, opts: w.opts}
}

// upBaking deploys blue and returns the stages the up baked, in order.
func (w *bakeWorld) upBaking(t *testing.T) ([]bakeBuild, []string) {
	t.Helper()
	before := len(w.packer.Builds(t))
	w.Up(t, infra.Blue)
	return w.packer.Since(t, before)
}

// launchTemplateAmi is the AMI blue's fleet launches, as the double's AWS holds it.
func (w *bakeWorld) launchTemplateAmi(t *testing.T) string {
	t.Helper()
	ami, _ := w.launchTemplate(t)["imageId"].(string)
	return ami
}

// launchTemplate is blue's launch template as the double's AWS holds it.
func (w *bakeWorld) launchTemplate(t *testing.T) map[string]any {
	t.Helper()
	lts, err := w.Double.Resources("aws:ec2/launchTemplate:LaunchTemplate")
	require.NoError(t, err)
	require.Len(t, lts, 1, "one fleet, one launch template")
	return lts[0].Props
}

// amiOutputs are blue's stack outputs amiId and prerequisitesAmiId.
func (w *bakeWorld) amiOutputs(t *testing.T) (app, prereq any) {
	t.Helper()
	out, err := w.Engine.Outputs(context.Background(), infra.Blue)
	require.NoError(t, err)
	return out[infra.OutAmiID], out[infra.OutPrerequisites]
}

// appendToScript changes one byte's worth of a stage input in the World's checkout.
func (w *bakeWorld) appendToScript(t *testing.T, rel string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(w.Dir, rel), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("\n")
	require.NoError(t, errors.Join(err, f.Close()))
}

// One World, three facts in order: the first up bakes both stages and the fleet runs
// the app AMI; a second up with nothing changed bakes nothing; and a second checkout
// of the same commit in another folder bakes nothing either.
func TestBakeFirstUpBakesBothStagesThenNothingTwice(t *testing.T) {
	t.Parallel()
	w := newBakeWorld(t)
	builds, stages := w.upBaking(t)
	require.Equal(t, []string{"prerequisites", "app"}, stages)
	prereq, app := builds[0], builds[1]
	assert.Equal(t, prereq.Ami, app.SourceAmi, "the app is baked on the prerequisites AMI just baked")
	assert.NotEqual(t, prereq.Ami, app.Ami)
	assert.Equal(t, app.Ami, w.launchTemplateAmi(t), "the fleet launches the app AMI")
	gotApp, gotPrereq := w.amiOutputs(t)
	assert.Equal(t, app.Ami, gotApp)
	assert.Equal(t, prereq.Ami, gotPrereq)

	assert.Empty(t, enginetest.Changed(w.Plan(t, infra.Blue)), "nothing changed: nothing to do")
	_, stages = w.upBaking(t)
	assert.Empty(t, stages, "nothing changed: nothing baked")
	assert.Equal(t, app.Ami, w.launchTemplateAmi(t))

	other := w.secondCheckout(t)
	require.NotEqual(t, w.Dir, other.Dir)
	assert.Empty(t, enginetest.Changed(other.Plan(t, infra.Blue)), "another folder, same commit: nothing to do")
	_, stages = other.upBaking(t)
	assert.Empty(t, stages, "another folder, same commit: nothing baked")
	assert.Equal(t, app.Ami, other.launchTemplateAmi(t))
}

// bakeTemplateRefers says whether a stage's template refers to a script (the test's
// premise: the script is an input of that stage alone).
func bakeTemplateRefers(t *testing.T, dir string, stage bake.Stage, script string) bool {
	t.Helper()
	tpl, err := os.ReadFile(filepath.Join(dir, stage.Template))
	require.NoError(t, err)
	rel, err := filepath.Rel(filepath.Dir(stage.Template), script)
	require.NoError(t, err)
	return slices.Contains(bake.TemplateScripts(tpl), filepath.ToSlash(rel))
}

func TestBakeChangedAppScriptRebakesTheAppStageOnly(t *testing.T) {
	t.Parallel()
	w, first, firstStages := newBakedWorld(t)
	require.True(t, bakeTemplateRefers(t, w.Dir, bake.StageApp, bakeAppOnlyScript))
	require.False(t, bakeTemplateRefers(t, w.Dir, bake.StagePrerequisites, bakeAppOnlyScript))
	require.Equal(t, []string{"prerequisites", "app"}, firstStages)

	w.appendToScript(t, bakeAppOnlyScript)
	plan := w.Plan(t, infra.Blue)
	assert.Equal(t, "replace", plan[bakeAppKey])
	assert.Equal(t, "same", plan[bakePrereqKey])
	builds, stages := w.upBaking(t)
	require.Equal(t, []string{"app"}, stages)
	assert.NotEqual(t, first[1].Hash, builds[0].Hash, "a new app input hash")
	assert.Equal(t, first[0].Ami, builds[0].SourceAmi, "on the same prerequisites AMI")
	assert.Equal(t, builds[0].Ami, w.launchTemplateAmi(t), "the fleet launches the new app AMI")
}

func TestBakeChangedPrerequisitesScriptRebakesBothStages(t *testing.T) {
	t.Parallel()
	w, first, firstStages := newBakedWorld(t)
	require.True(t, bakeTemplateRefers(t, w.Dir, bake.StagePrerequisites, bakePrereqOnlyScript))
	require.False(t, bakeTemplateRefers(t, w.Dir, bake.StageApp, bakePrereqOnlyScript))
	require.Equal(t, []string{"prerequisites", "app"}, firstStages)

	w.appendToScript(t, bakePrereqOnlyScript)
	plan := w.Plan(t, infra.Blue)
	assert.Equal(t, "replace", plan[bakePrereqKey])
	assert.Equal(t, "replace", plan[bakeAppKey], "the app's triggers include the prerequisites AMI")
	builds, stages := w.upBaking(t)
	require.Equal(t, []string{"prerequisites", "app"}, stages)
	assert.NotEqual(t, first[0].Hash, builds[0].Hash, "a new prerequisites input hash")
	assert.Equal(t, first[1].Hash, builds[1].Hash, "the app's own inputs did not change")
	assert.Equal(t, builds[0].Ami, builds[1].SourceAmi, "the app is baked on the new prerequisites AMI")
	assert.Equal(t, builds[1].Ami, w.launchTemplateAmi(t))
}

// The day-two matrix's app-ref row: a new appRef re-bakes the app on the same
// prerequisites, and the fleet rolls to it in place.
func TestBakeChangedAppRefRebakesTheAppStageOnly(t *testing.T) {
	t.Parallel()
	w, first, firstStages := newBakedWorld(t)
	require.Equal(t, []string{"prerequisites", "app"}, firstStages)

	w.SetConfig(t, infra.Blue, "appRef", bakeNextCommit)
	assert.Equal(t, map[string]string{
		bakeAppKey:            "replace",
		bakeLaunchTemplateKey: "update",
		bakeAsgKey:            "update",
	}, enginetest.Changed(w.Plan(t, infra.Blue)), "prerequisites same, launch template and group updated in place")
	builds, stages := w.upBaking(t)
	require.Equal(t, []string{"app"}, stages)
	assert.NotEqual(t, first[1].Hash, builds[0].Hash)
	assert.Equal(t, first[0].Ami, builds[0].SourceAmi)
	assert.Equal(t, builds[0].Ami, w.launchTemplateAmi(t))
	assert.Empty(t, enginetest.Changed(w.Plan(t, infra.Blue)))
}

// bakePreviousInputs is the program as the stacks deployed today were deployed: the
// bake commands ran in dir (the checkout's absolute path), with no update command and
// addPreviousOutputInEnv false. transformed records the names of the commands it rewrote.
func bakePreviousInputs(dir string, transformed *sync.Map) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		err := ctx.RegisterResourceTransform(func(_ context.Context, a *pulumi.ResourceTransformArgs) *pulumi.ResourceTransformResult {
			if a.Type != awsdouble.TypeCommand {
				return nil
			}
			props := maps.Clone(a.Props)
			props["dir"] = pulumi.String(dir)
			props["addPreviousOutputInEnv"] = pulumi.Bool(false)
			delete(props, "update")
			transformed.Store(a.Name, true)
			return &pulumi.ResourceTransformResult{Props: props, Opts: a.Opts}
		})
		if err != nil {
			return err
		}
		return infra.ProgramIn(dir)(ctx)
	}
}

// bakeEngineFor runs program in w's checkout, backend and AWS: enginetest has no option
// for another program than infra.Run, so its environment is rebuilt here (passphrase
// included).
func bakeEngineFor(t *testing.T, w *bakeWorld, program func(infra.RunOptions) pulumi.RunFunc) *engine.Auto {
	t.Helper()
	env := map[string]string{"PULUMI_BACKEND_URL": w.Backend, "PULUMI_CONFIG_PASSPHRASE": "engine-test-only"}
	maps.Copy(env, w.AWS.Vars)
	maps.Copy(env, w.opts.Env)
	e, err := engine.New(w.Dir, program, w.Log, engine.WithEnv(env))
	require.NoError(t, err)
	return e
}

// Stacks deployed before the bake commands lost their dir upgrade without a bake: the
// changed inputs (dir, update, addPreviousOutputInEnv) are not triggers, so the commands
// update, and the update prints the AMI the last bake printed.
func TestBakeUpgradeFromTodaysStacksBakesNothing(t *testing.T) {
	t.Parallel()
	w := newBakeWorld(t)
	var transformed sync.Map
	previous := bakeEngineFor(t, w, func(infra.RunOptions) pulumi.RunFunc { return bakePreviousInputs(w.Dir, &transformed) })
	_, err := previous.Up(context.Background(), infra.Blue, release.UpOptions{})
	require.NoError(t, err, w.Log.String())
	_, stages := w.packer.Since(t, 0)
	require.Equal(t, []string{"prerequisites", "app"}, stages)
	for _, name := range []string{"image-blue-prerequisites", "image-blue-app"} {
		_, ok := transformed.Load(name)
		require.True(t, ok, "%s deployed with the previous inputs", name)
	}
	app, prereq := w.amiOutputs(t)
	lt := w.launchTemplate(t)

	// No trigger changed, so both commands update. But a preview cannot know what the
	// prerequisites' update will print: pulumi-command leaves stdout unknown in the
	// preview of an update (pulumi-go-provider infer: every output depends on every
	// input, infer/tests/update_test.go TestUpdateDefaultDeps "changed"), so the app
	// stage, whose triggers hold that AMI, is planned as a replacement and the fleet
	// as if its AMI changed. The up below shows none of it happens.
	assert.Equal(t, map[string]string{
		bakePrereqKey:         "update",
		bakeAppKey:            "replace",
		bakeLaunchTemplateKey: "update",
		bakeAsgKey:            "update",
	}, enginetest.Changed(w.Plan(t, infra.Blue)))
	builds, stages := w.upBaking(t)
	assert.Empty(t, stages, "upgrading bakes nothing: %v", builds)
	gotApp, gotPrereq := w.amiOutputs(t)
	assert.Equal(t, app, gotApp)
	assert.Equal(t, prereq, gotPrereq)
	after := w.launchTemplate(t)
	assert.Equal(t, lt["imageId"], after["imageId"])
	assert.Equal(t, lt["latestVersion"], after["latestVersion"], "no new launch template version: the fleet does not roll")
	assert.Empty(t, enginetest.Changed(w.Plan(t, infra.Blue)), "upgraded: nothing more to do")
}
