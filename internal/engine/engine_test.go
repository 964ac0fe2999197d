package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/release"
	"github.com/webapi-platform/infra/internal/testutil"
)

func TestEngineNeedsAPassphraseForTheFileBackend(t *testing.T) {
	t.Setenv("PULUMI_BACKEND_URL", "")
	t.Setenv("PULUMI_CONFIG_PASSPHRASE", "")
	t.Setenv("PULUMI_CONFIG_PASSPHRASE_FILE", "")
	dir := t.TempDir()
	_, err := New(dir, nil, nil)
	assert.Equal(t, release.ExitUsage, release.ExitCode(err))
	assert.NoDirExists(t, filepath.Join(dir, ".pulumi"), "nothing is created before the refusal")
	assert.ErrorContains(t, err, "PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) must be set")

	t.Setenv("PULUMI_BACKEND_URL", "https://api.pulumi.com")
	_, err = New(t.TempDir(), nil, nil)
	assert.NoError(t, err, "Pulumi Cloud manages its own secrets")
}

func TestFindProjectWalksUpToPulumiYaml(t *testing.T) {
	got, err := FindProject(testutil.RepoPath("internal", "engine"))
	require.NoError(t, err)
	assert.Equal(t, testutil.RepoRoot(), got)

	outside := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(outside, "a", "b"), 0o755))
	_, err = FindProject(filepath.Join(outside, "a", "b"))
	assert.ErrorIs(t, err, ErrNoProject)
}
