package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/Azure-Samples/keyvault-msi-go/internal/devtool"
	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
)

// TestRealAzureCLISignedOut runs the machine's own Azure CLI, signed out
// (an empty AZURE_CONFIG_DIR), as GitHub's runner and the dev container
// have it: it writes the stand-in's signed-out answer byte for byte, the
// app offers az login for it, and beside it a signed-in azd reads the
// secret, as DefaultAzureCredential would. .ci/run installs Debian's
// azure-cli so that CI runs it.
func TestRealAzureCLISignedOut(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the Azure CLI")
	}
	if runtime.GOOS == "windows" {
		// az.cmd finds its Python by %~dp0, which a link to it breaks.
		t.Skip("links the real az into the app's PATH: Linux and macOS only")
	}
	realAz, err := exec.LookPath("az")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no az on PATH: .ci/run installs azure-cli")
		}
		t.Skip("no az on PATH: install the Azure CLI (apt-get install azure-cli) to run this test; .ci/run does")
	}
	t.Setenv("AZURE_CONFIG_DIR", t.TempDir()) // az reads it from the process: signed out
	s := startStandIn(t, standin.Options{})

	// The same words, byte for byte, and the same exit code, for the app's command.
	args := []string{"account", "get-access-token", "-o", "json", "--resource", "https://vault.azure.net", "--tenant", standin.Tenant}
	standIns := t.TempDir()
	if err := s.WriteAzCLI(standIns, standin.AzLoggedOut); err != nil {
		t.Fatal(err)
	}
	realOut, realErr := runForStderr(realAz, args)
	modelOut, modelErr := runForStderr(devtool.Find("az", standIns), args)
	if realOut != modelOut || realErr != modelErr {
		t.Errorf("the real az wrote %q (%v); the stand-in %q (%v)", realOut, realErr, modelOut, modelErr)
	}

	for _, tt := range []struct {
		name       string
		azd        standin.AzState // "" for no azd
		wantStatus int
		want       []string
		wantFixes  []string
	}{
		{"az alone", "", http.StatusBadGateway, []string{"Azure CLI: not signed in", `{"name":"Azure CLI","status":"failed","detail":"ERROR: Please run 'az login' to setup account."}`}, []string{"az login"}},
		{"azd signed in beside it", standin.AzLoggedIn, http.StatusOK, []string{`{"name":"Azure Developer CLI","status":"used"}`, `"source":"Azure Developer CLI"`}, nil},
		{"azd signed out beside it", standin.AzLoggedOut, http.StatusBadGateway, []string{"Azure CLI: not signed in; Azure Developer CLI: not signed in"}, []string{"az login", "azd auth login"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Symlink(realAz, filepath.Join(dir, "az")); err != nil {
				t.Fatal(err)
			}
			if tt.azd != "" {
				if err := s.WriteAzd(dir, tt.azd); err != nil {
					t.Fatal(err)
				}
			}
			// A slow machine's first az run takes 10 s or more.
			app := startApp(t, envFor(t, s, standin.AzureCLI, "PATH", dir, "REQUEST_TIMEOUT", "60s"), s)
			checkJSONView(t, app.URL, tt.wantStatus, tt.want, tt.wantFixes)
		})
	}
}

// runForStderr runs tool with args and returns what it wrote on stdout
// and stderr, and how it ended.
func runForStderr(tool string, args []string) (string, string) {
	var out strings.Builder
	cmd := exec.Command(tool, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run() // how it ended is the ProcessState
	return out.String(), cmd.ProcessState.String()
}

// TestRealAzureCLIQuery: the stand-in az applies --query as the real one
// does, byte for byte: a dotted name prints its value with -o tsv, a name
// in another case prints nothing and exits 0 (JMESPath is case-sensitive).
// The real az reads a profile of one subscription, offline; the stand-in
// answers with what the real az prints without --query.
func TestRealAzureCLIQuery(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the Azure CLI")
	}
	realAz, err := exec.LookPath("az")
	if err != nil || runtime.GOOS == "windows" {
		if os.Getenv("CI") != "" && runtime.GOOS != "windows" {
			t.Fatal("no az on PATH: .ci/run installs azure-cli")
		}
		t.Skip("needs the Azure CLI on Linux or macOS (apt-get install azure-cli); .ci/run installs it")
	}
	config := t.TempDir()
	profile := `{"installationId": "00000000-0000-4000-8000-0000000000aa", "subscriptions": [{"id": "00000000-0000-4000-8000-000000000000", "name": "Demo subscription", ` +
		`"state": "Enabled", "user": {"name": "dev@contoso.example", "type": "user"}, "isDefault": true, "tenantId": "` + standin.Tenant + `", ` +
		`"environmentName": "AzureCloud", "homeTenantId": "` + standin.Tenant + `", "managedByTenants": []}]}`
	if err := os.WriteFile(filepath.Join(config, "azureProfile.json"), []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AZURE_CONFIG_DIR", config)
	show, err := exec.Command(realAz, "account", "show").Output()
	if err != nil {
		t.Fatalf("az account show: %v", err)
	}
	standIns := t.TempDir()
	if err := standin.WriteTool(standIns, "az", standin.ToolAnswer{Want: []string{"account", "show"}, Stdout: string(show)}); err != nil {
		t.Fatal(err)
	}
	for _, query := range []string{"tenantId", "tenantID", "user.name", "user.Name", "isDefault"} {
		args := []string{"account", "show", "--query", query, "-o", "tsv"}
		if query == "isDefault" {
			args = args[:4] // JSON: true
		}
		realOut, realErr := runForStderr(realAz, args)
		modelOut, modelErr := runForStderr(devtool.Find("az", standIns), args)
		if realOut != modelOut || realErr != modelErr {
			t.Errorf("az %s: the real az wrote %q (%v); the stand-in %q (%v)", strings.Join(args, " "), realOut, realErr, modelOut, modelErr)
		}
	}
}
