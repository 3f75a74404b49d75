package main

import (
	"encoding/json"
	"html"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/Azure-Samples/keyvault-msi-go/internal/diagnose"
	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
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
	wantDetail string   // a part of the failed source's detail; "" to skip
	noCalls    bool     // answered from start-up knowledge: no request reaches the stand-in
	requestID  bool     // Key Vault answered: the page quotes its x-ms-request-id
}

// failureCases is the table of failures; docs/troubleshooting.md's table
// lists the same titles and statuses (TestTroubleshootingTable).
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
		{name: "a service principal without its tenant", id: sp, env: []string{"AZURE_TENANT_ID", "-"}, wantStatus: 500, wantTitle: "No identity to authenticate with",
			wantFixes: []string{"az account show --query tenantId -o tsv", "az login"}, wantSource: "skipped", noCalls: true},
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
		// ForbiddenByPolicy comes only from a vault with access policies: no
		// role assignment helps, a policy of the principal's own does.
		{name: "a compound identity's policy (ForbiddenByPolicy)", fault: standin.FaultForbidden, id: sp, wantStatus: 502,
			wantTitle: "Key Vault denied access (access policy for an application)",
			wantFixes: []string{"az keyvault set-policy --name kv --object-id " + standin.ServicePrincipalOI + " --secret-permissions get"},
			notFixes:  []string{"role assignment"}},
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
		{name: "wrong client secret", id: sp, env: []string{"AZURE_CLIENT_SECRET", "Xk78Q~an0ther-0ld-s3cret-pasted.by.mistake"}, wantStatus: 502, wantTitle: "the client secret is wrong",
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
			wantTitle: "the identity endpoint is not answering", wantFixes: []string{"az webapp restart --name " + standin.SiteName + " --resource-group " + standin.ResourceGroup},
			notFixes: []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER"}, wantSource: "failed"},
		{name: "identity endpoint hangs", fault: standin.FaultIdentityHang, id: legacy, env: []string{"REQUEST_TIMEOUT", "1s"}, wantStatus: 504,
			wantTitle: "did not answer in time", wantFixes: []string{"az webapp config appsettings set --name " + standin.SiteName + " --resource-group " + standin.ResourceGroup + " --settings REQUEST_TIMEOUT=30s"}},
		{name: "user-assigned identity not the app's", fault: standin.FaultNoUAMI, id: legacy, wantStatus: 502, wantTitle: "the identity is not assigned to this app",
			wantFixes: []string{`az webapp identity assign --name ` + standin.SiteName + ` --resource-group ` + standin.ResourceGroup + ` --identities $(az identity list --query "[?clientId=='` + standin.UserAssignedClientID + `'].id" -o tsv)`}},

		// The developer's az, stuck: killed at REQUEST_TIMEOUT with the child
		// it started, and told as a timeout, not as az's failure.
		{name: "az hangs", fault: standin.FaultAzHang, id: standin.AzureCLI, env: []string{"REQUEST_TIMEOUT", "1s"}, wantStatus: 504,
			wantTitle: "Azure CLI did not answer in time", wantFixes: []string{"export REQUEST_TIMEOUT=30s"}, notFixes: []string{"az login"},
			wantDetail: "az did not answer in time"},

		// AKS workload identity and a virtual machine's instance metadata service
		{name: "no federated credential for the service account", fault: standin.FaultNoFederation, id: standin.Workload, wantStatus: 502,
			wantTitle: "no federated credential matches the service account",
			wantFixes: []string{"az identity federated-credential create --name kvmsigo --identity-name '<identity-name>' --resource-group '<resource-group>' --issuer " +
				standin.ServiceAccountIssuer + " --subject " + standin.ServiceAccountSubject + " --audiences api://AzureADTokenExchange"}},
		{name: "no service account token file", fault: standin.FaultNoTokenFile, id: standin.Workload, wantStatus: 502,
			wantTitle: "the service account token file is missing", wantFixes: []string{"kubectl get pod " + standin.WorkloadPod + ` --namespace '<namespace>' -o 'jsonpath={.metadata.labels}{.spec.serviceAccountName}'`}, notFixes: []string{"federated-credential"}},
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
			s, env, app := startFailure(t, tt)

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
			if tt.wantDetail != "" && !slices.ContainsFunc(v.Sources, func(s sourceStatus) bool { return s.Status == "failed" && strings.Contains(s.Detail, tt.wantDetail) }) {
				t.Errorf("sources = %+v; want a failed one whose detail has %q", v.Sources, tt.wantDetail)
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
			checkPageWords(t, page, v)
			// The page's own view is a second request, with its own request ID.
			if tt.requestID && !regexp.MustCompile(`Key Vault request ID: <code>[0-9a-f-]{16,}</code>`).MatchString(page) {
				t.Error("the HTML page does not quote Key Vault's x-ms-request-id")
			}
		})
	}
}

