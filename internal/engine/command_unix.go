//go:build unix

package engine

import (
	"errors"
	"os/exec"
	"syscall"
)

// ownProcessGroup starts the command as the leader of a new process group.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killProcessGroup kills the command's whole group: the CLI and the plugins it started.
func killProcessGroup(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// ProcessAlive says whether a process of this host runs: signal 0 checks without
// sending anything (kill(2)); EPERM means it runs as someone else.
func ProcessAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
