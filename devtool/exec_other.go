//go:build !windows

package devtool

import (
	"context"
	"io/fs"
	"os/exec"
)

// executableNames are the names a tool called name may have on PATH.
func executableNames(name string) []string { return []string{name} }

// executable reports whether a file's mode lets someone run it.
func executable(fi fs.FileInfo) bool { return fi.Mode()&0o111 != 0 }

// command runs tool with args.
func command(ctx context.Context, tool string, args []string) (*exec.Cmd, error) {
	return exec.CommandContext(ctx, tool, args...), nil
}
