package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// problem is a failure as a user sees it: the status, what failed, why, and
// what fixes it.
type problem struct {
	Status    int             `json:"status"`
	Title     string          `json:"title"`
	Cause     string          `json:"cause"`
	Fixes     []fix           `json:"fixes"`
	RequestID string          `json:"requestId,omitempty"`
	Config    []configProblem `json:"configuration,omitempty"`
}

// sourceStatus is one credential source as the page lists it.
type sourceStatus struct {
	Name   string `json:"name"`
	Status string `json:"status"` // used, failed, skipped, or configured (not yet asked)
	Detail string `json:"detail,omitempty"`
}

// statuses lists the chain's sources as they stand: the source whose error
// is err failed; the active one is used once it has issued a token, and
// only configured before.
func (c *chain) statuses(err error, issued bool) []sourceStatus {
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
		case issued:
			out = append(out, sourceStatus{s.Name, "used", ""})
		default:
			out = append(out, sourceStatus{s.Name, "configured", "not yet asked for a token"})
		}
	}
	return out
}

// failure is a failed read as every view of it shows it: explained once,
// redacted, and never changed after, so that views may share it.
type failure struct {
	problem *problem
	sources []sourceStatus
	log     string // the error's first line, for the log
}

// explainFailure returns the function that explains a failed read, with
// what the app knows: cfg, and the chain's principal and sources.
func explainFailure(cfg config, creds *chain) func(error) *failure {
	r := newRedactor(cfg)
	return func(err error) *failure {
		p := creds.Principal()
		f := &failure{
			problem: r.problem(explainer{cfg, p}.explain(err)),
			sources: creds.statuses(err, p != nil),
			log:     r.text(firstLine(err.Error())),
		}
		for i := range f.sources {
			f.sources[i].Detail = r.text(f.sources[i].Detail)
		}
		return f
	}
}

// explainer turns an error from reading the secret into a problem.
type explainer struct {
	cfg       config
	principal *principal // who the last token named; nil if none yet
}

// explain classifies err once: configuration and network first, then by
// the upstream that answered (the identity's source, or Key Vault).
func (x explainer) explain(err error) *problem {
	var (
		ae      *authError
		respErr *azcore.ResponseError
	)
	if errors.Is(err, context.DeadlineExceeded) {
		return x.timedOut(err)
	}
	if p := x.networkProblem(err); p != nil {
		return p
	}
	switch {
	case errors.As(err, &ae):
		return x.authProblem(ae)
	case errors.As(err, &respErr):
		return x.vaultProblem(respErr)
	case strings.Contains(err.Error(), "doesn't match the requested domain"):
		return &problem{
			Status: http.StatusBadGateway,
			Title:  "Key Vault's challenge names another domain",
			Cause:  "The server at " + x.cfg.VaultURL + " asked for a token for a resource outside the vault's domain. azsecrets refuses, so that a token is never sent to the wrong host: " + firstLine(err.Error()),
			Fixes: []fix{{
				Text:    "Set KEY_VAULT_URL to the vault's own URL, https://<vault>.vault.azure.net/, not a custom domain or proxy name:",
				Command: cmd("az", "keyvault", "show", "--name", x.vaultName(), "--query", "properties.vaultUri", "-o", "tsv"),
			}},
		}
	}
	return &problem{
		Status: http.StatusBadGateway,
		Title:  "Key Vault could not be reached",
		Cause:  firstLine(err.Error()),
		Fixes:  []fix{{Text: "Check that this machine reaches the vault:", Command: cmd("curl", "-sSI", x.cfg.VaultURL)}},
	}
}

func (x explainer) timedOut(err error) *problem {
	var ae *authError
	if errors.As(err, &ae) && ae.Failed != nil {
		return &problem{
			Status: http.StatusGatewayTimeout,
			Title:  ae.Failed.Name + " did not answer in time",
			Cause:  fmt.Sprintf("No token within %s.", x.cfg.RequestTimeout),
			Fixes:  []fix{{Text: "Reload the page. If the identity's endpoint is slow rather than down, raise REQUEST_TIMEOUT (now " + x.cfg.RequestTimeout.String() + ").", Command: x.setting("REQUEST_TIMEOUT", "30s")}},
		}
	}
	return &problem{
		Status: http.StatusGatewayTimeout,
		Title:  "Key Vault did not answer in time",
		Cause:  fmt.Sprintf("Key Vault (%s) gave no answer within %s.", x.host(), x.cfg.RequestTimeout),
		Fixes:  []fix{{Text: "Check that Key Vault is reachable from here; if it is slow rather than unreachable, raise REQUEST_TIMEOUT (now " + x.cfg.RequestTimeout.String() + ").", Command: cmd("curl", "-sSI", x.cfg.VaultURL)}},
	}
}

