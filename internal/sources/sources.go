// Package sources builds each way the app can get a token, from the
// environment the app read: the host's managed identity, AKS workload
// identity, a service principal, and the developer's own sign-in to the
// Azure CLI, the Azure Developer CLI or Azure PowerShell. Each is a
// Source: configured, with its credential, or skipped, with why.
package sources

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"

	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"

	"github.com/Azure-Samples/keyvault-msi-go/internal/devtool"
	"github.com/Azure-Samples/keyvault-msi-go/internal/legacymsi"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Source is one way of getting a token.
type Source struct {
	Name    string // what the page calls it, e.g. "Azure CLI"
	Kind    Kind   // what kind of source it is
	Skipped string // why it is not used; "" when it is configured
	Cred    azcore.TokenCredential
}

// AuthError is the credential chain's failure: no source configured
// (Failed is nil), or the source that failed and its error. Transport is
// the last network failure of the source's requests, as the pipeline's
// NetworkWatch saw it: azidentity keeps only its text in Err.
type AuthError struct {
	Failed    *Source
	Err       error
	Transport error
	// Also are the developer tools asked after Failed, in order, when
	// Failed is one: each failed too.
	Also []*AuthError
}

func (e *AuthError) Error() string {
	if e.Failed == nil {
		return "no credential source is configured"
	}
	msg := e.Failed.Name + ": " + e.Err.Error()
	for _, a := range e.Also {
		msg += "; " + a.Error()
	}
	return msg
}

func (e *AuthError) Unwrap() []error { return []error{e.Err, e.Transport} }

// NonRetriable tells azcore's retry policy not to try again: the source has
// already retried what can be retried.
func (*AuthError) NonRetriable() {}

// Env is the identity's environment, as the sources read it.
type Env struct {
	IdentityEndpoint, IdentityHeader string // App Service, 2019-08-01
	MSIEndpoint, MSISecret           string // App Service, 2017-09-01
	TenantID, ClientID               string
	FederatedTokenFile               string // AKS workload identity
	IMDSEndpoint                     string // Azure Arc, beside IDENTITY_ENDPOINT
	ClientSecret                     string
	CertificatePath, CertificatePass string
	Path                             string // where the developer tools are looked for
	TokenSources                     string // AZURE_TOKEN_CREDENTIALS, validated
	// HostName is the Azure service the app runs on ("App Service",
	// "Azure Functions", "Container Apps"), from its own variables; "" when
	// none is known, such as on a laptop.
	HostName string
}

// Kind is a kind of source, named as azidentity names its credential type
// (and AZURE_TOKEN_CREDENTIALS accepts it), so that a page or a rule asks
// which kind answered by a type, not a string.
type Kind string

// The kinds of source, in the chain's order.
const (
	KindWorkloadIdentity  Kind = "WorkloadIdentityCredential"
	KindManagedIdentity   Kind = "ManagedIdentityCredential"
	KindServicePrincipal  Kind = "EnvironmentCredential"
	KindAzureCLI          Kind = "AzureCLICredential"
	KindAzureDeveloperCLI Kind = "AzureDeveloperCLICredential"
	KindAzurePowerShell   Kind = "AzurePowerShellCredential"
)

// DeveloperTool reports whether k is a developer's own sign-in (az, azd,
// pwsh), which AZURE_TOKEN_CREDENTIALS=dev selects and prod excludes, as in
// azidentity's DefaultAzureCredential.
func (k Kind) DeveloperTool() bool {
	return k == KindAzureCLI || k == KindAzureDeveloperCLI || k == KindAzurePowerShell
}

// NotTried is the source of kind as the page lists it when the chain
// uses first, an earlier source, instead: never built.
func NotTried(kind Kind, first string) Source {
	return Source{Name: names[kind], Kind: kind, Skipped: "not tried: " + first + " comes first"}
}

// names are what the page calls the kinds of source whose name does not
// depend on the host.
var names = map[Kind]string{
	KindWorkloadIdentity:  "AKS workload identity",
	KindManagedIdentity:   "managed identity",
	KindServicePrincipal:  "service principal",
	KindAzureCLI:          "Azure CLI",
	KindAzureDeveloperCLI: "Azure Developer CLI",
	KindAzurePowerShell:   "Azure PowerShell",
}

