package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Bad flags of lease and summary exit 2 before anything is built.
func TestLeaseAndSummaryUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"lease", "take", "--ttl", "0s"}, {"lease", "take", "--ttl", "5x"}, {"lease", "nonsense"}, {"lease", "take", "--wait", "-1s"},
		{"summary"}, {"summary", "--since", "yesterday"},
		{"summary", "--since", "2026-11-29T12:00:00Z", "--release", "r-1"},
	} {
		t.Run(fmt.Sprint(args), func(t *testing.T) {
			requireUsageError(t, args)
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
