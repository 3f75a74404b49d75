package main

import (
	"encoding/json"
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/Azure-Samples/keyvault-msi-go/internal/diagnose"
	"github.com/Azure-Samples/keyvault-msi-go/internal/refcheck"
	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
)

const (
	referenceStatusCommand  = `az rest --method get --url '/subscriptions/{subscriptionId}/resourceGroups/kvmsigo-rg/providers/Microsoft.Web/sites/kvmsigo-app/config/configreferences/appsettings/SECRET_FROM_REFERENCE?api-version=2022-03-01'`
	referenceRefreshCommand = `az rest --method post --url '/subscriptions/{subscriptionId}/resourceGroups/kvmsigo-rg/providers/Microsoft.Web/sites/kvmsigo-app/config/configreferences/appsettings/refresh?api-version=2022-03-01'`
)

// TestKeyVaultReference shows App Service's Key Vault reference beside the
// app's own read, through the real SDK against the stand-in: resolved to
// the same value, stale after a rotation, or passed through as text; and
// a denial of the app's read names the reference's refresh too.
func TestKeyVaultReference(t *testing.T) {
	t.Parallel()
	onAppService := []string{"WEBSITE_SITE_NAME", "kvmsigo-app", "WEBSITE_RESOURCE_GROUP", "kvmsigo-rg"}
	for _, tt := range []struct {
		name       string
		ref        standin.Reference
		value      string // SECRET_FROM_REFERENCE, in place of the stand-in's
		env        []string
		fault      standin.Fault
		wantStatus int
		wantState  string // "" for no reference section
		wantSays   string
		wantFixes  []string // the reference section's commands, in order
		wantTarget *diagnose.Reference
		// problemFix is a command the failure's problem must hold.
		problemFix string
	}{
		{name: "resolved, same value", ref: standin.ReferenceResolved, wantStatus: 200, wantState: "same", wantSays: "same value"},
		{name: "resolved, stale", ref: standin.ReferenceStale, wantStatus: 200, wantState: "different", wantSays: "within 24 hours",
			wantFixes: []string{referenceRefreshCommand}},
		{name: "unresolved", ref: standin.ReferenceUnresolved, wantStatus: 200, wantState: "unresolved", wantSays: "has just read the same secret with the app's identity",
			wantFixes: []string{referenceStatusCommand, referenceRefreshCommand}, wantTarget: &diagnose.Reference{Vault: "kv", Secret: "secret"}},
		{name: "unresolved, user-assigned identity", ref: standin.ReferenceUnresolved, env: []string{"AZURE_CLIENT_ID", standin.ManagedIdentityApp},
			wantStatus: 200, wantState: "unresolved", wantSays: "did not resolve",
			wantFixes: []string{referenceStatusCommand,
				`az webapp update --resource-group kvmsigo-rg --name kvmsigo-app --set keyVaultReferenceIdentity="$(az identity list --query "[?clientId=='` + standin.ManagedIdentityApp + `'].id" -o tsv)"`,
				referenceRefreshCommand}},
		// Vault names are case-insensitive: a user may type the vault's name in capitals.
		{name: "unresolved, the vault named in capitals", value: "@Microsoft.KeyVault(VaultName=KV;SecretName=secret)", wantStatus: 200,
			wantState: "unresolved", wantSays: "has just read the same secret with the app's identity",
			wantFixes: []string{referenceStatusCommand, referenceRefreshCommand}, wantTarget: &diagnose.Reference{Vault: "KV", Secret: "secret"}},
		{name: "unresolved, another secret", value: "@Microsoft.KeyVault(SecretUri=https://other.vault.azure.net/secrets/db-password/)", wantStatus: 200,
			wantState: "unresolved", wantSays: "points at the secret db-password in the vault other, not the one this page reads",
			wantFixes: []string{referenceStatusCommand, referenceRefreshCommand}, wantTarget: &diagnose.Reference{Vault: "other", Secret: "db-password"}},
		{name: "unresolved, invalid syntax", value: "@Microsoft.KeyVault(Secret=oops)", wantStatus: 200,
			wantState: "unresolved", wantSays: "syntax is not one App Service reads", wantFixes: []string{referenceStatusCommand, referenceRefreshCommand}},
		{name: "unresolved, the app's read denied too", ref: standin.ReferenceUnresolved, fault: standin.FaultRBAC, wantStatus: 502,
			wantState: "unresolved", wantSays: "did not resolve", wantFixes: []string{referenceStatusCommand, referenceRefreshCommand},
			problemFix: referenceRefreshCommand},
		{name: "resolved, the app's read denied", ref: standin.ReferenceResolved, fault: standin.FaultRBAC, wantStatus: 502},
		{name: "no reference", wantStatus: 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startStandIn(t, standin.Options{Reference: tt.ref})
			s.SetFault(tt.fault)
			env := envFor(t, s, standin.AppServiceLegacy, append(slices.Clone(onAppService), tt.env...)...)
			if tt.value != "" {
				env["SECRET_FROM_REFERENCE"] = tt.value
			}
			env["PATH"] = t.TempDir()
			app := startApp(t, env, s)

			resp, body := fetch(t, "GET", app.URL+"/", "application/json")
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("GET / = %d; want %d\n%s", resp.StatusCode, tt.wantStatus, body)
			}
			var v view
			if err := json.Unmarshal([]byte(body), &v); err != nil {
				t.Fatal(err)
			}
			if tt.wantStatus == 200 && (v.Secret == nil || v.Secret.Value != standin.DefaultSecret) {
				t.Errorf("secret = %+v; want the vault's value, never the reference's", v.Secret)
			}
			if ref := env["SECRET_FROM_REFERENCE"]; ref != "" && ref != standin.DefaultSecret && strings.Contains(body, `"`+ref+`"`) && !diagnose.IsReference(ref) {
				t.Errorf("the page shows the stale reference's value %q:\n%s", ref, body)
			}
			checkReference(t, v.Reference, tt.wantState, tt.wantSays, tt.wantFixes, tt.wantTarget)
			if v.Secret == nil && v.Reference != nil && strings.Contains(v.Reference.Says, "has just read") {
				t.Errorf("the read failed, yet the reference says the app read the secret: %q", v.Reference.Says)
			}
			if tt.problemFix != "" {
				checkFixes(t, body, []string{tt.problemFix}, nil)
			}
			if tt.wantState == "" && v.Problem != nil {
				checkFixes(t, body, nil, []string{"configreferences"})
			}

			_, page := fetch(t, "GET", app.URL+"/", "text/html")
			var fixes []diagnose.Fix
			if v.Problem != nil {
				fixes = append(fixes, v.Problem.Fixes...)
			}
			if v.Reference != nil {
				fixes = append(fixes, v.Reference.Fixes...)
				containsAll(t, "page", page, html.EscapeString(v.Reference.Says))
			}
			checkPageCommands(t, page, fixes)
			if m := regexp.MustCompile(`<p class="value" id="secret-value">(.*?)</p>`).FindStringSubmatch(page); tt.wantStatus == 200 &&
				(m == nil || html.UnescapeString(m[1]) != standin.DefaultSecret) {
				t.Errorf("the page's secret value = %q; want the vault's", m)
			}
		})
	}
}

