package main

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/Azure-Samples/keyvault-msi-go/internal/devtool"
	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// TestAzureDeveloperCLI reads the secret with the developer's azd login,
// the stand-in's azd signed in, signed out and expired, each page with
// its fix. With az on PATH too, the Azure CLI comes first and, when it
// fails, azd is asked next, as in DefaultAzureCredential; when both fail,
// the page offers each one's sign-in. PATH holds the stand-ins only, so
// no az or azd the machine has is ever run.
func TestAzureDeveloperCLI(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		fault      standin.Fault
		env        []string
		az         standin.AzState // "" for no az on PATH
		wantStatus int
		want       []string // in the JSON view
		wantFixes  []string // the whole commands the page offers, in order
		wantArgs   string   // in what azd was called with; "" if not at all
	}{
		{name: "signed in", wantStatus: http.StatusOK, want: []string{"Azure Developer CLI", standin.UserOID, standin.UserUPN, `"status":"used"`},
			wantArgs: "auth token --output=json --no-prompt --scope=https://"},
		{name: "not signed in", fault: standin.FaultAzdLoggedOut, wantStatus: http.StatusBadGateway,
			want: []string{"Azure Developer CLI: not signed in", `"status":"failed"`}, wantFixes: []string{"azd auth login"}, wantArgs: "auth token"},
		{name: "not signed in, tenant", fault: standin.FaultAzdLoggedOut, env: []string{"AZURE_TENANT_ID", standin.Tenant}, wantStatus: http.StatusBadGateway,
			want: []string{"Azure Developer CLI: not signed in"}, wantFixes: []string{"azd auth login --tenant-id " + standin.Tenant}, wantArgs: "auth token"},
		{name: "sign-in expired", fault: standin.FaultAzdExpired, wantStatus: http.StatusBadGateway,
			want: []string{"Azure Developer CLI: the sign-in has expired", "AADSTS700082"}, wantFixes: []string{"azd auth login --scope https://vault.azure.net/.default"}, wantArgs: "auth token"},
		{name: "vault in another tenant", env: []string{"AZURE_TENANT_ID", "00000000-0000-4000-8000-0000000000ff"}, wantStatus: http.StatusBadGateway,
			want: []string{"The vault is in another tenant"}, wantFixes: []string{"azd auth login --tenant-id " + standin.Tenant}},
		{name: "az comes first", env: []string{"AZURE_TOKEN_CREDENTIALS", ""}, az: standin.AzLoggedIn, wantStatus: http.StatusOK,
			want: []string{`{"name":"Azure CLI","status":"used"}`, `{"name":"Azure Developer CLI","status":"configured","detail":"asked only if Azure CLI fails"}`}},
		{name: "az signed out, azd signed in", env: []string{"AZURE_TOKEN_CREDENTIALS", ""}, az: standin.AzLoggedOut, wantStatus: http.StatusOK,
			want: []string{`{"name":"Azure CLI","status":"failed","detail":"ERROR: Please run 'az login' to setup account."}`, `{"name":"Azure Developer CLI","status":"used"}`,
				`"source":"Azure Developer CLI"`}, wantArgs: "auth token"},
		{name: "az expired, azd signed in", az: standin.AzExpired, wantStatus: http.StatusOK,
			want: []string{`{"name":"Azure CLI","status":"failed","detail":"ERROR: AADSTS70043`, `{"name":"Azure Developer CLI","status":"used"}`}, wantArgs: "auth token"},
		{name: "both signed out", fault: standin.FaultAzdLoggedOut, az: standin.AzLoggedOut, wantStatus: http.StatusBadGateway,
			want:      []string{"Azure CLI: not signed in; Azure Developer CLI: not signed in", `{"name":"Azure CLI","status":"failed"`, `{"name":"Azure Developer CLI","status":"failed"`},
			wantFixes: []string{"az login", "azd auth login"}, wantArgs: "auth token"},
		{name: "both expired", fault: standin.FaultAzdExpired, az: standin.AzExpired, wantStatus: http.StatusBadGateway,
			want:      []string{"Azure CLI: the sign-in has expired; Azure Developer CLI: the sign-in has expired"},
			wantFixes: []string{"az login --scope https://vault.azure.net/.default", "azd auth login --scope https://vault.azure.net/.default"}, wantArgs: "auth token"},
		{name: "dev includes azd", env: []string{"AZURE_TOKEN_CREDENTIALS", "dev"}, wantStatus: http.StatusOK, want: []string{`{"name":"Azure Developer CLI","status":"used"}`}, wantArgs: "auth token"},
		{name: "AzureDeveloperCLICredential alone", env: []string{"AZURE_TOKEN_CREDENTIALS", "AzureDeveloperCLICredential"}, az: standin.AzLoggedIn, wantStatus: http.StatusOK,
			want: []string{`{"name":"Azure Developer CLI","status":"used"}`, `"name":"Azure CLI","status":"skipped","detail":"excluded by AZURE_TOKEN_CREDENTIALS=AzureDeveloperCLICredential"`}, wantArgs: "auth token"},
		{name: "prod excludes azd", env: []string{"AZURE_TOKEN_CREDENTIALS", "prod"}, wantStatus: http.StatusInternalServerError,
			want: []string{"No identity to authenticate with", "excluded by AZURE_TOKEN_CREDENTIALS=prod"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startStandIn(t, standin.Options{})
			s.SetFault(tt.fault)
			dir := t.TempDir()
			env, err := s.ProcessEnv(standin.AzureDeveloperCLI, dir)
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]string{}
			for _, kv := range env {
				k, v, _ := strings.Cut(kv, "=")
				m[k] = v
			}
			// The stand-in's own transport, not its proxy: the app runs in-process.
			delete(m, "HTTPS_PROXY")
			delete(m, "SSL_CERT_FILE")
			for i := 0; i+1 < len(tt.env); i += 2 {
				m[tt.env[i]] = tt.env[i+1]
			}
			if tt.az != "" {
				if err := s.WriteAzCLI(dir, tt.az); err != nil {
					t.Fatal(err)
				}
			}
			app := startApp(t, m, s)
			checkJSONView(t, app.URL, tt.wantStatus, tt.want, tt.wantFixes)
			args, _ := os.ReadFile(filepath.Join(dir, "azd.log")) // absent when azd was not run
			if tt.wantArgs == "" && len(args) > 0 || !strings.Contains(string(args), tt.wantArgs) {
				t.Errorf("azd called with %q; want %q", args, tt.wantArgs)
			}
		})
	}
}

