package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/webapi-platform/infra/internal/release"
)

func destroyCommand(newRelease newReleaseFunc) *cobra.Command {
	return &cobra.Command{
		Use:   "destroy <blue|green>",
		Short: "Destroy a colour's stack; refused while it has weight (and for the edge while the other colour exists)",
		Long:  exitCodesHelp,
		Args:  colorArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := colorArg(args)
			if err != nil {
				return err
			}
			r, err := newRelease(cmd, true)
			if err != nil {
				return err
			}
			return r.Destroy(cmd.Context(), c)
		},
	}
}

func retireCommand(newRelease newReleaseFunc) *cobra.Command {
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "retire <blue|green> [--wait 10m]",
		Short: "Scale an idle colour to zero after a wait; refused while it has weight",
		Long:  "Waits (for connections to drain and a last look), checks the colour's weight again, then sets\nminSize and desiredCapacity to 0 and updates its stack.\n\n" + exitCodesHelp,
		Args:  colorArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := colorArg(args)
			if err != nil {
				return err
			}
			if wait < 0 {
				return release.Usagef("--wait %s: must not be negative", wait)
			}
			r, err := newRelease(cmd, true)
			if err != nil {
				return err
			}
			return r.Retire(cmd.Context(), c, wait)
		},
	}
	cmd.Flags().DurationVar(&wait, "wait", 10*time.Minute, "how long to wait before scaling to zero")
	return cmd
}
