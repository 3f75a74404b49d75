package diagnose

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// TestUpstreamWordsKeepTheirShape: each word a fix's command takes from an
// upstream's answer is used when it has its shape, and replaced (by what
// the app knows, or a placeholder) when it carries anything else, such as
// cmd.exe's "&calc.exe&rem", which az.cmd would run on Windows. Every
// row's answer is the real one's shape, with the word under test swapped.
func TestUpstreamWordsKeepTheirShape(t *testing.T) {
	t.Parallel()
	const (
		sub      = "00000000-1111-4222-8333-444444444444"
		oid      = "11111111-1111-4111-8111-111111111111"
		hostile  = "&calc.exe&rem "
		vaultURL = "https://kv.vault.azure.net/"
	)
	vaultID := "/subscriptions/" + sub + "/resourcegroups/demo-rg/providers/microsoft.keyvault/vaults/kv"
	// Key Vault's RBAC denial, as users pasted it (Azure/azure-cli#27016):
	// "Caller: …\r\nAction: '…'\r\nResource: '<the secret's ID, lower case>'\r\nAssignment: (not found)…".
	rbac := func(resource string) error {
		return vaultError(403, "Forbidden", "ForbiddenByRbac", "Caller: appid=x;oid="+oid+";iss=https://sts.windows.net/t/\r\n"+
			"Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\nResource: '"+resource+"/secrets/secret'\r\nAssignment: (not found)\r\nVault: kv;location=westeurope\r\n")
	}
	// The firewall's denial (Learn, "Troubleshoot Azure Key Vault network
	// security": "Client address: a.b.c.d").
	firewall := func(addr string) error {
		return vaultError(403, "Forbidden", "ForbiddenByFirewall", "Client address: "+addr+"\r\nCaller: appid=x;oid="+oid+"\r\nVault: kv;location=westeurope")
	}
	// AADSTS70021 as Entra ID words it for a workload identity whose
	// federated credential does not match (Azure/azure-workload-identity#541).
	federation := func(issuer, subject string) error {
		body := `{"error":"invalid_request","error_description":"AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: '` +
			issuer + `'. Assertion Subject: '` + subject + `'. Assertion Audience: 'api://AzureADTokenExchange'.","error_codes":[70021]}`
		resp := &http.Response{StatusCode: 400, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
		return &AuthError{Failed: &Source{Name: "AKS workload identity", Kind: "WorkloadIdentityCredential"}, Err: &azidentity.AuthenticationFailedError{RawResponse: resp}}
	}
	// azidentity's refusal of a tenant the challenge named (its resolveTenant).
	otherTenant := func(tenant string) error {
		return &AuthError{Failed: &Source{Name: "Azure CLI", Kind: "AzureCLICredential"},
			Err: fmt.Errorf(`AzureCLICredential: the credential isn't configured to acquire tokens for tenant "%s"`, tenant)}
	}
	redirected := func(host string) error {
		return &url.Error{Op: "Get", URL: "https://" + host + "/secrets/secret", Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
	}
	for _, tt := range []struct {
		name      string
		err       error
		principal string // the token's oid claim
		want      string // in a command
	}{
		{"RBAC resource", rbac(vaultID), oid, "--scope " + vaultID},
		{"RBAC resource, cmd.exe syntax", rbac("/subscriptions/" + sub + "/resourcegroups/rg" + hostile + "/providers/microsoft.keyvault/vaults/kv"), oid, "--scope $(az keyvault show --name kv --query id -o tsv)"},
		{"RBAC, no resource named", vaultError(403, "Forbidden", "ForbiddenByRbac", "Caller: appid=x;oid="+oid+"\r\nAssignment: (not found)"), oid, "--scope $(az keyvault show --name kv --query id -o tsv)"},
		{"RBAC resource, not a subscription's GUID", rbac("/subscriptions/x&y/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv"), oid, "$(az keyvault show --name kv"},
		{"token's object ID", rbac(vaultID), oid, "--assignee-object-id " + oid},
		{"token's object ID, cmd.exe syntax", rbac(vaultID), oid + hostile, "--assignee-object-id '<object-id>'"},
		{"firewall's client address", firewall("203.0.113.7"), oid, "--ip-address 203.0.113.7"},
		{"firewall's client address, not one", firewall("::ffff:bad::1&"), oid, ""},
		{"federation issuer and subject", federation("https://eastus.oic.prod-aks.azure.com/t/c/", "system:serviceaccount:default:app"), "",
			"--issuer https://eastus.oic.prod-aks.azure.com/t/c/ --subject system:serviceaccount:default:app"},
		{"federation issuer, cmd.exe syntax", federation("https://x/"+hostile, "system:serviceaccount:default:app"), "", "--issuer $(az aks show"},
		{"federation subject, cmd.exe syntax", federation("https://x/", "system:serviceaccount:default:app"+hostile), "", "--subject 'system:serviceaccount:<namespace>:<service-account>'"},
		{"challenge's tenant", otherTenant("99999999-0000-4000-8000-00000000beef"), "", "az login --tenant 99999999-0000-4000-8000-00000000beef"},
		{"challenge's tenant, a domain", otherTenant("contoso.onmicrosoft.com"), "", "az login --tenant contoso.onmicrosoft.com"},
		{"challenge's tenant, cmd.exe syntax", otherTenant("t" + hostile), "", "az login --tenant '<vault-tenant-id>'"},
		{"a redirect's host", redirected("kv.example.net"), "", "nslookup kv.example.net"},
		{"a redirect's host, cmd.exe syntax", redirected("kv" + hostile), "", "nslookup '<host>'"},
		{"an origin that answered too much", &pipeline.AnswerTooLargeError{Origin: "https://kv.example.net"}, "", "https://kv.example.net/"},
		{"an origin that answered too much, cmd.exe syntax", &pipeline.AnswerTooLargeError{Origin: "https://kv" + hostile}, "", "'<url>/'"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, ps := range []bool{false, true} {
				f := Facts{VaultURL: vaultURL, SecretName: "secret", PowerShell: ps}
				if tt.principal != "" {
					f.Principal = &Principal{ObjectID: tt.principal}
				}
				p := Explain(tt.err, f)
				var commands []string
				for _, fix := range p.Fixes {
					if fix.Command != "" {
						commands = append(commands, fix.Command)
					}
				}
				all := strings.Join(commands, "\n")
				if strings.Contains(all, "calc.exe") || strings.Contains(all, "x&y") || strings.Contains(all, "bad::1") {
					t.Errorf("PowerShell %v: an upstream's word of the wrong shape reached a command:\n%s", ps, all)
				}
				if !ps && !strings.Contains(all, tt.want) {
					t.Errorf("%s: no command has %q:\n%s", p.Title, tt.want, all)
				}
			}
		})
	}
}

// vaultError is Key Vault's error answer, as azsecrets returns it.
func vaultError(status int, code, inner, message string) error {
	body := fmt.Sprintf(`{"error":{"code":%q,"message":%q,"innererror":{"code":%q}}}`, code, message, inner)
	req, _ := http.NewRequest("GET", "https://kv.vault.azure.net/secrets/secret", nil)
	resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), Request: req}
	return runtime.NewResponseError(resp)
}
