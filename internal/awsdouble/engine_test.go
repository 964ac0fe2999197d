package awsdouble_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/awsdouble"
	"github.com/webapi-platform/infra/internal/testutil"
)

// engineWorld is a work dir with the repo's Pulumi.yaml and the stacks' config files, a
// file backend and the double installed.
type engineWorld struct {
	dir string
	env awsdouble.Env
	log strings.Builder
}

func newEngineWorld(t *testing.T, stacks map[string]testutil.StackConfig) *engineWorld {
	t.Helper()
	w := &engineWorld{dir: t.TempDir(), env: awsdouble.Install(t)}
	w.env.Setenv(t)
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "engine-test-only")
	t.Setenv("PULUMI_BACKEND_URL", "file://"+t.TempDir())
	project, err := os.ReadFile(testutil.RepoPath("Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(w.dir, "Pulumi.yaml"), project, 0o644))
	for name, cfg := range stacks {
		yaml := cfg.YAML() + "  aws:region: \"eu-west-1\"\n"
		require.NoError(t, os.WriteFile(filepath.Join(w.dir, "Pulumi."+name+".yaml"), []byte(yaml), 0o644))
	}
	return w
}

func (w *engineWorld) stack(t *testing.T, ctx context.Context, name string) auto.Stack {
	t.Helper()
	s, err := auto.UpsertStackInlineSource(ctx, name, "webapi", infra.Program, auto.WorkDir(w.dir))
	require.NoError(t, err)
	return s
}

// up runs `pulumi up` and returns its resource changes by operation.
func (w *engineWorld) up(t *testing.T, ctx context.Context, s auto.Stack) map[string]int {
	t.Helper()
	res, err := s.Up(ctx, optup.ProgressStreams(&w.log))
	require.NoError(t, err, "up %s:\n%s", s.Name(), w.log.String())
	return *res.Summary.ResourceChanges
}

// changesOtherThanSame are the operations of an update that did something ("read" is
// the edge stack's StackReference to itself, read on every run).
func changesOtherThanSame(changes map[string]int) map[string]int {
	out := maps.Clone(changes)
	delete(out, "same")
	delete(out, "read")
	return out
}

func TestEngineRefreshSeesAListenerModifiedThroughTheAPI(t *testing.T) {
	w := newEngineWorld(t, map[string]testutil.StackConfig{"blue": testutil.Blue()})
	ctx := context.Background()
	blue := w.stack(t, ctx, "blue")
	w.up(t, ctx, blue)
	out, err := blue.Outputs(ctx)
	require.NoError(t, err)
	listener := out[infra.OutListenerArn].Value.(string)
	tgs := out[infra.OutTargetGroupArns].Value.(map[string]any)
	blueTG, greenTG := tgs["blue"].(string), tgs["green"].(string)

	double := w.env.Double()
	before, err := double.ListenerWeights(ctx, listener)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{blueTG: 100, greenTG: 0}, before)

	// Someone else moves traffic; Pulumi's state does not know yet.
	require.NoError(t, double.ModifyListenerWeights(ctx, listener, map[string]int{blueTG: 70, greenTG: 30}))
	_, err = blue.Refresh(ctx, optrefresh.ProgressStreams(&w.log))
	require.NoError(t, err, w.log.String())
	assert.Equal(t, map[string]int{blueTG: 70, greenTG: 30}, stateWeights(t, ctx, blue, listener))

	// The checkout still says greenWeight 0, but a run without weights of its own keeps
	// what the listener serves (infra.RunOptions): the preview changes nothing.
	prev, err := blue.Preview(ctx, optpreview.ProgressStreams(&w.log))
	require.NoError(t, err, w.log.String())
	summary := map[string]int{}
	for op, n := range prev.ChangeSummary {
		summary[string(op)] = n
	}
	assert.Empty(t, changesOtherThanSame(summary))
}

// stateWeights reads the listener's weights from the stack's state (what refresh wrote).
func stateWeights(t *testing.T, ctx context.Context, s auto.Stack, listenerArn string) map[string]int {
	t.Helper()
	dep, err := s.Export(ctx)
	require.NoError(t, err)
	var doc struct {
		Resources []struct {
			Type    string         `json:"type"`
			ID      string         `json:"id"`
			Outputs map[string]any `json:"outputs"`
		} `json:"resources"`
	}
	require.NoError(t, json.Unmarshal(dep.Deployment, &doc))
	i := slices.IndexFunc(doc.Resources, func(r struct {
		Type    string         `json:"type"`
		ID      string         `json:"id"`
		Outputs map[string]any `json:"outputs"`
	}) bool {
		return r.ID == listenerArn
	})
	require.GreaterOrEqual(t, i, 0, "listener %s in state", listenerArn)
	w := map[string]int{}
	actions := doc.Resources[i].Outputs["defaultActions"].([]any)
	for _, g := range actions[0].(map[string]any)["forward"].(map[string]any)["targetGroups"].([]any) {
		m := g.(map[string]any)
		w[m["arn"].(string)] = int(m["weight"].(float64))
	}
	return w
}

func TestEngineLoadsTheCommandDouble(t *testing.T) {
	w := newEngineWorld(t, map[string]testutil.StackConfig{"cmd": testutil.Blue()})
	ctx := context.Background()
	program := func(ctx *pulumi.Context) error {
		c, err := local.NewCommand(ctx, "hello", &local.CommandArgs{
			Create:                 pulumi.String("echo \"hello from $WEBAPI_WHO\""),
			Environment:            pulumi.StringMap{"WEBAPI_WHO": pulumi.String("the double")},
			Triggers:               pulumi.Array{pulumi.String("1")},
			AddPreviousOutputInEnv: pulumi.Bool(false),
			Logging:                local.LoggingStdoutAndStderr,
		})
		if err != nil {
			return err
		}
		ctx.Export("stdout", c.Stdout)
		return nil
	}
	s, err := auto.UpsertStackInlineSource(ctx, "cmd", "webapi", program, auto.WorkDir(w.dir))
	require.NoError(t, err)
	res, err := s.Up(ctx, optup.ProgressStreams(&w.log))
	require.NoError(t, err, w.log.String())
	assert.Equal(t, "hello from the double", res.Outputs["stdout"].Value)
}
