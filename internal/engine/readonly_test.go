package engine_test

import (
	"context"
	"io/fs"
	"maps"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/engine"
	"github.com/webapi-platform/infra/internal/enginetest"
	"github.com/webapi-platform/infra/internal/record"
	"github.com/webapi-platform/infra/internal/release"
	"github.com/webapi-platform/infra/internal/testutil"
)

// Commands that only look (status, idle, history, preview) select the stacks that exist
// and never create one: on a backend without stacks they say "not deployed" and leave
// the backend without a stack file. Only a deploy (an up) creates a stack.
func TestEngineReadOnlyCommandsCreateNoStacks(t *testing.T) {
	t.Parallel()
	w := enginetest.New(t, enginetest.Options{Stacks: map[infra.Color]testutil.StackConfig{infra.Blue: engineBlue, infra.Green: engineGreen}})
	state := t.TempDir() // a backend of its own: nothing has ever touched it
	env := maps.Clone(w.AWS.Vars)
	env["PULUMI_BACKEND_URL"], env["PULUMI_CONFIG_PASSPHRASE"] = "file://"+state, "engine-test-only"
	eng, err := engine.New(w.Dir, infra.Run, nil, engine.WithEnv(env))
	require.NoError(t, err)
	loc, err := record.Locate(eng.BackendURL(), "")
	require.NoError(t, err)
	store, err := record.Open(context.Background(), loc)
	require.NoError(t, err)
	out := &enginetest.SyncBuffer{}
	r := &release.Release{Engine: eng, Clock: release.RealClock{}, Out: out, Store: store, Owner: enginetest.Owner("ci-1")}
	ctx := context.Background()

	require.NoError(t, r.Status(ctx))
	for _, c := range infra.Colors {
		assert.Regexp(t, regexp.MustCompile(`(?m)^`+string(c)+` +not deployed`), out.String())
	}
	assert.NotContains(t, out.String(), "weights: blue", "no weights before the edge is deployed")
	_, err = r.Idle(ctx)
	require.NoError(t, err)
	require.NoError(t, r.History(ctx))
	_, err = r.Preview(ctx, infra.Colors)
	require.NoError(t, err, "a stack not deployed yet is no failed preview")
	_, err = eng.Outputs(ctx, infra.Green)
	assert.ErrorIs(t, err, release.ErrStackNotFound)
	assert.Empty(t, stackFiles(t, state), "read-only commands created stacks\n%s", out.String())

	start := time.Now()
	require.NoError(t, eng.CreateStack(ctx, infra.Blue))
	t.Logf("creating a stack took %s", time.Since(start).Round(time.Millisecond))
	assert.Contains(t, stackFiles(t, state), filepath.Join(state, ".pulumi", "stacks", "webapi", "blue.json"), "a deploy creates its stack")
}

// stackFiles are the file backend's stack state files.
func stackFiles(t *testing.T, state string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join(state, ".pulumi", "stacks"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fs.SkipAll // no stacks directory at all
		}
		if !d.IsDir() && !strings.HasSuffix(p, ".attrs") {
			files = append(files, p)
		}
		return nil
	})
	require.NoError(t, err)
	return files
}
