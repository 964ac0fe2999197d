package infra

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/testutil"
)

// templateHashesInline runs ProgramIn(dir) as the Automation API runs an inline program:
// with no root directory (sdk v3.274.1 go/auto/stack.go), in this package's folder, which
// has no images/. It returns each bake stage's template hash.
func templateHashesInline(t *testing.T, dir string) map[string]any {
	t.Helper()
	m := &mocks{}
	err := pulumi.RunErr(ProgramIn(dir), pulumi.WithMocksWithOrganization("organization", "webapi", "blue", m),
		func(ri *pulumi.RunInfo) {
			ri.Config = testutil.StackConfig(bakeConfig()).Namespaced()
			ri.RootDirectory = ""
		})
	require.NoError(t, err)
	hashes := map[string]any{}
	for _, c := range m.byType(tCommand) {
		hashes[c.Name] = prop(c.Inputs, "environment", "PKR_VAR_template_hash")
	}
	require.Len(t, hashes, 2)
	return hashes
}

// An inline program of a checkout elsewhere (the engine tests', or the tool's without a
// chdir) hashes that checkout's templates, not the working directory's.
func TestProgramInHashesTheTemplatesOfItsDirectory(t *testing.T) {
	_, err := os.Stat("images")
	require.ErrorIs(t, err, os.ErrNotExist, "the premise: the working directory is not the project")
	checkout := t.TempDir()
	require.NoError(t, os.CopyFS(filepath.Join(checkout, "images"), os.DirFS(testutil.RepoPath("images"))))
	before := templateHashesInline(t, checkout)

	f, err := os.OpenFile(filepath.Join(checkout, "images", "scripts", "deploy-app.ps1"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	after := templateHashesInline(t, checkout)

	assert.Equal(t, before["image-blue-prerequisites"], after["image-blue-prerequisites"])
	assert.NotEqual(t, before["image-blue-app"], after["image-blue-app"], "the checkout's app script is hashed")
}
