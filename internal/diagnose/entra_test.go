package diagnose

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure-Samples/keyvault-msi-go/internal/sources"
)

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

// TestOtherTenantSignIn: when the vault is in another tenant than
// AZURE_TENANT_ID names, each developer tool's user is told to sign in to
// that tenant with their own tool (an Azure PowerShell user was told to
// use a service principal); a service principal, to use one of that tenant.
func TestOtherTenantSignIn(t *testing.T) {
	t.Parallel()
	const vaultTenant = "99999999-0000-4000-8000-00000000beef"
	refusal := `the credential isn't configured to acquire tokens for tenant "` + vaultTenant + `"` // azidentity's resolveTenant
	for _, tt := range []struct {
		kind       sources.Kind
		name, want string
	}{
		{"AzureCLICredential", "Azure CLI", "az login --tenant " + vaultTenant},
		{"AzureDeveloperCLICredential", "Azure Developer CLI", "azd auth login --tenant-id " + vaultTenant},
		{"AzurePowerShellCredential", "Azure PowerShell", "Connect-AzAccount -TenantId " + vaultTenant},
		{"EnvironmentCredential", "service principal (client secret)", "export AZURE_TENANT_ID=" + vaultTenant},
	} {
		x := explainer{cfg: Facts{VaultURL: "https://kv.vault.azure.net/", TenantID: "72f988bf-0000-4000-8000-00000000c0de"}}
		p := x.tenantMismatch(&Source{Name: tt.name, Kind: tt.kind}, refusal)
		if p == nil || len(p.Fixes) != 1 || p.Fixes[0].Command != tt.want {
			t.Errorf("%s, the vault in another tenant: fixes %+v; want the one command %q", tt.name, p, tt.want)
		}
	}
}
