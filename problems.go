package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// problem is a failure as a user sees it: the status, what failed, why, and
// the commands that fix it.
type problem struct {
	Status    int             `json:"status"`
	Title     string          `json:"title"`
	Cause     string          `json:"cause"`
	Fixes     []string        `json:"fixes"`
	Notes     []string        `json:"notes,omitempty"`
	RequestID string          `json:"requestId,omitempty"`
	Config    []configProblem `json:"configuration,omitempty"`
}

// sourceStatus is one credential source as the page lists it.
type sourceStatus struct {
	Name   string `json:"name"`
	Status string `json:"status"` // used, failed, skipped
	Detail string `json:"detail,omitempty"`
}

// statuses lists the chain's sources; failed is the source whose error is
// err, if any.
func (c *chain) statuses(err error) []sourceStatus {
	var ae *authError
	errors.As(err, &ae)
	out := make([]sourceStatus, 0, len(c.sources))
	for i := range c.sources {
		s := &c.sources[i]
		switch {
		case s.Skipped != "":
			out = append(out, sourceStatus{s.Name, "skipped", s.Skipped})
		case ae != nil && ae.Failed == s:
			out = append(out, sourceStatus{s.Name, "failed", sourceDetail(ae.Err)})
		default:
			out = append(out, sourceStatus{s.Name, "used", ""})
		}
	}
	return out
}

// configurationProblem is the page for invalid settings: each one, with the
// commands that set it on App Service and locally.
func configurationProblem(problems []configProblem) *problem {
	p := &problem{
		Status: http.StatusInternalServerError,
		Title:  "The app is not configured",
		Cause:  "These settings are missing or invalid.",
		Config: problems,
	}
	for _, c := range problems {
		p.Fixes = append(p.Fixes,
			"On App Service: az webapp config appsettings set --name <app> --resource-group <group> --settings "+c.Variable+"="+c.Example,
			"Locally: export "+c.Variable+"="+c.Example+" and run the app again")
	}
	return p
}

// explainer turns an error from reading the secret into a problem.
type explainer struct {
	vaultURL   string
	secretName string
	timeout    time.Duration
	principal  *principal // who the last token named; nil if none yet
}

func (x explainer) explain(err error) *problem {
	var (
		ae      *authError
		respErr *azcore.ResponseError
	)
	switch {
	case errors.As(err, &ae):
		return x.authProblem(ae)
	case errors.Is(err, context.DeadlineExceeded):
		return &problem{
			Status: http.StatusGatewayTimeout,
			Title:  "Key Vault did not answer in time",
			Cause:  fmt.Sprintf("Key Vault (%s) gave no answer within %s.", x.host(), x.timeout),
			Fixes: []string{
				"Check that Key Vault is reachable from here: curl -sI " + x.vaultURL,
				"If the vault is slow rather than unreachable, raise REQUEST_TIMEOUT (now " + x.timeout.String() + ")",
			},
		}
	case errors.As(err, &respErr):
		return x.vaultProblem(respErr)
	case strings.Contains(err.Error(), "doesn't match the requested domain"):
		return &problem{
			Status: http.StatusBadGateway,
			Title:  "Key Vault's challenge names another domain",
			Cause:  "The server at " + x.vaultURL + " asked for a token for a resource whose domain is not the vault's. azsecrets refuses, so that a token is never sent to the wrong host.",
			Fixes: []string{
				"Set KEY_VAULT_URL to the vault's own URL, https://<vault>.vault.azure.net/, not a custom domain or proxy name: az keyvault show --name <vault> --query properties.vaultUri -o tsv",
			},
			Notes: []string{sanitize(err.Error())},
		}
	}
	p := &problem{
		Status: http.StatusBadGateway,
		Title:  "Key Vault could not be reached",
		Cause:  sanitize(err.Error()),
		Fixes:  []string{"Check the vault's host name resolves and is reachable from here: nslookup " + x.host()},
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		p.Cause = "The vault's host name " + dnsErr.Name + " does not resolve."
		p.Fixes = []string{"Check KEY_VAULT_URL (" + x.vaultURL + "): az keyvault list --query [].properties.vaultUri -o tsv"}
	}
	return p
}

