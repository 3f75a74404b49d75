package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/diagnose"
	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"
	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// TestChainOrder: the managed identity comes before a service principal;
// a managed identity that fails is reported, never passed over to the
// next source; AZURE_TOKEN_CREDENTIALS=prod excludes the Azure CLI; with
// a whole service principal configured, AZURE_CLIENT_ID is its ID, not a
// user-assigned identity's. A source after the one used is never built
// (its name is its kind's: "service principal", not "… (client secret)").
func TestChainOrder(t *testing.T) {
	t.Parallel()
	sp := []string{"AZURE_TENANT_ID", standin.Tenant, "AZURE_CLIENT_ID", standin.ServicePrincipalID, "AZURE_CLIENT_SECRET", standin.ClientSecret}
	tests := []struct {
		name       string
		id         standin.Identity
		extra      []string
		az         bool // an az stand-in on PATH
		fault      standin.Fault
		wantStatus int
		wantSource string // the source of the token, or of the failure
		wantStates map[string]string
	}{
		{"managed identity before the service principal", standin.AppServiceLegacy, sp, false, "", 200,
			"App Service managed identity (2017-09-01)", map[string]string{"service principal": "skipped"}},
		{"a failed managed identity is not passed over", standin.AppServiceLegacy, sp, true, standin.FaultIdentityDown, 502,
			"App Service managed identity (2017-09-01)", map[string]string{"service principal": "skipped", "Azure CLI": "skipped"}},
		{"prod excludes the Azure CLI", standin.AzureCLI, []string{"AZURE_TOKEN_CREDENTIALS", "prod"}, true, "", 500,
			"", map[string]string{"Azure CLI": "skipped"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startStandIn(t, standin.Options{})
			s.SetFault(tt.fault)
			env := envFor(t, s, tt.id, tt.extra...)
			env["PATH"] = t.TempDir()
			if tt.az {
				// The chain only looks for az here: it must never run it.
				if err := s.WriteAzCLI(env["PATH"], standin.AzLoggedIn); err != nil {
					t.Fatal(err)
				}
			}
			app := startApp(t, env, s)
			resp, body := fetch(t, "GET", app.URL+"/", "application/json")
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("GET / = %d; want %d\n%s", resp.StatusCode, tt.wantStatus, body)
			}
			var v view
			if err := json.Unmarshal([]byte(body), &v); err != nil {
				t.Fatal(err)
			}
			states := map[string]string{}
			for _, s := range v.Sources {
				states[s.Name] = s.Status
			}
			if tt.wantSource != "" && states[tt.wantSource] != map[bool]string{true: "used", false: "failed"}[tt.wantStatus == 200] {
				t.Errorf("sources %v; want %s %s", states, tt.wantSource, map[bool]string{true: "used", false: "failed"}[tt.wantStatus == 200])
			}
			for name, want := range tt.wantStates {
				if !strings.HasPrefix(states[name], want) {
					t.Errorf("source %s is %q; want %q (all: %v)", name, states[name], want, states)
				}
			}
			if log, _ := os.ReadFile(filepath.Join(env["PATH"], "az.log")); len(log) > 0 {
				t.Errorf("az was run (%q); want the chain to stop at the first configured source", log)
			}
		})
	}
}

// TestUserAssignedNotTheServicePrincipal: with a whole service principal
// configured beside the managed identity, AZURE_CLIENT_ID names the
// service principal, and the managed identity asks for its own
// system-assigned token.
func TestUserAssignedNotTheServicePrincipal(t *testing.T) {
	t.Parallel()
	s := startStandIn(t, standin.Options{})
	env := envFor(t, s, standin.AppServiceLegacy, "AZURE_TENANT_ID", standin.Tenant, "AZURE_CLIENT_ID", standin.ServicePrincipalID,
		"AZURE_CLIENT_SECRET", standin.ClientSecret)
	app := startApp(t, env, s)
	resp, body := fetch(t, "GET", app.URL+"/", "application/json")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d\n%s", resp.StatusCode, body)
	}
	var v view
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if v.Principal == nil || v.Principal.AppID != standin.ManagedIdentityApp || v.Principal.Source != "App Service managed identity (2017-09-01)" {
		t.Errorf("principal = %+v; want the system-assigned identity (app ID %s), not one asked for with the service principal's ID", v.Principal, standin.ManagedIdentityApp)
	}
}

