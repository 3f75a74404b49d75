//go:build !unix && !windows

package proctree

import "os/exec"

func endTogether(*exec.Cmd) {} // exec's own Cancel: the process alone

func endLeftBehind(*exec.Cmd) {} // nothing to find them by: Run closes the output at ctx's end
