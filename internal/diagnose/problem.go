// Package diagnose tells a user why the app could not read its Key Vault
// secret, and what fixes it. Its input is the error the Azure SDK returned
// and a few Facts the app knows (the vault, the secret's name, the host it
// runs on, the principal, the source that failed); its output is a
// Problem: an HTTP status, a title, the cause in plain words, and fixes,
// each at most one command that runs when pasted.
//
// It classifies each upstream's answer by the service's own codes: Key
// Vault's inner error code, Entra ID's AADSTS code, the identity
// endpoint's status, the Azure CLI's stderr, the network's error. What
// keeps those answers whole on their way here lives beside it: package
// pipeline (the bounded transport, the network watch) and package seen.
package diagnose

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"
	"github.com/Azure-Samples/keyvault-msi-go/internal/sources"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Problem is a failure as a user sees it: the status, what failed, why,
// and what fixes it.
type Problem struct {
	Status    int       `json:"status"`
	Title     string    `json:"title"`
	Cause     string    `json:"cause"`
	Fixes     []Fix     `json:"fixes"`
	RequestID string    `json:"requestId,omitempty"`
	Config    []Setting `json:"configuration,omitempty"`
}

// Facts are what the app knows that a diagnosis needs: its settings, the
// host it runs on, and who its last token named.
type Facts struct {
	VaultURL, SecretName string
	RequestTimeout       time.Duration
	TenantID, ClientID   string
	CertificatePath      string
	FederatedTokenFile   string
	IdentityEndpoint     string // IDENTITY_ENDPOINT
	MSIEndpoint          string // MSI_ENDPOINT
	ProxyVar, Proxy      string // HTTPS_PROXY or https_proxy, and its value
	Host                 Host
	Principal            *Principal // nil before the first token
	// Secrets are the values the app holds that no page or log may show.
	Secrets []string
	// MissingServicePrincipal names the service principal's settings that
	// are missing where the others are set.
	MissingServicePrincipal []string
	// UnresolvedReference names the app setting holding a Key Vault
	// reference to the same secret that App Service did not resolve: a
	// denial of the app's own read likely denied the platform's too.
	UnresolvedReference string
	// PowerShell: the reader pastes into PowerShell (the app runs on
	// Windows outside a POSIX shell), so the commands are written for it.
	PowerShell bool
}

// Principal is who a token named, as far as a fix needs it.
type Principal struct {
	ObjectID string
	IsUser   bool
}

// PrincipalType is what az role assignment create calls the principal.
func (p Principal) PrincipalType() string {
	if p.IsUser {
		return "User"
	}
	return "ServicePrincipal"
}

// Source and AuthError are the credential chain's, which the diagnosis
// reads: the chain imports nothing of the pages.
type (
	Source    = sources.Source
	AuthError = sources.AuthError
)

// SDKPanic is a panic in the Azure SDK while it read an upstream's
// answer, recovered: the answer was malformed in a way the SDK does not
// check for.
type SDKPanic struct{ Value any }

func (e *SDKPanic) Error() string {
	return fmt.Sprintf("the Azure SDK failed on the answer: %v", e.Value)
}

// Explain classifies err, the failure to read the secret, once, and
// returns its problem with every text redacted of f.Secrets.
func Explain(err error, f Facts) *Problem {
	p := explainer{f, f.Principal}.explain(err)
	p.Status = statusOf(err)
	return finish(p, f)
}

// Configuration is the problem of invalid settings, known at start-up.
func Configuration(settings []Setting, f Facts) *Problem {
	p := explainer{cfg: f}.configurationProblem(settings)
	p.Status = http.StatusInternalServerError
	return finish(p, f)
}

// NoIdentity is the problem when no credential source is configured,
// known at start-up.
func NoIdentity(f Facts) *Problem {
	p := explainer{cfg: f}.noIdentity()
	p.Status = http.StatusInternalServerError
	return finish(p, f)
}