// TestArcSelected: Azure Arc sets IDENTITY_ENDPOINT and IMDS_ENDPOINT, no
// header; the chain takes it for Arc's managed identity (azidentity speaks
// Arc's protocol, whose key file lives in a system directory, so no test
// here asks it for a token) and warns of nothing.
func TestArcSelected(t *testing.T) {
	t.Parallel()
	cfg := loadConfig(mapEnv(map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/",
		"IDENTITY_ENDPOINT": "http://localhost:40342/metadata/identity/oauth2/token", "IMDS_ENDPOINT": "http://localhost:40342"}))
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings = %q; want none", cfg.Warnings)
	}
	c := newChain(cfg, azcore.ClientOptions{})
	if c.active == nil || c.active.Name != "Azure Arc managed identity" {
		t.Errorf("active source = %+v; want Azure Arc managed identity", c.active)
	}
}

// TestPipelineOptions: every pipeline watches its network failures, and
// AZURE_AUTHORITY_HOST (sovereign clouds; the AKS webhook sets it) reaches
// azidentity through getenv.
func TestPipelineOptions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		authority, want string
	}{
		{"", ""},
		{"https://login.sovereign.example/", "https://login.sovereign.example/"},
	} {
		got := pipeline.Options(loadConfig(mapEnv(map[string]string{"AZURE_AUTHORITY_HOST": tt.authority})).AuthorityHost, azcore.ClientOptions{})
		if got.Cloud.ActiveDirectoryAuthorityHost != tt.want {
			t.Errorf("AZURE_AUTHORITY_HOST=%q: authority host %q; want %q", tt.authority, got.Cloud.ActiveDirectoryAuthorityHost, tt.want)
		}
		if len(got.PerRetryPolicies) != 1 {
			t.Errorf("per-retry policies = %v; want pipeline.NetworkWatch", got.PerRetryPolicies)
		}
	}
}

// TestTokenRequestNetworkFailure: a token request that gets no answer is
// explained as the network failure it was, though azidentity keeps only
// its text: the chain recovers it from networkWatch's seen slot.
func TestTokenRequestNetworkFailure(t *testing.T) {
	t.Parallel()
	s := startStandIn(t, standin.Options{})
	s.SetFault(standin.FaultNXDomain)
	cfg := loadConfig(mapEnv(envFor(t, s, standin.ServicePrincipal)))
	c := newChain(cfg, pipeline.Options(cfg.AuthorityHost, azcore.ClientOptions{Transport: s.HTTPClient()}))
	_, err := c.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}})
	if err == nil {
		t.Fatal("GetToken succeeded; want the name not to resolve")
	}
	p := diagnose.Explain(err, cfg.facts(nil))
	if p.Title != "A host name does not resolve" || !strings.Contains(p.Cause, "login.microsoftonline.com") {
		t.Errorf("page = %q: %q; want Entra ID's host named as not resolving", p.Title, p.Cause)
	}
	// A name that does not resolve is not retried: its page comes after the
	// token request's own lookups (4 questions measured: A and AAAA, twice),
	// not after azcore's retries and their back-off, seconds later (16
	// questions measured without NetworkWatch's non-retriable mark).
	if got := s.DNSQueries(); got > 4 {
		t.Errorf("the resolver was asked %d times; want 4 at most: a name that does not resolve must not be retried", got)
	}
}

// TestFailedRefreshAfterSuccess: after a view that succeeded, a token
// refresh that fails lists its source as failed, not as used.
func TestFailedRefreshAfterSuccess(t *testing.T) {
	t.Parallel()
	s := startStandIn(t, standin.Options{TokenLifetime: 2 * time.Second})
	app := startApp(t, envFor(t, s, standin.AppServiceLegacy, "PATH", t.TempDir()), s)
	resp, body := fetch(t, "GET", app.URL+"/", "application/json")
	var first view
	if err := json.Unmarshal([]byte(body), &first); err != nil || resp.StatusCode != http.StatusOK || first.Principal == nil {
		t.Fatalf("first view = %d; want 200 with a principal\n%s", resp.StatusCode, body)
	}
	s.SetFault(standin.FaultIdentityDown)
	// Once the token has expired, the next view must ask for another.
	for time.Now().Before(first.Principal.ExpiresOn) {
		time.Sleep(10 * time.Millisecond)
	}
	resp, body = fetch(t, "GET", app.URL+"/", "application/json")
	var v view
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadGateway || len(v.Sources) < 2 || v.Sources[1].Status != "failed" {
		t.Errorf("view after a failed refresh = %d, sources %+v; want 502 and the managed identity failed", resp.StatusCode, v.Sources)
	}
}
