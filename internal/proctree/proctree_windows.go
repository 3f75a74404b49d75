//go:build windows

package proctree

import (
	"os/exec"
	"strconv"
)

func endTogether(cmd *exec.Cmd) {
	cmd.Cancel = func() error {
		// taskkill /T ends the process and every process it started;
		// /F forces it (Windows' taskkill documentation).
		kill := exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(cmd.Process.Pid))
		if err := kill.Run(); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
}

// endLeftBehind: Windows keeps no tree for a parent that has exited
// (taskkill /T finds none), so Run closes the output at ctx's end instead.
func endLeftBehind(*exec.Cmd) {}
