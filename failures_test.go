package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// failureCase is one failure a user can hit, played by the stand-in
// through the real SDK, and what the page must say about it.
type failureCase struct {
	name       string
	fault      standin.Fault
	id         standin.Identity
	env        []string // overrides of the stand-in's environment; a value of "-" removes
	wantStatus int
	wantTitle  string   // a part of the problem's title
	wantFixes  []string // each some fix's whole command; <vault-host>, <proxy> and <cert> stand for the test's own
	notFixes   []string // parts no fix's command or text may have: the fixes that do not apply
	wantSource string   // the failed or active source's status, e.g. "failed"; "" to skip
	noCalls    bool     // answered from start-up knowledge: no request reaches the stand-in
	requestID  bool     // Key Vault answered: the page quotes its x-ms-request-id
}

// failureCases is the table of failures; README's troubleshooting table
// lists the same titles and statuses (TestREADMETroubleshooting).
func failureCases(certFile string) []failureCase {
	const kvScope = "/subscriptions/00000000-0000-4000-8000-000000000000/resourcegroups/demo-rg/providers/microsoft.keyvault/vaults/kv"
	sp, legacy := standin.ServicePrincipal, standin.AppServiceLegacy
	permission := []string{"az role assignment create", "az keyvault set-policy"} // parts: no fix may have them
	return []failureCase{
		// Configuration, known at start-up
		{name: "no KEY_VAULT_URL", id: sp, env: []string{"KEY_VAULT_URL", "-"}, wantStatus: 500, wantTitle: "The app is not configured",
			wantFixes: []string{"export KEY_VAULT_URL='https://<your-vault-name>.vault.azure.net/'"}, noCalls: true},
		{name: "KEY_VAULT_URL with a trailing space", id: sp, env: []string{"KEY_VAULT_URL", "https://kv.vault.azure.net/ "}, wantStatus: 500,
			wantTitle: "The app is not configured", noCalls: true},
		{name: "SECRET_NAME Key Vault forbids", id: sp, env: []string{"SECRET_NAME", "bad name!"}, wantStatus: 500, wantTitle: "The app is not configured",
			wantFixes: []string{"export SECRET_NAME=bad-name"}, notFixes: []string{"bad name"}, noCalls: true},
		{name: "on App Service, the setting's command names the app", id: sp, env: []string{"KEY_VAULT_URL", "-", "WEBSITE_SITE_NAME", "demo-app", "WEBSITE_RESOURCE_GROUP", "demo-rg"},
			wantStatus: 500, wantTitle: "The app is not configured",
			wantFixes: []string{"az webapp config appsettings set --name demo-app --resource-group demo-rg --settings KEY_VAULT_URL='https://<your-vault-name>.vault.azure.net/'"},
			notFixes:  []string{"export"}, noCalls: true},
		{name: "no identity on a laptop", id: sp, env: []string{"AZURE_CLIENT_SECRET", "-"}, wantStatus: 500, wantTitle: "No identity to authenticate with",
			wantFixes: []string{"az login --tenant " + standin.Tenant}, notFixes: []string{"az webapp"}, wantSource: "skipped", noCalls: true},
		{name: "no identity on App Service", id: sp, env: []string{"AZURE_CLIENT_SECRET", "-", "WEBSITE_SITE_NAME", "demo-app", "WEBSITE_RESOURCE_GROUP", "demo-rg"},
			wantStatus: 500, wantTitle: "No identity to authenticate with",
			wantFixes: []string{"az webapp identity assign --name demo-app --resource-group demo-rg", "az webapp restart --name demo-app --resource-group demo-rg"},
			notFixes:  []string{"az login"}, noCalls: true},

		// Key Vault
		{name: "RBAC denial", fault: standin.FaultRBAC, id: legacy, wantStatus: 502, wantTitle: "Key Vault denied access (Azure RBAC)",
			wantFixes: []string{"az role assignment create --role 'Key Vault Secrets User' --assignee-object-id " + standin.ManagedIdentityOID +
				" --assignee-principal-type ServicePrincipal --scope " + kvScope},
			notFixes: []string{"set-policy"}, wantSource: "used", requestID: true},
		{name: "access policy denial", fault: standin.FaultAccessPolicy, id: sp, wantStatus: 502, wantTitle: "Key Vault denied access (access policy)",
			wantFixes: []string{"az keyvault set-policy --name kv --object-id " + standin.ServicePrincipalOI + " --secret-permissions get"},
			notFixes:  []string{"role assignment"}},
		// A denial that names no resource: az looks the vault up.
		{name: "unknown 403", fault: standin.FaultForbidden, id: sp, wantStatus: 502, wantTitle: "Key Vault denied access", wantFixes: []string{
			"az role assignment create --role 'Key Vault Secrets User' --assignee-object-id " + standin.ServicePrincipalOI +
				" --assignee-principal-type ServicePrincipal --scope $(az keyvault show --name kv --query id -o tsv)",
			"az keyvault set-policy --name kv --object-id " + standin.ServicePrincipalOI + " --secret-permissions get"}},
		{name: "firewall", fault: standin.FaultFirewall, id: sp, wantStatus: 502, wantTitle: "Key Vault's firewall blocked the request",
			wantFixes: []string{"az keyvault network-rule add --name kv --ip-address " + standin.ClientAddress}, notFixes: permission},
		{name: "disabled secret", fault: standin.FaultDisabled, id: sp, wantStatus: 502, wantTitle: "The secret is disabled",
			wantFixes: []string{"az keyvault secret set-attributes --vault-name kv --name secret --enabled true"}, notFixes: append(permission, "permission")},
		{name: "secret not found", fault: standin.FaultNotFound, id: sp, wantStatus: 502, wantTitle: "The secret was not found",
			wantFixes: []string{"az keyvault secret set --vault-name kv --name secret --value '<value>'", "az keyvault secret recover --vault-name kv --name secret"}},
		{name: "another secret name", id: sp, env: []string{"SECRET_NAME", "other"}, wantStatus: 502, wantTitle: "The secret was not found",
			wantFixes: []string{"az keyvault secret set --vault-name kv --name other --value '<value>'"}},
		{name: "vault in another tenant", fault: standin.FaultOtherTenant, id: sp, wantStatus: 502, wantTitle: "The vault is in another tenant",
			wantFixes: []string{"export AZURE_TENANT_ID=" + standin.OtherTenant}},
		{name: "throttled", fault: standin.FaultThrottle, id: sp, wantStatus: 502, wantTitle: "Key Vault is throttling requests",
			wantFixes: []string{"export SECRET_CACHE_TTL=30s"}},
		{name: "Key Vault unavailable", fault: standin.FaultUnavailable, id: sp, wantStatus: 502, wantTitle: "Key Vault failed",
			notFixes: []string{"credential reset", "role assignment"}, requestID: true},
		{name: "Key Vault hangs", fault: standin.FaultHang, id: sp, env: []string{"REQUEST_TIMEOUT", "1s"}, wantStatus: 504, wantTitle: "Key Vault did not answer in time",
			wantFixes: []string{"curl -sSI https://<vault-host>/"}},

		// Microsoft Entra ID, for a service principal
		{name: "wrong client secret", id: sp, env: []string{"AZURE_CLIENT_SECRET", "wrong"}, wantStatus: 502, wantTitle: "the client secret is wrong",
			wantFixes: []string{"az ad app credential reset --id " + standin.ServicePrincipalID + " --append --query password -o tsv"}, wantSource: "failed"},
		{name: "expired client secret", fault: standin.FaultExpiredSecret, id: sp, wantStatus: 502, wantTitle: "the client secret has expired",
			wantFixes: []string{"az ad app credential reset --id " + standin.ServicePrincipalID + " --append --query password -o tsv"}},
		{name: "application not in the tenant", id: sp, env: []string{"AZURE_CLIENT_ID", "12121212-1212-4121-8121-121212121212"}, wantStatus: 502,
			wantTitle: "the application is not in this tenant", wantFixes: []string{"az ad sp show --id 12121212-1212-4121-8121-121212121212 --query appOwnerOrganizationId -o tsv"}, notFixes: []string{"credential reset"}},
		// The vault's challenge names its tenant; azidentity will not follow it
		// to another (its resolveTenant), so a wrong AZURE_TENANT_ID never
		// reaches Entra ID.
		{name: "AZURE_TENANT_ID names another tenant", id: sp, env: []string{"AZURE_TENANT_ID", "12121212-0000-4000-8000-000000000000"}, wantStatus: 502,
			wantTitle: "The vault is in another tenant", wantFixes: []string{"export AZURE_TENANT_ID=" + standin.Tenant}, notFixes: []string{"credential reset"}},
		{name: "certificate not registered", fault: standin.FaultBadCert, id: sp, env: []string{"AZURE_CLIENT_SECRET", "-", "AZURE_CLIENT_CERTIFICATE_PATH", certFile},
			wantStatus: 502, wantTitle: "the certificate is not registered", wantFixes: []string{"az ad app credential reset --id " + standin.ServicePrincipalID + " --cert @<cert> --append"}},
		{name: "Entra ID outage", fault: standin.FaultEntraDown, id: sp, wantStatus: 502, wantTitle: "Microsoft Entra ID is not answering",
			notFixes: []string{"credential reset", "az ad"}},

		// App Service's identity endpoint
		{name: "identity endpoint down (2017-09-01)", fault: standin.FaultIdentityDown, id: legacy, wantStatus: 502,
			wantTitle: "the identity endpoint is not answering", wantFixes: []string{"az webapp restart --name '<app>' --resource-group '<resource-group>'"},
			notFixes: []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER"}, wantSource: "failed"},
		{name: "identity endpoint hangs", fault: standin.FaultIdentityHang, id: legacy, env: []string{"REQUEST_TIMEOUT", "1s"}, wantStatus: 504,
			wantTitle: "did not answer in time", wantFixes: []string{"export REQUEST_TIMEOUT=30s"}},
		{name: "user-assigned identity not the app's", fault: standin.FaultNoUAMI, id: legacy, wantStatus: 502, wantTitle: "the identity is not assigned to this app",
			wantFixes: []string{`az webapp identity assign --name '<app>' --resource-group '<resource-group>' --identities $(az identity list --query "[?clientId=='` + standin.UserAssignedClientID + `'].id" -o tsv)`}},

		// AKS workload identity and a virtual machine's instance metadata service
		{name: "no federated credential for the service account", fault: standin.FaultNoFederation, id: standin.Workload, wantStatus: 502,
			wantTitle: "no federated credential matches the service account",
			wantFixes: []string{"az identity federated-credential create --name kvmsigo --identity-name '<identity-name>' --resource-group '<resource-group>' --issuer " +
				standin.ServiceAccountIssuer + " --subject " + standin.ServiceAccountSubject + " --audiences api://AzureADTokenExchange"}},
		{name: "no service account token file", fault: standin.FaultNoTokenFile, id: standin.Workload, wantStatus: 502,
			wantTitle: "the service account token file is missing", wantFixes: []string{`kubectl get pod "$HOSTNAME" -o 'jsonpath={.metadata.labels}{.spec.serviceAccountName}'`}, notFixes: []string{"federated-credential"}},
		{name: "virtual machine without the identity", fault: standin.FaultIMDSNoIdentity, id: standin.IMDS, wantStatus: 502,
			wantTitle: "the virtual machine has no such identity", wantFixes: []string{"az vm identity assign --name '<vm>' --resource-group '<resource-group>'"}},
		{name: "virtual machine without the user-assigned identity", fault: standin.FaultIMDSNoIdentity, id: standin.IMDS, env: []string{"AZURE_CLIENT_ID", "99990000-9999-4999-8999-999999999999"},
			wantStatus: 502, wantTitle: "the virtual machine has no such identity",
			wantFixes: []string{`az vm identity assign --name '<vm>' --resource-group '<resource-group>' --identities $(az identity list --query "[?clientId=='99990000-9999-4999-8999-999999999999'].id" -o tsv)`}},
		{name: "instance metadata service never asked unless chosen", id: standin.IMDS, env: []string{"AZURE_TOKEN_CREDENTIALS", "-"}, wantStatus: 500,
			wantTitle: "No identity to authenticate with", noCalls: true},

		// The network
		{name: "untrusted certificate", fault: standin.FaultUntrusted, id: sp, wantStatus: 502, wantTitle: "This machine does not trust the certificate",
			wantFixes: []string{"curl -vsI https://<vault-host>/", "export SSL_CERT_FILE='<path-to-your-ca.pem>'"}, notFixes: []string{"credential reset", "role assignment"}},
		{name: "proxy down", fault: standin.FaultProxyDown, id: sp, env: []string{"HTTPS_PROXY", "<proxy>"}, wantStatus: 502, wantTitle: "The proxy could not be reached",
			wantFixes: []string{"curl -sSI --proxy <proxy> https://<vault-host>/"}, notFixes: []string{"credential reset"}},
		{name: "vault name does not resolve", fault: standin.FaultNXDomain, id: sp, wantStatus: 502, wantTitle: "A host name does not resolve",
			wantFixes: []string{"az keyvault list --query '[].properties.vaultUri' -o tsv"}, wantSource: "configured"},
		{name: "proxy refuses Azure", fault: standin.FaultDown, id: sp, env: []string{"HTTPS_PROXY", "<proxy>"}, wantStatus: 502, wantTitle: "The proxy failed the request",
			wantFixes: []string{"curl -sSI --proxy <proxy> https://<vault-host>/"}},
	}
}

// TestFailures runs each failure through the real SDK against the
// stand-in: the status, the title, the one right fix, and no fix that does
// not apply, in JSON and in the HTML page.
func TestFailures(t *testing.T) {
	t.Parallel()
	certFile := filepath.Join(t.TempDir(), "sp.pem")
	if err := standin.WriteClientCertificate(certFile); err != nil {
		t.Fatal(err)
	}
	for _, tt := range failureCases(certFile) {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startStandIn(t, standin.Options{IMDS: tt.id == standin.IMDS})
			s.SetFault(tt.fault)
			env := envFor(t, s, tt.id)
			for i := 0; i+1 < len(tt.env); i += 2 {
				switch tt.env[i+1] {
				case "-":
					delete(env, tt.env[i])
				case "<proxy>":
					env[tt.env[i]] = s.ProxyURL()
				default:
					env[tt.env[i]] = tt.env[i+1]
				}
			}
			env["PATH"] = t.TempDir() // no az: a test never runs the machine's own
			app := startApp(t, env, s)

			resp, body := fetch(t, "GET", app.URL+"/", "application/json")
			v := checkProblem(t, resp, body, tt)
			vaultHost := strings.Trim(strings.TrimPrefix(s.VaultURL("kv"), "https://"), "/")
			whole := strings.NewReplacer("<vault-host>", vaultHost, "<proxy>", env["HTTPS_PROXY"], "<cert>", certFile)
			want := make([]string, len(tt.wantFixes))
			for i, w := range tt.wantFixes {
				want[i] = whole.Replace(w)
			}
			checkFixes(t, body, want, tt.notFixes)
			if tt.wantSource != "" && !slices.ContainsFunc(v.Sources, func(s sourceStatus) bool { return s.Status == tt.wantSource }) {
				t.Errorf("sources = %+v; want one %q", v.Sources, tt.wantSource)
			}
			if tt.fault == standin.FaultUntrusted && s.Handshakes() != 1 {
				t.Errorf("TLS handshakes = %d; want 1: no retry can make a certificate trusted", s.Handshakes())
			}
			if tt.requestID && v.Problem.RequestID == "" {
				t.Error("the page does not quote Key Vault's x-ms-request-id")
			}
			if tt.noCalls && s.VaultRequests()+s.TokenRequests() != 0 {
				t.Errorf("Key Vault requests %d, token requests %d; want none: start-up knew the answer", s.VaultRequests(), s.TokenRequests())
			}

			resp, page := fetch(t, "GET", app.URL+"/", "text/html")
			if got, want := resp.StatusCode, tt.wantStatus; got != want {
				t.Errorf("HTML GET / = %d; want %d", got, want)
			}
			checkPageCommands(t, page, v.Problem.Fixes)
			// The page's own view is a second request, with its own request ID.
			if tt.requestID && !regexp.MustCompile(`Key Vault request ID: <code>[0-9a-f-]{16,}</code>`).MatchString(page) {
				t.Error("the HTML page does not quote Key Vault's x-ms-request-id")
			}
		})
	}
}

