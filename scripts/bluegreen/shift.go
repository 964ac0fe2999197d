package main

import (
	"math"
	"time"

	"github.com/spf13/cobra"

	"github.com/webapi-platform/infra/internal/release"
)

// shiftFlags adds the flags shift and promote share; the returned function reads them
// into options once cobra has parsed them.
func shiftFlags(cmd *cobra.Command) func() (release.ShiftOptions, error) {
	plan := planFlags(cmd)
	var pause, interval time.Duration
	var manual bool
	var max5xx float64
	var maxP99 time.Duration
	cmd.Flags().DurationVar(&pause, "pause", 5*time.Minute, "how long to watch health after each step")
	cmd.Flags().DurationVar(&interval, "interval", 30*time.Second, "time between health checks during a pause")
	cmd.Flags().BoolVar(&manual, "manual", false, "stop after each step until `bluegreen promote`")
	cmd.Flags().Float64Var(&max5xx, "max-5xx-percent", 0, "highest 5xx rate allowed (default: the colour's webapi:alarm5xxPercent)")
	cmd.Flags().DurationVar(&maxP99, "max-p99", 0, "highest p99 target response time allowed (default: the colour's webapi:alarmLatencyMs)")
	return func() (release.ShiftOptions, error) {
		s, hold, err := plan()
		if err != nil {
			return release.ShiftOptions{}, err
		}
		if pause < 0 || interval < 0 {
			return release.ShiftOptions{}, release.Usagef("--pause and --interval must not be negative")
		}
		opts := release.ShiftOptions{Steps: s, Hold: hold, Pause: pause, Interval: interval, Manual: manual}
		if cmd.Flags().Changed("max-5xx-percent") || cmd.Flags().Changed("max-p99") {
			// NaN compares false with everything: without the explicit check it would turn
			// the 5xx gate off.
			if math.IsNaN(max5xx) || math.IsInf(max5xx, 0) || max5xx <= 0 || max5xx > 100 || maxP99 <= 0 {
				return release.ShiftOptions{}, release.Usagef("--max-5xx-percent %v and --max-p99 %s go together: a percentage above 0 and at most 100, and a duration above 0", max5xx, maxP99)
			}
			opts.Limits = &release.Limits{Max5xxPercent: max5xx, MaxP99: maxP99}
		}
		return opts, nil
	}
}

func shiftCommand(newRelease newReleaseFunc) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "shift <blue|green> [--steps 10,50,100] [--pause 5m|--manual]",
		Short: "Move traffic to a colour step by step, with health gates and automatic rollback",
		Long: `Takes the release lease and starts a release from the weights the listener serves: the
release record gets the stable colour (the one serving before) and the plan first. For each step:
records it, updates the listener alone with the step's weights as a run option (pulumi up --target
<listener URN>; nothing is written to Pulumi.<stack>.yaml), verifies through the AWS API that the
listener has them, then watches the receiving colour for the pause: the listener still at the
step's weights (else someone else moved traffic: stop at once, exit 3), every target healthy, 5xx
rate and p99 latency under the limits. On any failure it puts all traffic back on the stable
colour, verifies that too, and exits 4. Refuses to start when the receiving colour has no healthy
targets. A release found in progress is resumed where the record says, with its recorded plan:
an interrupted step is applied again and watched for a full pause; none is skipped.

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
	}
	opts := shiftFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := colorArg(args)
		if err != nil {
			return err
		}
		o, err := opts()
		if err != nil {
			return err
		}
		o.Target = c
		r, err := newRelease(cmd, true)
		if err != nil {
			return err
		}
		return r.Shift(cmd.Context(), o)
	}
	return cmd
}
