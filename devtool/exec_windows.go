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

// command runs tool with args. A batch file (az.cmd) runs in cmd.exe, as
// azidentity runs every developer tool on Windows (azidentity 1.15,
// developer_credential_util_windows.go: cmd.exe, CmdLine "/c "+command):
// /d skips the AutoRun commands of the registry, /s /c with the whole
// line in quotes keeps a quoted path whole. cmd.exe reads % ^ & | < > "
// and more as its own syntax, so each argument must be letters, digits
// and :/.-_+= (what the credentials pass: a scope, a tenant, base64
// claims); any other is refused, not escaped.
func command(ctx context.Context, tool string, args []string) (*exec.Cmd, error) {
	if ext := strings.ToLower(filepath.Ext(tool)); ext != ".cmd" && ext != ".bat" {
		return exec.CommandContext(ctx, tool, args...), nil
	}
	if strings.ContainsAny(tool, `"%^&|<>!`) {
		return nil, fmt.Errorf("%s: cmd.exe would read part of this path as its own syntax", tool)
	}
	for _, a := range args {
		if !cliSafe(a, ":/.-_+=") {
			return nil, fmt.Errorf("%s: the argument %q has characters cmd.exe would read as its own syntax", filepath.Base(tool), a)
		}
	}
	// cmd.exe where Windows keeps it, not wherever PATH finds one first;
	// azidentity too refuses to run without SYSTEMROOT.
	root := os.Getenv("SYSTEMROOT")
	if root == "" {
		return nil, fmt.Errorf("%s is a batch file, and SYSTEMROOT, where cmd.exe is, has no value", filepath.Base(tool))
	}
	cmd := exec.CommandContext(ctx, filepath.Join(root, "System32", "cmd.exe"))
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: `/d /s /c ""` + tool + `" ` + strings.Join(args, " ") + `"`}
	return cmd, nil
}
