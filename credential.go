package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/devtool"
	"github.com/Azure-Samples/keyvault-msi-go/diagnose"
	"github.com/Azure-Samples/keyvault-msi-go/legacymsi"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// source is one way of getting a token: a managed identity, a service
// principal, the Azure CLI or the Azure Developer CLI.
type source struct {
	Name     string // what the page calls it, e.g. "Azure CLI"
	TypeName string // its azidentity type name, as AZURE_TOKEN_CREDENTIALS names it
	Skipped  string // why it is not used; "" when it is configured
	cred     azcore.TokenCredential
}

// chain is the app's one credential. It asks the first source whose
// environment is present, in the order workload identity, managed
// identity, service principal, Azure CLI, Azure Developer CLI, and records
// who that source turned out to be. A configured identity that fails is
// reported, not passed over: falling through to a developer's own login on
// a server would hide the real problem. A developer tool that fails (signed
// out, expired, broken) is passed over to the next developer tool, as in
// DefaultAzureCredential, which treats their failures as "unavailable"
// (azidentity 1.15, developer_credential_util.go: unavailableIfInDAC).
type chain struct {
	sources   []source
	active    *source   // the first source asked; nil when every source is skipped
	fallbacks []*source // the developer tools asked, in order, when active is one and fails
	last      atomic.Pointer[issued]
}

// issued is who the last token was issued to, and the developer tools
// that failed before its source gave it.
type issued struct {
	principal  principal
	passedOver []*diagnose.AuthError
}

// newChain builds the chain for cfg. opts reach every source's HTTP
// pipeline; production passes the zero value, so azcore's default transport
// (HTTPS_PROXY, system roots) applies.
func newChain(cfg config, opts azcore.ClientOptions) *chain {
	// Workload identity comes before the managed identity, as in
	// azidentity's DefaultAzureCredential.
	c := &chain{sources: []source{
		workloadIdentitySource(cfg, opts),
		managedIdentitySource(cfg, opts),
		servicePrincipalSource(cfg, opts),
		azureCLISource(cfg),
		azureDeveloperCLISource(cfg),
		azurePowerShellSource(cfg),
	}}
	for i := range c.sources {
		s := &c.sources[i]
		if s.Skipped == "" && !cfg.allows(s.TypeName) {
			s.Skipped, s.cred = "excluded by AZURE_TOKEN_CREDENTIALS="+cfg.TokenSources, nil
		}
		switch {
		case s.Skipped != "":
		case c.active == nil:
			c.active = s
		case developerTools[c.active.TypeName] && developerTools[s.TypeName]:
			c.fallbacks = append(c.fallbacks, s)
		default:
			s.Skipped = "not tried: " + c.active.Name + " comes first"
		}
	}
	return c
}

// allows reports whether AZURE_TOKEN_CREDENTIALS lets the chain use typeName.
func (c config) allows(typeName string) bool {
	switch c.TokenSources {
	case "":
		return true
	case "prod":
		return !developerTools[typeName]
	case "dev":
		return developerTools[typeName]
	}
	return c.TokenSources == typeName
}

// developerTools are the sources AZURE_TOKEN_CREDENTIALS=dev selects and
// prod excludes, as in azidentity's DefaultAzureCredential.
var developerTools = map[string]bool{"AzureCLICredential": true, "AzureDeveloperCLICredential": true, "AzurePowerShellCredential": true}

// GetToken implements azcore.TokenCredential. azsecrets calls it once per
// token lifetime: its bearer-token policy caches the token and makes
// concurrent callers wait for one request.
func (c *chain) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if c.active == nil {
		return azcore.AccessToken{}, &diagnose.AuthError{}
	}
	var failed []*diagnose.AuthError
	for _, s := range append([]*source{c.active}, c.fallbacks...) {
		tok, ae := ask(ctx, s, opts)
		if ae == nil {
			l := &issued{principal: principalFromToken(tok.Token), passedOver: failed}
			l.principal.Source, l.principal.ExpiresOn = s.Name, shownTime(tok.ExpiresOn)
			c.last.Store(l)
			return tok, nil
		}
		failed = append(failed, ae)
		if ctx.Err() != nil {
			break // no time left to ask the next tool
		}
	}
	ae := failed[0]
	ae.Also = failed[1:]
	diagnose.See(ctx, ae) // for the handler: see withAuthFailure
	return azcore.AccessToken{}, ae
}

