package main

import (
	"github.com/spf13/cobra"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/release"
)

func rollbackCommand(newRelease newReleaseFunc) *cobra.Command {
	var to string
	var revert, force bool
	cmd := &cobra.Command{
		Use:   "rollback [--to <blue|green>] [--revert] [--force]",
		Short: "Send all traffic back to the colour that served before the current release",
		Long: `One targeted update of the listener, verified through the AWS API, under the release lease.
Without --to it goes to the release record's stable colour (the colour that served before the
current release's first shift) and says so; with no release in progress it changes nothing and
says why (exit 3). A completed release is reverted only with --revert. --to makes any colour the
explicit target. Refuses when that colour has no healthy targets, unless --force.

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := release.RollbackOptions{Revert: revert, Force: force}
			if to != "" {
				c, err := infra.ParseColor(to)
				if err != nil {
					return release.UsageError{Err: err}
				}
				opts.To = c
			}
			r, err := newRelease(cmd, true)
			if err != nil {
				return err
			}
			return r.Rollback(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "send all traffic to this colour (explicit)")
	cmd.Flags().BoolVar(&revert, "revert", false, "revert a completed release (all traffic back to its stable colour)")
	cmd.Flags().BoolVar(&force, "force", false, "roll back even if the destination colour has no healthy targets")
	return cmd
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
