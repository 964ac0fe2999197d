// Command bluegreen previews, deploys, shifts traffic between and rolls back the blue and
// green stacks of the webapi program. It runs infra.Program inline through the
// Automation API with the repository's Pulumi.yaml and Pulumi.<stack>.yaml.
//
//	go run ./scripts/bluegreen --help
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/webapi-platform/infra/infra"
)

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usageErrorf(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

const exitCodesHelp = `Exit codes:
  0  done (or, with --manual, paused at a step awaiting promote)
  1  failed (an engine or AWS error; for a shift, also a failed rollback)
  2  bad arguments; nothing ran
  3  refused by a safety check; nothing changed
  4  a shift failed its checks and was rolled back (weights restored and verified)`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := newRootCommand(defaultDeps()).ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bluegreen: %v\n", err)
	}
	os.Exit(exitCode(err))
}

// deps builds what the commands use; tests replace it.
type deps struct {
	out       io.Writer
	newEngine func(workDir string, progress io.Writer) (Engine, error)
	newHealth func(ctx context.Context, region string) (Health, error)
	clock     Clock
}

func defaultDeps() deps {
	return deps{
		out: os.Stdout,
		newEngine: func(workDir string, progress io.Writer) (Engine, error) {
			return newAutoEngine(workDir, infra.Program, progress)
		},
		newHealth: func(ctx context.Context, region string) (Health, error) { return newAWSHealth(ctx, region) },
		clock:     realClock{},
	}
}

// findRepoRoot walks up from the working directory to the folder with Pulumi.yaml.
func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", usageErrorf("no Pulumi.yaml here or above: run bluegreen inside the repository or pass --workdir")
		}
		dir = parent
	}
}

func newRootCommand(d deps) *cobra.Command {
	var workDir, region string
	var quiet bool
	root := &cobra.Command{
		Use:   "bluegreen",
		Short: "Preview, deploy, shift traffic between and roll back the blue and green stacks",
		Long: `bluegreen drives the webapi program (infra.Program) inline through the Pulumi Automation
API, with the repository's Pulumi.yaml and Pulumi.<stack>.yaml. State goes to PULUMI_BACKEND_URL
when set, otherwise to a file backend in <repo>/.pulumi (PULUMI_CONFIG_PASSPHRASE required).
AWS calls use the SDK's normal credential chain.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&workDir, "workdir", "", "folder with Pulumi.yaml (default: found from the current directory)")
	root.PersistentFlags().StringVar(&region, "region", "", "AWS region for health checks (default: AWS_REGION, else the edge stack's aws:region)")
	root.PersistentFlags().BoolVar(&quiet, "quiet", false, "do not stream the engine's progress")
	root.SetOut(d.out)

	// release builds a Release; health is optional (status works without AWS).
	release := func(cmd *cobra.Command, needHealth bool) (*Release, error) {
		dir := workDir
		if dir == "" {
			var err error
			if dir, err = findRepoRoot(); err != nil {
				return nil, err
			}
		}
		// The program resolves images/ and scripts/ from the project directory.
		if err := os.Chdir(dir); err != nil {
			return nil, fmt.Errorf("--workdir %s: %w", dir, err)
		}
		var progress io.Writer = d.out
		if quiet {
			progress = nil
		}
		eng, err := d.newEngine(dir, progress)
		if err != nil {
			return nil, err
		}
		r := &Release{Engine: eng, Clock: d.clock, Out: d.out}
		reg := region
		if reg == "" {
			reg = firstNonEmpty(os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"))
		}
		if reg == "" {
			if cfg, err := eng.Config(cmd.Context(), infra.Blue); err == nil {
				reg = cfg["aws:region"]
			}
		}
		h, err := d.newHealth(cmd.Context(), reg)
		if err != nil && needHealth {
			return nil, err
		}
		r.Health = h
		return r, nil
	}

	root.AddCommand(previewCommand(release), deployCommand(release), shiftCommand(release), promoteCommand(release),
		rollbackCommand(release), statusCommand(release), idleCommand(release), destroyCommand(release), retireCommand(release))
	return root
}

type releaseFactory func(cmd *cobra.Command, needHealth bool) (*Release, error)

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

func colorArg(args []string) (infra.Color, error) {
	if len(args) != 1 {
		return "", usageErrorf("want one colour argument: blue or green")
	}
	c, err := infra.ParseColor(args[0])
	if err != nil {
		return "", usageError{err.Error()}
	}
	return c, nil
}

// parseSteps reads "10,50,100": ascending whole percentages from 1 to 100.
func parseSteps(s string) ([]int, error) {
	var steps []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 || n > 100 {
			return nil, usageErrorf("--steps %q: %q is not a whole percentage from 1 to 100", s, part)
		}
		if len(steps) > 0 && n <= steps[len(steps)-1] {
			return nil, usageErrorf("--steps %q: steps must increase (%d after %d)", s, n, steps[len(steps)-1])
		}
		steps = append(steps, n)
	}
	return steps, nil
}

func previewCommand(release releaseFactory) *cobra.Command {
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
			var stacks []infra.Color
			switch stack {
			case "all":
				stacks = infra.Colors
			case "blue", "green":
				stacks = []infra.Color{infra.Color(stack)}
			default:
				return usageErrorf("--stack %q is not allowed: want blue, green or all", stack)
			}
			r, err := release(cmd, false)
			if err != nil {
				return err
			}
			previews, perr := r.Preview(cmd.Context(), stacks)
			md := RenderMarkdown(previews)
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

func deployCommand(release releaseFactory) *cobra.Command {
	var appRef string
	var desired int
	var force bool
	cmd := &cobra.Command{
		Use:   "deploy <blue|green>",
		Short: "Update a colour's stack: bake if needed, roll its fleet, wait for healthy capacity",
		Long: `Updates the colour's stack (pulumi up of Pulumi.<colour>.yaml), optionally setting its appRef
and desiredCapacity first. Refuses to change the fleet or image of a colour that has weight, and
to update the edge stack when its config's weights differ from the deployed listener's, unless
--force.

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := colorArg(args)
			if err != nil {
				return err
			}
			opts := DeployOptions{AppRef: appRef, Force: force}
			if cmd.Flags().Changed("desired-capacity") {
				if desired < 0 {
					return usageErrorf("--desired-capacity %d: want 0 or more", desired)
				}
				opts.DesiredCapacity = &desired
			}
			r, err := release(cmd, false)
			if err != nil {
				return err
			}
			return r.Deploy(cmd.Context(), c, opts)
		},
	}
	cmd.Flags().StringVar(&appRef, "app-ref", "", "set webapi:appRef (tag or commit to bake) before deploying")
	cmd.Flags().IntVar(&desired, "desired-capacity", 0, "set webapi:desiredCapacity before deploying")
	cmd.Flags().BoolVar(&force, "force", false, "deploy even if the colour has weight")
	return cmd
}

