package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/release"
)

// deploy's contradictory or bad flags are usage errors (exit 2) before anything runs.
func TestDeployFlagUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"deploy", "green", "--defer-fleet", "--app-ref", "v3"},
		{"deploy", "green", "--defer-fleet", "--desired-capacity", "2"},
		{"deploy", "green", "--defer-fleet", "--in-place"},
		{"deploy", "green", "--defer-fleet", "--force"},
		{"deploy", "green", "--timeout", "-1m"},
		{"deploy", "green", "--timeout", "soon"},
		{"deploy", "green", "--report", ""},
	} {
		t.Run(fmt.Sprint(args), func(t *testing.T) {
			requireUsageError(t, args)
		})
	}
}

// The report is the deploy's JSON for CI, written whether the deploy succeeded or not;
// a report that cannot be written fails the command without hiding the deploy's error.
func TestWriteDeployReport(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "deploy.json")
	rep := &release.DeployReport{Color: "green", AppRef: "v3", Changed: true, FleetChanged: true, Deferred: []string{},
		Refresh: &release.RefreshReport{ID: "ref-1", Status: "Failed", Reason: "no capacity"}, WaitSeconds: 30, ElapsedSeconds: 95.5}
	deployErr := fmt.Errorf("instance refresh ref-1 ended Failed")
	err := writeDeployReport(path, rep, deployErr)
	assert.Equal(t, deployErr, err, "the deploy's own error, unchanged")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, map[string]any{"color": "green", "appRef": "v3", "changed": true, "fleetChanged": true, "deferred": []any{},
		"refresh": map[string]any{"id": "ref-1", "status": "Failed", "reason": "no capacity"}, "waitSeconds": 30.0, "elapsedSeconds": 95.5}, got)

	assert.NoError(t, writeDeployReport("", rep, nil), "no --report: nothing written")
	assert.NoError(t, writeDeployReport(path, nil, nil), "nothing ran (refused early): nothing to write")
	err = writeDeployReport(filepath.Join(dir, "missing", "deploy.json"), rep, nil)
	assert.ErrorContains(t, err, "--report")
	assert.Equal(t, release.ExitFailed, release.ExitCode(err))
	err = writeDeployReport(filepath.Join(dir, "missing", "deploy.json"), rep, release.Refusef("no"))
	assert.Equal(t, release.ExitRefused, release.ExitCode(err), "the deploy's exit code wins")
}
