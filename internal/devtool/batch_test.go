package devtool

import "testing"

// TestBatchCommandLine: a path or an argument that cmd.exe would read as
// its own syntax never reaches it; a plain one runs as azidentity's
// command line does, in quotes after /d /s /c.
func TestBatchCommandLine(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		tool string
		args []string
		want string // "" for refused
	}{
		{`C:\Program Files\Microsoft SDKs\Azure\CLI2\wbin\az.cmd`, []string{"account", "get-access-token", "--resource", "https://vault.azure.net"},
			`/d /s /c ""C:\Program Files\Microsoft SDKs\Azure\CLI2\wbin\az.cmd" account get-access-token --resource https://vault.azure.net"`},
		{`C:\tools\az.cmd`, []string{"--claims-challenge", "eyJhY2Nlc3NfdG9rZW4iOnt9fQ=="}, `/d /s /c ""C:\tools\az.cmd" --claims-challenge eyJhY2Nlc3NfdG9rZW4iOnt9fQ=="`},
		{`C:\tools\az.cmd`, []string{"--tenant", "t&calc"}, ""},
		{`C:\tools\az.cmd`, []string{"--tenant", "%PATH%"}, ""},
		{`C:\tools\az.cmd`, []string{"--tenant", `a"b`}, ""},
		{`C:\tools\az.cmd`, []string{"--tenant", "a b"}, ""},
		{`C:\100%\az.cmd`, []string{"account"}, ""},
		{`C:\a&b\az.cmd`, []string{"account"}, ""},
	} {
		got, err := batchCommandLine(tt.tool, tt.args)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("batchCommandLine(%q, %q) = %q, %v; want %q", tt.tool, tt.args, got, err, tt.want)
		}
	}
}