func shiftFlags(cmd *cobra.Command) func() (ShiftOptions, error) {
	var steps string
	var pause, interval time.Duration
	var manual bool
	var max5xx float64
	var maxP99 time.Duration
	cmd.Flags().StringVar(&steps, "steps", "10,50,100", "ascending percentages of traffic for the receiving colour")
	cmd.Flags().DurationVar(&pause, "pause", 5*time.Minute, "how long to watch health after each step")
	cmd.Flags().DurationVar(&interval, "interval", 30*time.Second, "time between health checks during a pause")
	cmd.Flags().BoolVar(&manual, "manual", false, "stop after each step until `bluegreen promote`")
	cmd.Flags().Float64Var(&max5xx, "max-5xx-percent", 0, "highest 5xx rate allowed (default: the colour's webapi:alarm5xxPercent)")
	cmd.Flags().DurationVar(&maxP99, "max-p99", 0, "highest p99 target response time allowed (default: the colour's webapi:alarmLatencyMs)")
	return func() (ShiftOptions, error) {
		s, err := parseSteps(steps)
		if err != nil {
			return ShiftOptions{}, err
		}
		if pause < 0 || interval < 0 {
			return ShiftOptions{}, usageErrorf("--pause and --interval must not be negative")
		}
		opts := ShiftOptions{Steps: s, Pause: pause, Interval: interval, Manual: manual}
		if cmd.Flags().Changed("max-5xx-percent") || cmd.Flags().Changed("max-p99") {
			if max5xx <= 0 || maxP99 <= 0 {
				return ShiftOptions{}, usageErrorf("--max-5xx-percent and --max-p99 go together and must be above 0")
			}
			opts.Limits = &Limits{Max5xxPercent: max5xx, MaxP99: maxP99}
		}
		return opts, nil
	}
}

