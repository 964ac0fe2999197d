package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func statusCommand(newRelease newReleaseFunc) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Per colour: app ref, AMI, desired and healthy targets, weight; and the ALB URL",
		Long:  "Healthy targets need AWS credentials; without them the column says why it is unknown.\n\n" + exitCodesHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := newRelease(cmd, false)
			if err != nil {
				return err
			}
			return r.Status(cmd.Context())
		},
	}
}

func idleCommand(newRelease newReleaseFunc) *cobra.Command {
	return &cobra.Command{
		Use:   "idle",
		Short: "Print the colour that has no traffic (the one to release into)",
		Long:  "Prints blue or green alone on stdout, for scripts. Refused (exit 3) while a shift is in progress.\n\n" + exitCodesHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := newRelease(cmd, false)
			if err != nil {
				return err
			}
			c, err := r.Idle(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), c)
			return nil
		},
	}
}