// checkProblem checks the JSON view of a failure: its status, headers,
// title and that it holds no secret.
func checkProblem(t *testing.T, resp *http.Response, body string, tt failureCase) view {
	t.Helper()
	var v view
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("JSON: %v\n%s", err, body)
	}
	if got, want := resp.StatusCode, tt.wantStatus; got != want {
		t.Errorf("GET / = %d; want %d\n%s", got, want, body)
	}
	if v.Problem == nil || v.Secret != nil {
		t.Fatalf("view = %s; want a problem and no secret", body)
	}
	if got, want := v.Problem.Status, tt.wantStatus; got != want {
		t.Errorf("problem status = %d; want %d", got, want)
	}
	if !strings.Contains(v.Problem.Title, tt.wantTitle) {
		t.Errorf("title = %q; want it to contain %q", v.Problem.Title, tt.wantTitle)
	}
	if len(v.Problem.Fixes) == 0 {
		t.Errorf("no fixes: %s", body)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "Vary": "Accept"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q; want %q", h, got, want)
		}
	}
	return v
}

// checkPageCommands checks each command on the HTML page, as a user
// copies it (its text, tags dropped, entities read), against the fixes'
// commands, in order.
func checkPageCommands(t *testing.T, page string, fixes []fix) {
	t.Helper()
	var want, got []string
	for _, f := range fixes {
		if f.Command != "" {
			want = append(want, f.Command)
		}
	}
	for _, m := range regexp.MustCompile(`(?s)<pre class="cmd"><code>(.*?)</code></pre>`).FindAllStringSubmatch(page, -1) {
		got = append(got, html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(m[1], "")))
	}
	if !slices.Equal(got, want) {
		t.Errorf("the page's commands, as copied:\n%q\nwant the fixes' commands:\n%q", got, want)
	}
}

