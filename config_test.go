package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/diagnose"
	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		env          map[string]string
		wantPort     string
		wantVault    string
		wantProblem  string // a variable named in Problems; "" for none
		wantWarning  string
		wantTimeout  time.Duration
		wantTokenSrc string
	}{
		{"defaults", map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/"}, "8080", "https://kv.vault.azure.net/", "", "", 15 * time.Second, ""},
		{"PORT wins", map[string]string{"PORT": "1", "FUNCTIONS_CUSTOMHANDLER_PORT": "2", "HTTP_PLATFORM_PORT": "3"}, "1", "", "KEY_VAULT_URL", "", 15 * time.Second, ""},
		{"Functions port", map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": "2", "HTTP_PLATFORM_PORT": "3"}, "2", "", "KEY_VAULT_URL", "", 15 * time.Second, ""},
		{"Windows port", map[string]string{"HTTP_PLATFORM_PORT": "3"}, "3", "", "KEY_VAULT_URL", "", 15 * time.Second, ""},
		{"KEY_VAULT_URI", map[string]string{"KEY_VAULT_URI": "https://kv.vault.azure.net"}, "8080", "https://kv.vault.azure.net", "", "", 15 * time.Second, ""},
		{"vault with path", map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/secrets/x"}, "8080", "", "KEY_VAULT_URL", "", 15 * time.Second, ""},
		// The page's own example, pasted as it is: a placeholder, not a vault.
		{"the example's placeholder", map[string]string{"KEY_VAULT_URL": "https://<your-vault-name>.vault.azure.net/"}, "8080", "", "KEY_VAULT_URL", "", 15 * time.Second, ""},
		{"a character no vault name has", map[string]string{"KEY_VAULT_URL": "https://my_vault.vault.azure.net/"}, "8080", "", "KEY_VAULT_URL", "", 15 * time.Second, ""},
		{"a vault name in capitals", map[string]string{"KEY_VAULT_URL": "https://MyVault-01.vault.azure.net/"}, "8080", "https://MyVault-01.vault.azure.net/", "", "", 15 * time.Second, ""},
		{"timeout", map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/", "REQUEST_TIMEOUT": "2s"}, "8080", "https://kv.vault.azure.net/", "", "", 2 * time.Second, ""},
		{"bad timeout", map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/", "REQUEST_TIMEOUT": "soon"}, "8080", "https://kv.vault.azure.net/", "REQUEST_TIMEOUT", "", 15 * time.Second, ""},
		{"token sources, any case", map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/", "AZURE_TOKEN_CREDENTIALS": "azureclicredential"}, "8080", "https://kv.vault.azure.net/", "", "", 15 * time.Second, "AzureCLICredential"},
		{"client ID without tenant", map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/", "AZURE_CLIENT_ID": "x", "AZURE_CLIENT_SECRET": "y"}, "8080", "https://kv.vault.azure.net/", "", "missing AZURE_TENANT_ID", 15 * time.Second, ""},
		{"a whole service principal", map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/", "AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "x", "AZURE_CLIENT_SECRET": "y"}, "8080", "https://kv.vault.azure.net/", "", "", 15 * time.Second, ""},
		{"tenant and client ID without a secret", map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/", "AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "x"}, "8080", "https://kv.vault.azure.net/", "", "missing AZURE_CLIENT_SECRET", 15 * time.Second, ""},
		{"tenant alone, for the Azure CLI", map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/", "AZURE_TENANT_ID": "t"}, "8080", "https://kv.vault.azure.net/", "", "", 15 * time.Second, ""},
		{"client ID alone, no managed identity", map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/", "AZURE_CLIENT_ID": "x"}, "8080", "https://kv.vault.azure.net/", "", "missing AZURE_TENANT_ID", 15 * time.Second, ""},
		{"both a client secret and a certificate", map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/", "AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "x", "AZURE_CLIENT_SECRET": "y", "AZURE_CLIENT_CERTIFICATE_PATH": "/c.pem"}, "8080", "https://kv.vault.azure.net/", "", "both AZURE_CLIENT_SECRET and AZURE_CLIENT_CERTIFICATE_PATH", 15 * time.Second, ""},
		{"a user-assigned identity on the 2019-08-01 endpoint", map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/", "IDENTITY_ENDPOINT": "http://127.0.0.1/", "IDENTITY_HEADER": "h", "AZURE_CLIENT_ID": "x"}, "8080", "https://kv.vault.azure.net/", "", "", 15 * time.Second, ""},
		{"client ID with half an identity endpoint", map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/", "IDENTITY_HEADER": "h", "AZURE_CLIENT_ID": "x"}, "8080", "https://kv.vault.azure.net/", "", "missing AZURE_TENANT_ID", 15 * time.Second, ""},
		{"half an identity endpoint", map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/", "IDENTITY_ENDPOINT": "http://x"}, "8080", "https://kv.vault.azure.net/", "", "IDENTITY_HEADER", 15 * time.Second, ""},
		// The header must never cross a network in clear text, through a proxy or not.
		{"identity endpoint off the machine in clear text", map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/", "IDENTITY_ENDPOINT": "http://10.0.0.5:8081/msi/token", "IDENTITY_HEADER": "h"}, "8080", "https://kv.vault.azure.net/", "IDENTITY_ENDPOINT", "", 15 * time.Second, ""},
		{"legacy endpoint off the machine in clear text", map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/", "MSI_ENDPOINT": "http://msi.example:8081/", "MSI_SECRET": "s"}, "8080", "https://kv.vault.azure.net/", "MSI_ENDPOINT", "", 15 * time.Second, ""},
		{"identity endpoint off the machine over TLS", map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/", "IDENTITY_ENDPOINT": "https://10.0.0.5:2377/metadata/identity/oauth2/token", "IDENTITY_HEADER": "h"}, "8080", "https://kv.vault.azure.net/", "", "", 15 * time.Second, ""},
		{"identity endpoint on loopback", map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/", "IDENTITY_ENDPOINT": "http://[::1]:8081/msi/token", "IDENTITY_HEADER": "h"}, "8080", "https://kv.vault.azure.net/", "", "", 15 * time.Second, ""},
		{"identity endpoint on localhost", map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/", "IDENTITY_ENDPOINT": "http://localhost:42356/msi/token", "IDENTITY_HEADER": "h"}, "8080", "https://kv.vault.azure.net/", "", "", 15 * time.Second, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := loadConfig(mapEnv(tt.env))
			if c.Port != tt.wantPort || c.VaultURL != tt.wantVault || c.RequestTimeout != tt.wantTimeout || c.TokenSources != tt.wantTokenSrc {
				t.Errorf("loadConfig = port %q vault %q timeout %v sources %q; want %q %q %v %q",
					c.Port, c.VaultURL, c.RequestTimeout, c.TokenSources, tt.wantPort, tt.wantVault, tt.wantTimeout, tt.wantTokenSrc)
			}
			var problems []string
			for _, p := range c.Problems {
				problems = append(problems, p.Variable)
			}
			if got := strings.Join(problems, ","); !strings.Contains(got, tt.wantProblem) || (tt.wantProblem == "" && got != "") {
				t.Errorf("problems = %q; want %q", got, tt.wantProblem)
			}
			if got := strings.Join(c.Warnings, "\n"); !strings.Contains(got, tt.wantWarning) || (tt.wantWarning == "" && got != "") {
				t.Errorf("warnings = %q; want %q", got, tt.wantWarning)
			}
		})
	}
}

func TestUserAssignedClientIDIsNoWarning(t *testing.T) {
	t.Parallel()
	c := loadConfig(mapEnv(map[string]string{"MSI_ENDPOINT": "http://127.0.0.1/", "MSI_SECRET": "s", "AZURE_CLIENT_ID": "x"}))
	if len(c.Warnings) != 0 {
		t.Errorf("warnings = %q; want none: AZURE_CLIENT_ID alone selects a user-assigned identity", c.Warnings)
	}
}

func TestPortNumber(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		port string
		ok   bool
	}{{"8080", true}, {"0", true}, {"65535", true}, {"65536", false}, {"-1", false}, {"http", false}, {"", false}} {
		if err := (config{Port: tt.port}).portNumber(); (err == nil) != tt.ok {
			t.Errorf("portNumber(%q) = %v; want ok = %v", tt.port, err, tt.ok)
		}
	}
}

// TestConfigChecks: settings that cannot work are named before any call.
func TestConfigChecks(t *testing.T) {
	t.Parallel()
	vault := "https://kv.vault.azure.net/"
	tests := []struct {
		name        string
		env         map[string]string
		wantVar     string // "" for no problem
		wantProblem string
		wantExample string
	}{
		{"secret name with a space", map[string]string{"KEY_VAULT_URL": vault, "SECRET_NAME": "bad name!"}, "SECRET_NAME", "' ' is not allowed", "bad-name"},
		{"secret name with an underscore", map[string]string{"KEY_VAULT_URL": vault, "SECRET_NAME": "db_password"}, "SECRET_NAME", "'_' is not allowed", "db-password"},
		{"secret name too long", map[string]string{"KEY_VAULT_URL": vault, "SECRET_NAME": strings.Repeat("a", 128)}, "SECRET_NAME", "127", strings.Repeat("a", 127)},
		{"secret name with every kind of character allowed", map[string]string{"KEY_VAULT_URL": vault, "SECRET_NAME": "azAZ09-"}, "", "", ""},
		{"a suggestion keeps every kind of character allowed", map[string]string{"KEY_VAULT_URL": vault, "SECRET_NAME": "Zz9 0Aa"}, "SECRET_NAME", "' ' is not allowed", "Zz9-0Aa"},
		{"secret name with the characters next to them", map[string]string{"KEY_VAULT_URL": vault, "SECRET_NAME": "a`{@[/:."}, "SECRET_NAME", "'`' is not allowed", "a"},
		{"secret name at the limit", map[string]string{"KEY_VAULT_URL": vault, "SECRET_NAME": strings.Repeat("a-1", 42) + "b"}, "", "", ""},
		{"vault URL with a trailing newline", map[string]string{"KEY_VAULT_URL": vault + "\n"}, "KEY_VAULT_URL", "spaces or a line break", ""},
		{"vault URL with a leading space", map[string]string{"KEY_VAULT_URL": " " + vault}, "KEY_VAULT_URL", "spaces or a line break", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := loadConfig(mapEnv(tt.env))
			if tt.wantVar == "" {
				if len(c.Problems) != 0 {
					t.Errorf("problems = %v; want none", c.Problems)
				}
				return
			}
			if len(c.Problems) != 1 {
				t.Fatalf("problems = %v; want one, for %s", c.Problems, tt.wantVar)
			}
			p := c.Problems[0]
			if p.Variable != tt.wantVar || !strings.Contains(p.Problem, tt.wantProblem) || (tt.wantExample != "" && p.Example != tt.wantExample) {
				t.Errorf("problem = %+v; want %s, %q, example %q", p, tt.wantVar, tt.wantProblem, tt.wantExample)
			}
		})
	}
}

// TestPortVariableNamed: a bad port names the variable it came from.
func TestPortVariableNamed(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"PORT", "FUNCTIONS_CUSTOMHANDLER_PORT", "HTTP_PLATFORM_PORT"} {
		err := loadConfig(mapEnv(map[string]string{v: "80a"})).portNumber()
		if err == nil || !strings.HasPrefix(err.Error(), v+`="80a"`) {
			t.Errorf("%s=80a: portNumber() = %v; want an error naming %s", v, err, v)
		}
	}
}

// TestConfigEdges: edge values a user sets, and what the app makes of them.
func TestConfigEdges(t *testing.T) {
	t.Parallel()
	vault := "https://kv.vault.azure.net/"
	for _, tt := range []struct {
		name  string
		env   map[string]string
		check func(c config) string // "" when right
	}{
		{"REQUEST_TIMEOUT=0 is no timeout at all", map[string]string{"REQUEST_TIMEOUT": "0"}, func(c config) string {
			if c.RequestTimeout != defaultRequestTimeout || !hasProblem(c, "REQUEST_TIMEOUT") {
				return fmt.Sprintf("timeout %v, problems %+v; want the default and a problem", c.RequestTimeout, c.Problems)
			}
			return ""
		}},
		{"SECRET_CACHE_TTL=0 reads every view", map[string]string{"SECRET_CACHE_TTL": "0"}, func(c config) string {
			if c.SecretCacheTTL != 0 || hasProblem(c, "SECRET_CACHE_TTL") {
				return fmt.Sprintf("ttl %v, problems %+v; want 0 and none", c.SecretCacheTTL, c.Problems)
			}
			return ""
		}},
		{"lower-case https_proxy", map[string]string{"https_proxy": "http://p:3128"}, func(c config) string {
			if c.ProxyVar != "https_proxy" || c.Proxy != "http://p:3128" {
				return fmt.Sprintf("proxy %s=%s; want https_proxy=http://p:3128", c.ProxyVar, c.Proxy)
			}
			return ""
		}},
		{"HTTPS_PROXY before https_proxy", map[string]string{"https_proxy": "http://p:1", "HTTPS_PROXY": "http://p:2"}, func(c config) string {
			if c.ProxyVar != "HTTPS_PROXY" || c.Proxy != "http://p:2" {
				return fmt.Sprintf("proxy %s=%s; want HTTPS_PROXY=http://p:2", c.ProxyVar, c.Proxy)
			}
			return ""
		}},
	} {
		tt.env["KEY_VAULT_URL"] = vault
		if bad := tt.check(loadConfig(mapEnv(tt.env))); bad != "" {
			t.Errorf("%s: %s", tt.name, bad)
		}
	}
}

func hasProblem(c config, variable string) bool {
	return slices.ContainsFunc(c.Problems, func(p diagnose.Setting) bool { return p.Variable == variable })
}

// TestChainEdges: which source the chain picks, and what it asks for,
// for settings that sit beside each other.
func TestChainEdges(t *testing.T) {
	t.Parallel()
	az := t.TempDir()
	if err := standin.WriteTool(az, "az", standin.ToolAnswer{}); err != nil { // found on PATH, never run
		t.Fatal(err)
	}
	sp := map[string]string{"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s", "PATH": az}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := maps.Clone(base)
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tt := range []struct {
		name       string
		env        map[string]string
		wantActive string
	}{
		{"dev is the Azure CLI alone", with(sp, "AZURE_TOKEN_CREDENTIALS", "dev"), "Azure CLI"},
		{"prod passes the CLI over", with(map[string]string{"PATH": az}, "AZURE_TOKEN_CREDENTIALS", "prod"), ""},
		{"a service principal before the CLI", sp, "service principal (client secret)"},
		{"a certificate service principal's client ID is not a user-assigned identity",
			with(sp, "AZURE_CLIENT_SECRET", "", "AZURE_CLIENT_CERTIFICATE_PATH", "/nonexistent.pem", "MSI_ENDPOINT", "http://127.0.0.1:1/", "MSI_SECRET", "x"),
			"App Service managed identity (2017-09-01)"},
		{"a client ID alone beside the identity endpoint is a user-assigned identity",
			map[string]string{"AZURE_CLIENT_ID": "c", "MSI_ENDPOINT": "http://127.0.0.1:1/", "MSI_SECRET": "x"},
			"App Service user-assigned managed identity (2017-09-01)"},
	} {
		tt.env["KEY_VAULT_URL"] = "https://kv.vault.azure.net/"
		c := newChain(loadConfig(mapEnv(tt.env)), azcore.ClientOptions{})
		got := ""
		if c.active != nil {
			got = c.active.Name
		}
		if got != tt.wantActive {
			t.Errorf("%s: the chain uses %q; want %q (sources %+v)", tt.name, got, tt.wantActive, c.sources)
		}
	}
}