func checkReference(t *testing.T, got *refcheck.Check, state, says string, fixes []string, target *diagnose.Reference) {
	t.Helper()
	if state == "" {
		if got != nil {
			t.Errorf("reference = %+v; want none", got)
		}
		return
	}
	if got == nil || got.State != state || got.Setting != "SECRET_FROM_REFERENCE" || !strings.Contains(got.Says, says) {
		t.Fatalf("reference = %+v; want state %q saying %q", got, state, says)
	}
	var commands []string
	for _, f := range got.Fixes {
		commands = append(commands, f.Command)
	}
	if !slices.Equal(commands, fixes) {
		t.Errorf("reference fixes:\n%q\nwant:\n%q", commands, fixes)
	}
	if target != nil && (got.Target == nil || *got.Target != *target) {
		t.Errorf("reference target = %+v; want %+v", got.Target, target)
	}
}

// TestReferenceInASetting: a setting the app reads that holds a Key Vault
// reference App Service did not resolve is named as such, with the
// platform's commands, and nothing is sent upstream with its text.
func TestReferenceInASetting(t *testing.T) {
	t.Parallel()
	ref := "@Microsoft.KeyVault(VaultName=kv;SecretName=sp-secret)"
	for _, tt := range []struct {
		name     string
		id       standin.Identity
		variable string
		not      string // a problem the emptiness would otherwise cause
	}{
		{"vault URL", standin.AppServiceLegacy, "KEY_VAULT_URL", "not set"},
		{"secret name", standin.AppServiceLegacy, "SECRET_NAME", "allowed"},
		{"client secret", standin.ServicePrincipal, "AZURE_CLIENT_SECRET", ""},
		{"client ID", standin.ServicePrincipal, "AZURE_CLIENT_ID", ""},
		{"request timeout", standin.AppServiceLegacy, "REQUEST_TIMEOUT", "duration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startStandIn(t, standin.Options{})
			env := envFor(t, s, tt.id, "WEBSITE_SITE_NAME", "kvmsigo-app", "WEBSITE_RESOURCE_GROUP", "kvmsigo-rg", tt.variable, " "+ref)
			env["PATH"] = t.TempDir()
			app := startApp(t, env, s)
			resp, body := fetch(t, "GET", app.URL+"/", "application/json")
			if resp.StatusCode != 500 {
				t.Fatalf("GET / = %d; want 500\n%s", resp.StatusCode, body)
			}
			var v view
			if err := json.Unmarshal([]byte(body), &v); err != nil || v.Problem == nil {
				t.Fatalf("%v: %s", err, body)
			}
			if len(v.Problem.Config) != 1 || v.Problem.Config[0].Variable != tt.variable || !v.Problem.Config[0].Reference ||
				!strings.Contains(v.Problem.Config[0].Problem, "Key Vault reference") {
				t.Errorf("configuration = %+v; want only %s, named a Key Vault reference", v.Problem.Config, tt.variable)
			}
			if tt.not != "" && strings.Contains(body, tt.not) {
				t.Errorf("the page says %q, which the reference's emptiness caused:\n%s", tt.not, body)
			}
			status := strings.Replace(referenceStatusCommand, "SECRET_FROM_REFERENCE", tt.variable, 1)
			checkFixes(t, body, []string{status, referenceRefreshCommand}, nil)
			if n := s.VaultRequests() + s.TokenRequests(); n != 0 {
				t.Errorf("%d requests reached the stand-in; want none, with the reference's text least of all", n)
			}
			_, page := fetch(t, "GET", app.URL+"/", "text/html")
			checkPageCommands(t, page, v.Problem.Fixes)
		})
	}
}

