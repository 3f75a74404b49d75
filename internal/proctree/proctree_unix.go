//go:build unix

package proctree

import (
	"os/exec"
	"syscall"
)

func endTogether(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true // the group's ID is the command's PID
	cmd.Cancel = func() error { return killGroup(cmd) }
}

// endLeftBehind ends what is left of cmd's process group once cmd has
// exited. The group's ID is not reused while any of it lives (POSIX,
// setpgid), so the signal reaches only what cmd started.
func endLeftBehind(cmd *exec.Cmd) { _ = killGroup(cmd) }

// killGroup kills cmd's process group: a negative PID names the group (kill(2)).
func killGroup(cmd *exec.Cmd) error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
