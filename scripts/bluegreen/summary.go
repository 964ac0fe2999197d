package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/webapi-platform/infra/internal/release"
)

func summaryCommand(newRelease newReleaseFunc) *cobra.Command {
	var since, id, markdown string
	cmd := &cobra.Command{
		Use:   "summary (--since <RFC3339> | --release <id>) [--markdown FILE]",
		Short: "Render a job summary in Markdown from the release history and the live weights",
		Long: `Version, colour, smoke result, outcome and the live weights, each colour's app ref and AMI,
then the timeline: every release-history entry since --since (or of the record's last release,
--release), the time each phase took and its figures (deploy, smoke, each step's gates). Entries
written by anyone but this run say who. --markdown appends to FILE, as $GITHUB_STEP_SUMMARY wants;
without it the Markdown goes to stdout.

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := summaryOptions(since, id)
			if err != nil {
				return err
			}
			if markdown == "" {
				// The Markdown alone on stdout: no engine progress; notes go to stderr.
				if err := cmd.Root().PersistentFlags().Set("quiet", "true"); err != nil {
					return err
				}
			}
			r, err := newRelease(cmd, false)
			if err != nil {
				return err
			}
			if markdown == "" {
				r.Out = cmd.ErrOrStderr()
			}
			s, err := r.Summary(cmd.Context(), opts)
			if err != nil {
				return err
			}
			return writeMarkdown(cmd.OutOrStdout(), markdown, release.RenderSummary(s))
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "the entries at or after this time (RFC 3339, e.g. the job's start)")
	cmd.Flags().StringVar(&id, "release", "", "the entries of this release (the record's last one)")
	cmd.Flags().StringVar(&markdown, "markdown", "", "append the Markdown to this file (e.g. $GITHUB_STEP_SUMMARY)")
	return cmd
}

// summaryOptions reads --since and --release: exactly one of them.
func summaryOptions(since, id string) (release.SummaryOptions, error) {
	switch {
	case since != "" && id != "":
		return release.SummaryOptions{}, release.Usagef("--since %q and --release %q: give one of them", since, id)
	case id != "":
		return release.SummaryOptions{Release: id}, nil
	case since == "":
		return release.SummaryOptions{}, release.Usagef("want --since <RFC 3339 time> (e.g. when the job began) or --release <id>")
	}
	t, err := time.Parse(time.RFC3339, since)
	if err != nil {
		return release.SummaryOptions{}, release.Usagef("--since %q: want an RFC 3339 time such as 2026-11-29T12:00:00Z", since)
	}
	return release.SummaryOptions{Since: t}, nil
}

// writeMarkdown appends md to path, or writes it to out when path is empty.
func writeMarkdown(out io.Writer, path, md string) error {
	if path == "" {
		_, err := io.WriteString(out, md)
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("--markdown %s: %w", path, err)
	}
	if _, err := io.WriteString(f, md); err != nil {
		f.Close()
		return fmt.Errorf("--markdown %s: %w", path, err)
	}
	return f.Close()
}
