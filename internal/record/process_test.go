package record

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The file store must be exclusive across processes, not just goroutines: these tests
// re-run the test binary as several child processes that race on one directory.

const (
	helperDirEnv  = "RECORD_HELPER_DIR"
	helperModeEnv = "RECORD_HELPER_MODE"
	helperIDEnv   = "RECORD_HELPER_ID"
	processes     = 4
	perProcess    = 8
)

// TestHelperProcess is the child: it waits for the start file, then runs perProcess
// goroutines of its mode and prints one line per goroutine.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		t.Skip("only runs as a child of the cross-process tests")
	}
	var id int
	fmt.Sscan(os.Getenv(helperIDEnv), &id)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, "..", "start")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("start file never appeared")
		}
	}
	s := &countingStore{Store: NewFileStore(dir)}
	lines := together(perProcess, func(g int) string {
		n := id*perProcess + g
		if os.Getenv(helperModeEnv) == "append" {
			if err := AppendHistory(context.Background(), s, Entry{At: t0, Action: "note", Message: fmt.Sprint(n)}); err != nil {
				return "error " + err.Error()
			}
			return "appended"
		}
		l, err := AcquireLease(context.Background(), s, owner(n), time.Minute, t0)
		if held := new(HeldError); errors.As(err, &held) {
			return "held " + held.Lease.Token
		} else if err != nil {
			return "error " + err.Error()
		}
		return "won " + l.Token
	})
	fmt.Println("RESULT " + strings.Join(lines, "\nRESULT "))
	fmt.Printf("CONFLICTS %d\n", s.count())
}

// raceProcesses starts the children, releases them together and returns their lines.
func raceProcesses(t *testing.T, mode string) (string, []string) {
	root := t.TempDir()
	dir := filepath.Join(root, "record")
	cmds := make([]*exec.Cmd, processes)
	outs := make([]*bytes.Buffer, processes)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmds[i].Env = append(os.Environ(), helperDirEnv+"="+dir, helperModeEnv+"="+mode, fmt.Sprintf("%s=%d", helperIDEnv, i))
		outs[i] = new(bytes.Buffer)
		cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
		require.NoError(t, cmds[i].Start())
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "start"), nil, 0o644))
	var lines []string
	conflicts := 0
	for i, cmd := range cmds {
		require.NoError(t, cmd.Wait(), "child %d:\n%s", i, outs[i])
		sc := bufio.NewScanner(outs[i])
		for sc.Scan() {
			if l, ok := strings.CutPrefix(sc.Text(), "RESULT "); ok {
				lines = append(lines, l)
			}
			var n int
			if _, err := fmt.Sscanf(sc.Text(), "CONFLICTS %d", &n); err == nil {
				conflicts += n
			}
		}
	}
	require.Len(t, lines, processes*perProcess, "every contender reported")
	t.Logf("%d contenders in %d processes; %d saves met a conflict", processes*perProcess, processes, conflicts)
	return dir, lines
}

func TestFileStoreAcrossProcessesHasExactlyOneWinner(t *testing.T) {
	dir, lines := raceProcesses(t, "acquire")
	var won, held []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "won "):
			won = append(won, strings.TrimPrefix(l, "won "))
		case strings.HasPrefix(l, "held "):
			held = append(held, strings.TrimPrefix(l, "held "))
		default:
			t.Errorf("contender failed: %s", l)
		}
	}
	require.Len(t, won, 1, "exactly one of %d contenders in %d processes wins", processes*perProcess, processes)
	for _, h := range held {
		assert.Equal(t, won[0], h, "every refusal names the winner")
	}
	rec, _, err := NewFileStore(dir).Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, won[0], rec.Lease.Token)
}

func TestFileStoreAcrossProcessesLosesNoHistory(t *testing.T) {
	dir, lines := raceProcesses(t, "append")
	for _, l := range lines {
		require.Equal(t, "appended", l)
	}
	rec, _, err := NewFileStore(dir).Load(context.Background())
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, e := range rec.History {
		seen[e.Message] = true
	}
	assert.Len(t, rec.History, processes*perProcess)
	assert.Len(t, seen, processes*perProcess)
}