// latestShown is the latest time JSON can carry: encoding/json refuses a
// year past 9999 (RFC 3339), and an upstream may claim one.
var latestShown = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// shownTime is t as the page may show it: no later than latestShown.
func shownTime(t time.Time) time.Time {
	if t.After(latestShown) {
		return latestShown
	}
	return t
}

// ask gets a token from s, or says why s could not, with the last network
// failure its requests met.
func ask(ctx context.Context, s *source, opts policy.TokenRequestOptions) (azcore.AccessToken, *diagnose.AuthError) {
	ctx, transportErr := diagnose.WithSeen[error](ctx)
	tok, err := s.cred.GetToken(ctx, opts)
	if err == nil {
		return tok, nil
	}
	ae := &diagnose.AuthError{Failed: &diagnose.Source{Name: s.Name, TypeName: s.TypeName}, Err: err}
	if t := transportErr(); t != nil {
		ae.Transport = *t
	}
	return azcore.AccessToken{}, ae
}

// Principal is who the last token was issued to, or nil before the first.
func (c *chain) Principal() *principal {
	if l := c.last.Load(); l != nil {
		return &l.principal
	}
	return nil
}

// withAuthFailure adds the chain's failure, recorded in ctx's seen slot,
// to a request's final error when that error has lost it: azcore's retry
// policy replaces any error with the context's own once the context is
// done, so a token request that timed out would otherwise read as Key
// Vault's timeout.
func withAuthFailure(failed func() *diagnose.AuthError, err error) error {
	var ae *diagnose.AuthError
	if f := failed(); f != nil && err != nil && !errors.As(err, &ae) {
		return errors.Join(f, err)
	}
	return err
}

func managedIdentitySource(cfg config, opts azcore.ClientOptions) source {
	// AZURE_CLIENT_ID alone, on a managed-identity host, names a
	// user-assigned identity, as in DefaultAzureCredential.
	var clientID string
	if cfg.ClientSecret == "" && cfg.CertificatePath == "" {
		clientID = cfg.ClientID
	}
	name := cfg.Host.IdentityName()
	switch {
	case cfg.IdentityEndpoint != "" && cfg.IdentityHeader != "":
		return azidentityMISource(name, "(2019-08-01)", cfg.IdentityEndpoint, clientID, opts)
	case cfg.IdentityEndpoint != "" && cfg.IMDSEndpoint != "":
		// Azure Arc sets IDENTITY_ENDPOINT and IMDS_ENDPOINT; azidentity
		// speaks its protocol (its managed_identity_client.go). Arc takes no
		// user-assigned identity.
		return azidentityMISource("Azure Arc managed identity", "", cfg.IdentityEndpoint, "", opts)
	case cfg.MSIEndpoint != "" && cfg.MSISecret != "":
		s := source{Name: name + " (2017-09-01)", TypeName: "ManagedIdentityCredential"}
		if clientID != "" {
			s.Name = userAssigned(name) + " (2017-09-01)"
		}
		cred, err := legacymsi.New(cfg.MSIEndpoint, cfg.MSISecret, clientID, opts)
		s.cred = orError(cred, err)
		return s
	}
	if cfg.TokenSources == "ManagedIdentityCredential" {
		// A virtual machine's or scale set's identity, through the instance
		// metadata service: asked only when AZURE_TOKEN_CREDENTIALS says
		// so, for anywhere else a request to its address is a probe that
		// slows a laptop's start.
		return azidentityMISource("virtual machine managed identity", "(IMDS)", "http://"+diagnose.IMDSAddress, clientID, opts)
	}
	why := "IDENTITY_ENDPOINT and IDENTITY_HEADER (or MSI_ENDPOINT and MSI_SECRET) are not set: this is not an Azure host with a managed identity"
	if cfg.Host.Name != "" {
		why = "IDENTITY_ENDPOINT and IDENTITY_HEADER (or MSI_ENDPOINT and MSI_SECRET) are not set: the " + cfg.Host.Name + " app's managed identity is off"
	}
	return source{Name: name, TypeName: "ManagedIdentityCredential", Skipped: why}
}

// userAssigned is a managed identity's name for its user-assigned kind:
// "App Service managed identity" → "App Service user-assigned managed identity".
func userAssigned(name string) string {
	return strings.Replace(name, "managed identity", "user-assigned managed identity", 1)
}

