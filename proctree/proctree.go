// Package proctree ends a command together with every process it started.
// A developer tool is often a launcher: Microsoft's az is a shell script
// that runs Python, and exec.CommandContext, when its context ends, kills
// only the process it started, leaving the rest running after the app.
package proctree

import "os/exec"

// EndTogether makes cmd, when its context ends, end with everything it
// started: on Unix-like systems its own process group, killed whole; on
// Windows its process tree, through taskkill /T. Call it before cmd.Start.
func EndTogether(cmd *exec.Cmd) { endTogether(cmd) }