// ManagedIdentity is the host's managed identity: App Service's, Functions'
// or Container Apps' endpoint (2019-08-01), Azure Arc's, App Service's
// older 2017-09-01 endpoint, or a virtual machine's instance metadata
// service when AZURE_TOKEN_CREDENTIALS asks for it alone.
func ManagedIdentity(cfg Env, opts azcore.ClientOptions) Source {
	// AZURE_CLIENT_ID alone, on a managed-identity host, names a
	// user-assigned identity, as in DefaultAzureCredential.
	var clientID string
	if cfg.ClientSecret == "" && cfg.CertificatePath == "" {
		clientID = cfg.ClientID
	}
	name := identityName(cfg.HostName)
	switch {
	case cfg.IdentityEndpoint != "" && cfg.IdentityHeader != "":
		return azidentityMI(name, "(2019-08-01)", cfg.IdentityEndpoint, clientID, opts)
	case cfg.IdentityEndpoint != "" && cfg.IMDSEndpoint != "":
		// Azure Arc sets IDENTITY_ENDPOINT and IMDS_ENDPOINT; azidentity
		// speaks its protocol (its managed_identity_client.go). Arc takes no
		// user-assigned identity.
		return azidentityMI("Azure Arc managed identity", "", cfg.IdentityEndpoint, "", opts)
	case cfg.MSIEndpoint != "" && cfg.MSISecret != "":
		s := Source{Name: name + " (2017-09-01)", Kind: KindManagedIdentity}
		if clientID != "" {
			s.Name = userAssigned(name) + " (2017-09-01)"
		}
		cred, err := legacymsi.New(cfg.MSIEndpoint, cfg.MSISecret, clientID, opts)
		s.Cred = orError(cred, err)
		return s
	}
	if cfg.TokenSources == "ManagedIdentityCredential" {
		// A virtual machine's or scale set's identity, through the instance
		// metadata service: asked only when AZURE_TOKEN_CREDENTIALS says
		// so, for anywhere else a request to its address is a probe that
		// slows a laptop's start.
		return azidentityMI("virtual machine managed identity", "(IMDS)", "http://"+pipeline.IMDSAddress, clientID, opts)
	}
	why := "IDENTITY_ENDPOINT and IDENTITY_HEADER (or MSI_ENDPOINT and MSI_SECRET) are not set: this is not an Azure host with a managed identity"
	if cfg.HostName != "" {
		why = "IDENTITY_ENDPOINT and IDENTITY_HEADER (or MSI_ENDPOINT and MSI_SECRET) are not set: the " + cfg.HostName + " app's managed identity is off"
	}
	return Source{Name: name, Kind: KindManagedIdentity, Skipped: why}
}

// identityName is what the page calls the host's managed identity. The
// identity endpoint's variables are App Service's protocol, which
// Functions and Container Apps speak too: on an unknown host they are
// taken for App Service.
func identityName(host string) string {
	return cmp.Or(host, "App Service") + " managed identity"
}

// userAssigned is a managed identity's name for its user-assigned kind:
// "App Service managed identity" → "App Service user-assigned managed identity".
func userAssigned(name string) string {
	return strings.Replace(name, "managed identity", "user-assigned managed identity", 1)
}

// azidentityMI is a managed identity through azidentity, whose
// requests may go only to endpoint (onlyTo); clientID, when set, selects a
// user-assigned identity. The page calls it name and then kind.
func azidentityMI(name, kind, endpoint, clientID string, opts azcore.ClientOptions) Source {
	o := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: onlyTo(endpoint, opts)}
	if clientID != "" {
		o.ID = azidentity.ClientID(clientID)
		name = userAssigned(name)
	}
	s := Source{Name: strings.TrimSpace(name + " " + kind), Kind: KindManagedIdentity}
	cred, err := azidentity.NewManagedIdentityCredential(o)
	s.Cred = orError(cred, err)
	return s
}

// WorkloadIdentity is AKS workload identity: a Kubernetes service
// account token, in a file, exchanged with Entra ID for the identity's
// token (a client-assertion grant). The AKS webhook sets the variables.
func WorkloadIdentity(cfg Env, opts azcore.ClientOptions) Source {
	s := Source{Name: names[KindWorkloadIdentity], Kind: KindWorkloadIdentity}
	if cfg.FederatedTokenFile == "" || cfg.ClientID == "" || cfg.TenantID == "" {
		s.Skipped = "AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID and AZURE_TENANT_ID are not all set: the AKS workload identity webhook sets them for a pod labelled azure.workload.identity/use=true"
		return s
	}
	cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
		ClientID: cfg.ClientID, TenantID: cfg.TenantID, TokenFilePath: cfg.FederatedTokenFile, ClientOptions: opts})
	s.Cred = orError(cred, err)
	return s
}

// ServicePrincipal is a service principal from AZURE_TENANT_ID,
// AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH,
// as azidentity's EnvironmentCredential reads them.
func ServicePrincipal(cfg Env, opts azcore.ClientOptions) Source {
	s := Source{Name: names[KindServicePrincipal], Kind: KindServicePrincipal}
	switch {
	case cfg.MissingServicePrincipal() != nil:
		s.Skipped = strings.Join(cfg.MissingServicePrincipal(), " and ") + " not set, beside the rest of the service principal's settings"
	case cfg.TenantID == "" || cfg.ClientID == "" || (cfg.ClientSecret == "" && cfg.CertificatePath == ""):
		s.Skipped = "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) are not all set"
	case cfg.ClientSecret != "":
		s.Name += " (client secret)"
		cred, err := azidentity.NewClientSecretCredential(cfg.TenantID, cfg.ClientID, cfg.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: opts})
		s.Cred = orError(cred, err)
	default:
		s.Name += " (certificate)"
		s.Cred = orError(certificateCredential(cfg, opts))
	}
	return s
}

