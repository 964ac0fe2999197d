//go:build unix

package engine

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeCLI writes a shell script standing in for the pulumi CLI: it records its pid and
// process group, then each interrupt it gets, and exits a moment after the first (or
// never, when it ignores interrupts).
func fakeCLI(t *testing.T, ignoreInterrupts bool) (path, out string) {
	t.Helper()
	dir := t.TempDir()
	out = filepath.Join(dir, "out")
	trap := `trap 'echo INT >> "$OUT"; n=1' INT`
	if ignoreInterrupts {
		trap = `trap '' INT`
	}
	script := "#!/bin/sh\n" + trap + `
echo "pid $$ pgrp $(cut -d' ' -f5 /proc/$$/stat)" > "$OUT"
i=0
while [ "$i" -lt 100 ]; do
  sleep 0.05
  if [ -n "$n" ]; then i=$((i+10)); fi
done
`
	path = filepath.Join(dir, "pulumi")
	require.NoError(t, os.WriteFile(path, []byte(script), 0o755))
	return path, out
}

func started(t *testing.T, out string) {
	t.Helper()
	require.Eventually(t, func() bool { b, _ := os.ReadFile(out); return len(b) > 0 }, 5*time.Second, 10*time.Millisecond)
}

// The CLI runs as the leader of its own process group (a terminal's Ctrl-C does not
// reach it), and a cancelled context sends it exactly one interrupt.
func TestGroupCommandInterruptsOnceInItsOwnGroup(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to read the process group")
	}
	path, out := fakeCLI(t, false)
	g := groupCommand{path: path, grace: 5 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { started(t, out); cancel() }()
	_, _, _, err := g.Run(ctx, t.TempDir(), nil, nil, nil, []string{"OUT=" + out}, "up")
	require.NoError(t, err, "the CLI finished on its own after the interrupt")
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.NotEmpty(t, lines)
	fields := strings.Fields(lines[0])
	require.Len(t, fields, 4, lines[0])
	pid, _ := strconv.Atoi(fields[1])
	pgrp, _ := strconv.Atoi(fields[3])
	assert.Equal(t, pid, pgrp, "the CLI leads a process group of its own")
	assert.NotEqual(t, os.Getpid(), pgrp)
	assert.Equal(t, []string{"INT"}, lines[1:], "exactly one interrupt")
}

// A CLI that does not stop within the grace after its interrupt is killed.
func TestGroupCommandKillsAfterTheGrace(t *testing.T) {
	path, out := fakeCLI(t, true)
	g := groupCommand{path: path, grace: 300 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { started(t, out); cancel() }()
	start := time.Now()
	_, _, code, err := g.Run(ctx, t.TempDir(), nil, nil, nil, []string{"OUT=" + out}, "up")
	assert.Error(t, err)
	assert.NotEqual(t, 0, code)
	assert.Less(t, time.Since(start), 4*time.Second, "killed after the grace, not after its own 5 s")
}
