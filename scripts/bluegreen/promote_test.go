package main

import (
	"context"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webapi-platform/infra/internal/release"
)

// A plan must end at 100% unless --hold says it holds the split: `--steps 10,50` used to
// end at 50/50 with exit 0 and nobody watching.
func TestStepsBelow100NeedHold(t *testing.T) {
	for args, says := range map[string][]string{
		"10,50":            {"shift", "green", "--steps", "10,50"},
		"--hold wants":     {"shift", "green", "--steps", "10,100", "--hold"},
		"is not a whole":   {"shift", "green", "--steps", "10,x", "--hold"},
		"promote --hold":   {"promote", "--hold"},
		"promote --steps":  {"promote", "--steps", "10,100"},
		"promote --manual": {"promote", "--manual"},
	} {
		err := execute(context.Background(), newRootCommand(noEngineDeps(t)), says)
		require.Error(t, err, args)
		assert.Equal(t, release.ExitUsage, release.ExitCode(err), "%v: %v", says, err)
	}
	err := execute(context.Background(), newRootCommand(noEngineDeps(t)), []string{"shift", "green", "--steps", "10,50"})
	assert.ErrorContains(t, err, `--steps "10,50" ends at 50%: the last step must be 100, or pass --hold to end the release holding that split`)
}

func TestPlanFlagsCarryHold(t *testing.T) {
	cmd := &cobra.Command{Use: "x"}
	opts := shiftFlags(cmd)
	require.NoError(t, cmd.ParseFlags([]string{"--steps", "5,25", "--hold"}))
	o, err := opts()
	require.NoError(t, err)
	assert.Equal(t, []int{5, 25}, o.Steps)
	assert.True(t, o.Hold)

	cmd = &cobra.Command{Use: "x"}
	opts = shiftFlags(cmd)
	require.NoError(t, cmd.ParseFlags(nil))
	o, err = opts()
	require.NoError(t, err)
	assert.Equal(t, []int{10, 50, 100}, o.Steps)
	assert.False(t, o.Hold)
}