func shiftCommand(release releaseFactory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "shift <blue|green> [--steps 10,50,100] [--pause 5m|--manual]",
		Short: "Move traffic to a colour step by step, with health gates and automatic rollback",
		Long: `For each step: sets webapi:greenWeight on the edge stack, updates the listener alone
(pulumi up --target <listener URN>), verifies through the AWS API that the listener has the new
weights, then watches the receiving colour for the pause: every target healthy, 5xx rate and p99
latency under the limits. On any failure it puts all traffic back on the colour that served before
the shift, verifies that too, and exits 4. Refuses to start when the receiving colour has no
healthy targets. A re-run continues from the current weights.

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
	}
	opts := shiftFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := colorArg(args)
		if err != nil {
			return err
		}
		o, err := opts()
		if err != nil {
			return err
		}
		o.Target = c
		r, err := release(cmd, true)
		if err != nil {
			return err
		}
		return r.Shift(cmd.Context(), o)
	}
	return cmd
}

func promoteCommand(release releaseFactory) *cobra.Command {
	var full bool
	cmd := &cobra.Command{
		Use:   "promote [--full]",
		Short: "Continue a manual shift with its next step (or straight to 100% with --full)",
		Long:  "Continues the shift in progress towards the colour that is not the stable one, with the same\nchecks and automatic rollback as shift.\n\n" + exitCodesHelp,
		Args:  cobra.NoArgs,
	}
	opts := shiftFlags(cmd)
	cmd.Flags().BoolVar(&full, "full", false, "go straight to 100%")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		o, err := opts()
		if err != nil {
			return err
		}
		r, err := release(cmd, true)
		if err != nil {
			return err
		}
		return r.Promote(cmd.Context(), o, full)
	}
	return cmd
}

func rollbackCommand(release releaseFactory) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Send all traffic back to the colour that served before the last shift",
		Long:  "One targeted update of the listener, verified through the AWS API. Refuses when that colour has\nno healthy targets, unless --force.\n\n" + exitCodesHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := release(cmd, true)
			if err != nil {
				return err
			}
			return r.Rollback(cmd.Context(), force)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "roll back even if the stable colour has no healthy targets")
	return cmd
}

func statusCommand(release releaseFactory) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Per colour: app ref, AMI, desired and healthy targets, weight; and the ALB URL",
		Long:  "Healthy targets need AWS credentials; without them the column says why it is unknown.\n\n" + exitCodesHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := release(cmd, false)
			if err != nil {
				return err
			}
			return r.Status(cmd.Context())
		},
	}
}

func idleCommand(release releaseFactory) *cobra.Command {
	return &cobra.Command{
		Use:   "idle",
		Short: "Print the colour that has no traffic (the one to release into)",
		Long:  "Prints blue or green alone on stdout, for scripts. Refused (exit 3) while a shift is in progress.\n\n" + exitCodesHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := release(cmd, false)
			if err != nil {
				return err
			}
			c, err := r.Idle(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), c)
			return nil
		},
	}
}

func destroyCommand(release releaseFactory) *cobra.Command {
	return &cobra.Command{
		Use:   "destroy <blue|green>",
		Short: "Destroy a colour's stack; refused while it has weight (and for the edge while the other colour exists)",
		Long:  exitCodesHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := colorArg(args)
			if err != nil {
				return err
			}
			r, err := release(cmd, false)
			if err != nil {
				return err
			}
			return r.Destroy(cmd.Context(), c)
		},
	}
}

func retireCommand(release releaseFactory) *cobra.Command {
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "retire <blue|green> [--wait 10m]",
		Short: "Scale an idle colour to zero after a wait; refused while it has weight",
		Long:  "Waits (for connections to drain and a last look), checks the colour's weight again, then sets\nminSize and desiredCapacity to 0 and updates its stack.\n\n" + exitCodesHelp,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := colorArg(args)
			if err != nil {
				return err
			}
			if wait < 0 {
				return usageErrorf("--wait %s: must not be negative", wait)
			}
			r, err := release(cmd, false)
			if err != nil {
				return err
			}
			return r.Retire(cmd.Context(), c, wait)
		},
	}
	cmd.Flags().DurationVar(&wait, "wait", 10*time.Minute, "how long to wait before scaling to zero")
	return cmd
}
