package devtool

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// command runs tool with args; a batch file (az.cmd) in cmd.exe
// (batchCommandLine).
func command(ctx context.Context, tool string, args []string) (*exec.Cmd, error) {
	if ext := strings.ToLower(filepath.Ext(tool)); ext != ".cmd" && ext != ".bat" {
		return exec.CommandContext(ctx, tool, args...), nil
	}
	line, err := batchCommandLine(tool, args)
	if err != nil {
		return nil, err
	}
	// cmd.exe where Windows keeps it, not wherever PATH finds one first;
	// azidentity too refuses to run without SYSTEMROOT.
	root := os.Getenv("SYSTEMROOT")
	if root == "" {
		return nil, fmt.Errorf("%s is a batch file, and SYSTEMROOT, where cmd.exe is, has no value", filepath.Base(tool))
	}
	cmd := exec.CommandContext(ctx, filepath.Join(root, "System32", "cmd.exe"))
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: line}
	return cmd, nil
}
