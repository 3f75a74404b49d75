package devtool

import (
	"fmt"
	"path/filepath"
	"strings"
)

// batchCommandLine is cmd.exe's command line that runs the batch file
// tool (az.cmd) with args, as azidentity runs every developer tool on
// Windows (azidentity 1.15, developer_credential_util_windows.go: cmd.exe,
// CmdLine "/c "+command): /d skips the AutoRun commands of the registry,
// /s /c with the whole line in quotes keeps a quoted path whole
// (cmd /?). cmd.exe reads % ^ & | < > " ! and more as its own syntax, so
// the path must have none and each argument must be letters, digits and
// :/.-_+= (what the credentials pass: a scope, a tenant, base64 claims);
// any other is refused, not escaped.
func batchCommandLine(tool string, args []string) (string, error) {
	if strings.ContainsAny(tool, "\"%^&|<>!") {
		return "", fmt.Errorf("%s: cmd.exe would read part of this path as its own syntax", tool)
	}
	for _, a := range args {
		if !cliSafe(a, ":/.-_+=") {
			return "", fmt.Errorf("%s: the argument %q has characters cmd.exe would read as its own syntax", filepath.Base(tool), a)
		}
	}
	return `/d /s /c ""` + tool + `" ` + strings.Join(args, " ") + `"`, nil
}
