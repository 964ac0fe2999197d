package main

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/webapi-platform/infra/internal/release"
)

// planFlags adds shift's plan flags, --steps and --hold; the returned function reads
// them once cobra has parsed them. A plan ends at 100% unless --hold says the release
// ends holding its last step's split: a plan that stopped short by accident would leave
// both colours serving with exit 0 and nothing watching.
func planFlags(cmd *cobra.Command) func() (steps []int, hold bool, err error) {
	var raw string
	var hold bool
	cmd.Flags().StringVar(&raw, "steps", "10,50,100", "ascending percentages of traffic for the receiving colour; the last is 100 unless --hold")
	cmd.Flags().BoolVar(&hold, "hold", false, "end the release holding the last step's split (a last step below 100); bluegreen promote later takes it to 100%")
	return func() ([]int, bool, error) {
		steps, err := parseSteps(raw)
		if err != nil {
			return nil, false, err
		}
		last := steps[len(steps)-1]
		switch {
		case last != 100 && !hold:
			return nil, false, release.Usagef("--steps %q ends at %d%%: the last step must be 100, or pass --hold to end the release holding that split", raw, last)
		case last == 100 && hold:
			return nil, false, release.Usagef("--hold wants a last step below 100 (--steps %q ends at 100%%: there is no split to hold)", raw)
		}
		return steps, hold, nil
	}
}

// parseSteps reads "10,50,100": ascending whole percentages from 1 to 100.
func parseSteps(s string) ([]int, error) {
	var steps []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 || n > 100 {
			return nil, release.Usagef("--steps %q: %q is not a whole percentage from 1 to 100", s, part)
		}
		if len(steps) > 0 && n <= steps[len(steps)-1] {
			return nil, release.Usagef("--steps %q: steps must increase (%d after %d)", s, n, steps[len(steps)-1])
		}
		steps = append(steps, n)
	}
	return steps, nil
}

func promoteCommand(newRelease newReleaseFunc) *cobra.Command {
	var full bool
	cmd := &cobra.Command{
		Use:   "promote [--full]",
		Short: "Continue a paused manual release by exactly one step of its plan (--full: every step left); finish a held one",
		Long: `Continues the release in the release record with the plan recorded when it started (shift's
--steps, --pause and limits then; promote takes no plan flags): by exactly one step, which is
verified and watched like a shift's, after which a manual release pauses again. --full runs every
step left in order, each verified and watched, without pausing; none is skipped. A release that
ended holding its split (shift --hold) is taken to 100% in one more watched step. Any failure rolls
back to the stable colour (exit 4), as shift does. Refused (exit 3) when no release is paused or
holding.

` + exitCodesHelp,
		Args: cobra.NoArgs,
	}
	cmd.Flags().BoolVar(&full, "full", false, "run every step left in the recorded plan, without pausing between them")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		r, err := newRelease(cmd, true)
		if err != nil {
			return err
		}
		return r.Promote(cmd.Context(), full)
	}
	return cmd
}
