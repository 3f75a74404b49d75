package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
)

func TestPingAndRouting(t *testing.T) {
	t.Parallel()
	app := startApp(t, map[string]string{}, nil) // no Azure configuration at all
	tests := []struct {
		method, path string
		wantStatus   int
		wantBody     string
	}{
		{"GET", "/ping", http.StatusOK, "Hello World!"},
		{"HEAD", "/ping", http.StatusOK, ""},
		{"HEAD", "/", http.StatusInternalServerError, ""},
		{"POST", "/ping", http.StatusMethodNotAllowed, "Method Not Allowed"},
		{"DELETE", "/", http.StatusMethodNotAllowed, "Method Not Allowed"},
		{"GET", "/nope", http.StatusNotFound, "404 page not found"},
		{"GET", "/ping/", http.StatusNotFound, "404 page not found"},
		{"GET", "/", http.StatusInternalServerError, "KEY_VAULT_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, body := fetch(t, tt.method, app.URL+tt.path, "")
			if got, want := resp.StatusCode, tt.wantStatus; got != want {
				t.Errorf("%s %s = %d; want %d", tt.method, tt.path, got, want)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("%s %s body = %q; want it to contain %q", tt.method, tt.path, body, tt.wantBody)
			}
			for h, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "no-referrer",
				"X-Frame-Options":        "DENY",
			} {
				if got := resp.Header.Get(h); got != want {
					t.Errorf("%s %s header %s = %q; want %q", tt.method, tt.path, h, got, want)
				}
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("%s %s Content-Security-Policy = %q; want default-src 'none' and frame-ancestors 'none'", tt.method, tt.path, csp)
			}
		})
	}
	if resp, _ := fetch(t, "GET", app.URL+"/ping", ""); resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("GET /ping Content-Type = %q; want text/plain", resp.Header.Get("Content-Type"))
	}
}

// TestSources reads the secret with each credential source that can be
// configured without touching the process environment.
func TestSources(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		id         standin.Identity
		expiresOn  string
		extra      []string
		wantSource string
		wantClaims []string
	}{
		{"legacy epoch", standin.AppServiceLegacy, "epoch", nil, "App Service managed identity (2017-09-01)", []string{standin.ManagedIdentityOID, standin.ManagedIdentityRes}},
		{"legacy linux date", standin.AppServiceLegacy, "linux", nil, "App Service managed identity (2017-09-01)", []string{standin.ManagedIdentityOID}},
		{"legacy windows date", standin.AppServiceLegacy, "windows", nil, "App Service managed identity (2017-09-01)", []string{standin.ManagedIdentityOID}},
		{"legacy user-assigned", standin.AppServiceLegacy, "epoch", []string{"AZURE_CLIENT_ID", "99999999-9999-4999-8999-999999999999"},
			"App Service user-assigned managed identity (2017-09-01)", []string{"99999999-9999-4999-8999-999999999999", "userAssignedIdentities"}},
		{"service principal", standin.ServicePrincipal, "", nil, "service principal (client secret)", []string{standin.ServicePrincipalOI, standin.ServicePrincipalID, standin.Tenant}},
		{"AKS workload identity", standin.Workload, "", nil, "AKS workload identity", []string{standin.WorkloadOID, standin.WorkloadClientID, "userAssignedIdentities/kvmsigo-workload"}},
		{"virtual machine, when asked", standin.IMDS, "", nil, "virtual machine managed identity (IMDS)", []string{standin.VMIdentityOID, "virtualMachines/demo-vm"}},
		{"virtual machine, user-assigned", standin.IMDS, "", []string{"AZURE_CLIENT_ID", "99990000-9999-4999-8999-999999999999"},
			"virtual machine user-assigned managed identity (IMDS)", []string{"99990000-9999-4999-8999-999999999999", "userAssignedIdentities/demo-uami"}},
		{"AZURE_TOKEN_CREDENTIALS picks the service principal", standin.AppServiceLegacy, "", []string{
			"AZURE_TENANT_ID", standin.Tenant, "AZURE_CLIENT_ID", standin.ServicePrincipalID, "AZURE_CLIENT_SECRET", standin.ClientSecret,
			"AZURE_TOKEN_CREDENTIALS", "EnvironmentCredential"}, "service principal (client secret)", []string{standin.ServicePrincipalOI}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startStandIn(t, standin.Options{LegacyExpiresOn: tt.expiresOn, IMDS: tt.id == standin.IMDS})
			app := startApp(t, envFor(t, s, tt.id, tt.extra...), s)
			checkSecretPage(t, app, s, tt.wantSource, tt.wantClaims...)
		})
	}
}