func certificateCredential(cfg Env, opts azcore.ClientOptions) (azcore.TokenCredential, error) {
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

// AzureCLI is the developer's az login, through the az on Env.Path.
func AzureCLI(cfg Env) Source {
	return tool(cfg, KindAzureCLI, "az",
		"install the Azure CLI (https://aka.ms/installazurecli), then run az login",
		func(az string) azcore.TokenCredential { return &devtool.AzureCLI{Path: az, Tenant: cfg.TenantID} })
}

// AzureDeveloperCLI is the developer's azd auth login, after the Azure
// CLI, as in azidentity's DefaultAzureCredential: after azd provision,
// go run . needs no second sign-in.
func AzureDeveloperCLI(cfg Env) Source {
	return tool(cfg, KindAzureDeveloperCLI, "azd",
		"install the Azure Developer CLI (https://aka.ms/azd-install), then run azd auth login",
		func(azd string) azcore.TokenCredential {
			return &devtool.AzureDeveloperCLI{Path: azd, Tenant: cfg.TenantID}
		})
}

// AzurePowerShell is the developer's Connect-AzAccount sign-in, after
// azd, as in azidentity's DefaultAzureCredential: PowerShell 7's
// pwsh, or on Windows without it Windows PowerShell (azidentity 1.15,
// azure_powershell_credential.go).
func AzurePowerShell(cfg Env) Source {
	exe := "pwsh"
	if runtime.GOOS == "windows" && devtool.Find(exe, cfg.Path) == "" {
		exe = "powershell"
	}
	return tool(cfg, KindAzurePowerShell, exe,
		"install PowerShell (https://aka.ms/powershell) and Az.Accounts (Install-Module Az.Accounts), then run Connect-AzAccount",
		func(pwsh string) azcore.TokenCredential {
			return &devtool.AzurePowerShell{Path: pwsh, Tenant: cfg.TenantID}
		})
}

// tool is a developer's sign-in through the command-line tool on the
// app's PATH, whose credential cred builds from its path; skipped, with
// install as the way to it, where the tool is not there.
func tool(cfg Env, kind Kind, exe, install string, cred func(path string) azcore.TokenCredential) Source {
	s := Source{Name: names[kind], Kind: kind}
	path := devtool.Find(exe, cfg.Path)
	switch {
	case path == "" && cfg.HostName != "":
		// On an Azure host a developer's tool is not the way: say so, rather
		// than advise installing it there.
		s.Skipped = exe + " is not on PATH: a developer's tool, for a run on your own machine; on " + cfg.HostName + " the app uses its managed identity"
		return s
	case path == "":
		s.Skipped = exe + " is not on PATH: " + install
		return s
	}
	s.Cred = cred(path)
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

// Warnings name the service-principal and managed-identity settings that
// are half there: each is likely a typo that silently selects another
// identity.
func (c Env) Warnings() []string {
	var w []string
	if (c.IdentityEndpoint == "") != (c.IdentityHeader == "") && c.IMDSEndpoint == "" { // Arc sets no header
		w = append(w, "only one of IDENTITY_ENDPOINT and IDENTITY_HEADER is set: the App Service managed identity (2019-08-01) needs both")
	}
	if (c.MSIEndpoint == "") != (c.MSISecret == "") {
		w = append(w, "only one of MSI_ENDPOINT and MSI_SECRET is set: the App Service managed identity (2017-09-01) needs both")
	}
	if missing := c.MissingServicePrincipal(); missing != nil {
		w = append(w, "service principal settings are incomplete, missing "+strings.Join(missing, ", ")+": the service principal source is skipped")
	}
	if c.ClientSecret != "" && c.CertificatePath != "" {
		w = append(w, "both AZURE_CLIENT_SECRET and AZURE_CLIENT_CERTIFICATE_PATH are set: the client secret is used")
	}
	return w
}

// MissingServicePrincipal names the service principal's settings that are
// missing where the others are set, which is likely a typo or a step left
// out; nil when all are set, none is, or what is set is meant for another
// source (a client ID for a user-assigned identity, a tenant for the
// developer tools, AKS workload identity's own trio).
func (c Env) MissingServicePrincipal() []string {
	var missing []string
	for _, v := range []struct {
		name string
		set  bool
	}{
		{"AZURE_TENANT_ID", c.TenantID != ""},
		{"AZURE_CLIENT_ID", c.ClientID != ""},
		{"AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH)", c.ClientSecret != "" || c.CertificatePath != ""},
	} {
		if !v.set {
			missing = append(missing, v.name)
		}
	}
	onlyClientID := len(missing) == 2 && c.ClientID != "" // a user-assigned managed identity
	onlyTenant := len(missing) == 2 && c.TenantID != ""   // a tenant for the Azure CLI
	workload := c.FederatedTokenFile != ""                // AKS workload identity: no secret by design
	if len(missing) == 0 || len(missing) == 3 || onlyClientID && c.hasManagedIdentity() || onlyTenant || workload {
		return nil
	}
	return missing
}

func (c Env) hasManagedIdentity() bool {
	return (c.IdentityEndpoint != "" && c.IdentityHeader != "") || (c.MSIEndpoint != "" && c.MSISecret != "")
}
