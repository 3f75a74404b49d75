package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
)

// TestHostNames starts the app with each host's own variables and the
// identity endpoint it provides (the App Service protocol, which Functions
// and Container Apps speak too): the page names the real host, and its
// fixes speak that host's az commands. azidentity reads IDENTITY_ENDPOINT
// from the process: no t.Parallel.
func TestHostNames(t *testing.T) {
	tests := []struct {
		name      string
		hostEnv   []string
		wantName  string
		wantFixes []string // for the endpoint down, then for no identity
		notWords  []string
	}{
		{"Container Apps", []string{"CONTAINER_APP_NAME", "kvmsigo", "CONTAINER_APP_REVISION", "kvmsigo--7f3k2"},
			"Container Apps managed identity (2019-08-01)",
			[]string{"az containerapp revision restart --name kvmsigo --resource-group '<resource-group>' --revision kvmsigo--7f3k2",
				"az containerapp identity assign --name kvmsigo --resource-group '<resource-group>' --system-assigned"},
			[]string{"App Service", "az webapp"}},
		{"Azure Functions", []string{"WEBSITE_SITE_NAME", "kvmsigo-func", "WEBSITE_RESOURCE_GROUP", "kvmsigo-rg", "FUNCTIONS_WORKER_RUNTIME", "custom"},
			"Azure Functions managed identity (2019-08-01)",
			[]string{"az functionapp restart --name kvmsigo-func --resource-group kvmsigo-rg",
				"az functionapp identity assign --name kvmsigo-func --resource-group kvmsigo-rg"},
			[]string{"az webapp"}},
		// Flex Consumption keeps FUNCTIONS_WORKER_RUNTIME out of app
		// settings; the Functions host still gives its custom handler a port.
		{"Azure Functions, Flex Consumption", []string{"WEBSITE_SITE_NAME", "kvmsigo-func", "WEBSITE_RESOURCE_GROUP", "kvmsigo-rg", "FUNCTIONS_CUSTOMHANDLER_PORT", "34567"},
			"Azure Functions managed identity (2019-08-01)",
			[]string{"az functionapp restart --name kvmsigo-func --resource-group kvmsigo-rg",
				"az functionapp identity assign --name kvmsigo-func --resource-group kvmsigo-rg"},
			[]string{"az webapp"}},
		{"App Service", []string{"WEBSITE_SITE_NAME", "kvmsigo-app", "WEBSITE_RESOURCE_GROUP", "kvmsigo-rg"},
			"App Service managed identity (2019-08-01)",
			[]string{"az webapp restart --name kvmsigo-app --resource-group kvmsigo-rg",
				"az webapp identity assign --name kvmsigo-app --resource-group kvmsigo-rg"},
			[]string{"functionapp", "containerapp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startStandIn(t, standin.Options{})
			env := envFor(t, s, standin.AppService, tt.hostEnv...)
			env["PATH"] = t.TempDir()
			setManagedIdentityEnv(t, env)
			app := startApp(t, env, s)
			resp, body := fetch(t, "GET", app.URL+"/", "")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET / = %d; want 200\n%s", resp.StatusCode, body)
			}
			containsAll(t, "page", body, tt.wantName)

			// MSAL caches managed-identity tokens per process, by resource:
			// a stand-in with its own vault domain starts with none.
			s = startStandIn(t, standin.Options{})
			s.SetFault(standin.FaultIdentityDown)
			env = envFor(t, s, standin.AppService, tt.hostEnv...)
			env["PATH"] = t.TempDir()
			setManagedIdentityEnv(t, env)
			down := startApp(t, env, s)
			_, body = fetch(t, "GET", down.URL+"/", "application/json")
			checkFixes(t, body, tt.wantFixes[:1], tt.notWords)
			containsAll(t, "JSON view", body, tt.wantName)

			for _, k := range []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER"} {
				delete(env, k)
				t.Setenv(k, "")
			}
			none := startApp(t, env, s)
			resp, body = fetch(t, "GET", none.URL+"/", "application/json")
			if resp.StatusCode != http.StatusInternalServerError {
				t.Errorf("no identity: GET / = %d; want 500", resp.StatusCode)
			}
			checkFixes(t, body, tt.wantFixes[1:], tt.notWords)
			if !strings.Contains(body, "app's managed identity is off") {
				t.Errorf("no identity: the managed identity's reason does not say it is off on this host: %s", body)
			}
			if host := strings.TrimSuffix(tt.wantName, " (2019-08-01)"); !strings.Contains(body, host) {
				t.Errorf("no identity: the sources do not name %q: %s", host, body)
			}
		})
	}
}

// TestChainTableMatchesConfig checks docs/identity.md's table of sources against
// the configuration: every variable the table names is one the app reads,
// and every variable that selects a source is in the table.
func TestChainTableMatchesConfig(t *testing.T) {
	t.Parallel()
	section := docSection(t, "docs/identity.md", "## How the identity is chosen")
	named := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "| ") {
			for _, m := range regexp.MustCompile("`([A-Z][A-Z0-9_]+)(?:=[^`]*)?`").FindAllStringSubmatch(line, -1) {
				named[m[1]] = true
			}
		}
	}
	read := map[string]bool{}
	loadConfig(func(k string) string { read[k] = true; return "" })
	for v := range named {
		if !read[v] {
			t.Errorf("docs/identity.md's table names %s, which the app does not read", v)
		}
	}
	for _, v := range []string{"AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_AUTHORITY_HOST", "IDENTITY_ENDPOINT", "IDENTITY_HEADER",
		"IMDS_ENDPOINT", "MSI_ENDPOINT", "MSI_SECRET", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_TOKEN_CREDENTIALS",
		"WEBSITE_SITE_NAME", "FUNCTIONS_WORKER_RUNTIME", "CONTAINER_APP_NAME"} {
		if !read[v] {
			t.Errorf("the app does not read %s", v)
		}
		if !named[v] {
			t.Errorf("docs/identity.md's table of sources does not name %s", v)
		}
	}
}