// TestAzdCredentialClaims: a claims challenge goes to azd as --claims, in
// base64, as azd 1.18.1 and later take it; an older azd's refusal says
// to upgrade.
func TestAzdCredentialClaims(t *testing.T) {
	t.Parallel()
	s := startStandIn(t, standin.Options{})
	dir := t.TempDir()
	if err := s.WriteAzd(dir, standin.AzLoggedIn); err != nil {
		t.Fatal(err)
	}
	claims := `{"access_token":{"acrs":{"essential":true,"value":"p1"}}}`
	opts := policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}, Claims: claims}
	if _, err := (&devtool.AzureDeveloperCLI{Path: devtool.Find("azd", dir)}).GetToken(context.Background(), opts); err != nil {
		t.Fatalf("GetToken with claims: %v", err)
	}
	got, want := readFile(t, filepath.Join(dir, "azd.log")), "--claims="+base64.StdEncoding.EncodeToString([]byte(claims))
	if !strings.Contains(got, want) {
		t.Errorf("azd called with %q; want %q", got, want)
	}

	old := t.TempDir() // azd 1.18.0 and before: cobra's own refusal
	refusal := `{"type":"consoleMessage","timestamp":"2025-05-01T10:00:00Z","data":{"message":"\nERROR: unknown flag: --claims\n"}}` + "\n"
	if err := standin.WriteTool(old, "azd", standin.ToolAnswer{Want: []string{"auth", "token"}, Stderr: refusal, Exit: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := (&devtool.AzureDeveloperCLI{Path: devtool.Find("azd", old)}).GetToken(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "upgrade to azd 1.18.1 or later") {
		t.Errorf("an azd without --claims: %v; want the upgrade", err)
	}
}

// TestAzdCredentialMatchesAzidentity runs the app's azd credential and
// azidentity's own AzureDeveloperCLICredential against the same stand-in
// azd: the same command, the same token and expiry when signed in, the
// same message when not. azidentity runs azd from the process's PATH, so
// this test sets it and cannot run in parallel.
func TestAzdCredentialMatchesAzidentity(t *testing.T) {
	s := startStandIn(t, standin.Options{})
	for _, state := range []standin.AzState{standin.AzLoggedIn, standin.AzLoggedOut, standin.AzExpired} {
		t.Run(string(state), func(t *testing.T) {
			dir := t.TempDir()
			if err := s.WriteAzd(dir, state); err != nil {
				t.Fatal(err)
			}
			t.Setenv("PATH", dir) // the stand-in needs nothing else
			real, err := azidentity.NewAzureDeveloperCLICredential(nil)
			if err != nil {
				t.Fatal(err)
			}
			opts := policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}, TenantID: standin.Tenant}
			want, wantErr := real.GetToken(context.Background(), opts)
			ours := &devtool.AzureDeveloperCLI{Path: devtool.Find("azd", dir)}
			got, gotErr := ours.GetToken(context.Background(), opts)
			switch {
			case wantErr == nil && (gotErr != nil || got.Token != want.Token || !got.ExpiresOn.Equal(want.ExpiresOn)):
				t.Errorf("ours: %v, expires %v; azidentity's: the token, expires %v", gotErr, got.ExpiresOn, want.ExpiresOn)
			case wantErr != nil && gotErr == nil:
				t.Errorf("ours got a token where azidentity's failed: %v", wantErr)
			case wantErr != nil && !strings.Contains(wantErr.Error(), gotErr.Error()):
				t.Errorf("ours says %q; azidentity's %q", gotErr, wantErr)
			}
			var afe *azidentity.AuthenticationFailedError
			if wantErr != nil && !errors.As(wantErr, &afe) {
				t.Errorf("azidentity's error is %T; want AuthenticationFailedError, as for azd's own failures", wantErr)
			}
			// The same command to azd's flag parser (cobra): azidentity writes
			// "-o json --scope X", ours "--output=json --scope=X".
			calls := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(dir, "azd.log"))), "\n")
			if len(calls) != 2 || sameFlags(calls[0]) != calls[1] {
				t.Errorf("azd was called with %q; want the same command twice", calls)
			}
		})
	}
}

