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
	gates := gateFlags(cmd)
	cmd.Flags().DurationVar(&pause, "pause", 5*time.Minute, "how long to watch health after each step")
	cmd.Flags().DurationVar(&interval, "interval", 30*time.Second, "time between health checks during a pause")
	cmd.Flags().BoolVar(&manual, "manual", false, "stop after each step until bluegreen promote continues")
	cmd.Flags().Float64Var(&max5xx, "max-5xx-percent", 0, "highest 5xx rate allowed, in percent; together with --max-p99 (default for both: the colour's webapi:alarm5xxPercent and webapi:alarmLatencyMs)")
	cmd.Flags().DurationVar(&maxP99, "max-p99", 0, "highest p99 target response time allowed; together with --max-5xx-percent (default for both: the colour's webapi:alarmLatencyMs and webapi:alarm5xxPercent)")
	return func() (release.ShiftOptions, error) {
		s, hold, err := plan()
		if err != nil {
			return release.ShiftOptions{}, err
		}
		switch {
		case pause <= 0:
			// A pause of 0 would judge a step on nothing.
			return release.ShiftOptions{}, release.Usagef("--pause %s: want a duration above 0", pause)
		case interval <= 0:
			// An interval of 0 would look once, at the end of the pause: a regression would
			// serve traffic unwatched for the whole pause.
			return release.ShiftOptions{}, release.Usagef("--interval %s: want a duration above 0 (the time between health checks during a pause)", interval)
		}
		opts := release.ShiftOptions{Steps: s, Hold: hold, Pause: pause, Interval: interval, Manual: manual}
		if err := gates(&opts); err != nil {
			return release.ShiftOptions{}, err
		}
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

// gateFlags adds the evidence gates' flags; the returned function checks them and puts
// those given into opts (the others stay zero: the colour's config and the defaults).
func gateFlags(cmd *cobra.Command) func(*release.ShiftOptions) error {
	var minRequests, breaches, window int
	var lag, extend time.Duration
	cmd.Flags().IntVar(&minRequests, "min-requests", 0, "fewest requests the receiving colour must serve in a step's judged minutes (default: the colour's webapi:minRequests, 100)")
	cmd.Flags().DurationVar(&extend, "max-extend", 0, "how much longer than --pause a step waits for --min-requests before it fails as inconclusive (default: the pause)")
	cmd.Flags().DurationVar(&lag, "metric-lag", release.DefaultMetricLag, "how old a minute must be before it is judged: CloudWatch's ALB metrics arrive late")
	cmd.Flags().IntVar(&breaches, "p99-breaches", release.DefaultP99Breaches, "slow minutes (p99 above --max-p99) that fail a step ...")
	cmd.Flags().IntVar(&window, "p99-window", release.DefaultP99Window, "... within this many consecutive judged minutes")
	return func(opts *release.ShiftOptions) error {
		f := cmd.Flags()
		switch {
		case f.Changed("min-requests") && minRequests <= 0:
			return release.Usagef("--min-requests %d: want a number of requests above 0", minRequests)
		case f.Changed("max-extend") && extend <= 0:
			return release.Usagef("--max-extend %s: want a duration above 0", extend)
		case lag <= 0:
			return release.Usagef("--metric-lag %s: want a duration above 0", lag)
		case breaches <= 0 || window <= 0 || breaches > window:
			return release.Usagef("--p99-breaches %d --p99-window %d: want 1 <= breaches <= window", breaches, window)
		}
		opts.MinRequests, opts.MaxExtend, opts.MetricLag, opts.P99Breaches, opts.P99Window = minRequests, extend, lag, breaches, window
		return nil
	}
}

func shiftCommand(newRelease newReleaseFunc) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "shift <blue|green> [--steps 10,50,100] [--pause 5m] [--manual|--hold]",
		Short: "Move traffic to a colour step by step, with evidence gates and automatic rollback",
		Long: `Takes the release lease and starts a release from the weights the listener serves.

Before the first step (each refused with exit 3 and the numbers): the stable colour (the one
serving now) must be ready to take all traffic back, checked before anything is recorded; then
the release and its plan are recorded, and the receiving colour must be ready: healthy = in
service = desired, a desired capacity at least the serving colour's (for a plan to 100%), its
alarms and webapi:gateAlarms present and none in ALARM; then its smoke test must pass.

Each step is recorded, applied to the listener alone as a run option (pulumi up --target
<listener URN>; nothing is written to Pulumi.<stack>.yaml), verified through the AWS API, then
watched for the pause. A step passes only on evidence, judged per minute from CloudWatch once a
minute is older than --metric-lag: at least --min-requests requests (fewer after --max-extend:
inconclusive, not enough traffic to judge); the 5xx rate (target 5xx, ELB 5xx and connection
errors) under --max-5xx-percent; p99 above --max-p99 in fewer than --p99-breaches of
--p99-window minutes; every target healthy (draining ones ignored, initial ones waited for until
the pause ends); no gating alarm in ALARM; then the smoke test again. Transient AWS errors are
retried twice. The listener is re-read at every look: other weights mean someone else moved
traffic, and the shift stops without touching it (exit 3), as it does when its lease is broken.
On a failed step all traffic goes back to the stable colour, verified (exit 4). A release found
in progress is resumed where the record says, with its recorded plan: an interrupted step is
applied again and watched for a full pause; none is skipped.

` + exitCodesHelp,
		Args: colorArgs,
	}
	opts := shiftFlags(cmd)
	var checkOnly bool
	cmd.Flags().BoolVar(&checkOnly, "check-flags", false, "check the arguments and flags as a shift would, then exit (0: a shift would start with them) without reading or changing anything: CI checks its inputs before a long deploy")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := colorArg(args)
		if err != nil {
			return err
		}
		o, err := opts()
		if err != nil || checkOnly {
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