// azidentityMISource is a managed identity through azidentity, whose
// requests may go only to endpoint (onlyTo); clientID, when set, selects a
// user-assigned identity. The page calls it name and then kind.
func azidentityMISource(name, kind, endpoint, clientID string, opts azcore.ClientOptions) source {
	o := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: onlyTo(endpoint, opts)}
	if clientID != "" {
		o.ID = azidentity.ClientID(clientID)
		name = userAssigned(name)
	}
	s := source{Name: strings.TrimSpace(name + " " + kind), TypeName: "ManagedIdentityCredential"}
	cred, err := azidentity.NewManagedIdentityCredential(o)
	s.cred = orError(cred, err)
	return s
}

// workloadIdentitySource is AKS workload identity: a Kubernetes service
// account token, in a file, exchanged with Entra ID for the identity's
// token (a client-assertion grant). The AKS webhook sets the variables.
func workloadIdentitySource(cfg config, opts azcore.ClientOptions) source {
	s := source{Name: "AKS workload identity", TypeName: "WorkloadIdentityCredential"}
	if cfg.FederatedTokenFile == "" || cfg.ClientID == "" || cfg.TenantID == "" {
		s.Skipped = "AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID and AZURE_TENANT_ID are not all set: the AKS workload identity webhook sets them for a pod labelled azure.workload.identity/use=true"
		return s
	}
	cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
		ClientID: cfg.ClientID, TenantID: cfg.TenantID, TokenFilePath: cfg.FederatedTokenFile, ClientOptions: opts})
	s.cred = orError(cred, err)
	return s
}

func servicePrincipalSource(cfg config, opts azcore.ClientOptions) source {
	s := source{Name: "service principal", TypeName: "EnvironmentCredential"}
	switch {
	case cfg.TenantID == "" || cfg.ClientID == "" || (cfg.ClientSecret == "" && cfg.CertificatePath == ""):
		s.Skipped = "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) are not all set"
	case cfg.ClientSecret != "":
		s.Name += " (client secret)"
		cred, err := azidentity.NewClientSecretCredential(cfg.TenantID, cfg.ClientID, cfg.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: opts})
		s.cred = orError(cred, err)
	default:
		s.Name += " (certificate)"
		s.cred = orError(certificateCredential(cfg, opts))
	}
	return s
}

func certificateCredential(cfg config, opts azcore.ClientOptions) (azcore.TokenCredential, error) {
	data, err := os.ReadFile(cfg.CertificatePath)
	if err != nil {
		return nil, fmt.Errorf("reading AZURE_CLIENT_CERTIFICATE_PATH: %w", err)
	}
	var pass []byte
	if cfg.CertificatePass != "" {
		pass = []byte(cfg.CertificatePass)
	}
	certs, key, err := azidentity.ParseCertificates(data, pass)
	if err != nil {
		return nil, fmt.Errorf("parsing %s (PEM or PKCS#12; is AZURE_CLIENT_CERTIFICATE_PASSWORD right?): %w", cfg.CertificatePath, err)
	}
	return azidentity.NewClientCertificateCredential(cfg.TenantID, cfg.ClientID, certs, key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: opts})
}

func azureCLISource(cfg config) source {
	return toolSource(cfg, "Azure CLI", "AzureCLICredential", "az",
		"install the Azure CLI (https://aka.ms/installazurecli), then run az login",
		func(az string) azcore.TokenCredential { return &devtool.AzureCLI{Path: az, Tenant: cfg.TenantID} })
}

// azureDeveloperCLISource is the developer's azd auth login, after the
// Azure CLI, as in azidentity's DefaultAzureCredential: after azd
// provision, go run . needs no second sign-in.
func azureDeveloperCLISource(cfg config) source {
	return toolSource(cfg, "Azure Developer CLI", "AzureDeveloperCLICredential", "azd",
		"install the Azure Developer CLI (https://aka.ms/azd-install), then run azd auth login",
		func(azd string) azcore.TokenCredential {
			return &devtool.AzureDeveloperCLI{Path: azd, Tenant: cfg.TenantID}
		})
}

