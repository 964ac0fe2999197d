package engine

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/testutil"
)

const recordType = "webapitest:index:Record"

type record struct{ pulumi.CustomResourceState }

func newRecord(ctx *pulumi.Context, name string, props pulumi.Map, opts ...pulumi.ResourceOption) (*record, error) {
	r := &record{}
	return r, ctx.RegisterResource(recordType, name, props, r, opts...)
}

// testProgram is the real program's shape without AWS: the same config loading and
// validation, the same roles, a real StackReference from the colour stack to the edge
// stack, the same capacity refusal and the same output contract, with test-provider
// records where the real program has AWS resources. The "listener" record carries the
// weights, so a shift is a real one-resource update in real state.
func testProgram(ctx *pulumi.Context) error {
	cfg, err := infra.LoadConfig(func(k string) (string, bool) { return ctx.GetConfig(infra.ConfigNamespace + ":" + k) })
	if err != nil {
		return err
	}
	out := pulumi.Map{}
	tgArn := pulumi.StringOutput{}
	if cfg.Edge {
		w := infra.WeightsFor(cfg.GreenWeight)
		tgArns, suffixes := pulumi.StringMap{}, pulumi.StringMap{}
		groups := pulumi.Array{}
		for _, c := range infra.Colors {
			tg, err := newRecord(ctx, "tg-"+string(c), pulumi.Map{"color": pulumi.String(string(c))})
			if err != nil {
				return err
			}
			arn := pulumi.Sprintf("arn:aws:elasticloadbalancing:eu-west-1:000000000000:targetgroup/%s/%s", c, tg.ID())
			tgArns[string(c)] = arn
			suffixes[string(c)] = pulumi.Sprintf("targetgroup/%s/%s", c, tg.ID())
			groups = append(groups, pulumi.Map{"arn": arn, "weight": pulumi.Int(w.Of(c))})
			if c == cfg.Color {
				tgArn = arn
			}
		}
		listener, err := newRecord(ctx, "listener", pulumi.Map{"targetGroups": groups})
		if err != nil {
			return err
		}
		out = pulumi.Map{
			infra.OutRole:                    pulumi.String(infra.RoleEdge),
			infra.OutVpcID:                   pulumi.String("vpc-test"),
			infra.OutPrivateSubnetIDs:        pulumi.ToStringArray([]string{"subnet-a", "subnet-b"}),
			infra.OutInstanceSecurityGroupID: pulumi.String("sg-instances"),
			infra.OutAlbArnSuffix:            pulumi.String("app/webapi/test"),
			infra.OutAlbURL:                  pulumi.String("http://webapi-test.example"),
			infra.OutListenerArn:             pulumi.Sprintf("arn:aws:elasticloadbalancing:eu-west-1:000000000000:listener/app/webapi/%s", listener.ID()),
			infra.OutListenerURN:             listener.URN(),
			infra.OutTargetGroupArns:         tgArns,
			infra.OutTargetGroupArnSuffixes:  suffixes,
			infra.OutWeights:                 pulumi.IntMap{"blue": pulumi.Int(w.Blue), "green": pulumi.Int(w.Green)},
			infra.OutStableColor:             pulumi.String(string(cfg.StableColor)),
		}
	} else {
		edge, err := infra.ReadEdgeOutputs(ctx, cfg.EdgeStack)
		if err != nil {
			return err
		}
		if err := infra.CheckCapacity(cfg, edge.Weights); err != nil {
			return err
		}
		tgArn = pulumi.String(edge.TargetGroupArns[string(cfg.Color)]).ToStringOutput()
		out[infra.OutRole] = pulumi.String(infra.RoleColor)
	}
	fleet, err := newRecord(ctx, "fleet-"+string(cfg.Color), pulumi.Map{
		"desiredCapacity": pulumi.Int(cfg.DesiredCapacity),
		"amiId":           pulumi.String(cfg.AmiID),
		"appRef":          pulumi.String(cfg.AppRef),
		"targetGroupArn":  tgArn,
	})
	if err != nil {
		return err
	}
	out[infra.OutColor] = pulumi.String(string(cfg.Color))
	out[infra.OutAsgName] = pulumi.Sprintf("asg-%s", fleet.ID())
	out[infra.OutAmiID] = pulumi.String(cfg.AmiID)
	out[infra.OutAppRef] = pulumi.String(cfg.AppRef)
	out[infra.OutDesired] = pulumi.Int(cfg.DesiredCapacity)
	for k, v := range out {
		ctx.Export(k, v)
	}
	return nil
}

// engineWorkspace is an isolated Pulumi world: a work dir with the repo's real
// Pulumi.yaml and test stack files, a file backend, a PULUMI_HOME, the pinned CLI and the
// test provider on PATH.
type engineWorkspace struct {
	dir    string
	engine *Auto
	log    *strings.Builder
}

// requireEngine needs the pinned Pulumi CLI and returns the repository root.
func requireEngine(t *testing.T) string {
	t.Helper()
	testutil.RequireTool(t, "pulumi")
	return testutil.RepoRoot()
}

func newEngineWorkspace(t *testing.T, blueConfig, greenConfig string) *engineWorkspace {
	t.Helper()
	repo := requireEngine(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	require.NoError(t, os.MkdirAll(bin, 0o755))
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "pulumi-resource-webapitest"), "./internal/testprovider")
	build.Dir = repo
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	project, err := os.ReadFile(testutil.RepoPath("Pulumi.yaml"))
	require.NoError(t, err)
	work := filepath.Join(dir, "work")
	require.NoError(t, os.MkdirAll(work, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(work, "Pulumi.yaml"), project, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(work, "Pulumi.blue.yaml"), []byte(blueConfig), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(work, "Pulumi.green.yaml"), []byte(greenConfig), 0o644))

	t.Setenv("PATH", bin+string(os.PathListSeparator)+testutil.RepoPath(".tools", "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("PULUMI_HOME", filepath.Join(dir, "home"))
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "engine-test-only")
	t.Setenv("PULUMI_BACKEND_URL", "")
	t.Setenv("PULUMI_SKIP_UPDATE_CHECK", "true")
	t.Setenv("PULUMI_DIY_BACKEND_NO_LEGACY_WARNING", "true")
	log := &strings.Builder{}
	eng, err := New(work, testProgram, log)
	require.NoError(t, err)
	return &engineWorkspace{dir: work, engine: eng, log: log}
}

// The engine tests' stacks: the shared fixtures on AMIs of their own, so a value seen in
// state is known to come from these files.
var (
	engineBlue  = testutil.Blue("greenWeight", "0", "amiId", "ami-0aaaaaaaaaaaaaaaa")
	engineGreen = testutil.Green("amiId", "ami-0bbbbbbbbbbbbbbbb")
)

func (w *engineWorkspace) stackFile(t *testing.T, c infra.Color) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(w.dir, fmt.Sprintf("Pulumi.%s.yaml", c)))
	require.NoError(t, err)
	return string(b)
}
