package diagnose

import (
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// TestClassifierEdges covers answers the stand-in does not play: Key
// Vault's own 500, an untrusted certificate on Entra ID's host, and a
// federated credential's issuer that Entra ID's answer does not name.
func TestClassifierEdges(t *testing.T) {
	t.Parallel()
	x := explainer{cfg: Facts{VaultURL: "https://kv.vault.azure.net/", SecretName: "secret"}}
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
	w := &Source{Name: "AKS workload identity", Kind: "WorkloadIdentityCredential"}
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
		if got := SourceDetail(tt.err); got != tt.want {
			t.Errorf("sourceDetail = %q; want %q", got, tt.want)
		}
	}
}

// TestAuthErrorText: the chain's error names the source that failed, or
// says that none is configured; the log's error field quotes it.
func TestAuthErrorText(t *testing.T) {
	t.Parallel()
	failed := &Source{Name: "Azure CLI"}
	for _, tt := range []struct {
		err  *AuthError
		want string
	}{
		{&AuthError{}, "no credential source is configured"},
		{&AuthError{Failed: failed, Err: errors.New("az: not logged in")}, "Azure CLI: az: not logged in"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q; want %q", got, tt.want)
		}
	}
}

// TestErrorDescription reads the human part of an error body: App
// Service's Message, OAuth's error_description (its first line), else error.
func TestErrorDescription(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`{"StatusCode":400,"Message":"No MSI found for specified ClientId/ResourceId.","CorrelationId":"c"}`: "No MSI found for specified ClientId/ResourceId.",
		`{"error":"invalid_client","error_description":"AADSTS7000215: Invalid.\r\nTrace ID: x"}`:            "AADSTS7000215: Invalid.",
		`{"error":"invalid_request"}`: "invalid_request",
		`not json`:                    "",
	} {
		if got := pipeline.ErrorDescription([]byte(body)); got != want {
			t.Errorf("pipeline.ErrorDescription(%s) = %q; want %q", body, got, want)
		}
	}
}

// TestMissingTokenFileOnEveryOS: the token file's absence is told as such
// in the words Linux and macOS give it and in Windows' two.
func TestMissingTokenFileOnEveryOS(t *testing.T) {
	t.Parallel()
	x := explainer{cfg: Facts{FederatedTokenFile: "/var/run/secrets/azure/tokens/azure-identity-token", ClientID: "c"}}
	for _, detail := range []string{
		"open /var/run/secrets/azure/tokens/azure-identity-token: no such file or directory",
		`open C:\tokens\azure-identity-token: The system cannot find the file specified.`,
		`open C:\no-dir\azure-identity-token: The system cannot find the path specified.`,
	} {
		p := x.workloadProblem(&Source{Name: "AKS workload identity"}, detail, nil)
		if got, want := p.Title, "AKS workload identity: the service account token file is missing"; got != want {
			t.Errorf("workloadProblem(%q).Title = %q; want %q", detail, got, want)
		}
	}
}