// azurePowerShellSource is the developer's Connect-AzAccount sign-in,
// after azd, as in azidentity's DefaultAzureCredential: PowerShell 7's
// pwsh, or on Windows without it Windows PowerShell (azidentity 1.15,
// azure_powershell_credential.go).
func azurePowerShellSource(cfg config) source {
	tool := "pwsh"
	if runtime.GOOS == "windows" {
		tool = "pwsh.exe"
		if devtool.Find(tool, cfg.Path) == "" {
			tool = "powershell.exe"
		}
	}
	return toolSource(cfg, "Azure PowerShell", "AzurePowerShellCredential", tool,
		"install PowerShell (https://aka.ms/powershell) and Az.Accounts (Install-Module Az.Accounts), then run Connect-AzAccount",
		func(pwsh string) azcore.TokenCredential {
			return &devtool.AzurePowerShell{Path: pwsh, Tenant: cfg.TenantID}
		})
}

// toolSource is a developer's sign-in through the command-line tool on the
// app's PATH, whose credential cred builds from its path; skipped, with
// install as the way to it, where the tool is not there.
func toolSource(cfg config, name, typeName, tool, install string, cred func(path string) azcore.TokenCredential) source {
	s := source{Name: name, TypeName: typeName}
	path := devtool.Find(tool, cfg.Path)
	if path == "" {
		s.Skipped = tool + " is not on PATH: " + install
		return s
	}
	s.cred = cred(path)
	return s
}

// orError returns cred, or a credential that reports err on every call: a
// source that cannot be built is shown as failed, with its reason.
func orError[T azcore.TokenCredential](cred T, err error) azcore.TokenCredential {
	if err != nil {
		return brokenCredential{err}
	}
	return cred
}

type brokenCredential struct{ err error }

func (b brokenCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, b.err
}

// onlyTo returns opts with a policy that refuses any request not bound for
// endpoint's host. azidentity's managed identity reads the process
// environment itself and falls back to IMDS (169.254.169.254) when it finds
// no endpoint there; this app must never send that probe.
func onlyTo(endpoint string, opts azcore.ClientOptions) azcore.ClientOptions {
	u, err := url.Parse(endpoint)
	host := ""
	if err == nil {
		host = u.Host
	}
	opts.PerCallPolicies = append(append([]policy.Policy(nil), opts.PerCallPolicies...), hostGuard(host))
	return opts
}

type hostGuard string

func (h hostGuard) Do(req *policy.Request) (*http.Response, error) {
	if got := req.Raw().URL.Host; got != string(h) || h == "" {
		return nil, fmt.Errorf("refusing a managed identity request to %q: IDENTITY_ENDPOINT names %q "+
			"(azidentity reads the process environment; is IDENTITY_ENDPOINT exported to this process?)", got, string(h))
	}
	return req.Next()
}

// sourceStatus is one credential source as the page lists it.
type sourceStatus struct {
	Name   string `json:"name"`
	Status string `json:"status"` // used, failed, skipped, or configured (not yet asked)
	Detail string `json:"detail,omitempty"`
}

// statuses lists the chain's sources as they stand for a view: the sources
// whose errors err holds failed; with no err, the developer tools passed
// over for the last token failed; the source that issued the last token
// is used; any other is configured.
func (c *chain) statuses(err error) []sourceStatus {
	var p *principal
	l := c.last.Load()
	if l != nil {
		p = &l.principal
	}
	failed := map[string]error{}
	var ae *diagnose.AuthError
	switch {
	case errors.As(err, &ae) && ae.Failed != nil:
		for _, a := range append([]*diagnose.AuthError{ae}, ae.Also...) {
			failed[a.Failed.Name] = a.Err
		}
	case err == nil && l != nil:
		for _, a := range l.passedOver {
			failed[a.Failed.Name] = a.Err
		}
	}
	out := make([]sourceStatus, 0, len(c.sources))
	for i := range c.sources {
		s := &c.sources[i]
		switch {
		case s.Skipped != "":
			out = append(out, sourceStatus{s.Name, "skipped", s.Skipped})
		case failed[s.Name] != nil:
			out = append(out, sourceStatus{s.Name, "failed", diagnose.SourceDetail(failed[s.Name])})
		case p != nil && p.Source == s.Name:
			out = append(out, sourceStatus{s.Name, "used", ""})
		case s != c.active:
			out = append(out, sourceStatus{s.Name, "configured", "asked only if " + c.active.Name + " fails"})
		default:
			out = append(out, sourceStatus{s.Name, "configured", "not yet asked for a token"})
		}
	}
	return out
}