// Stopping is the problem of a view the app ended because it is shutting
// down (SIGTERM: a deploy, a restart, a scale-in) before the view had its
// answer.
func Stopping() *Problem {
	return &Problem{
		Status: http.StatusServiceUnavailable,
		Title:  "The app is stopping",
		Cause:  "The app was told to stop (a deploy, a restart or a scale-in) while this page waited for its answer, and the wait outlasted the time the app gives views to finish.",
		Fixes:  []Fix{{Text: "Reload the page in a moment: the app's next instance answers it."}},
	}
}

// finish redacts p of f.Secrets and writes its commands for the reader's shell.
func finish(p *Problem, f Facts) *Problem {
	p = NewRedactor(f.Secrets...).Problem(p)
	p.Fixes = inShell(f, p.Fixes...)
	return p
}

// inShell is fixes with their commands written for the reader's shell.
func inShell(f Facts, fixes ...Fix) []Fix {
	if f.PowerShell {
		for i := range fixes {
			fixes[i].Command = powerShell(fixes[i].Command)
		}
	}
	return fixes
}

// statusOf is the one table from a kind of failure to its HTTP status:
// the app's own setup (no identity to authenticate with) is the server's
// error, 500; an upstream that gave no answer in time, 504; any other
// upstream's failure (Key Vault, Entra ID, an identity endpoint, a
// developer tool, the network), 502.
func statusOf(err error) int {
	var ae *AuthError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.As(err, &ae) && ae.Failed == nil:
		return http.StatusInternalServerError
	}
	return http.StatusBadGateway
}

// Setting is one invalid setting, told so a user can fix it.
type Setting struct {
	Variable string `json:"variable"`
	Found    string `json:"found"`
	Problem  string `json:"problem"`
	Example  string `json:"example,omitempty"`
	// Reference is set when the value is a Key Vault reference App
	// Service did not resolve: the fix is the platform's, not a value.
	Reference bool `json:"reference,omitempty"`
}

func (p Setting) Error() string {
	return fmt.Sprintf("%s=%q: %s (example: %s)", p.Variable, p.Found, p.Problem, p.Example)
}

// explainer turns an error from reading the secret into a problem.
type explainer struct {
	cfg       Facts
	principal *Principal // who the last token named; nil if none yet
}

// explain classifies err once: configuration and network first, then by
// the upstream that answered (the identity's source, or Key Vault).
func (x explainer) explain(err error) *Problem {
	var (
		ae      *AuthError
		respErr *azcore.ResponseError
	)
	if errors.Is(err, context.DeadlineExceeded) {
		return x.timedOut(err)
	}
	if p := x.networkProblem(err); p != nil {
		return p
	}
	var sdkPanic *SDKPanic
	switch {
	case errors.As(err, &sdkPanic):
		return &Problem{
			Title: "Key Vault's answer could not be read",
			Cause: "The server at " + x.cfg.VaultURL + " answered in a shape Key Vault never uses, and the Azure SDK failed on it (" + pipeline.FirstLine(err.Error()) +
				"). A proxy or a server other than Key Vault may be answering for the vault's name.",
			Fixes: []Fix{{Text: "See what answers for the vault: Key Vault's own answer names login.microsoftonline.com and a tenant in its WWW-Authenticate header.", Command: cmd("curl", "-sSI", x.cfg.VaultURL)}},
		}
	case errors.As(err, &ae):
		return x.authProblem(ae)
	case errors.As(err, &respErr):
		return x.vaultProblem(respErr)
	case strings.Contains(err.Error(), "doesn't match the requested domain"):
		return &Problem{
			Title: "Key Vault's challenge names another domain",
			Cause: "The server at " + x.cfg.VaultURL + " asked for a token for a resource outside the vault's domain. azsecrets refuses, so that a token is never sent to the wrong host: " + pipeline.FirstLine(err.Error()),
			Fixes: []Fix{{
				Text:    "Set KEY_VAULT_URL to the vault's own URL, https://<vault>.vault.azure.net/, not a custom domain or proxy name:",
				Command: cmd("az", "keyvault", "show", "--name", x.vaultName(), "--query", "properties.vaultUri", "-o", "tsv"),
			}},
		}
	}
	return &Problem{
		Title: "Key Vault could not be reached",
		Cause: pipeline.FirstLine(err.Error()),
		Fixes: []Fix{{Text: "Check that this machine reaches the vault:", Command: cmd("curl", "-sSI", x.cfg.VaultURL)}},
	}
}

