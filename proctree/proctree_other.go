//go:build !unix && !windows

package proctree

import "os/exec"

func endTogether(*exec.Cmd) {} // exec's own Cancel: the process alone
