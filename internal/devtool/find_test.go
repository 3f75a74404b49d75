package devtool_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/Azure-Samples/keyvault-msi-go/internal/devtool"
	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

func TestMain(m *testing.M) {
	code := m.Run()
	standin.RemoveToolProgram()
	os.Exit(code)
}

// TestFind: the tool the developer installed is found as this OS names it
// (az.cmd, azd.exe on Windows), in the first absolute PATH directory that
// has it; a relative directory, a directory named like the tool and (off
// Windows) a file no one may run are passed over.
func TestFind(t *testing.T) {
	t.Parallel()
	first, second, notRunnable := t.TempDir(), t.TempDir(), t.TempDir()
	for _, dir := range []string{first, second} {
		for _, tool := range []string{"az", "azd"} {
			if err := standin.WriteTool(dir, tool, standin.ToolAnswer{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Mkdir(filepath.Join(notRunnable, "az"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(notRunnable, "azd"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	wantAz, wantAzd := filepath.Join(first, "az"), filepath.Join(first, "azd")
	if runtime.GOOS == "windows" {
		wantAz, wantAzd = filepath.Join(first, "az.cmd"), filepath.Join(first, "azd.exe")
	}
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	relative, err := filepath.Rel(cwd, second)
	if err != nil {
		t.Fatal(err)
	}
	list := func(dirs ...string) string { return strings.Join(dirs, string(os.PathListSeparator)) }
	for _, tt := range []struct {
		name, tool, path, want string
	}{
		{"az", "az", list(first, second), wantAz},
		{"azd", "azd", list(first, second), wantAzd},
		{"the first directory that has it", "az", list(t.TempDir(), first, second), wantAz},
		{"a directory named az, then the tool", "az", list(notRunnable, first), wantAz},
		{"a relative directory", "az", list(relative), ""},
		// . or node_modules/.bin before /usr/bin: passed over, not the end.
		{"a relative directory, then the tool", "az", list(relative, ".", "node_modules/.bin", first), wantAz},
		{"an empty entry, then the tool", "az", list("", first), wantAz},
		{"an empty entry", "az", list(""), ""},
		{"not on PATH", "pwsh", list(first, second), ""},
	} {
		if got := devtool.Find(tt.tool, tt.path); got != tt.want {
			t.Errorf("%s: Find(%q, %q) = %q; want %q", tt.name, tt.tool, tt.path, got, tt.want)
		}
	}
	if runtime.GOOS != "windows" {
		if got := devtool.Find("azd", list(notRunnable, first)); got != wantAzd {
			t.Errorf("Find(azd) past a file no one may run = %q; want %q", got, wantAzd)
		}
	}
}

// TestToolArguments: the tool gets each argument whole, and on Windows
// az.cmd gets them through cmd.exe as azidentity passes them.
func TestToolArguments(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := standin.Start(standin.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if err := s.WriteAzCLI(dir, standin.AzLoggedIn); err != nil {
		t.Fatal(err)
	}
	az := &devtool.AzureCLI{Path: devtool.Find("az", dir), Tenant: standin.Tenant}
	if _, err := az.GetToken(context.Background(), tokenRequest); err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	log, err := os.ReadFile(filepath.Join(dir, "az.log"))
	if err != nil {
		t.Fatal(err)
	}
	want := "account get-access-token -o json --resource https://vault.azure.net --tenant " + standin.Tenant + "\n"
	if string(log) != want {
		t.Errorf("az got %q; want %q", log, want)
	}
}

var tokenRequest = policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}}

// TestToolRewritten: a stand-in written again in the same place answers
// as written last, and the others keep their own answers (azd: an .exe
// on Windows too, which exec runs without cmd.exe).
func TestToolRewritten(t *testing.T) {
	t.Parallel()
	dir, other := t.TempDir(), t.TempDir()
	for _, d := range []string{dir, other} {
		if err := standin.WriteTool(d, "azd", standin.ToolAnswer{Stdout: "first"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := standin.WriteTool(dir, "azd", standin.ToolAnswer{Stdout: "second"}); err != nil {
		t.Fatal(err)
	}
	for d, want := range map[string]string{dir: "second", other: "first"} {
		out, err := exec.Command(devtool.Find("azd", d)).Output()
		if err != nil || string(out) != want {
			t.Errorf("azd in %s printed %q (%v); want %q", d, out, err, want)
		}
	}
}
