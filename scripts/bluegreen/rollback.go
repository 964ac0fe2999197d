package main

import (
	"github.com/spf13/cobra"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/release"
)

func rollbackCommand(newRelease newReleaseFunc) *cobra.Command {
	var to, listenerArn string
	var targetGroups map[string]string
	var revert, force, scaleUp, direct bool
	cmd := &cobra.Command{
		Use:   "rollback [--to <blue|green>] [--revert] [--force] [--scale-up] [--direct [--listener-arn ARN --target-groups blue=ARN,green=ARN]]",
		Short: "Send all traffic back to the colour that served before the current release",
		Long: `One targeted update of the listener, verified through the AWS API, under the release lease.
Without --to it goes to the release record's stable colour (the colour that served before the
current release's first shift) and says so; with no release in progress it changes nothing and
says why (exit 3). A completed release is reverted only with --revert. --to makes any colour the
explicit target.

The destination must be ready to take all traffic: healthy targets = in-service instances =
desired capacity (draining targets not counted), and a desired capacity at least the serving
colour's. Otherwise it is refused with the numbers (exit 3); --force rolls back anyway, and
--scale-up deploys the destination at that capacity (run options, nothing written to config),
waits until it is ready, then rolls back; it changes the group's capacity and nothing else: when
this checkout's program would also change the destination's fleet or image (a checkout behind or
ahead of what it runs), it is refused (exit 3) unless --force, which deploys those changes too.
A rollback that finishes a restore the record says is under way (after ROLLBACK FAILED) goes on
with a warning even when the stable colour is not ready.

--direct is the break-glass rollback for when the engine cannot run (a backend lock held by a
dead process, a program that fails, an unreachable backend): it never runs Pulumi. It sets the
listener with ELBv2 ModifyListener from the ARNs the release record holds (recorded when the
release started; --listener-arn and --target-groups when it holds none), verifies it, records
the release rolled back with the reconcile pending, and says what to reconcile: the next shift
or rollback refreshes the listener into the edge stack's state. The region comes from --region,
AWS_REGION or the AWS config. A release in progress and a held split (--hold) are rolled back
directly; reverting a completed release needs the engine (--revert).

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var c infra.Color
			if to != "" {
				var err error
				if c, err = infra.ParseColor(to); err != nil {
					return release.Usagef("--to %q: want blue or green", to)
				}
			}
			if err := checkRollbackFlags(direct, revert, scaleUp, listenerArn, targetGroups); err != nil {
				return err
			}
			r, err := newRelease(cmd, true)
			if err != nil {
				return err
			}
			if direct {
				return r.RollbackDirect(cmd.Context(), release.DirectOptions{To: c, Force: force, ListenerArn: listenerArn, TargetGroupArns: targetGroups})
			}
			return r.Rollback(cmd.Context(), release.RollbackOptions{To: c, Revert: revert, Force: force, ScaleUp: scaleUp})
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "send all traffic to this colour (explicit)")
	cmd.Flags().BoolVar(&revert, "revert", false, "revert a completed release (all traffic back to its stable colour)")
	cmd.Flags().BoolVar(&force, "force", false, "roll back even if the destination is not ready to take all traffic")
	cmd.Flags().BoolVar(&scaleUp, "scale-up", false, "deploy a destination scaled below what it must carry at that capacity, wait until it is ready, then roll back")
	cmd.Flags().BoolVar(&direct, "direct", false, "break glass: set the listener with ModifyListener, without the engine (the next command reconciles the state)")
	cmd.Flags().StringVar(&listenerArn, "listener-arn", "", "with --direct: the traffic listener, when the release record does not name it (the edge stack's listenerArn output)")
	cmd.Flags().StringToStringVar(&targetGroups, "target-groups", nil, "with --direct: blue=ARN,green=ARN, when the release record does not name them (the edge stack's targetGroupArns output)")
	return cmd
}

// checkRollbackFlags refuses flag combinations that make no sense, before anything runs.
func checkRollbackFlags(direct, revert, scaleUp bool, listenerArn string, targetGroups map[string]string) error {
	switch {
	case direct && revert:
		return release.Usagef("--direct rolls back a release in progress only; --revert needs the engine (leave out --direct)")
	case direct && scaleUp:
		return release.Usagef("--scale-up deploys through the engine, which --direct never runs: scale with `bluegreen deploy <colour> --desired-capacity N` once the engine works, or roll back with --direct --force")
	case !direct && (listenerArn != "" || len(targetGroups) > 0):
		return release.Usagef("--listener-arn and --target-groups go with --direct only")
	}
	for k := range targetGroups {
		if _, err := infra.ParseColor(k); err != nil {
			return release.Usagef("--target-groups %s=…: %v (want blue=<arn>,green=<arn>)", k, err)
		}
	}
	return nil
}

// directRollback says whether the command is `rollback --direct`, which must not run the
// engine at all: not even for the region (main.go's releaseFactory asks it otherwise).
func directRollback(cmd *cobra.Command) bool {
	direct, err := cmd.Flags().GetBool("direct")
	return err == nil && direct
}

func historyCommand(newRelease newReleaseFunc) *cobra.Command {
	return &cobra.Command{
		Use:   "history",
		Short: "Print the release record: stable colour, the release in progress, the lease, and the history",
		Long:  exitCodesHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := newRelease(cmd, false)
			if err != nil {
				return err
			}
			return r.History(cmd.Context())
		},
	}
}

func unlockCommand(newRelease newReleaseFunc) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "unlock [--reason TEXT]",
		Short: "Show who holds the release lease and break it",
		Long: `Breaks the release lease whoever holds it, and writes who broke whose lease to the history.
The holder, if it still runs, stops at its next health check or record write without touching
traffic. Use it when the holder is dead (a lost CI runner) or must be overruled.

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := newRelease(cmd, false)
			if err != nil {
				return err
			}
			return r.Unlock(cmd.Context(), reason)
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the history")
	return cmd
}
