// Command bake runs one stage of the image chain for infra/image.go's local.Command:
//
//	bake build        run Packer for WEBAPI_BAKE_STAGE; print only the AMI id on stdout
//	bake deregister   deregister the AMI the stage printed (PULUMI_COMMAND_STDOUT) and
//	                  delete its snapshots, once its tags match this project, stack,
//	                  stage and template hash
//	bake current      print the AMI id of the stage's last bake again (the command's update)
//
// Inputs come from the environment the command resource sets: WEBAPI_BAKE_STAGE,
// WEBAPI_BAKE_REGION and Packer's own PKR_VAR_* variables (project, stack, template_hash, …).
// Packer's output goes to .bake/logs/<stack>-<stage>-<time>.log; on failure the log's
// tail is printed to stderr. The work is internal/bake's; this main turns the environment
// into its options and its errors into exit codes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/webapi-platform/infra/internal/bake"
)

const usage = "usage: bake build|deregister|current (inputs from WEBAPI_BAKE_* and PKR_VAR_* environment variables)"

const exitCodesHelp = `Exit codes:
  0  done (build: the AMI id is on stdout, alone)
  1  the bake or an AWS call failed
  2  bad input (arguments or environment); nothing ran`

// imagesFor makes the EC2 client deregister uses; tests replace it.
type imagesFor func(ctx context.Context, region string) (bake.ImageAPI, error)

func main() {
	// No cancellation on signals: exec.CommandContext would SIGKILL Packer, which then
	// could not clean up its builder instance, key pair and security group.
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr, bake.NewImageAPI))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, newImages imagesFor) int {
	root := newRootCommand(getenv, stdout, stderr, newImages)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "bake: %v\n", err)
	}
	code := exitCode(err)
	if code == 2 {
		fmt.Fprintln(stderr, usage)
	}
	return code
}

// failed marks an error of the work itself (exit 1); every other error is bad input.
type failed struct{ err error }

func (f failed) Error() string { return f.err.Error() }
func (f failed) Unwrap() error { return f.err }

// exitCode is 2 for bad input: the library's InputError, and every error of cobra's own
// (an unknown subcommand, extra arguments, an unknown flag); 1 for a failed bake or AWS
// call.
func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.As(err, new(bake.InputError)):
		return 2
	case errors.As(err, new(failed)):
		return 1
	default:
		return 2
	}
}

func newRootCommand(getenv func(string) string, stdout, stderr io.Writer, newImages imagesFor) *cobra.Command {
	root := &cobra.Command{
		Use:   "bake",
		Short: "Run one Packer stage of the image chain, or deregister its AMIs",
		Long: `bake runs one stage of the image chain for the bake's local.Command (infra/image.go).
Inputs come from the environment the command resource sets: WEBAPI_BAKE_STAGE
(prerequisites|app), WEBAPI_BAKE_REGION, PKR_VAR_project, PKR_VAR_stack,
PKR_VAR_template_hash and the stage's other PKR_VAR_* variables; WEBAPI_PACKER names a
packer binary to use. deregister and current read the AMI id the last build printed from
PULUMI_COMMAND_STDOUT.

` + exitCodesHelp,
		// Run with no subcommand is a usage error, not a help page that exits 0.
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("command %q is not allowed: want build, deregister or current", args[0])
			}
			return nil
		},
		RunE: func(*cobra.Command, []string) error {
			return errors.New("no command given: want build, deregister or current")
		},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	// stdout is the AMI id alone: help and cobra's messages go to stderr.
	root.SetOut(stderr)
	root.SetErr(stderr)
	root.AddCommand(buildCommand(getenv, stdout, stderr), deregisterCommand(getenv, stderr, newImages), currentCommand(getenv, stdout))
	return root
}

func buildCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "build",
		Short: "Run Packer for the stage; print only the AMI id on stdout",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := optionsFromEnv(getenv, stderr)
			if err != nil {
				return err
			}
			ami, err := bake.Build(cmd.Context(), opts)
			if err != nil {
				return failed{err}
			}
			if _, err := fmt.Fprint(stdout, ami); err != nil {
				return failed{fmt.Errorf("writing the AMI id: %w", err)}
			}
			return nil
		},
	}
}

func currentCommand(getenv func(string) string, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "current",
		Short: "Print the AMI id of the stage's last bake again, from " + bake.EnvPreviousStdout,
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ami, err := bake.Current(getenv)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprint(stdout, ami); err != nil {
				return failed{fmt.Errorf("writing the AMI id: %w", err)}
			}
			return nil
		},
	}
}

func deregisterCommand(getenv func(string) string, stderr io.Writer, newImages imagesFor) *cobra.Command {
	return &cobra.Command{
		Use:   "deregister",
		Short: "Deregister the AMI the stage printed (" + bake.EnvPreviousStdout + "), if its tags are this stage's, and delete its snapshots",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := optionsFromEnv(getenv, stderr)
			if err != nil {
				return err
			}
			api, err := newImages(cmd.Context(), opts.Region)
			if err != nil {
				return failed{err}
			}
			if err := bake.Deregister(cmd.Context(), api, opts, getenv(bake.EnvPreviousStdout)); err != nil {
				return failed{err} // exitCode still gives a bad id (InputError) 2
			}
			return nil
		},
	}
}

// optionsFromEnv reads the command resource's environment; the options are validated
// before anything runs.
func optionsFromEnv(getenv func(string) string, log io.Writer) (bake.Options, error) {
	stage, err := bake.StageByName(getenv(bake.EnvStage))
	if err != nil {
		return bake.Options{}, fmt.Errorf("%s: %w", bake.EnvStage, err)
	}
	opts := bake.Options{
		Stage:        stage,
		Region:       getenv(bake.EnvRegion),
		Project:      getenv("PKR_VAR_project"),
		Stack:        getenv("PKR_VAR_stack"),
		TemplateHash: getenv("PKR_VAR_template_hash"),
		Getenv:       getenv,
		// The command resource's Dir is the repository root.
		WorkDir: ".",
		Log:     log,
	}
	return opts, opts.Validate()
}
