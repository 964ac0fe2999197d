package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
)

// DefaultInterruptGrace is how long the Pulumi CLI gets, after its one interrupt, to
// cancel its update cleanly (finish the steps in flight, write the state, release the
// backend lock) before its process group is killed.
const DefaultInterruptGrace = 20 * time.Second

// WithProcessGroup runs the Pulumi CLI in a process group of its own, so the terminal's
// Ctrl-C (sent to the whole foreground group) reaches the tool alone, and on
// cancellation sends the CLI exactly one SIGINT, then kills its group after grace. The
// SDK's own command (auto/cmd.go, pulumiCommand.Run) interrupts the CLI on cancellation
// but leaves it in the tool's group, so a Ctrl-C arrives twice, and the CLI treats a
// second interrupt as "terminate immediately" (leaving its lock and a pending update).
func WithProcessGroup(grace time.Duration) Option {
	return func(a *Auto) { a.groupGrace = grace }
}

// groupCommand is an auto.PulumiCommand that runs the CLI in its own process group;
// its Version is the SDK command's.
type groupCommand struct {
	auto.PulumiCommand
	path  string
	grace time.Duration
}

var _ auto.PulumiCommand = groupCommand{}

// newGroupCommand finds the CLI the SDK would (pulumi on PATH) and its version.
func newGroupCommand(grace time.Duration) (groupCommand, error) {
	sdk, err := auto.NewPulumiCommand(nil)
	if err != nil {
		return groupCommand{}, err
	}
	path, err := exec.LookPath("pulumi")
	if err != nil {
		return groupCommand{}, fmt.Errorf("finding the pulumi CLI: %w", err)
	}
	return groupCommand{PulumiCommand: sdk, path: path, grace: grace}, nil
}

// Run runs the CLI as the SDK's command does (non-interactive, PULUMI_AUTOMATION_API,
// output to the extra writers too), in its own process group.
func (g groupCommand) Run(ctx context.Context, workdir string, stdin io.Reader, additionalOutput, additionalErrorOutput []io.Writer,
	additionalEnv []string, args ...string,
) (string, string, int, error) {
	if !slices.Contains(args, "--non-interactive") {
		args = append([]string{"--non-interactive"}, args...)
	}
	cmd := exec.Command(g.path, args...)
	cmd.Dir = workdir
	cmd.Env = append(append(os.Environ(), additionalEnv...), "PULUMI_AUTOMATION_API=true")
	var stdout, stderr bytes.Buffer
	cmd.Stdout = io.MultiWriter(append(slices.Clone(additionalOutput), &stdout)...)
	cmd.Stderr = io.MultiWriter(append(slices.Clone(additionalErrorOutput), &stderr)...)
	cmd.Stdin = stdin
	cmd.WaitDelay = g.grace // plugins that outlive the CLI must not hold its pipes forever
	ownProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return "", "", -2, err
	}
	done := make(chan struct{})
	go g.interruptOnCancel(ctx, cmd, done)
	err := cmd.Wait()
	close(done)
	code := -2
	if exitErr := new(exec.ExitError); errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err == nil {
		code = 0
	}
	return stdout.String(), stderr.String(), code, err
}

// interruptOnCancel sends the CLI one SIGINT when ctx ends, and kills its process group
// if it has not exited grace later.
func (g groupCommand) interruptOnCancel(ctx context.Context, cmd *exec.Cmd, done <-chan struct{}) {
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	_ = cmd.Process.Signal(os.Interrupt)
	t := time.NewTimer(g.grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		killProcessGroup(cmd)
	}
}
