package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/awsops"
	"github.com/webapi-platform/infra/internal/release"
)

// newImages is deps.newImages in a production build: EC2 on the SDK's credential chain.
func newImages(ctx context.Context, region string) (release.Images, error) {
	i, err := awsops.NewImages(ctx, region)
	if err != nil {
		return nil, err // not a nil *awsops.Images inside a non-nil interface
	}
	return i, nil
}

func baseAmiCommand(newRelease newReleaseFunc, images func(context.Context, string) (release.Images, error), g *globalFlags) *cobra.Command {
	var windowsVersion string
	cmd := &cobra.Command{
		Use:   "base-ami",
		Short: "Print the newest Amazon Windows Server base AMI id for the idle colour",
		Long: `Prints, alone on stdout, the id of the newest available Amazon-owned image named
Windows_Server-<version>-English-Full-Base-* (the prerequisites stage's filter), for the idle
colour's webapi:windowsVersion or --windows-version. Its name and creation date go to stderr.
The scheduled image refresh pins it with ` + "`bluegreen deploy <idle> --base-ami <id>`" + `; that deploy
re-bakes only when the id differs from the colour's pin (its baseAmiId output). Refused (exit 3)
when no image matches, or, without --windows-version, while a shift is in progress.

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if windowsVersion != "" && !slices.Contains(infra.WindowsVersions(), windowsVersion) {
				return release.Usagef("--windows-version %q: want %s", windowsVersion, strings.Join(infra.WindowsVersions(), " or "))
			}
			// The id alone on stdout: no engine progress, and look's notes (drift, a seeded
			// stable colour) go to stderr, as for idle and status --json.
			if err := cmd.Root().PersistentFlags().Set("quiet", "true"); err != nil {
				return err
			}
			r, err := newRelease(cmd, false)
			if err != nil {
				return err
			}
			r.Out = cmd.ErrOrStderr()
			imgs, err := images(cmd.Context(), imagesRegion(cmd.Context(), g, r.Engine))
			if err != nil {
				return err
			}
			img, err := r.BaseAmi(cmd.Context(), imgs, windowsVersion)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%s (created %s)\n", img.Name, img.Created.Format("2006-01-02T15:04:05Z07:00"))
			fmt.Fprintln(cmd.OutOrStdout(), img.ID)
			return nil
		},
	}
	cmd.Flags().StringVar(&windowsVersion, "windows-version", "", "Windows Server version (2022 or 2025; default: the idle colour's webapi:windowsVersion)")
	return cmd
}

// imagesRegion is where base-ami looks, found as the health checks' region is: --region,
// AWS_REGION, AWS_DEFAULT_REGION, else the edge stack's aws:region. AMI ids are regional.
func imagesRegion(ctx context.Context, g *globalFlags, eng release.Engine) string {
	if r := cmp.Or(g.region, os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION")); r != "" {
		return r
	}
	if cfg, err := eng.Config(ctx, infra.Blue); err == nil {
		return cfg["aws:region"]
	}
	return ""
}
