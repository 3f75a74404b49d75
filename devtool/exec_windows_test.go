package devtool

import (
	"context"
	"strings"
	"testing"
)

// TestBatchFileSyntaxRefused: an argument or path that cmd.exe would read
// as its own syntax never reaches it; a plain one runs as azidentity's
// command line does, in quotes after /d /s /c.
func TestBatchFileSyntaxRefused(t *testing.T) {
	for _, tt := range []struct {
		tool string
		args []string
		ok   bool
	}{
		{`C:\Program Files\Microsoft SDKs\Azure\CLI2\wbin\az.cmd`, []string{"account", "get-access-token", "--resource", "https://vault.azure.net"}, true},
		{`C:\tools\az.cmd`, []string{"--tenant", "t&calc"}, false},
		{`C:\tools\az.cmd`, []string{"--tenant", "%PATH%"}, false},
		{`C:\tools\az.cmd`, []string{"--tenant", `a"b`}, false},
		{`C:\100%\az.cmd`, []string{"account"}, false},
		{`C:\tools\azd.exe`, []string{"a&b"}, true}, // an .exe gets its arguments as Go escapes them, no cmd.exe
	} {
		cmd, err := command(context.Background(), tt.tool, tt.args)
		if (err == nil) != tt.ok {
			t.Errorf("command(%q, %q): %v; want ok %v", tt.tool, tt.args, err, tt.ok)
			continue
		}
		if err == nil && strings.HasSuffix(tt.tool, ".cmd") {
			want := `/d /s /c ""` + tt.tool + `" ` + strings.Join(tt.args, " ") + `"`
			if cmd.SysProcAttr == nil || cmd.SysProcAttr.CmdLine != want {
				t.Errorf("command line %+v; want %q", cmd.SysProcAttr, want)
			}
		}
	}
}