func (x explainer) timedOut(err error) *Problem {
	var ae *AuthError
	if errors.As(err, &ae) && ae.Failed != nil {
		return &Problem{
			Title: ae.Failed.Name + " did not answer in time",
			Cause: fmt.Sprintf("No token within %s.", x.cfg.RequestTimeout),
			Fixes: []Fix{x.settingFix("Reload the page. If "+ae.Failed.Name+" is slow rather than stuck (a first run, a proxy on the way), raise REQUEST_TIMEOUT (now "+x.cfg.RequestTimeout.String()+").", "REQUEST_TIMEOUT", "30s")},
		}
	}
	return &Problem{
		Title: "Key Vault did not answer in time",
		Cause: fmt.Sprintf("Key Vault (%s) gave no answer within %s.", x.host(), x.cfg.RequestTimeout),
		Fixes: []Fix{{Text: "Check that Key Vault is reachable from here; if it is slow rather than unreachable, raise REQUEST_TIMEOUT (now " + x.cfg.RequestTimeout.String() + ").", Command: cmd("curl", "-sSI", x.cfg.VaultURL)}},
	}
}

// authProblem explains the chain's failure by the upstream its source
// talks to: the identity endpoint, Entra ID or the Azure CLI.
func (x explainer) authProblem(ae *AuthError) *Problem {
	if ae.Failed == nil {
		return x.noIdentity()
	}
	if len(ae.Also) > 0 {
		return x.everyToolFailed(ae)
	}
	s, detail := ae.Failed, SourceDetail(ae.Err)
	if p := x.tenantMismatch(s, detail); p != nil {
		return p
	}
	var afe *azidentity.AuthenticationFailedError
	switch s.Kind {
	case sources.KindManagedIdentity:
		return x.identityProblem(s, detail, ae.Err)
	case sources.KindWorkloadIdentity:
		return x.workloadProblem(s, detail, ae.Err)
	case sources.KindServicePrincipal:
		if errors.As(ae.Err, &afe) && afe.RawResponse != nil {
			return x.entraProblem(s, readEntraAnswer(afe.RawResponse))
		}
	case sources.KindAzureCLI:
		return x.cliProblem(s, detail)
	case sources.KindAzureDeveloperCLI:
		return x.azdProblem(s, detail)
	case sources.KindAzurePowerShell:
		return x.pwshProblem(s, detail)
	}
	return &Problem{
		Title: s.Name + " could not get a token",
		Cause: detail,
		Fixes: []Fix{{Text: "Check the service principal's settings: AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH."}},
	}
}

// everyToolFailed is the problem when each developer tool failed: each
// one's cause, and each one's fix, in the chain's order, for the developer
// may use either tool.
func (x explainer) everyToolFailed(ae *AuthError) *Problem {
	first := *ae
	first.Also = nil
	p := x.authProblem(&first)
	for _, a := range ae.Also {
		q := x.authProblem(a)
		p.Title += "; " + q.Title
		p.Cause += " " + q.Cause
		p.Fixes = append(p.Fixes, q.Fixes...)
	}
	return p
}

