package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// findCommand is the command at path ("shift", "lease take").
func findCommand(t *testing.T, root *cobra.Command, path string) *cobra.Command {
	t.Helper()
	cmd, _, err := root.Find(strings.Fields(path))
	require.NoError(t, err, path)
	return cmd
}

// The help says what the tool does (M5, M6, L8) and reads right (M9).
func TestHelpSaysWhatTheToolDoes(t *testing.T) {
	root := newRootCommand(deps{})
	for _, says := range []string{"--base-ami", "--scale-up"} {
		assert.Contains(t, oneLine(root.Long), says, "root: the run options")
	}

	shift := findCommand(t, root, "shift")
	assert.Equal(t, "shift <blue|green> [--steps 10,50,100] [--pause 5m] [--manual|--hold]", shift.Use)
	for _, says := range []string{"ready", "healthy = in service = desired", "capacity", "gateAlarms", "smoke test", "--metric-lag", "--min-requests",
		"inconclusive", "p99", "ELB 5xx", "connection errors", "draining", "retried", "before anything is recorded"} {
		assert.Contains(t, oneLine(shift.Long), says, "shift --help")
	}
	assert.NotContains(t, shift.Long, "has no healthy targets", "the old gate")

	for _, says := range []string{
		"--hold", "--defer-fleet", "warnings", // 0
		"refresh Failed or Cancelled", "timeout", "--scale-up", // 1
		"smoke test", "not ready", "below the serving colour's", "alarm missing or in ALARM", "no Auto Scaling or CloudWatch", "base-ami", "serving colour's fleet", // 3
		"not enough traffic to judge", "the smoke test after a step", // 4
	} {
		assert.Contains(t, oneLine(exitCodesHelp), says, "exit codes")
	}

	deploy := findCommand(t, root, "deploy")
	for _, says := range []string{"baseAmiId", "git ls-remote", "appRepository", "requestedRef"} {
		assert.Contains(t, oneLine(deploy.Long), says, "deploy --help")
	}
	appRef := deploy.Flags().Lookup("app-ref").Usage
	assert.NotContains(t, appRef, "set webapi:appRef", "a run option, never written")
	assert.Contains(t, appRef, "commit")
	for _, flag := range []string{"max-5xx-percent", "max-p99"} {
		assert.Contains(t, shift.Flags().Lookup(flag).Usage, "together", flag)
	}
	region := root.PersistentFlags().Lookup("region").Usage
	for _, says := range []string{"base-ami", "--direct"} {
		assert.Contains(t, region, says, "--region")
	}
	assert.Equal(t, "smoke <blue|green>", findCommand(t, root, "smoke").Use)

	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Value.Type() == "bool" {
				name, _ := pflag.UnquoteUsage(f)
				assert.Empty(t, name, "%s --%s: a bool flag shown with a value name (a back-quoted word in its usage)", c.CommandPath(), f.Name)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// oneLine is s with every run of white space one space: help text wraps anywhere.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
