package main

import (
	"github.com/spf13/cobra"

	"github.com/webapi-platform/infra/internal/bake"
	"github.com/webapi-platform/infra/internal/release"
)

func deployCommand(newRelease newReleaseFunc) *cobra.Command {
	var appRef string
	var desired int
	var force bool
	var baseAmi string
	cmd := &cobra.Command{
		Use:   "deploy <blue|green>",
		Short: "Update a colour's stack: bake if needed, roll its fleet, wait for healthy capacity",
		Long: `Takes the release lease and updates the colour's stack (pulumi up of Pulumi.<colour>.yaml),
optionally setting its appRef and desiredCapacity first. An update of the edge stack carries the
weights the listener serves, so the checkout's webapi:greenWeight never moves traffic. Refuses to
change the fleet or image of a colour that has weight, or to deploy into the colour a release in
progress goes to, unless --force. After deploying an idle colour the lease is kept for the shift
into it; another run's deploy, shift or rollback is refused meanwhile (see unlock).

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := colorArg(args)
			if err != nil {
				return err
			}
			if baseAmi != "" && !bake.AmiIDPattern.MatchString(baseAmi) { // the program's rule for webapi:baseAmiId
				return release.Usagef("--base-ami %q: want an AMI id such as ami-0123456789abcdef0 (an Amazon Windows Server image; see base-ami)", baseAmi)
			}
			opts := release.DeployOptions{AppRef: appRef, Force: force, BaseAmiID: baseAmi}
			if cmd.Flags().Changed("desired-capacity") {
				if desired < 0 {
					return release.Usagef("--desired-capacity %d: want 0 or more", desired)
				}
				opts.DesiredCapacity = &desired
			}
			r, err := newRelease(cmd, true)
			if err != nil {
				return err
			}
			return r.Deploy(cmd.Context(), c, opts)
		},
	}
	cmd.Flags().StringVar(&appRef, "app-ref", "", "set webapi:appRef (tag or commit to bake) before deploying")
	cmd.Flags().IntVar(&desired, "desired-capacity", 0, "set webapi:desiredCapacity before deploying")
	cmd.Flags().BoolVar(&force, "force", false, "deploy even if the colour has weight")
	cmd.Flags().StringVar(&baseAmi, "base-ami", "", "pin the prerequisites stage's source AMI (webapi:baseAmiId; default: the colour's pin, from its outputs)")
	return cmd
}
