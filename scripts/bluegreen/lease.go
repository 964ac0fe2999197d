package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/webapi-platform/infra/internal/release"
)

func leaseCommand(newRelease newReleaseFunc) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lease",
		Short: "Hold the release lease for a whole run (a CI job): take it first, release it last",
		Long: `The lease's owner is the run: in GitHub Actions the workflow run id (a re-run of the job is the
same owner), else WEBAPI_LEASE_OWNER, else user@host. With WEBAPI_JOB_LEASE=true every command of
the run renews the lease while it runs and leaves it held when it ends, so no other owner gets in
between two steps; ` + "`lease release`" + ` in the run's last step gives it up.

` + exitCodesHelp,
		Args: cobra.ArbitraryArgs,
		RunE: func(_ *cobra.Command, args []string) error {
			return release.Usagef("lease %v: want `lease take` or `lease release`", args)
		},
	}
	var ttl, wait time.Duration
	take := &cobra.Command{
		Use:   "take [--ttl 30m] [--wait 1h]",
		Short: "Take the release lease for this run, or renew the one it holds",
		Long: `Refused (exit 3) while another owner holds an unexpired lease; it names the holder. With
--wait it asks again every ` + release.LeaseWaitPoll.String() + ` while another owner holds it, and refuses only when the
wait runs out: the workflows (release, apply, image refresh) are in separate concurrency groups,
and waiting for the lease is what keeps them from overlapping.

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if ttl <= 0 {
				return release.Usagef("--ttl %s: want a duration above 0 (how long the lease lasts unless a command of the run renews it)", ttl)
			}
			if wait < 0 {
				return release.Usagef("--wait %s: want 0 (do not wait) or a duration above 0", wait)
			}
			r, err := newRelease(cmd, false)
			if err != nil {
				return err
			}
			return r.LeaseTakeWaiting(cmd.Context(), ttl, wait)
		},
	}
	take.Flags().DurationVar(&ttl, "ttl", release.DefaultLeaseTTL, "how long the lease lasts unless a command of the run renews it")
	take.Flags().DurationVar(&wait, "wait", 0, "while another owner holds the lease, keep asking for this long before refusing (0: refuse at once)")
	give := &cobra.Command{
		Use:   "release",
		Short: "Give up the release lease if this run holds it",
		Long:  "A free lease is nothing to do; another owner's lease is left as it is (exit 3 while it is unexpired).\n\n" + exitCodesHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := newRelease(cmd, false)
			if err != nil {
				return err
			}
			return r.LeaseRelease(cmd.Context())
		},
	}
	cmd.AddCommand(take, give)
	return cmd
}