func (x explainer) authProblem(ae *authError) *problem {
	if ae.Failed == nil {
		return &problem{
			Status: http.StatusInternalServerError,
			Title:  "No identity to authenticate with",
			Cause:  "None of the credential sources is configured; each one's reason is listed below.",
			Fixes: []string{
				"On App Service: enable the managed identity, then restart the app: az webapp identity assign --name <app> --resource-group <group> && az webapp restart --name <app> --resource-group <group>",
				"On your machine: az login, then run the app again",
				"Or use a service principal: export AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET",
			},
		}
	}
	detail := sourceDetail(ae.Err)
	p := &problem{
		Status: http.StatusBadGateway,
		Title:  ae.Failed.Name + " could not get a token",
		Cause:  detail,
	}
	if errors.Is(ae.Err, context.DeadlineExceeded) {
		p.Status = http.StatusGatewayTimeout
		p.Title = ae.Failed.Name + " did not answer in time"
		p.Cause = fmt.Sprintf("No token within %s.", x.timeout)
	}
	switch ae.Failed.TypeName {
	case "ManagedIdentityCredential":
		p.Fixes = []string{
			"Check the app's identity is enabled: az webapp identity show --name <app> --resource-group <group>",
			"If it was just enabled, restart the app so that App Service sets IDENTITY_ENDPOINT: az webapp restart --name <app> --resource-group <group>",
		}
		if strings.Contains(ae.Failed.Name, "user-assigned") {
			p.Fixes = append(p.Fixes, "AZURE_CLIENT_ID selects a user-assigned identity; check it is assigned to the app: az webapp identity show --name <app> --resource-group <group> --query userAssignedIdentities")
		}
	case "EnvironmentCredential":
		p.Fixes = []string{
			"Check AZURE_TENANT_ID and AZURE_CLIENT_ID: az ad sp show --id $AZURE_CLIENT_ID --query '{appId:appId, tenant:appOwnerOrganizationId}'",
			"If the secret expired or is wrong, make a new one: az ad app credential reset --id $AZURE_CLIENT_ID --query password -o tsv",
		}
	case "AzureCLICredential":
		p.Fixes = []string{"Sign in to the Azure CLI: az login"}
		if strings.Contains(detail, "tenant") {
			p.Fixes = append(p.Fixes, "The vault is in another tenant: az login --tenant <vault's tenant ID>, or set AZURE_TENANT_ID to it")
		}
	}
	if strings.Contains(detail, "configured to acquire tokens for tenant") {
		p.Notes = append(p.Notes, "Tenant mismatch: the vault's tenant (from its challenge) differs from AZURE_TENANT_ID. Use the vault's tenant: az keyvault show --name <vault> --query properties.tenantId -o tsv")
	}
	return p
}

