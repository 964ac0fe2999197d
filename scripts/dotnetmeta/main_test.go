package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The command turns flags into options and errors into exit codes; the work is
// internal/dotnet's (tested there against a metadata server).
func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{{"-channels", "ten"}, {"extra"}, {"-nope"}} {
		var stderr bytes.Buffer
		assert.Equal(t, 2, run(context.Background(), args, &stderr, http.DefaultClient), "%v", args)
		assert.NotEmpty(t, stderr.String())
	}
}

func TestUnreachableMetadataExits1AndWritesNothing(t *testing.T) {
	out := filepath.Join(t.TempDir(), "channels.json")
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"-base", "http://127.0.0.1:1", "-out", out, "-channels", "10.0"}, &stderr, http.DefaultClient)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "releases-index.json")
	assert.NoFileExists(t, out)
}