// checkFixes checks that some fix's command is each of want, whole, and
// that no fix's command or text contains any of not.
func checkFixes(t *testing.T, body string, want, not []string) {
	t.Helper()
	var v view
	if err := json.Unmarshal([]byte(body), &v); err != nil || v.Problem == nil {
		t.Fatalf("JSON view without a problem (%v): %s", err, body)
	}
	for _, w := range want {
		if !slices.ContainsFunc(v.Problem.Fixes, func(f fix) bool { return f.Command == w }) {
			t.Errorf("no fix command is %q; fixes: %+v", w, v.Problem.Fixes)
		}
	}
	for _, n := range not {
		for _, f := range v.Problem.Fixes {
			if strings.Contains(f.Command, n) || strings.Contains(f.Text, n) {
				t.Errorf("fix %+v contains %q, which does not apply", f, n)
			}
		}
	}
}

// TestFixCommandsPaste renders every failure's fixes and pastes each
// command into sh, bash and zsh (macOS's default shell) with -n: it must
// parse in each, and be one command.
func TestFixCommandsPaste(t *testing.T) {
	t.Parallel()
	var commands []string
	for _, p := range explainedProblems() {
		for _, f := range p.Fixes {
			if f.Command != "" {
				commands = append(commands, f.Command)
			}
		}
	}
	if len(commands) < 20 {
		t.Fatalf("only %d commands to check; the table lost its rows", len(commands))
	}
	for _, shell := range pasteShells(t) {
		for _, c := range commands {
			if out, err := exec.Command(shell, "-n", "-c", c).CombinedOutput(); err != nil || len(out) > 0 {
				t.Errorf("%s -n -c %q: %v\n%s", shell, c, err, out)
			}
		}
	}
	for _, c := range commands {
		if err := oneCommand(c); err != "" {
			t.Errorf("%q is not one command: %s", c, err)
		}
	}
}

