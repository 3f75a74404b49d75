package devtool

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// executableNames are the names a tool called name may have on PATH:
// with each of PATHEXT's default extensions, in its order, as cmd.exe
// looks (the Azure CLI is az.cmd; azd and pwsh are .exe).
func executableNames(name string) []string {
	if filepath.Ext(name) != "" {
		return []string{name}
	}
	return []string{name + ".com", name + ".exe", name + ".bat", name + ".cmd"}
}

// executable: Windows has no mode bit for it; the extension says it.
func executable(fs.FileInfo) bool { return true }

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
