package infra

import (
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/testutil"
)

var updateURNs = flag.Bool("update-urns", false, "rewrite infra/testdata/urns/*.txt from the program")

// urnShapes are the stack shapes whose URN lists are pinned: a refactoring that renames
// a resource or moves it to another parent changes a URN, and Pulumi would replace it
// unless the change carries pulumi.Aliases. These files were first written from the
// program as it was before the package restructuring, so the test proves that the
// restructuring kept every URN.
func urnShapes(t *testing.T) map[string]runResult {
	edge := edgeOutputsOf(t, "greenWeight", "20")
	bake := []string{"amiId", testutil.Unset, "appRepository", "https://example.com/org/webapi.git", "appRef", "v1.2.3", "dotnetChannel", "10.0"}
	return map[string]runResult{
		"blue-default":       runOK(t, "blue", blueConfig(), nil),
		"blue-https-nonat":   runOK(t, "blue", blueConfig("certificateArn", testCert, "natGateways", "none", "accessLogsBucket", "alb-logs", "ingressCidrs", `["203.0.113.0/24","2001:db8::/32"]`), nil),
		"blue-singlenat-3az": runOK(t, "blue", blueConfig("natGateways", "single", "azCount", "3", "flowLogs", "false"), nil),
		"blue-bake":          runOK(t, "blue", blueConfig(bake...), nil),
		"green":              runOK(t, "green", greenConfig(), edge),
		"green-bake":         runOK(t, "green", greenConfig(bake...), edge),
	}
}

// urnOf rebuilds a registered resource's URN the way the engine does: the parent's
// qualified type (none for the stack's direct children), then the resource's own type
// and name.
func urnOf(stack string, r registered) string {
	var parentType tokens.Type
	if r.Parent != "" {
		parentType = resource.URN(r.Parent).QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(stack), "webapi", parentType, tokens.Type(r.Type), r.Name))
}

func TestURNsArePinnedPerRole(t *testing.T) {
	shapes := urnShapes(t)
	if !*updateURNs {
		// A golden without a shape would be a pin nobody checks.
		files, err := filepath.Glob(filepath.Join("testdata", "urns", "*.txt"))
		require.NoError(t, err)
		var pinned []string
		for _, f := range files {
			pinned = append(pinned, strings.TrimSuffix(filepath.Base(f), ".txt"))
		}
		require.ElementsMatch(t, slices.Collect(maps.Keys(shapes)), pinned, "every golden in testdata/urns is a shape, and every shape has its golden")
	}
	for shape, r := range shapes {
		stack := strings.SplitN(shape, "-", 2)[0]
		var urns []string
		for _, res := range r.mocks.resources {
			urns = append(urns, urnOf(stack, res))
		}
		slices.Sort(urns)
		got := strings.Join(urns, "\n") + "\n"
		path := filepath.Join("testdata", "urns", shape+".txt")
		if *updateURNs {
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			continue
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, "run go test ./infra -run TestURNsArePinnedPerRole -update-urns once to pin")
		require.Equal(t, string(want), got, "%s: URNs changed; a rename needs pulumi.Aliases and an upgrade test", shape)
	}
}