// pasteShells are the shells a user pastes a fix into; .ci/run installs
// zsh, so that it is never skipped there.
func pasteShells(t *testing.T) []string {
	var shells []string
	for _, name := range []string{"sh", "bash", "zsh"} {
		path, err := exec.LookPath(name)
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed; .ci/run installs it", name)
			}
			t.Logf("%s is not installed: not checked", name)
			continue
		}
		shells = append(shells, path)
	}
	return shells
}

// TestShellQuoteRoundTrip pastes words that shells expand (a leading = or
// ~, globs, history, variables, quotes) into each shell, as the fixes
// quote them: each shell must hand the command the very same words.
func TestShellQuoteRoundTrip(t *testing.T) {
	t.Parallel()
	words := []string{"=ls", "~root", "~", "*", "a?b", "[ab]", "{a,b}", "!!", "a!b", "$HOME", "${x}", "`id`", "$(id)",
		"it's", `say "hi"`, `a\b`, "a b", "#x", "x#y", "%1", "^x", "a=b", "--k=v", "a;b", "a|b", "a&b", "a>b", "<value>",
		"[?clientId=='c'].id", "tab\there", "ünïcödé", "-"}
	args := []any{"printf", raw(`'%s\n'`)}
	for _, w := range words {
		args = append(args, w)
	}
	line := cmd(args...)
	for _, shell := range pasteShells(t) {
		// zsh reads ~ and = expansions, history and globs as an interactive
		// user's shell does only with these options; -f skips rc files.
		argv := []string{"-c", line}
		if strings.HasSuffix(shell, "zsh") {
			argv = []string{"-f", "-o", "EQUALS", "-c", line}
		}
		out, err := exec.Command(shell, argv...).CombinedOutput()
		if err != nil {
			t.Errorf("%s -c %q: %v\n%s", shell, line, err, out)
			continue
		}
		got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		if !slices.Equal(got, words) {
			t.Errorf("%s hands the command %q; want %q", shell, got, words)
		}
	}
}

