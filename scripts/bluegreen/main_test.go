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

func TestParseSteps(t *testing.T) {
	s, err := parseSteps("10, 50,100")
	require.NoError(t, err)
	assert.Equal(t, []int{10, 50, 100}, s)
	for in, says := range map[string]string{"0,100": "from 1 to 100", "50,50": "must increase", "10,x": `"x" is not`, "101": "from 1 to 100"} {
		_, err := parseSteps(in)
		assert.ErrorContains(t, err, says, in)
		assert.Equal(t, release.ExitUsage, release.ExitCode(err))
	}
}

// The CLI maps bad input to exit code 2 before building anything.
func TestCLIUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"shift", "purple"}, {"shift", "green", "--steps", "100,50"}, {"preview", "--stack", "red"},
		{"retire", "green", "--wait", "-1m"}, {"deploy", "green", "--desired-capacity", "-1"},
		{"shift", "green", "--max-5xx-percent", "1"}, {"rollback", "--to", "purple"},
		{"shift", "green", "--pause", "0"}, {"shift", "green", "--interval", "0"}, {"shift", "green", "--interval", "-1s"}, {"shift", "green", "--min-requests", "0"}, {"shift", "green", "--max-extend", "-1m"},
		{"shift", "green", "--metric-lag", "0s"}, {"shift", "green", "--p99-breaches", "4", "--p99-window", "3"}, {"shift", "green", "--p99-window", "0"},
	} {
		t.Run(fmt.Sprint(args), func(t *testing.T) {
			cmd := newRootCommand(noEngineDeps(t))
			cmd.SetArgs(args)
			err := cmd.Execute()
			assert.Equal(t, release.ExitUsage, release.ExitCode(err), "%v", err)
		})
	}
}

// Cobra's own errors are bad usage too (exit 2), and values that compare false with
// everything (NaN) or are out of range cannot turn a gate off.
func TestCobraErrorsAndBadNumbersAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"nonsense"},                         // unknown command
		{"status", "--no-such-flag"},         // unknown flag
		{"shift", "green", "--pause", "5xm"}, // bad duration
		{"shift"},                            // wrong number of arguments
		{"destroy", "blue", "green"},         // wrong number of arguments
		{"deploy", "green", "--desired-capacity", "two"},
		{"shift", "green", "--max-5xx-percent", "NaN", "--max-p99", "1s"},
		{"shift", "green", "--max-5xx-percent", "Inf", "--max-p99", "1s"},
		{"shift", "green", "--max-5xx-percent", "101", "--max-p99", "1s"},
		{"shift", "green", "--max-5xx-percent", "-1", "--max-p99", "1s"},
	} {
		t.Run(fmt.Sprint(args), func(t *testing.T) {
			requireUsageError(t, args)
		})
	}
}

// Usage errors name what was wrong and what is allowed, exit 2, and build nothing.
func TestUsageErrorsSayWhatIsAllowed(t *testing.T) {
	noPulumiYAML := t.TempDir()
	for _, tc := range []struct {
		args []string
		says []string
	}{
		{[]string{"rollback", "--to", "purple"}, []string{`--to "purple"`, "blue or green"}},
		{[]string{"shift", "green", "--interval", "0s"}, []string{"--interval 0s", "above 0"}},
		{[]string{}, []string{"want a command", "bluegreen --help"}},
		{[]string{"status", "--workdir", noPulumiYAML}, []string{"--workdir " + noPulumiYAML, "no Pulumi.yaml"}},
		{[]string{"status", "--workdir", noPulumiYAML + "/missing"}, []string{"--workdir " + noPulumiYAML + "/missing"}},
	} {
		t.Run(fmt.Sprint(tc.args), func(t *testing.T) {
			t.Chdir(t.TempDir())
			err := requireUsageError(t, tc.args)
			for _, s := range tc.says {
				assert.ErrorContains(t, err, s)
			}
		})
	}
	for _, command := range []string{"shift", "deploy", "smoke", "retire", "destroy"} {
		t.Run(command+" without a colour", func(t *testing.T) {
			err := execute(context.Background(), newRootCommand(deps{out: &bytes.Buffer{}}), []string{command})
			assert.Equal(t, release.ExitUsage, release.ExitCode(err), "%v", err)
			assert.ErrorContains(t, err, "blue or green")
		})
	}
}

// projectWorkdir is a --workdir for a test: an empty folder but for a Pulumi.yaml.
func projectWorkdir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte("name: webapi\nruntime: go\n"), 0o644))
	return dir
}

// shift --check-flags checks the flags as a shift would and does nothing else.
func TestShiftCheckFlags(t *testing.T) {
	run := func(args ...string) error {
		d := deps{out: &bytes.Buffer{}, clock: release.RealClock{},
			newEngine: func(string, io.Writer) (release.Engine, error) {
				t.Fatal("--check-flags builds nothing")
				return nil, nil
			}}
		return execute(context.Background(), newRootCommand(d), args)
	}
	require.NoError(t, run("shift", "green", "--steps", "10,50,100", "--pause", "10m", "--check-flags"))
	for _, bad := range [][]string{
		{"shift", "green", "--steps", "10,50", "--check-flags"},
		{"shift", "green", "--pause", "0", "--check-flags"},
		{"shift", "green", "--pause", "10", "--check-flags"},
	} {
		assert.Equal(t, release.ExitUsage, release.ExitCode(run(bad...)), "%v", bad)
	}
}

// noEngineDeps fail the test when a command gets as far as building anything: an engine,
// an AWS client or an EC2 image lookup.
func noEngineDeps(t *testing.T) deps {
	return deps{out: &bytes.Buffer{}, clock: release.RealClock{},
		newEngine: func(string, io.Writer) (release.Engine, error) { t.Fatal("no engine for bad input"); return nil, nil },
		newHealth: func(context.Context, string) (release.Health, error) {
			t.Fatal("no AWS for bad input")
			return nil, nil
		},
		newImages: func(context.Context, string) (release.Images, error) {
			t.Fatal("no AWS for bad input")
			return nil, nil
		},
	}
}

// requireUsageError runs the tool with args and requires a usage error (exit 2) before
// anything was built; it returns the error for the caller's checks of its words.
func requireUsageError(t *testing.T, args []string) error {
	t.Helper()
	err := execute(context.Background(), newRootCommand(noEngineDeps(t)), args)
	require.Error(t, err)
	assert.Equal(t, release.ExitUsage, release.ExitCode(err), "%v", err)
	return err
}