// TestServicePrincipalCertificate signs in with a certificate from
// AZURE_CLIENT_CERTIFICATE_PATH (PEM, or PKCS#12 with its password in
// AZURE_CLIENT_CERTIFICATE_PASSWORD), and explains a path that cannot be read.
func TestServicePrincipalCertificate(t *testing.T) {
	t.Parallel()
	certFile := filepath.Join(t.TempDir(), "sp.pem")
	if err := standin.WriteClientCertificate(certFile); err != nil {
		t.Fatal(err)
	}
	// A password-protected PKCS#12 file, as the portal exports one; with
	// the ciphers x/crypto/pkcs12, which azidentity uses, can read.
	pfx := filepath.Join(t.TempDir(), "sp.pfx")
	if out, err := exec.Command("openssl", "pkcs12", "-export", "-in", certFile, "-passout", "pass:pfx-pa55word",
		"-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1", "-out", pfx).CombinedOutput(); err != nil {
		t.Fatalf("openssl pkcs12: %v\n%s", err, out)
	}
	for _, tt := range []struct {
		name       string
		path, pass string
		wantStatus int
		want       string
	}{
		{"certificate", certFile, "", http.StatusOK, "service principal (certificate)"},
		{"password-protected PKCS#12", pfx, "pfx-pa55word", http.StatusOK, "service principal (certificate)"},
		{"unreadable path", certFile + ".missing", "", http.StatusBadGateway, "reading AZURE_CLIENT_CERTIFICATE_PATH"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startStandIn(t, standin.Options{})
			app := startApp(t, envFor(t, s, standin.ServicePrincipal, "AZURE_CLIENT_SECRET", "", "AZURE_CLIENT_CERTIFICATE_PATH", tt.path,
				"AZURE_CLIENT_CERTIFICATE_PASSWORD", tt.pass), s)
			resp, body := fetch(t, "GET", app.URL+"/", "")
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("GET / = %d; want %d\n%s", resp.StatusCode, tt.wantStatus, body)
			}
			containsAll(t, "page", body, tt.want)
		})
	}
}

// TestManagedIdentity2019 runs azidentity's ManagedIdentityCredential, which
// reads IDENTITY_ENDPOINT from the process environment: no t.Parallel.
func TestManagedIdentity2019(t *testing.T) {
	tests := []struct {
		name       string
		extra      []string
		wantSource string
		wantClaims []string
	}{
		{"system-assigned", nil, "App Service managed identity (2019-08-01)", []string{standin.ManagedIdentityOID, standin.ManagedIdentityApp}},
		{"user-assigned by AZURE_CLIENT_ID", []string{"AZURE_CLIENT_ID", "88888888-8888-4888-8888-888888888888"},
			"App Service user-assigned managed identity (2019-08-01)", []string{"88888888-8888-4888-8888-888888888888"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startStandIn(t, standin.Options{})
			env := envFor(t, s, standin.AppService, tt.extra...)
			setManagedIdentityEnv(t, env)
			app := startApp(t, env, s)
			checkSecretPage(t, app, s, tt.wantSource, tt.wantClaims...)
		})
	}
}

// TestManagedIdentityNeverProbesIMDS configures the identity endpoint for
// the app but not for the process, where azidentity looks and would fall
// back to IMDS. The app refuses the request instead of sending it.
func TestManagedIdentityNeverProbesIMDS(t *testing.T) {
	t.Parallel()
	s := startStandIn(t, standin.Options{})
	app := startApp(t, envFor(t, s, standin.AppService), s)
	resp, body := fetch(t, "GET", app.URL+"/", "")
	if got, want := resp.StatusCode, http.StatusBadGateway; got != want {
		t.Errorf("GET / = %d; want %d\n%s", got, want, body)
	}
	containsAll(t, "page", body, "refusing a managed identity request to &#34;169.254.169.254&#34;")
	if n := s.TokenRequests(); n != 0 {
		t.Errorf("token requests = %d; want 0", n)
	}
}

