package main

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/webapi-platform/infra/internal/release"
)

func statusCommand(newRelease newReleaseFunc) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status [--json]",
		Short: "Per colour: weight, app ref, AMI, desired, healthy and in-service capacity, alarms in ALARM; the ALB and the release record",
		Long: `Reads the stacks that exist (never creates one: a colour without a stack is "not deployed"),
the listener's live weights, the release record, and from AWS each colour's Auto Scaling group,
target health and alarms. Without AWS credentials the weights come from the edge stack's outputs
and the AWS values are unknown; a warning says why.

--json prints one JSON object (StatusReport, schema version ` + strconv.Itoa(release.StatusSchemaVersion) + `, described in the README) and
nothing else on stdout: unknown values are null, the engine's progress is off, and notes go to
stderr.

` + exitCodesHelp,
		Args: cobra.NoArgs,
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as one JSON object (the README's schema) and nothing else on stdout")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if asJSON {
			// Nothing but the report on stdout: no engine progress.
			if err := cmd.Root().PersistentFlags().Set("quiet", "true"); err != nil {
				return err
			}
		}
		r, err := newRelease(cmd, false)
		if err != nil {
			return err
		}
		if !asJSON {
			return r.Status(cmd.Context())
		}
		r.Out = cmd.ErrOrStderr() // what look notes on the way (drift, a seeded stable colour)
		rep, err := r.StatusReport(cmd.Context())
		if err != nil {
			return err
		}
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("writing the status as JSON: %w", err)
		}
		return nil
	}
	return cmd
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
			r.Out = cmd.ErrOrStderr() // the colour alone on stdout; look's notes go to stderr
			c, err := r.Idle(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), c)
			return nil
		},
	}
}
