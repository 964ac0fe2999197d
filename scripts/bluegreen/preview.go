package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/webapi-platform/infra/infra"
	"github.com/webapi-platform/infra/internal/preview"
	"github.com/webapi-platform/infra/internal/release"
)

func previewCommand(newRelease newReleaseFunc) *cobra.Command {
	var stack, markdown string
	cmd := &cobra.Command{
		Use:   "preview [--stack blue|green|all] [--markdown FILE]",
		Short: "Preview stacks and render a Markdown summary (for pull-request comments)",
		Long: `Runs a preview of each stack and renders, per stack: the traffic weights before → after,
counts by operation, every replace and delete first with the properties that force it, then the
other changes with their properties. Says plainly when a stack has no changes.

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			stacks, err := previewStacks(stack)
			if err != nil {
				return err
			}
			r, err := newRelease(cmd, false)
			if err != nil {
				return err
			}
			previews, perr := r.Preview(cmd.Context(), stacks)
			md := preview.RenderMarkdown(previews)
			if markdown != "" {
				if err := os.WriteFile(markdown, []byte(md), 0o644); err != nil {
					return err
				}
			}
			fmt.Fprint(cmd.OutOrStdout(), md)
			return perr
		},
	}
	cmd.Flags().StringVar(&stack, "stack", "all", "blue, green or all")
	cmd.Flags().StringVar(&markdown, "markdown", "", "also write the Markdown summary to this file")
	return cmd
}

// previewStacks reads --stack.
func previewStacks(stack string) ([]infra.Color, error) {
	switch stack {
	case "all":
		return infra.Colors, nil
	case "blue", "green":
		return []infra.Color{infra.Color(stack)}, nil
	}
	return nil, release.Usagef("--stack %q is not allowed: want blue, green or all", stack)
}