// azureCLICase is one of TestAzureCLI's cases.
type azureCLICase struct {
	name       string
	az         standin.AzState
	fault      standin.Fault
	tenant     string // AZURE_TENANT_ID
	wantStatus int
	want       []string // in the JSON view
	wantFix    string   // a whole command the page offers
	wantArgs   string   // what az was called with; "" if not at all
}

// TestAzureCLI runs azidentity's AzureCLICredential, which runs az from
// the process's PATH: no t.Parallel. Each case has its own az stand-in.
func TestAzureCLI(t *testing.T) {
	tests := []azureCLICase{
		{"logged in", standin.AzLoggedIn, "", "", http.StatusOK, []string{"Azure CLI", standin.UserOID, standin.UserUPN, `"status":"used"`}, "", "--tenant " + standin.Tenant},
		// The vault's challenge names its tenant, which azidentity passes to az
		// in every case; "tenant mismatch" shows AZURE_TENANT_ID reaches the
		// credential: it refuses the vault's other tenant.
		{"tenant mismatch", standin.AzLoggedIn, "", "00000000-0000-4000-8000-0000000000ff", http.StatusBadGateway,
			[]string{"The vault is in another tenant", "00000000-0000-4000-8000-0000000000ff"}, "az login --tenant " + standin.Tenant, ""},
		{"vault in another tenant", standin.AzLoggedIn, standin.FaultOtherTenant, "", http.StatusBadGateway,
			[]string{"Key Vault rejected the token", "AKV10032: Invalid issuer"}, "az keyvault show --name kv --query properties.tenantId -o tsv", "account get-access-token"},
		{"not logged in", standin.AzLoggedOut, "", "", http.StatusBadGateway, []string{"Azure CLI: not signed in", `{"name":"Azure CLI","status":"failed","detail":"ERROR: Please run 'az login' to setup account."}`}, "az login", "account get-access-token"},
		{"not logged in, tenant", standin.AzLoggedOut, "", standin.Tenant, http.StatusBadGateway, []string{"Azure CLI: not signed in"}, "az login --tenant " + standin.Tenant, "account get-access-token"},
		{"a user denied by RBAC is a User", standin.AzLoggedIn, standin.FaultRBAC, "", http.StatusBadGateway, []string{"Key Vault denied access (Azure RBAC)"},
			"az role assignment create --role 'Key Vault Secrets User' --assignee-object-id " + standin.UserOID + " --assignee-principal-type User" +
				" --scope /subscriptions/00000000-0000-4000-8000-000000000000/resourcegroups/demo-rg/providers/microsoft.keyvault/vaults/kv", "account get-access-token"},
		{"login expired", standin.AzExpired, "", "", http.StatusBadGateway, []string{"Azure CLI: the sign-in has expired", "AADSTS70043"},
			"az login --scope https://vault.azure.net/.default", "account get-access-token"},
	}
	// Each case also as az writes on Windows, where Python ends each line
	// with \r\n: the page must read the same.
	for _, tt := range tests {
		for _, newline := range []string{"\n", "\r\n"} {
			t.Run(tt.name+map[string]string{"\n": "", "\r\n": ", CRLF"}[newline], func(t *testing.T) {
				testAzureCLI(t, tt, newline)
			})
		}
	}
}

