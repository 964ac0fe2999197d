package main

import "github.com/spf13/cobra"

func rollbackCommand(newRelease newReleaseFunc) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Send all traffic back to the colour that served before the last shift",
		Long:  "One targeted update of the listener, verified through the AWS API. Refuses when that colour has\nno healthy targets, unless --force.\n\n" + exitCodesHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := newRelease(cmd, true)
			if err != nil {
				return err
			}
			return r.Rollback(cmd.Context(), force)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "roll back even if the stable colour has no healthy targets")
	return cmd
}
