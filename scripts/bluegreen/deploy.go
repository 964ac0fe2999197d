package main

import (
	"github.com/spf13/cobra"

	"github.com/webapi-platform/infra/internal/release"
)

func deployCommand(newRelease newReleaseFunc) *cobra.Command {
	var appRef string
	var desired int
	var force bool
	cmd := &cobra.Command{
		Use:   "deploy <blue|green>",
		Short: "Update a colour's stack: bake if needed, roll its fleet, wait for healthy capacity",
		Long: `Updates the colour's stack (pulumi up of Pulumi.<colour>.yaml), optionally setting its appRef
and desiredCapacity first. Refuses to change the fleet or image of a colour that has weight, and
to update the edge stack when its config's weights differ from the deployed listener's, unless
--force.

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := colorArg(args)
			if err != nil {
				return err
			}
			opts := release.DeployOptions{AppRef: appRef, Force: force}
			if cmd.Flags().Changed("desired-capacity") {
				if desired < 0 {
					return release.Usagef("--desired-capacity %d: want 0 or more", desired)
				}
				opts.DesiredCapacity = &desired
			}
			r, err := newRelease(cmd, false)
			if err != nil {
				return err
			}
			return r.Deploy(cmd.Context(), c, opts)
		},
	}
	cmd.Flags().StringVar(&appRef, "app-ref", "", "set webapi:appRef (tag or commit to bake) before deploying")
	cmd.Flags().IntVar(&desired, "desired-capacity", 0, "set webapi:desiredCapacity before deploying")
	cmd.Flags().BoolVar(&force, "force", false, "deploy even if the colour has weight")
	return cmd
}