func testAzureCLI(t *testing.T, tt azureCLICase, newline string) {
	s := startStandIn(t, standin.Options{})
	s.SetFault(tt.fault)
	dir := t.TempDir()
	a, err := s.AzAnswer(tt.az)
	if err != nil {
		t.Fatal(err)
	}
	a.Stdout = strings.ReplaceAll(strings.ReplaceAll(a.Stdout, "\r\n", "\n"), "\n", newline)
	a.Stderr = strings.ReplaceAll(strings.ReplaceAll(a.Stderr, "\r\n", "\n"), "\n", newline)
	if err := standin.WriteTool(dir, "az", a); err != nil {
		t.Fatal(err)
	}
	// The stand-in's az alone on PATH: never an az the machine has.
	t.Setenv("PATH", dir)
	env := map[string]string{"KEY_VAULT_URL": s.VaultURL("kv"), "PATH": os.Getenv("PATH"), "AZURE_TENANT_ID": tt.tenant}
	app := startApp(t, env, s)
	var wantFixes []string
	if tt.wantFix != "" {
		wantFixes = []string{tt.wantFix}
	}
	checkJSONView(t, app.URL, tt.wantStatus, tt.want, wantFixes)
	args, _ := os.ReadFile(filepath.Join(dir, "az.log")) // absent when az was not run
	if tt.wantArgs == "" && len(args) > 0 || !strings.Contains(string(args), tt.wantArgs) {
		t.Errorf("az called with %q; want %q", args, tt.wantArgs)
	}
}