// oneCommand returns why s is more than one simple command, or "": an
// operator (; & | newline) or a redirection outside quotes and $(…).
func oneCommand(s string) string {
	var quote rune
	depth := 0
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case strings.HasPrefix(s[i:], "$("):
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0 && strings.ContainsRune(";&|\n<>`", r):
			return "unquoted " + strconv.QuoteRune(r) + " at " + strconv.Itoa(i)
		}
	}
	if quote != 0 || depth != 0 {
		return "unbalanced quotes or $("
	}
	return ""
}

// explainedProblems is every problem the explainer builds for the
// failures it knows, with placeholders and with App Service's names, so
// that TestFixCommandsPaste sees each command form.
func explainedProblems() []*problem {
	var out []*problem
	for _, cfg := range []config{
		{VaultURL: "https://kv.vault.azure.net/", SecretName: "secret", ClientID: "c", TenantID: "t", Proxy: "http://proxy:3128", ProxyVar: "HTTPS_PROXY", CertificatePath: "/tmp/my cert.pem"},
		{VaultURL: "https://kv.vault.azure.net/", SecretName: "secret", Host: azureHost{"App Service", "webapp", "my-app", "my rg", ""}, ClientID: "c"},
		{VaultURL: "https://kv.vault.azure.net/", SecretName: "secret", Host: azureHost{"Container Apps", "containerapp", "my-app", "", "my-app--rev1"}, ClientID: "c"},
	} {
		x := explainer{cfg: cfg, principal: &principal{ObjectID: "oid", IsUser: true}}
		out = append(out, x.noIdentity(), x.configurationProblem([]configProblem{{"KEY_VAULT_URL", "", "not set", exampleVaultURL}}),
			x.timedOut(context.DeadlineExceeded), x.dnsProblem("kv.vault.azure.net"), x.dnsProblem("login.microsoftonline.com"),
			x.proxyProblem("kv.vault.azure.net", "t", "w"), x.untrustedProblem("kv.vault.azure.net", errors.New("x509")))
		for _, r := range keyVaultRules {
			out = append(out, r.build(x, vaultAnswer{Message: "Resource: '/subscriptions/s/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv/secrets/secret'\r\nClient address: 192.0.2.1"}))
		}
		for _, build := range entraRules {
			out = append(out, build(x, entraAnswer{Desc: "AADSTS1: x"}))
		}
		for _, r := range cliRules {
			out = append(out, r.build(x, "ERROR: x"))
		}
		s := &source{Name: "App Service user-assigned managed identity (2017-09-01)", TypeName: "ManagedIdentityCredential"}
		cli := &source{Name: "Azure CLI", TypeName: "AzureCLICredential"}
		mismatch := `isn't configured to acquire tokens for tenant "abc"`
		out = append(out, x.identityProblem(s, "x", nil), x.tenantMismatch(s, mismatch), x.tenantMismatch(cli, mismatch))
	}
	return out
}

