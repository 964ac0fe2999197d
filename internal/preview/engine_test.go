package preview_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/enginetest"
	"github.com/webapi-platform/infra/internal/preview"
	"github.com/webapi-platform/infra/internal/release"
	"github.com/webapi-platform/infra/internal/testutil"
)

// A real preview of the program (the pinned CLI, the AWS double) of a stack baking a
// .NET 8.0 app after 2026-11-10: the program's warning is an engine diagnostic, and the
// PR comment rendered from the preview's events says so. The clock is the machine's: the
// end-of-support date has passed for good.
func TestPreviewCommentWarnsAboutAnUnsupportedRuntime(t *testing.T) {
	t.Parallel()
	bake := []string{"amiId", testutil.Unset, "appRepository", "https://github.com/acme/webapi.git",
		"appRef", "0123456789abcdef0123456789abcdef01234567", "dotnetChannel", "8.0"}
	w := enginetest.New(t, enginetest.Options{
		Checkout: true, // images/ is hashed at evaluation
		Stacks: map[infra.Color]testutil.StackConfig{
			infra.Blue: testutil.Blue(bake...),
		},
	})
	evs, err := w.Engine.Preview(context.Background(), infra.Blue, release.UpOptions{})
	require.NoError(t, err, w.Log.String())
	md := preview.RenderMarkdown([]preview.Stack{preview.NewStack(infra.Blue, evs)})
	assert.Contains(t, md, "> **Warning:** .NET 8.0 reached end of support on 2026-11-10", md)
	assert.Equal(t, 1, strings.Count(md, "**Warning:**"), md)

	// Refused with allowUnsupportedRuntime false: the preview fails, naming the key.
	w.SetConfig(t, infra.Blue, "allowUnsupportedRuntime", "false")
	_, err = w.Engine.Preview(context.Background(), infra.Blue, release.UpOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error()+w.Log.String(), "webapi:allowUnsupportedRuntime is false")
}