// sameFlags writes azidentity's azd command line as ours does.
func sameFlags(args string) string {
	args = strings.Replace(args, "-o json", "--output=json", 1)
	for _, flag := range []string{"--scope", "--tenant-id", "--claims"} {
		args = strings.ReplaceAll(args, flag+" ", flag+"=")
	}
	return args
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAzurePowerShell reads the secret with the developer's Connect-AzAccount
// sign-in, through the stand-in's pwsh, after az and azd as in
// DefaultAzureCredential; AZURE_TOKEN_CREDENTIALS names it alone; when every
// developer tool fails, the page offers each one's sign-in.
func TestAzurePowerShell(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		pwsh, az   standin.AzState // "" for none on PATH
		azd        standin.AzState
		env        []string
		wantStatus int
		want       []string
		wantFixes  []string
	}{
		{name: "signed in", pwsh: standin.AzLoggedIn, wantStatus: 200, want: []string{`{"name":"Azure PowerShell","status":"used"}`, `"source":"Azure PowerShell"`}},
		{name: "not signed in", pwsh: standin.AzLoggedOut, wantStatus: 502, want: []string{"Azure PowerShell: not signed in"}, wantFixes: []string{"Connect-AzAccount"}},
		{name: "not signed in, tenant", pwsh: standin.AzLoggedOut, env: []string{"AZURE_TENANT_ID", standin.Tenant}, wantStatus: 502,
			want: []string{"Azure PowerShell: not signed in"}, wantFixes: []string{"Connect-AzAccount -TenantId " + standin.Tenant}},
		{name: "after az and azd fail", pwsh: standin.AzLoggedIn, az: standin.AzLoggedOut, azd: standin.AzLoggedOut, wantStatus: 200,
			want: []string{`{"name":"Azure CLI","status":"failed"`, `{"name":"Azure Developer CLI","status":"failed"`, `{"name":"Azure PowerShell","status":"used"}`}},
		// In a Codespace the browser cannot hand the sign-in back to the container.
		{name: "az signed out, in a Codespace", az: standin.AzLoggedOut, env: []string{"CODESPACES", "true"}, wantStatus: 502,
			want: []string{"Azure CLI: not signed in"}, wantFixes: []string{"az login --use-device-code"}},
		{name: "every tool signed out", pwsh: standin.AzLoggedOut, az: standin.AzLoggedOut, azd: standin.AzLoggedOut, wantStatus: 502,
			want:      []string{"Azure CLI: not signed in; Azure Developer CLI: not signed in; Azure PowerShell: not signed in"},
			wantFixes: []string{"az login", "azd auth login", "Connect-AzAccount"}},
		{name: "AzurePowerShellCredential alone", pwsh: standin.AzLoggedIn, az: standin.AzLoggedIn, env: []string{"AZURE_TOKEN_CREDENTIALS", "AzurePowerShellCredential"}, wantStatus: 200,
			want: []string{`{"name":"Azure PowerShell","status":"used"}`, `"name":"Azure CLI","status":"skipped","detail":"excluded by AZURE_TOKEN_CREDENTIALS=AzurePowerShellCredential"`}},
		{name: "dev includes it", pwsh: standin.AzLoggedIn, env: []string{"AZURE_TOKEN_CREDENTIALS", "dev"}, wantStatus: 200, want: []string{`{"name":"Azure PowerShell","status":"used"}`}},
		{name: "prod excludes it", pwsh: standin.AzLoggedIn, env: []string{"AZURE_TOKEN_CREDENTIALS", "prod"}, wantStatus: 500,
			want: []string{`"name":"Azure PowerShell","status":"skipped","detail":"excluded by AZURE_TOKEN_CREDENTIALS=prod"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startStandIn(t, standin.Options{})
			dir := t.TempDir()
			write := map[string]func(string, standin.AzState) error{"pwsh": s.WritePwsh, "az": s.WriteAzCLI, "azd": s.WriteAzd}
			for tool, state := range map[string]standin.AzState{"pwsh": tt.pwsh, "az": tt.az, "azd": tt.azd} {
				if state != "" {
					if err := write[tool](dir, state); err != nil {
						t.Fatal(err)
					}
				}
			}
			app := startApp(t, envFor(t, s, standin.AzureCLI, append([]string{"PATH", dir}, tt.env...)...), s)
			checkJSONView(t, app.URL, tt.wantStatus, tt.want, tt.wantFixes)
		})
	}
}

// TestAzurePowerShellScript: the script the app gives pwsh asks
// Get-AzAccessToken for Key Vault's v1 resource in the vault's tenant, as
// azidentity's does, in -EncodedCommand's UTF-16LE base64.
func TestAzurePowerShellScript(t *testing.T) {
	t.Parallel()
	s := startStandIn(t, standin.Options{})
	dir := t.TempDir()
	if err := s.WritePwsh(dir, standin.AzLoggedIn); err != nil {
		t.Fatal(err)
	}
	opts := policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}, TenantID: standin.Tenant}
	if _, err := (&devtool.AzurePowerShell{Path: devtool.Find("pwsh", dir)}).GetToken(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	args := strings.Fields(readFile(t, filepath.Join(dir, "pwsh.log")))
	if len(args) != 6 || strings.Join(args[:5], " ") != "-NoProfile -NonInteractive -OutputFormat Text -EncodedCommand" {
		t.Fatalf("pwsh called with %q", args)
	}
	raw, err := base64.StdEncoding.DecodeString(args[5])
	if err != nil || len(raw)%2 != 0 {
		t.Fatalf("-EncodedCommand %q: %v", args[5], err)
	}
	units := make([]uint16, len(raw)/2)
	for i := range units {
		units[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	script := string(utf16.Decode(units))
	containsAll(t, "the script", script, "Get-AzAccessToken @request", "ResourceUrl = 'https://vault.azure.net'", "$request.TenantId = '"+standin.Tenant+"'", "ConvertTo-Json")
}
