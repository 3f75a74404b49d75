// Package proctree runs a command together with every process it starts.
// A developer tool is often a launcher: Microsoft's az on Windows is a
// batch file that runs Python, and exec.CommandContext, when its context
// ends, kills only the process it started, leaving the rest running after
// the app; a child left behind that holds the tool's output open would
// hold up whoever waits for that output.
package proctree

import (
	"context"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// EndTogether makes cmd, when its context ends, end with everything it
// started: on Unix-like systems its own process group, killed whole; on
// Windows its process tree, through taskkill /T. Call it before cmd.Start.
func EndTogether(cmd *exec.Cmd) { endTogether(cmd) }

// leftBehind is how long, once the command has exited, its output may
// stay open before Run takes it that a child it left behind holds it.
// Ending them then costs nothing that was written: what is in the pipe
// stays there to be read.
const leftBehind = time.Second

// Run runs cmd (made with exec.CommandContext(ctx, …)) to its end with
// EndTogether, copying its stdout and stderr to the writers until each
// ends. A child that cmd left behind still holding them is ended with the
// rest of cmd's group once cmd has exited (on Windows, where an exited
// parent's tree cannot be found, the output is closed at ctx's end
// instead), so that the output is read whole with no deadline shorter
// than cmd's own.
func Run(ctx context.Context, cmd *exec.Cmd, stdout, stderr io.Writer) error {
	EndTogether(cmd)
	// Pipes of its own rather than exec's: Wait then returns when cmd
	// exits, and Run decides what to do about anyone still writing.
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return err
	}
	defer outR.Close()
	defer errR.Close()
	cmd.Stdout, cmd.Stderr = outW, errW
	err = cmd.Start()
	outW.Close() // cmd has its own copies; these would hold the pipes open
	errW.Close()
	if err != nil {
		return err
	}
	var copying sync.WaitGroup
	copying.Go(func() { _, _ = io.Copy(stdout, outR) })
	copying.Go(func() { _, _ = io.Copy(stderr, errR) })
	copied := make(chan struct{})
	go func() { copying.Wait(); close(copied) }()

	err = cmd.Wait()
	select {
	case <-copied:
		return err
	case <-time.After(leftBehind):
	case <-ctx.Done():
	}
	endLeftBehind(cmd)
	select {
	case <-copied:
	case <-ctx.Done(): // on Windows, a child Run could not end
		outR.Close()
		errR.Close()
		<-copied
	}
	return err
}