// authProblem explains the chain's failure by the upstream its source
// talks to: the identity endpoint, Entra ID or the Azure CLI.
func (x explainer) authProblem(ae *authError) *problem {
	if ae.Failed == nil {
		return x.noIdentity()
	}
	s, detail := ae.Failed, sourceDetail(ae.Err)
	if p := x.tenantMismatch(s, detail); p != nil {
		return p
	}
	var afe *azidentity.AuthenticationFailedError
	switch s.TypeName {
	case "ManagedIdentityCredential":
		return x.identityProblem(s, detail, ae.Err)
	case "WorkloadIdentityCredential":
		return x.workloadProblem(s, detail, ae.Err)
	case "EnvironmentCredential":
		if errors.As(ae.Err, &afe) && afe.RawResponse != nil {
			return x.entraProblem(s, readEntraAnswer(afe.RawResponse))
		}
	case "AzureCLICredential":
		return x.cliProblem(s, detail)
	}
	return &problem{
		Status: http.StatusBadGateway,
		Title:  s.Name + " could not get a token",
		Cause:  detail,
		Fixes:  []fix{{Text: "Check the service principal's settings: AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH."}},
	}
}

// noIdentity is the page when no source is configured. It is known at
// start-up, so the app answers it without calling anything.
func (x explainer) noIdentity() *problem {
	p := &problem{
		Status: http.StatusInternalServerError,
		Title:  "No identity to authenticate with",
		Cause:  "None of the credential sources is configured; each one's reason is listed below.",
	}
	if h := x.cfg.Host; h.Name != "" { // on an Azure host, its identity is off
		p.Fixes = []fix{
			{Text: "Turn on the app's managed identity:", Command: h.assignIdentity(nil)},
			{Text: "Then restart the app, so that " + h.Name + " sets IDENTITY_ENDPOINT and IDENTITY_HEADER for it:", Command: h.restart()},
		}
		return p
	}
	p.Fixes = []fix{
		{Text: "Sign in to the Azure CLI (install it from https://aka.ms/installazurecli if az is missing), then start the app again:", Command: x.azLogin()},
		{Text: "Or use a service principal: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH)."},
	}
	return p
}

// configurationProblem is the page for invalid settings, each with the
// command that sets it where the app runs.
func (x explainer) configurationProblem(problems []configProblem) *problem {
	p := &problem{
		Status: http.StatusInternalServerError,
		Title:  "The app is not configured",
		Cause:  "These settings are missing or invalid.",
		Config: problems,
	}
	for _, c := range problems {
		p.Fixes = append(p.Fixes, fix{Text: "Set " + c.Variable + " to a valid value (the app reads it at start-up), for example:", Command: x.setting(c.Variable, c.Example)})
	}
	return p
}

// setting is the command that sets an app setting where the app runs.
func (x explainer) setting(name, value string) string { return x.cfg.Host.setting(name, value) }

func (x explainer) host() string {
	u, err := url.Parse(x.cfg.VaultURL)
	if err != nil {
		return x.cfg.VaultURL
	}
	return u.Host
}

// vaultName is the vault's name, the first label of its host.
func (x explainer) vaultName() string {
	name, _, _ := strings.Cut(x.host(), ".")
	return name
}

// sourceDetail is the short reason a source failed: the token endpoint's
// answer, or the source's own message without azidentity's link.
func sourceDetail(err error) string {
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) && afe.RawResponse != nil {
		r := afe.RawResponse
		if reason := responseReason(r); reason != "" {
			return fmt.Sprintf("%s answered %d: %s", hostOf(r), r.StatusCode, reason)
		}
		return fmt.Sprintf("%s answered %d %s", hostOf(r), r.StatusCode, http.StatusText(r.StatusCode))
	}
	var le *legacyError
	if errors.As(err, &le) {
		return le.Error()
	}
	msg, _, _ := strings.Cut(err.Error(), "To troubleshoot, visit")
	msg = strings.TrimSpace(msg)
	// azidentity prefixes the credential's name: "AzureCLICredential: ERROR: …".
	for _, prefix := range []string{"AzureCLICredential: ", "ManagedIdentityCredential: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	return msg
}

func hostOf(r *http.Response) string {
	if r.Request != nil {
		return r.Request.URL.Host
	}
	return "the endpoint"
}

// responseReason is the human part of a token endpoint's error body.
func responseReason(r *http.Response) string {
	body, err := runtime.Payload(r)
	if err != nil {
		return ""
	}
	return errorDescription(body)
}
