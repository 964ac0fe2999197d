package enginetest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/awsdouble"
)

// checkFixtureRoundTrip saves w (blue deployed) with SaveFixture and starts a World
// from it again: the same world, planning nothing, with the same resources in its AWS.
func checkFixtureRoundTrip(t *testing.T, w *World) {
	t.Helper()
	dir := t.TempDir()
	w.SaveFixture(t, dir)
	for _, f := range []string{"Pulumi.blue.yaml", "aws.json", "pulumi-state/meta.yaml", "pulumi-state/stacks/webapi/blue.json"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	checkpoint, err := os.ReadFile(filepath.Join(dir, "pulumi-state/stacks/webapi/blue.json"))
	require.NoError(t, err)
	assert.NotContains(t, string(checkpoint), "sourcePosition", "no machine paths in a fixture")

	again := New(t, Options{Fixture: dir})
	assert.Empty(t, Changed(again.Plan(t, infra.Blue)), "started from the fixture: nothing to do")
	before, err := w.Double.Resources(awsdouble.TypeLoadBalancer)
	require.NoError(t, err)
	after, err := again.Double.Resources(awsdouble.TypeLoadBalancer)
	require.NoError(t, err)
	require.Len(t, after, 1)
	assert.Equal(t, before[0].ID, after[0].ID, "the same ALB in the fixture's AWS")
}

func TestWithoutSourcePositions(t *testing.T) {
	in := `{"version":3,"checkpoint":{"stack":"organization/webapi/blue","latest":{"resources":[` +
		`{"urn":"a","outputs":{"port":12345678901234567890},"sourcePosition":"project:///x.go#1","stackTrace":[{"sourcePosition":"y"}]},` +
		`{"urn":"b"}]}}}`
	out, err := withoutSourcePositions([]byte(in))
	require.NoError(t, err)
	assert.JSONEq(t, `{"version":3,"checkpoint":{"stack":"organization/webapi/blue","latest":{"resources":[`+
		`{"urn":"a","outputs":{"port":12345678901234567890}},{"urn":"b"}]}}}`, string(out))
	assert.Contains(t, string(out), "12345678901234567890", "numbers kept as written")

	for name, bad := range map[string]string{"not JSON": `{`, "no resources": `{"version":3,"checkpoint":{}}`} {
		_, err := withoutSourcePositions([]byte(bad))
		assert.Error(t, err, name)
	}
}