// startFailure starts a stand-in playing tt's fault and the app with
// tt's identity and environment.
func startFailure(t *testing.T, tt failureCase) (*standin.Server, map[string]string, testApp) {
	t.Helper()
	s, env := failureEnv(t, tt)
	return s, env, startApp(t, env, s)
}

// failureEnv is a stand-in playing tt and the app's environment for it.
func failureEnv(t *testing.T, tt failureCase) (*standin.Server, map[string]string) {
	t.Helper()
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
	env["PATH"] = t.TempDir()      // no az: a test never runs the machine's own
	if tt.id == standin.AzureCLI { // the stand-in's az alone, as make demo writes it
		if err := s.WriteAzCLI(env["PATH"], s.AzState()); err != nil {
			t.Fatal(err)
		}
	}
	return s, env
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
func checkPageCommands(t *testing.T, page string, fixes []diagnose.Fix) {
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

// checkPageWords checks that the HTML page says what the JSON view says:
// each fix's words, the cause, and each credential source with its status.
func checkPageWords(t *testing.T, page string, v view) {
	t.Helper()
	for _, f := range v.Problem.Fixes {
		containsAll(t, "page", page, "<li><p>"+html.EscapeString(f.Text)+"</p>")
	}
	containsAll(t, "page", page, `<span id="problem-cause">`+html.EscapeString(v.Problem.Cause)+"</span>")
	for _, src := range v.Sources {
		containsAll(t, "page", page, "<li><strong>"+html.EscapeString(src.Name)+"</strong>: "+src.Status)
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
		if !slices.ContainsFunc(v.Problem.Fixes, func(f diagnose.Fix) bool { return f.Command == w }) {
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

// TestTroubleshootingTable checks that docs/troubleshooting.md's table
// lists each failure the app tells apart, with its status, and each of
// make demo's faults.
func TestTroubleshootingTable(t *testing.T) {
	t.Parallel()
	table := docSection(t, "docs/troubleshooting.md", "## Troubleshooting")
	var rows []string // each row's first cell: **title** (status)
	for _, line := range strings.Split(table, "\n") {
		if m := regexp.MustCompile(`^\| (\*\*.+?\*\* \(\d{3}\)) \|`).FindStringSubmatch(line); m != nil {
			rows = append(rows, m[1])
		}
	}
	for _, tt := range failureCases("") {
		status := "(" + strconv.Itoa(tt.wantStatus) + ")"
		if !slices.ContainsFunc(rows, func(r string) bool { return strings.Contains(r, tt.wantTitle+"**") && strings.HasSuffix(r, status) }) {
			t.Errorf("docs/troubleshooting.md's table has no row | **…%s** %s |", tt.wantTitle, status)
		}
	}
	for _, f := range standin.FaultTable {
		if !strings.Contains(table, "`"+string(f.Fault)+"`") {
			t.Errorf("docs/troubleshooting.md's table does not name FAULT=%s", f.Fault)
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
	seen[standin.FaultAzdLoggedOut] = http.StatusBadGateway // TestAzureDeveloperCLI plays both
	seen[standin.FaultAzdExpired] = http.StatusBadGateway
	for _, f := range standin.FaultTable {
		got, ok := seen[f.Fault]
		if !ok {
			t.Errorf("no test plays FAULT=%s", f.Fault)
		} else if got != f.PageStatus {
			t.Errorf("FAULT=%s: make demo says the page answers %d; TestFailures sees %d", f.Fault, f.PageStatus, got)
		}
	}
}

// TestHalfServicePrincipal: with AZURE_CLIENT_ID and AZURE_CLIENT_SECRET
// set and AZURE_TENANT_ID not, the page names the missing setting first,
// in its cause, its first fix and the source's reason, before az login.
func TestHalfServicePrincipal(t *testing.T) {
	t.Parallel()
	s := startStandIn(t, standin.Options{})
	env := envFor(t, s, standin.ServicePrincipal, "PATH", t.TempDir())
	delete(env, "AZURE_TENANT_ID")
	app := startApp(t, env, s)
	_, body := fetch(t, "GET", app.URL+"/", "application/json")
	var v view
	if err := json.Unmarshal([]byte(body), &v); err != nil || v.Problem == nil || len(v.Problem.Fixes) == 0 {
		t.Fatalf("%v: %s", err, body)
	}
	if !strings.Contains(v.Problem.Cause, "AZURE_TENANT_ID not set") || !strings.Contains(v.Problem.Fixes[0].Text, "AZURE_TENANT_ID") {
		t.Errorf("cause %q, first fix %q; want AZURE_TENANT_ID named in both", v.Problem.Cause, v.Problem.Fixes[0].Text)
	}
	containsAll(t, "JSON view", body, `"name":"service principal","status":"skipped","detail":"AZURE_TENANT_ID not set, beside the rest of the service principal's settings"`)
}

// TestHelpLinksSurviveRedaction: Key Vault's messages end with a help link
// (go.microsoft.com/fwlink/?linkid=…, in the stand-in's bodies from Key
// Vault's own); the page keeps it whole, where a query with a secret in it
// is redacted.
func TestHelpLinksSurviveRedaction(t *testing.T) {
	t.Parallel()
	s := startStandIn(t, standin.Options{})
	s.SetFault(standin.FaultForbidden)
	app := startApp(t, envFor(t, s, standin.ServicePrincipal, "PATH", t.TempDir()), s)
	_, body := fetch(t, "GET", app.URL+"/", "application/json")
	containsAll(t, "JSON view", body, "https://go.microsoft.com/fwlink/?linkid=2152310")
}

// TestCauseQuotesKeyVaultCode: a Key Vault failure's cause quotes the
// status and code Key Vault answered, which its docs and a search know.
func TestCauseQuotesKeyVaultCode(t *testing.T) {
	t.Parallel()
	for fault, want := range map[standin.Fault]string{
		standin.FaultRBAC: "403 ForbiddenByRbac", standin.FaultAccessPolicy: "403 AccessDenied", standin.FaultNotFound: "404 SecretNotFound",
	} {
		s := startStandIn(t, standin.Options{})
		s.SetFault(fault)
		app := startApp(t, envFor(t, s, standin.ServicePrincipal, "PATH", t.TempDir()), s)
		_, body := fetch(t, "GET", app.URL+"/", "application/json")
		var v view
		if err := json.Unmarshal([]byte(body), &v); err != nil || v.Problem == nil {
			t.Fatalf("%s: %v: %s", fault, err, body)
		}
		if !strings.Contains(v.Problem.Cause, want) {
			t.Errorf("%s: cause %q; want it to quote %q", fault, v.Problem.Cause, want)
		}
	}
}

// TestPowerShellPage: where the reader pastes into PowerShell (the app
// runs on Windows, not from a POSIX shell), the page's commands are
// PowerShell's: a local setting is $env:, a GUID is quoted (a word that
// starts with a digit may be a number to PowerShell), curl is curl.exe.
func TestPowerShellPage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		goos, shell string
		want        bool
	}{{"windows", "", true}, {"windows", "/usr/bin/bash", false}, {"linux", "", false}, {"darwin", "/bin/zsh", false}} {
		if got := pastesInPowerShell(tt.goos, mapEnv(map[string]string{"SHELL": tt.shell})); got != tt.want {
			t.Errorf("pastesInPowerShell(%q, SHELL=%q) = %v; want %v", tt.goos, tt.shell, got, tt.want)
		}
	}
	for _, tt := range []struct {
		name  string
		fault standin.Fault
		env   []string
		want  []string
	}{
		{"RBAC", standin.FaultRBAC, nil, []string{"az role assignment create --role 'Key Vault Secrets User' --assignee-object-id '" + standin.UserOID +
			"' --assignee-principal-type User --scope /subscriptions/00000000-0000-4000-8000-000000000000/resourcegroups/demo-rg/providers/microsoft.keyvault/vaults/kv"}},
		{"timeout", standin.FaultHang, []string{"REQUEST_TIMEOUT", "1s"}, []string{"curl.exe -sSI {vault}"}},
		{"no vault", "", []string{"KEY_VAULT_URL", ""}, []string{"$env:KEY_VAULT_URL = 'https://<your-vault-name>.vault.azure.net/'"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startStandIn(t, standin.Options{})
			s.SetFault(tt.fault)
			dir := t.TempDir()
			if err := s.WriteAzCLI(dir, standin.AzLoggedIn); err != nil {
				t.Fatal(err)
			}
			cfg := loadConfig(mapEnv(envFor(t, s, standin.AzureCLI, append([]string{"PATH", dir}, tt.env...)...)))
			cfg.PowerShell = true
			app := serveApp(t, cfg, s)
			_, body := fetch(t, "GET", app.URL+"/", "application/json")
			for i := range tt.want {
				tt.want[i] = strings.ReplaceAll(tt.want[i], "{vault}", cfg.VaultURL)
			}
			checkFixes(t, body, tt.want, nil)
			if strings.Contains(body, "export ") {
				t.Errorf("a PowerShell page says export:\n%s", body)
			}
		})
	}
}