// TestReferenceStatusTable checks that docs/references.md gives a meaning
// and a fix for each status App Service reports for a reference: the
// ResolveStatus enum of ApiKVReference in the App Service REST API
// (Azure/azure-rest-api-specs, specification/web).
func TestReferenceStatusTable(t *testing.T) {
	t.Parallel()
	statuses := []string{"Initialized", "Resolved", "InvalidSyntax", "MSINotEnabled", "VaultNotFound",
		"SecretNotFound", "SecretVersionNotFound", "AccessToKeyVaultDenied", "OtherReasons"}
	table := docSection(t, "docs/references.md", "## Asking App Service")
	var rows []string
	for _, m := range regexp.MustCompile("(?m)^\\| `(\\w+)` \\| [^|]+ \\| [^|]+ \\|$").FindAllStringSubmatch(table, -1) {
		rows = append(rows, m[1])
	}
	if !slices.Equal(rows, statuses) {
		t.Errorf("docs/references.md's status table lists %q; want each of App Service's statuses, in order: %q", rows, statuses)
	}
}

// TestMalformedReferenceNeverFatal: an unresolved reference whose
// SecretUri does not parse (a typo such as :443x, or %zz) is named on the
// page; the app starts and /ping answers, so App Service does not restart
// it in a loop.
func TestMalformedReferenceNeverFatal(t *testing.T) {
	t.Parallel()
	for _, uri := range []string{"https://kv.vault.azure.net:443x/secrets/secret/", "https://kv.vault.azure.net/secrets/se%zzcret/"} {
		t.Run(uri, func(t *testing.T) {
			t.Parallel()
			s := startStandIn(t, standin.Options{})
			env := envFor(t, s, standin.AppServiceLegacy, "SECRET_FROM_REFERENCE", "@Microsoft.KeyVault(SecretUri="+uri+")", "PATH", t.TempDir())
			app := startApp(t, env, s)
			if resp, _ := fetch(t, "GET", app.URL+"/ping", ""); resp.StatusCode != 200 {
				t.Errorf("GET /ping = %d; want 200", resp.StatusCode)
			}
			_, body := fetch(t, "GET", app.URL+"/", "application/json")
			containsAll(t, "JSON view", body, `"state":"unresolved"`, "Its syntax is not one App Service reads")
		})
	}
}
