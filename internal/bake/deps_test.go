package bake

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/testutil"
)

// The bake's local.Command runs `go run ./scripts/bake` on every create: it must not
// compile the Pulumi SDK or a provider, which this package was split out of infra to avoid.
func TestNoPulumiDependency(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "./internal/bake", "./scripts/bake")
	cmd.Dir = testutil.RepoRoot()
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", stderrOf(err))
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/webapi-platform/infra/internal/bake", "go list listed the packages it was asked about")
	require.Contains(t, deps, "github.com/webapi-platform/infra/scripts/bake")

	var pulumi []string
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/pulumi/") || d == "github.com/webapi-platform/infra/infra" {
			pulumi = append(pulumi, d)
		}
	}
	assert.Empty(t, pulumi, "internal/bake and scripts/bake must not depend on Pulumi (infra imports the Pulumi SDK)")
	assert.False(t, slices.Contains(deps, "github.com/webapi-platform/infra/internal/testutil"), "test helpers stay out of the command")
}

func stderrOf(err error) string {
	if ee := new(exec.ExitError); errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}
