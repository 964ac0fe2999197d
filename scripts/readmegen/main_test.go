package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/readmegen"
)

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	project, readme := filepath.Join(dir, "Pulumi.yaml"), filepath.Join(dir, "README.md")
	require.NoError(t, os.WriteFile(project, []byte("name: webapi\nconfig:\n  color:\n    type: string\n    description: x\n"), 0o644))
	require.NoError(t, os.WriteFile(readme, []byte(readmegen.BeginMarker+"\n"+readmegen.EndMarker+"\n"), 0o644))
	files := []string{"-project", project, "-readme", readme}

	// In order: each case sees the files the one before left.

	for _, tc := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"unknown flag", []string{"-nope"}, 2, "flag provided but not defined"},
		{"stray argument", append(files, "extra"), 2, "unexpected arguments"},
		{"stale under -check", append([]string{"-check"}, files...), 1, "run go generate ./..."},
		{"rewrites", files, 0, ""},
		{"current under -check", append([]string{"-check"}, files...), 0, ""},
		{"missing project", []string{"-project", filepath.Join(dir, "none.yaml"), "-readme", readme}, 1, "none.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			assert.Equal(t, tc.code, run(tc.args, &stderr), stderr.String())
			if tc.says == "" {
				assert.Empty(t, stderr.String())
			} else {
				assert.Contains(t, stderr.String(), tc.says)
			}
		})
	}
}
