package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/webapi-platform/infra/internal/bake"
	"github.com/webapi-platform/infra/internal/release"
)

func deployCommand(newRelease newReleaseFunc) *cobra.Command {
	var appRef, report string
	var desired int
	var opts release.DeployOptions
	cmd := &cobra.Command{
		Use:   "deploy <blue|green>",
		Short: "Update a colour's stack: bake if needed, roll its fleet, wait until it serves the new version",
		Long: `Takes the release lease and updates the colour's stack (pulumi up of Pulumi.<colour>.yaml),
with its appRef, desiredCapacity and baseAmiId as run options when --app-ref, --desired-capacity
and --base-ami give them (else the colour keeps what its outputs record). --app-ref is resolved
to the commit it names with git ls-remote in the colour's appRepository (an unknown ref fails,
exit 1; a short SHA is not resolved): the colour bakes and exports that commit. An update of the edge stack carries the
weights the listener serves, so the checkout's webapi:greenWeight never moves traffic. Then it waits:
for the instance refresh the update started (a failed or cancelled refresh fails the deploy with AWS's
reason), for every in-service instance to run the group's launch template version, and for the
desired capacity of healthy targets; within webapi:deployTimeoutMinutes (default 30) or --timeout,
else it fails (exit 1) naming what is not healthy. A deploy never moves traffic.

Refuses to change the fleet or image of a colour that has weight, unless --in-place (roll it through
its instance refresh, launch before terminate, and wait), --defer-fleet (apply everything else and
report the fleet changes as deferred) or --force; and refuses to deploy into the colour a release in
progress goes to, unless --force. After deploying an idle colour the lease is kept for the shift into
it; another run's deploy, shift or rollback is refused meanwhile (see unlock).

--report <file> writes what the deploy did as JSON for CI: color, appRef (the commit),
requestedRef (the --app-ref given, when it was not that commit), changed, fleetChanged, deferred,
refresh {id, status, reason}, waitSeconds, elapsedSeconds.

` + exitCodesHelp,
		Args: colorArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := colorArg(args)
			if err != nil {
				return err
			}
			if b := opts.BaseAmiID; b != "" && !bake.AmiIDPattern.MatchString(b) { // the program's rule for webapi:baseAmiId
				return release.Usagef("--base-ami %q: want an AMI id such as ami-0123456789abcdef0 (an Amazon Windows Server image; see base-ami)", b)
			}
			opts.AppRef = appRef
			if cmd.Flags().Changed("desired-capacity") {
				if desired < 0 {
					return release.Usagef("--desired-capacity %d: want 0 or more", desired)
				}
				opts.DesiredCapacity = &desired
			}
			if cmd.Flags().Changed("report") && report == "" {
				return release.Usagef("--report: want a file path")
			}
			if err := opts.Validate(); err != nil {
				return err
			}
			r, err := newRelease(cmd, true)
			if err != nil {
				return err
			}
			err = r.Deploy(cmd.Context(), c, opts)
			return writeDeployReport(report, r.Deployed, err)
		},
	}
	cmd.Flags().StringVar(&appRef, "app-ref", "", "the app version to bake: a tag, branch or full commit, resolved to a commit with git ls-remote (a run option; nothing is written to config)")
	cmd.Flags().IntVar(&desired, "desired-capacity", 0, "the colour's desired capacity (webapi:desiredCapacity, as a run option)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "deploy even if the colour has weight or a release into it is in progress")
	cmd.Flags().BoolVar(&opts.InPlace, "in-place", false, "let the fleet of a colour with weight roll through its instance refresh (100% minimum healthy), and wait for it")
	cmd.Flags().BoolVar(&opts.DeferFleet, "defer-fleet", false, "on a colour with weight, apply everything but fleet and image changes and report those as deferred")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 0, "how long to wait for the new version (default: the colour's webapi:deployTimeoutMinutes)")
	cmd.Flags().StringVar(&report, "report", "", "write what the deploy did as JSON to this file")
	cmd.Flags().StringVar(&opts.BaseAmiID, "base-ami", "", "pin the prerequisites stage's source AMI (webapi:baseAmiId; default: the colour's pin, from its outputs)")
	return cmd
}

// writeDeployReport writes the deploy's report to path (none: nothing to do; nil: the
// deploy stopped before it began) and returns the deploy's error, joined with the
// write's when the report could not be written.
func writeDeployReport(path string, rep *release.DeployReport, deployErr error) error {
	if path == "" || rep == nil {
		return deployErr
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err == nil {
		err = os.WriteFile(path, append(b, '\n'), 0o644)
	}
	if err != nil {
		return errors.Join(deployErr, fmt.Errorf("--report %s: %w", path, err))
	}
	return deployErr
}