func (x explainer) vaultProblem(e *azcore.ResponseError) *problem {
	p := &problem{Status: http.StatusBadGateway}
	if e.RawResponse != nil {
		p.RequestID = e.RawResponse.Header.Get("x-ms-request-id")
	}
	vault := x.vaultName()
	switch {
	case e.StatusCode == http.StatusForbidden && strings.Contains(e.Error(), "ForbiddenByFirewall"):
		p.Title = "Key Vault's firewall blocked the request"
		p.Cause = "The vault accepts requests only from allowed networks, and this app's address is not one of them."
		p.Fixes = []string{
			"Allow the app's outbound addresses: az webapp show --name <app> --resource-group <group> --query outboundIpAddresses -o tsv, then az keyvault network-rule add --name " + vault + " --ip-address <each address>",
			"Or connect the app to the vault's virtual network (VNet integration or a private endpoint)",
		}
	case e.StatusCode == http.StatusForbidden:
		oid, kind := "<object ID>", "ServicePrincipal"
		if x.principal != nil && x.principal.ObjectID != "" {
			oid, kind = x.principal.ObjectID, x.principal.PrincipalType()
		}
		p.Title = "Key Vault denied access"
		p.Cause = "The principal with object ID " + oid + " may not read secrets in " + vault + "."
		p.Fixes = []string{
			"If the vault uses Azure RBAC: az role assignment create --role \"Key Vault Secrets User\" --assignee-object-id " + oid + " --assignee-principal-type " + kind + " --scope $(az keyvault show --name " + vault + " --query id -o tsv)",
			"If the vault uses access policies: az keyvault set-policy --name " + vault + " --object-id " + oid + " --secret-permissions get",
		}
		p.Notes = []string{"A new role assignment can take minutes to apply; reload this page after a while."}
	case e.StatusCode == http.StatusNotFound:
		p.Title = "The secret was not found"
		p.Cause = fmt.Sprintf("The vault %s has no secret named %q (not found).", vault, x.secretName)
		p.Fixes = []string{
			"Create it: az keyvault secret set --vault-name " + vault + " --name " + x.secretName + " --value <value>",
			"Or point SECRET_NAME at an existing one: az keyvault secret list --vault-name " + vault + " --query [].name -o tsv",
		}
	case e.StatusCode == http.StatusUnauthorized:
		p.Title = "Key Vault rejected the token"
		p.Cause = "The token's tenant or audience is not what the vault expects (" + e.ErrorCode + ")."
		p.Fixes = []string{"Authenticate in the vault's tenant: az keyvault show --name " + vault + " --query properties.tenantId -o tsv, then set AZURE_TENANT_ID to it (or az login --tenant <it>)"}
	case e.StatusCode == http.StatusTooManyRequests:
		p.Title = "Key Vault is throttling requests"
		p.Cause = "Key Vault answered 429 Too Many Requests, also after the retries Azure SDK makes (honouring Retry-After)."
		p.Fixes = []string{
			"Read the secret less often: set SECRET_CACHE_TTL (e.g. 30s) so that views within it reuse the value",
			"Check what else uses the vault: its limit is shared by every app that reads it",
		}
	case e.StatusCode >= 500:
		p.Title = "Key Vault failed"
		p.Cause = fmt.Sprintf("Key Vault answered %d %s, also after the retries Azure SDK makes.", e.StatusCode, http.StatusText(e.StatusCode))
		p.Fixes = []string{"Check Azure status (https://azure.status.microsoft/) and retry; quote the request ID to support"}
	default:
		p.Title = "Key Vault refused the request"
		p.Cause = fmt.Sprintf("Key Vault answered %d %s (%s).", e.StatusCode, http.StatusText(e.StatusCode), e.ErrorCode)
		p.Fixes = []string{"Check KEY_VAULT_URL and SECRET_NAME: az keyvault secret show --vault-name " + vault + " --name " + x.secretName + " --query id"}
	}
	return p
}

func (x explainer) host() string {
	u, err := url.Parse(x.vaultURL)
	if err != nil {
		return x.vaultURL
	}
	return u.Host
}

// vaultName is the vault's name, the first label of its host.
func (x explainer) vaultName() string {
	name, _, _ := strings.Cut(x.host(), ".")
	return name
}

// sanitize keeps an error short for the page: its first line.
func sanitize(msg string) string {
	first, _, _ := strings.Cut(msg, "\n")
	return strings.TrimSpace(first)
}

// sourceDetail is the short reason a source failed: the Entra ID error code,
// the identity endpoint's status, or the Azure CLI's message.
func sourceDetail(err error) string {
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) && afe.RawResponse != nil {
		r := afe.RawResponse
		if code := responseReason(r); code != "" {
			return fmt.Sprintf("%s answered %d: %s", hostOf(r), r.StatusCode, code)
		}
		return fmt.Sprintf("%s answered %d %s", hostOf(r), r.StatusCode, http.StatusText(r.StatusCode))
	}
	var le *legacyError
	if errors.As(err, &le) {
		return le.Error()
	}
	msg := err.Error()
	// azidentity's messages end with a troubleshooting link on its own line or after the text.
	msg, _, _ = strings.Cut(msg, "To troubleshoot, visit")
	return strings.TrimSpace(msg)
}

func hostOf(r *http.Response) string {
	if r.Request != nil {
		return r.Request.URL.Host
	}
	return "the endpoint"
}

var aadsts = regexp.MustCompile(`AADSTS\d+`)

// responseReason returns the error a token endpoint gave, e.g. Entra ID's
// "AADSTS7000215: Invalid client secret provided.", or "".
func responseReason(r *http.Response) string {
	body, err := runtime.Payload(r)
	if err != nil {
		return ""
	}
	if d := errorDescription(body); d != "" {
		return d
	}
	return aadsts.FindString(string(body))
}
