//go:build !unix

package engine

import "os/exec"

// ownProcessGroup: process groups are a Unix notion; elsewhere the CLI stays in the
// tool's group.
func ownProcessGroup(*exec.Cmd) {}

func killProcessGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
