//go:build !windows

package devtool

import (
	"context"
	"os/exec"
)

// command runs tool with args.
func command(ctx context.Context, tool string, args []string) (*exec.Cmd, error) {
	return exec.CommandContext(ctx, tool, args...), nil
}