// TestREADMETroubleshooting checks that README's troubleshooting table
// lists each failure the app tells apart, with its status, and each of
// make demo's faults.
func TestREADMETroubleshooting(t *testing.T) {
	t.Parallel()
	table := readmeSection(t, "## Troubleshooting")
	var rows []string // each row's first cell: **title** (status)
	for _, line := range strings.Split(table, "\n") {
		if m := regexp.MustCompile(`^\| (\*\*.+?\*\* \(\d{3}\)) \|`).FindStringSubmatch(line); m != nil {
			rows = append(rows, m[1])
		}
	}
	for _, tt := range failureCases("") {
		status := "(" + strconv.Itoa(tt.wantStatus) + ")"
		if !slices.ContainsFunc(rows, func(r string) bool { return strings.Contains(r, tt.wantTitle+"**") && strings.HasSuffix(r, status) }) {
			t.Errorf("README's troubleshooting table has no row | **…%s** %s |", tt.wantTitle, status)
		}
	}
	for _, f := range standin.FaultTable {
		if !strings.Contains(table, "`"+string(f.Fault)+"`") {
			t.Errorf("README's troubleshooting table does not name FAULT=%s", f.Fault)
		}
	}
}

// TestFaultTableStatus checks make demo's help: the page status it lists
// for each fault is the status TestFailures sees.
func TestFaultTableStatus(t *testing.T) {
	t.Parallel()
	seen := map[standin.Fault]int{standin.FaultThrottleOnce: http.StatusOK} // TestLoad's recovery covers it
	for _, tt := range failureCases("") {
		if tt.fault != "" {
			seen[tt.fault] = tt.wantStatus
		}
	}
	seen[standin.FaultAzLoggedOut] = http.StatusBadGateway // TestAzureCLI plays both
	seen[standin.FaultAzExpired] = http.StatusBadGateway
	for _, f := range standin.FaultTable {
		got, ok := seen[f.Fault]
		if !ok {
			t.Errorf("no test plays FAULT=%s", f.Fault)
		} else if got != f.PageStatus {
			t.Errorf("FAULT=%s: make demo says the page answers %d; TestFailures sees %d", f.Fault, f.PageStatus, got)
		}
	}
}

