package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/release"
)

// Bad flags of lease and summary exit 2 before anything is built.
func TestLeaseAndSummaryUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"lease", "take", "--ttl", "0s"}, {"lease", "take", "--ttl", "5x"}, {"lease", "nonsense"}, {"lease", "take", "--wait", "-1s"},
		{"summary"}, {"summary", "--since", "yesterday"},
		{"summary", "--since", "2026-11-29T12:00:00Z", "--release", "r-1"},
	} {
		t.Run(fmt.Sprint(args), func(t *testing.T) {
			d := deps{out: &bytes.Buffer{}, clock: release.RealClock{},
				newEngine: func(string, io.Writer) (release.Engine, error) { t.Fatal("no engine for bad input"); return nil, nil },
				newHealth: func(context.Context, string) (release.Health, error) {
					t.Fatal("no AWS for bad input")
					return nil, nil
				},
			}
			err := execute(context.Background(), newRootCommand(d), args)
			require.Error(t, err)
			assert.Equal(t, release.ExitUsage, release.ExitCode(err), "%v", err)
		})
	}
}

// --markdown appends, as $GITHUB_STEP_SUMMARY wants: notes earlier steps wrote stay.
func TestSummaryMarkdownAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.md")
	require.NoError(t, os.WriteFile(path, []byte("earlier note\n"), 0o644))
	require.NoError(t, writeMarkdown(nil, path, "## Release summary\n"))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "earlier note\n## Release summary\n", string(got))
	var out bytes.Buffer
	require.NoError(t, writeMarkdown(&out, "", "md\n"))
	assert.Equal(t, "md\n", out.String())
}
