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
	cmd.Cancel = func() error {
		// A negative PID names the process group (kill(2)).
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