// checkSecretPage checks / shows the secret and the principal, and that the
// token and the challenge are reused across views.
func checkSecretPage(t *testing.T, app testApp, s *standin.Server, wantSource string, wantClaims ...string) {
	t.Helper()
	for range 3 {
		before := time.Now().UTC().Truncate(time.Second)
		resp, body := fetch(t, "GET", app.URL+"/", "")
		if got, want := resp.StatusCode, http.StatusOK; got != want {
			t.Fatalf("GET / = %d; want %d\n%s", got, want, body)
		}
		containsAll(t, "page", body, standin.DefaultSecret, wantSource, "0123456789abcdef0123456789abcdef")
		containsAll(t, "page", body, wantClaims...)
		// Each view says when it read Key Vault: this view's time, not the first's.
		m := regexp.MustCompile(`<dt>Fetched</dt><dd>([^<]*)</dd>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("the page says nothing of when it read the secret:\n%s", body)
		}
		if fetched, err := time.Parse("2006-01-02 15:04:05 UTC", m[1]); err != nil || fetched.Before(before) {
			t.Errorf("the page says it read the secret at %q (%v); want this view's time, %s or later", m[1], err, before)
		}
	}
	if got, want := s.TokenRequests(), int64(1); got != want {
		t.Errorf("token requests after 3 views = %d; want %d", got, want)
	}
	if got, want := s.Challenges(), int64(1); got != want {
		t.Errorf("challenges after 3 views = %d; want %d", got, want)
	}
	if got, want := s.VaultRequests(), int64(4); got != want {
		t.Errorf("Key Vault requests after 3 views = %d; want %d (one challenge, three reads)", got, want)
	}
}

func TestHostileSecretIsEscaped(t *testing.T) {
	t.Parallel()
	hostile := `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`
	s := startStandIn(t, standin.Options{Secrets: map[string]string{"secret": hostile}})
	app := startApp(t, envFor(t, s, standin.ServicePrincipal), s)
	resp, body := fetch(t, "GET", app.URL+"/", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d; want 200\n%s", resp.StatusCode, body)
	}
	for _, raw := range []string{"<script>", "<img", "onerror=alert(2)>"} {
		if strings.Contains(body, raw) {
			t.Errorf("page contains %q unescaped", raw)
		}
	}
	containsAll(t, "page", body, "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&#34;&#39;&amp;")
}

func TestJSON(t *testing.T) {
	t.Parallel()
	s := startStandIn(t, standin.Options{})
	app := startApp(t, envFor(t, s, standin.AppServiceLegacy), s)
	resp, body := fetch(t, "GET", app.URL+"/", "text/plain;q=0.5, application/json")
	if got, want := resp.Header.Get("Content-Type"), "application/json; charset=utf-8"; got != want {
		t.Errorf("Content-Type = %q; want %q", got, want)
	}
	var v view
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if v.Secret == nil || v.Secret.Value != standin.DefaultSecret || v.Secret.Version == "" {
		t.Errorf("secret = %+v; want value %q and a version", v.Secret, standin.DefaultSecret)
	}
	if v.Principal == nil || v.Principal.ObjectID != standin.ManagedIdentityOID || v.Principal.ExpiresOn.IsZero() {
		t.Errorf("principal = %+v; want object ID %s and an expiry", v.Principal, standin.ManagedIdentityOID)
	}
	if strings.Contains(body, "eyJ") {
		t.Errorf("JSON contains what looks like a token: %s", body)
	}
}

// TestColdBurst sends concurrent first views: one token request and one
// challenge must serve them all.
func TestColdBurst(t *testing.T) {
	t.Parallel()
	for _, id := range []standin.Identity{standin.AppServiceLegacy, standin.ServicePrincipal} {
		t.Run(string(id), func(t *testing.T) {
			t.Parallel()
			s := startStandIn(t, standin.Options{})
			app := startApp(t, envFor(t, s, id), s)
			const n = 32
			var wg sync.WaitGroup
			errs := make(chan string, n)
			for range n {
				wg.Go(func() {
					resp, err := http.Get(app.URL + "/")
					if err != nil {
						errs <- err.Error()
						return
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						errs <- resp.Status
					}
				})
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Errorf("concurrent GET /: %s", e)
			}
			if got, want := s.TokenRequests(), int64(1); got != want {
				t.Errorf("token requests after %d concurrent views = %d; want %d", n, got, want)
			}
			if got, want := s.Challenges(), int64(1); got != want {
				t.Errorf("challenges after %d concurrent views = %d; want %d", n, got, want)
			}
		})
	}
}

func TestNoSecretsInLogs(t *testing.T) {
	t.Parallel()
	s := startStandIn(t, standin.Options{})
	app := startApp(t, envFor(t, s, standin.ServicePrincipal), s)
	fetch(t, "GET", app.URL+"/", "")
	s.SetFault(standin.FaultRBAC)
	fetch(t, "GET", app.URL+"/", "")
	logs := app.Logs.String()
	for _, secret := range []string{standin.DefaultSecret, standin.ClientSecret, "eyJ", "Bearer", "Authorization"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
	containsAll(t, "logs", logs, "msg=request method=GET path=/ status=200", "msg=request method=GET path=/ status=502", "Key Vault denied access")
	// The start-up line says which settings are present, never their values.
	containsAll(t, "logs", logs, "azure_client_secret=true", "identity_endpoint=false", "msi_endpoint=false")
	containsAll(t, "logs", logs, `msg="credential source" source="service principal (client secret)" status=configured`,
		`msg="credential source" source="Azure CLI" status=skipped`)
}

// TestNegotiation reads Accept as RFC 9110 says: q-values weigh, q=0
// means "not this", the most specific range sets a type's weight, and
// HTML wins ties and serves clients that accept neither.
func TestNegotiation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		accept string
		want   string // the Content-Type's media type
	}{
		{"", "text/html"},
		{"*/*", "text/html"},
		{"application/json", "application/json"},
		{"application/json;q=0, text/html", "text/html"},
		{"application/json;q=0", "text/html"},
		{"text/html;q=0, application/json;q=0.1", "application/json"},
		{"text/plain;q=0.5, application/json", "application/json"},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"}, // a browser
		{"application/*, text/html;q=0.5", "application/json"},
		{"*/*;q=0.1, application/json;q=0.2", "application/json"},
		{"application/json, text/html", "text/html"},
		{"Application/JSON", "application/json"},
		{"application/json;q=2, text/html;q=0.5", "text/html"}, // an invalid weight is ignored
		{"application/json;q=1, text/html;q=0.5", "application/json"},
		{"text/html;q=0, */*", "application/json"}, // q=0 refuses HTML, though */* would take it
		{"image/png", "text/html"},
	}
	app := startApp(t, map[string]string{}, nil)
	for _, tt := range tests {
		resp, _ := fetch(t, "GET", app.URL+"/", tt.accept)
		if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, tt.want) {
			t.Errorf("Accept: %q → Content-Type %q; want %s", tt.accept, got, tt.want)
		}
		if got := resp.Header.Get("Vary"); got != "Accept" {
			t.Errorf("Accept: %q → Vary %q; want Accept", tt.accept, got)
		}
	}
}

// TestSecretPageHeaders: the page with the secret is never cached and
// never framed, and its inline stylesheet is the one the CSP's hash allows
// (a wrong hash would silently drop the page's style).
func TestSecretPageHeaders(t *testing.T) {
	t.Parallel()
	s := startStandIn(t, standin.Options{})
	app := startApp(t, envFor(t, s, standin.ServicePrincipal), s)
	resp, body := fetch(t, "GET", app.URL+"/", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d\n%s", resp.StatusCode, body)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Vary": "Accept", "X-Content-Type-Options": "nosniff"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q; want %q", h, got, want)
		}
	}
	checkInlineHash(t, resp, body, "style")
	// The failure page carries the Copy buttons' script, which a wrong
	// hash would silently block.
	s.SetFault(standin.FaultRBAC)
	resp, body = fetch(t, "GET", app.URL+"/", "")
	checkInlineHash(t, resp, body, "script")
}

// checkInlineHash checks that the page's inline <tag> is the one its
// Content-Security-Policy allows by hash (tag-src 'sha256-…').
func checkInlineHash(t *testing.T, resp *http.Response, body, tag string) {
	t.Helper()
	_, text, ok := strings.Cut(body, "<"+tag+">")
	text, _, _ = strings.Cut(text, "</"+tag+">")
	sum := sha256.Sum256([]byte(text))
	if want := tag + "-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !ok || !strings.Contains(resp.Header.Get("Content-Security-Policy"), want) {
		t.Errorf("Content-Security-Policy = %q; want it to allow the page's <%s> by its hash, %s", resp.Header.Get("Content-Security-Policy"), tag, want)
	}
}

// TestNoSecretsInStartupLog starts the app with every secret setting it
// reads, for each source, and checks that its start-up lines name them
// without their values.
func TestNoSecretsInStartupLog(t *testing.T) {
	t.Parallel()
	certFile := filepath.Join(t.TempDir(), "sp.pem")
	if err := standin.WriteClientCertificate(certFile); err != nil {
		t.Fatal(err)
	}
	const (
		header, legacySecret = "identity-header-value-1", "msi-secret-value-22"
		clientSecret, pass   = "client-secret-value-333", "certificate-password-4444"
		proxyPass            = "proxy-password-55555"
	)
	for _, env := range []map[string]string{
		{"IDENTITY_ENDPOINT": "http://127.0.0.1:1/msi/token", "IDENTITY_HEADER": header},
		{"MSI_ENDPOINT": "http://127.0.0.1:1/MSI/token/", "MSI_SECRET": legacySecret},
		{"AZURE_TENANT_ID": standin.Tenant, "AZURE_CLIENT_ID": standin.ServicePrincipalID, "AZURE_CLIENT_SECRET": clientSecret},
		{"AZURE_TENANT_ID": standin.Tenant, "AZURE_CLIENT_ID": standin.ServicePrincipalID, "AZURE_CLIENT_CERTIFICATE_PATH": certFile,
			"AZURE_CLIENT_CERTIFICATE_PASSWORD": pass},
	} {
		env["KEY_VAULT_URL"] = "https://kv.vault.azure.net/"
		env["HTTPS_PROXY"] = "http://user:" + proxyPass + "@127.0.0.1:1"
		env["PATH"] = t.TempDir()
		app := startApp(t, env, nil)
		logs := app.Logs.String()
		for _, secret := range []string{header, legacySecret, clientSecret, pass, proxyPass} {
			if strings.Contains(logs, secret) {
				t.Errorf("with %v the start-up log shows %q:\n%s", slices.Sorted(maps.Keys(env)), secret, logs)
			}
		}
		containsAll(t, "start-up log", logs, "msg=starting")
	}
}

// TestLargestSecret reads a secret as large as Key Vault holds (25 KB,
// Key Vault docs, "Azure Key Vault service limits"): the cap on answers
// must leave room for it.
func TestLargestSecret(t *testing.T) {
	t.Parallel()
	value := strings.Repeat("s", 25<<10)
	s := startStandIn(t, standin.Options{Secrets: map[string]string{"secret": value}})
	app := startApp(t, envFor(t, s, standin.ServicePrincipal, "PATH", t.TempDir()), s)
	resp, body := fetch(t, "GET", app.URL+"/", "application/json")
	var v view
	if err := json.Unmarshal([]byte(body), &v); err != nil || resp.StatusCode != http.StatusOK || v.Secret == nil || v.Secret.Value != value {
		t.Errorf("GET / with a 25 KB secret = %d (%v); want 200 and the whole value", resp.StatusCode, err)
	}
}