// TestReadEntraAnswer reads Entra ID's error body: the code from
// error_codes, else from the AADSTS number in the description.
func TestReadEntraAnswer(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		body string
		want int
	}{
		{`{"error":"temporarily_unavailable","error_description":"A transient error.","error_codes":[90033]}`, 90033},
		{`{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}`, 7000215},
		{`{"error":"invalid_client"}`, 0},
	} {
		r := &http.Response{StatusCode: 401, Body: io.NopCloser(strings.NewReader(tt.body))}
		if got := readEntraAnswer(r).Code; got != tt.want {
			t.Errorf("readEntraAnswer(%s).Code = %d; want %d", tt.body, got, tt.want)
		}
	}
}

// TestClassifierEdges covers answers the stand-in does not play: Key
// Vault's own 500, an untrusted certificate on Entra ID's host, and a
// federated credential's issuer that Entra ID's answer does not name.
func TestClassifierEdges(t *testing.T) {
	t.Parallel()
	x := explainer{cfg: config{VaultURL: "https://kv.vault.azure.net/", SecretName: "secret"}}
	resp := &http.Response{StatusCode: 500, Header: http.Header{"X-Ms-Request-Id": {"r1"}}, Body: io.NopCloser(strings.NewReader(`{"error":{"code":"InternalServerError","message":"x"}}`)),
		Request: httptest.NewRequest("GET", "https://kv.vault.azure.net/secrets/secret", nil)}
	if p := x.vaultProblem(runtime.NewResponseError(resp).(*azcore.ResponseError)); p.Title != "Key Vault failed" || p.RequestID != "r1" {
		t.Errorf("Key Vault 500: %q, request ID %q; want Key Vault failed, r1", p.Title, p.RequestID)
	}
	err := &url.Error{Op: "Post", URL: "https://login.microsoftonline.com/t/oauth2/v2.0/token", Err: x509.UnknownAuthorityError{}}
	if p := x.networkProblem(err); p == nil || !strings.Contains(p.Cause, "login.microsoftonline.com") || !strings.Contains(p.Fixes[0].Command, "https://login.microsoftonline.com/") {
		t.Errorf("untrusted certificate on Entra ID's host: %+v; want the page to name that host", p)
	}
	// 700213 names the subject, not the issuer: the cluster's is looked up.
	x.cfg.ClientID = "c"
	w := &source{Name: "AKS workload identity", TypeName: "WorkloadIdentityCredential"}
	resp = &http.Response{StatusCode: 400, Body: io.NopCloser(strings.NewReader(`{"error":"invalid_request","error_description":"AADSTS700213: No matching federated identity record found for presented assertion subject 'system:serviceaccount:default:kvmsigo'."}`))}
	p := x.workloadProblem(w, "", &azidentity.AuthenticationFailedError{RawResponse: resp})
	if len(p.Fixes) != 1 || !strings.Contains(p.Fixes[0].Command, "--issuer $(az aks show --name '<cluster>'") {
		t.Errorf("federated credential fix without an issuer in the answer: %+v; want the issuer from az aks show, unquoted", p.Fixes)
	}
}

