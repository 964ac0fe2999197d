package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/record"
	"github.com/webapi-platform/infra/internal/release"
	"github.com/webapi-platform/infra/internal/testutil"
)

// readEngine is an engine with stacks to read and nothing to run.
type readEngine struct {
	config  map[infra.Color]map[string]string
	outputs map[infra.Color]map[string]any
}

func (e *readEngine) Config(_ context.Context, c infra.Color) (map[string]string, error) {
	if _, ok := e.outputs[c]; !ok {
		return nil, release.ErrStackNotFound
	}
	return maps.Clone(e.config[c]), nil
}

func (e *readEngine) Outputs(_ context.Context, c infra.Color) (map[string]any, error) {
	o, ok := e.outputs[c]
	if !ok {
		return nil, release.ErrStackNotFound
	}
	return maps.Clone(o), nil
}

var errReadOnly = errors.New("read-only engine")

func (e *readEngine) CreateStack(context.Context, infra.Color) error { return errReadOnly }
func (e *readEngine) Up(context.Context, infra.Color, release.UpOptions) (release.Changes, error) {
	return release.Changes{}, errReadOnly
}
func (e *readEngine) Preview(context.Context, infra.Color, release.UpOptions) ([]events.EngineEvent, error) {
	return nil, errReadOnly
}
func (e *readEngine) Destroy(context.Context, infra.Color) error           { return errReadOnly }
func (e *readEngine) Refresh(context.Context, infra.Color, []string) error { return errReadOnly }

// statusDeps run the tool on a deployed edge (blue at 100%), without AWS, with a release
// record in a temporary directory; progress is what the engine was given.
func statusDeps(t *testing.T, out io.Writer, progress *io.Writer) deps {
	eng := &readEngine{
		config: map[infra.Color]map[string]string{infra.Blue: testutil.Blue("maxSize", "4"), infra.Green: testutil.Green("maxSize", "4", "edge", "false")},
		outputs: map[infra.Color]map[string]any{infra.Blue: {
			infra.OutVpcID: "vpc-1", infra.OutPrivateSubnetIDs: []any{"subnet-a"}, infra.OutInstanceSecurityGroupID: "sg-1",
			infra.OutListenerArn: "arn:listener", infra.OutAlbArnSuffix: "app/x/1", infra.OutAlbURL: "http://alb.example",
			infra.OutTargetGroupArns:        map[string]any{"blue": "arn:tg/blue", "green": "arn:tg/green"},
			infra.OutTargetGroupArnSuffixes: map[string]any{"blue": "tg/blue", "green": "tg/green"},
			infra.OutWeights:                map[string]any{"blue": float64(100), "green": float64(0)},
			infra.OutAppRef:                 "v1", infra.OutAmiID: "ami-1", infra.OutAsgName: "asg-blue",
		}},
	}
	dir := t.TempDir()
	return deps{out: out, clock: release.RealClock{}, owner: record.Owner{User: "t", Host: "h", PID: 1},
		newEngine: func(_ string, p io.Writer) (release.Engine, error) { *progress = p; return eng, nil },
		newHealth: func(context.Context, string) (release.Health, error) { return nil, errors.New("no AWS credentials") },
		newStore: func(ctx context.Context, _ release.Engine) (record.Store, error) {
			loc, err := record.Locate("file://"+dir, "")
			if err != nil {
				return nil, err
			}
			return record.Open(ctx, loc)
		},
	}
}

// status --json prints the report alone on stdout: it parses, and nothing else is there.
func TestStatusJSONIsAllThatGoesToStdout(t *testing.T) {
	t.Chdir(testutil.RepoRoot())
	stdout, stderr := &bytes.Buffer{}, &bytes.Buffer{}
	progress := io.Writer(&bytes.Buffer{})
	root := newRootCommand(statusDeps(t, stdout, &progress))
	root.SetErr(stderr)
	require.NoError(t, execute(context.Background(), root, []string{"status", "--json"}))
	assert.Nil(t, progress, "--json turns the engine's progress off")

	dec := json.NewDecoder(bytes.NewReader(stdout.Bytes()))
	var rep release.StatusReport
	require.NoError(t, dec.Decode(&rep), stdout.String())
	rest, _ := io.ReadAll(dec.Buffered())
	assert.Empty(t, bytes.TrimSpace(rest), "nothing after the JSON")
	assert.False(t, dec.More())
	assert.Equal(t, release.StatusSchemaVersion, rep.SchemaVersion)
	require.NotNil(t, rep.Weights)
	assert.Equal(t, release.StatusWeights{Blue: 100, Source: release.WeightsFromEdgeOutputs}, *rep.Weights)
	require.Len(t, rep.Colors, 2)
	assert.True(t, rep.Colors[0].Deployed)
	assert.False(t, rep.Colors[1].Deployed, "green has no stack")
	assert.Nil(t, rep.Colors[0].Healthy, "unknown without AWS: null")
	assert.Contains(t, rep.Warnings, "AWS is not reachable: no live capacity, target health or alarm states")

	var raw map[string]any
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &raw))
	assert.Nil(t, raw["colors"].([]any)[1].(map[string]any)["appRef"], "null, not \"-\"")

	stdout.Reset()
	root = newRootCommand(statusDeps(t, stdout, &progress))
	require.NoError(t, execute(context.Background(), root, []string{"status"}))
	assert.Contains(t, stdout.String(), "weights: blue 100% / green 0% (from the edge stack's outputs (AWS not reachable))")
	assert.Contains(t, stdout.String(), "green  not deployed (0% of traffic)")
}
