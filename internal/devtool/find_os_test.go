package devtool

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFindOnEveryOS: the lookup as each OS makes it, run on every OS, so
// that Linux's run of the suite sees a break in Windows' (az is az.cmd
// there, found through PATHEXT's extensions in cmd.exe's order, with no
// mode bit to ask) and the Windows job sees one in Linux's.
func TestFindOnEveryOS(t *testing.T) {
	t.Parallel()
	windows, unix := t.TempDir(), t.TempDir()
	for dir, files := range map[string]map[string]os.FileMode{
		// As the Azure CLI's MSI installs it: az.cmd beside the Python it
		// runs; azd and pwsh as .exe; a stray az.ps1 that cmd.exe never runs.
		windows: {"az.cmd": 0o644, "az.ps1": 0o644, "azd.exe": 0o644, "pwsh.exe": 0o644, "pwsh.bat": 0o644},
		unix:    {"az": 0o755, "az.cmd": 0o755, "azd": 0o644},
	} {
		for name, mode := range files {
			if err := os.WriteFile(filepath.Join(dir, name), nil, mode); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tt := range []struct {
		goos, name, dir, want string
	}{
		{"windows", "az", windows, "az.cmd"},
		{"windows", "azd", windows, "azd.exe"},
		{"windows", "pwsh", windows, "pwsh.exe"}, // .exe comes before .bat in PATHEXT
		{"windows", "az.cmd", windows, "az.cmd"}, // a name with its extension is taken as it is
		{"windows", "kubectl", windows, ""},
		{"linux", "az", unix, "az"},
		{"linux", "azd", unix, ""}, // no one may run it
		{"darwin", "az", unix, "az"},
		{"linux", "az", windows, ""}, // az.cmd is not az there
	} {
		got := find(tt.goos, tt.name, tt.dir)
		want := ""
		if tt.want != "" {
			want = filepath.Join(tt.dir, tt.want)
		}
		if got != want {
			t.Errorf("find(%q, %q, %s) = %q; want %q", tt.goos, tt.name, strings.TrimPrefix(tt.dir, os.TempDir()), got, want)
		}
	}
}
