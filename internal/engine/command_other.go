//go:build !unix

package engine

import "os/exec"

// ownProcessGroup: process groups are a Unix notion; elsewhere the CLI stays in the
// tool's group.
func ownProcessGroup(*exec.Cmd) {}

func killProcessGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }

// ProcessAlive cannot tell here: every process is assumed to run, so no lock is ever
// cleared as stale.
func ProcessAlive(int) bool { return true }
