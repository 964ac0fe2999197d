package main

import (
	"github.com/spf13/cobra"
)

func smokeCommand(newRelease newReleaseFunc) *cobra.Command {
	return &cobra.Command{
		Use:   "smoke <blue|green>",
		Short: "Smoke-test a colour through the ALB now, whatever its weight (read-only)",
		Long: `Sends webapi:smokeRequests requests to the edge's health check path and to each of the
colour's webapi:smokePaths, with the colour header so they reach that colour alone; every one
must answer 2xx. On an HTTPS edge the colour's (else the edge's) webapi:publicHostname is sent as
Host and TLS SNI. The same test runs before a shift moves any weight and after each step.
Nothing is changed or recorded. Exit 3 when the smoke test fails.

` + exitCodesHelp,
		Args: colorArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := colorArg(args)
			if err != nil {
				return err
			}
			r, err := newRelease(cmd, false)
			if err != nil {
				return err
			}
			return r.SmokeTest(cmd.Context(), c)
		},
	}
}