// noIdentity is the page when no source is configured. It is known at
// start-up, so the app answers it without calling anything.
func (x explainer) noIdentity() *Problem {
	p := &Problem{
		Title: "No identity to authenticate with",
		Cause: "None of the credential sources is configured; each one's reason is listed below.",
	}
	if h := x.cfg.Host; h.Name != "" { // on an Azure host, its identity is off
		p.Fixes = []Fix{
			{Text: "Turn on the app's managed identity:", Command: h.assignIdentity(nil)},
			{Text: "Then restart the app, so that " + h.Name + " sets IDENTITY_ENDPOINT and IDENTITY_HEADER for it:", Command: h.restart()},
		}
		return p
	}
	p.Fixes = []Fix{
		{Text: "Sign in to the Azure CLI (install it from https://aka.ms/installazurecli if az is missing), then start the app again:", Command: x.azLogin()},
		{Text: "Or use a service principal: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH)."},
	}
	if missing := x.cfg.MissingServicePrincipal; len(missing) > 0 {
		// The user meant a service principal and left one setting out:
		// that comes first, named.
		p.Cause = "The service principal's settings are half there: " + strings.Join(missing, " and ") + " not set. No other source is configured; each one's reason is listed below."
		fix := Fix{Text: "Set " + strings.Join(missing, " and ") + " too, then start the app again."}
		if slices.Equal(missing, []string{"AZURE_TENANT_ID"}) {
			fix = Fix{Text: "Set AZURE_TENANT_ID too, then start the app again. Your directory's tenant ID is what this prints, once signed in to the Azure CLI:", Command: cmd("az", "account", "show", "--query", "tenantId", "-o", "tsv")}
		}
		p.Fixes = append([]Fix{fix}, p.Fixes[0])
	}
	return p
}

// configurationProblem is the page for invalid settings, each with the
// command that sets it where the app runs.
func (x explainer) configurationProblem(problems []Setting) *Problem {
	p := &Problem{
		Title:  "The app is not configured",
		Cause:  "These settings are missing or invalid.",
		Config: problems,
	}
	var references []string
	for _, c := range problems {
		if c.Reference {
			references = append(references, c.Variable)
			continue
		}
		p.Fixes = append(p.Fixes, x.settingFix("Set "+c.Variable+" to a valid value (the app reads it at start-up), for example as this command does.", c.Variable, c.Example))
	}
	if len(references) > 0 {
		p.Fixes = append(x.referenceFixes(references), p.Fixes...)
	}
	return p
}

// settingFix is the fix that sets an app setting where the app runs. On
// App Service its words also say that the setting survives a redeploy:
// azuredeploy.json merges its own settings over the app's.
func (x explainer) settingFix(text, name, value string) Fix {
	if x.cfg.Host.Group == "webapp" {
		text += " Deploying azuredeploy.json again keeps it: the template merges its own settings over the app's."
	}
	return Fix{Text: text, Command: x.cfg.Host.setting(name, value)}
}

func (x explainer) host() string {
	u, err := url.Parse(x.cfg.VaultURL)
	if err != nil {
		return x.cfg.VaultURL
	}
	return u.Host
}

// vaultName is the vault's name, the first label of its host.
func (x explainer) vaultName() string { return VaultName(x.cfg.VaultURL) }

// VaultName is the name of the vault at vaultURL: its host's first label.
func VaultName(vaultURL string) string {
	host := vaultURL
	if u, err := url.Parse(vaultURL); err == nil {
		host = u.Host
	}
	name, _, _ := strings.Cut(host, ".")
	return name
}

// SourceDetail is the short reason a source failed: the token endpoint's
// answer, or the source's own message without azidentity's link.
func SourceDetail(err error) string {
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) && afe.RawResponse != nil {
		r := afe.RawResponse
		if reason := responseReason(r); reason != "" {
			return fmt.Sprintf("%s answered %d: %s", hostOf(r), r.StatusCode, reason)
		}
		return fmt.Sprintf("%s answered %d %s", hostOf(r), r.StatusCode, http.StatusText(r.StatusCode))
	}
	var le IdentityAnswerer
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
	return pipeline.ErrorDescription(body)
}