// TestSourceDetail: a failed token request reads as its endpoint's host,
// status and reason, or the status alone when the body gives none.
func TestSourceDetail(t *testing.T) {
	t.Parallel()
	answer := func(status int, body string, withRequest bool) error {
		r := &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(body))}
		if withRequest {
			r.Request = httptest.NewRequest("POST", "https://login.microsoftonline.com/t/oauth2/v2.0/token", nil)
		}
		return &azidentity.AuthenticationFailedError{RawResponse: r}
	}
	for _, tt := range []struct {
		err  error
		want string
	}{
		{answer(401, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"}`, true),
			"login.microsoftonline.com answered 401: AADSTS7000215: Invalid client secret provided."},
		{answer(503, ``, true), "login.microsoftonline.com answered 503 Service Unavailable"},
		{answer(500, ``, false), "the endpoint answered 500 Internal Server Error"},
		{errors.New("AzureCLICredential: ERROR: Please run 'az login' to setup account.\nTo troubleshoot, visit https://aka.ms/x"), "ERROR: Please run 'az login' to setup account."},
	} {
		if got := sourceDetail(tt.err); got != tt.want {
			t.Errorf("sourceDetail = %q; want %q", got, tt.want)
		}
	}
}

// TestFixCommandsHostileValues fills the fixes with values that shells
// expand or split (quotes, $, `, !, spaces) and runs each command in each
// shell against stand-in commands that record their arguments: every
// value must arrive whole, and nothing in it may run or expand.
func TestFixCommandsHostileValues(t *testing.T) {
	t.Parallel()
	hostile := []string{`my app's "x" !x`, "rg $HOME `id` $(id)", `c'"$HOME`, "/tmp/my cert's $HOME.pem"}
	cfg := config{VaultURL: "https://kv.vault.azure.net/", SecretName: "secret", ClientID: hostile[2], TenantID: hostile[2],
		CertificatePath: hostile[3], Host: azureHost{"App Service", "webapp", hostile[0], hostile[1], ""}}
	x := explainer{cfg: cfg, principal: &principal{ObjectID: hostile[2]}}
	var commands []string
	problems := []*problem{x.noIdentity(), x.configurationProblem([]configProblem{{"SECRET_CACHE_TTL", "", "x", hostile[0]}}),
		x.certificateNotRegistered(entraAnswer{}), x.applicationNotFound(entraAnswer{}), x.accessPolicyDenied(vaultAnswer{}),
		x.identityProblem(&source{Name: "App Service user-assigned managed identity (2017-09-01)"}, "x", nil)}
	for _, p := range problems {
		for _, f := range p.Fixes {
			if f.Command != "" && !strings.HasPrefix(f.Command, "export ") {
				commands = append(commands, f.Command)
			}
		}
	}
	bin := t.TempDir()
	log := filepath.Join(bin, "args")
	for _, name := range []string{"az", "curl"} {
		writeScript(t, filepath.Join(bin, name), `for a in "$@"; do printf '%s\n' "$a"; done >> `+log+"\n")
	}
	checked := 0
	for _, shell := range pasteShells(t) {
		for _, c := range commands {
			os.Remove(log)
			run := exec.Command(shell, "-c", c)
			run.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "HOME=/nonexistent-home"}
			if out, err := run.CombinedOutput(); err != nil {
				t.Errorf("%s -c %q: %v\n%s", shell, c, err, out)
				continue
			}
			args, _ := os.ReadFile(log)
			if strings.Contains(string(args), "uid=") || strings.Contains(string(args), "/nonexistent-home") {
				t.Errorf("%s ran or expanded part of a value in %q:\n%s", shell, c, args)
			}
			for _, v := range hostile {
				if strings.Contains(c, shellQuote(v)) {
					checked++
				}
				if strings.Contains(c, shellQuote(v)) && !strings.Contains(string(args), v) {
					t.Errorf("%s split or changed %q in %q; the command got:\n%s", shell, v, c, args)
				}
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d hostile values reached a command; want the fixes to carry them", checked)
	}
}
