package main

import (
	"cmp"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/diagnose"
	"github.com/Azure-Samples/keyvault-msi-go/internal/harden"
	"github.com/Azure-Samples/keyvault-msi-go/internal/sources"
)

// config is everything the app reads from its environment, read once at start.
type config struct {
	Port           string
	PortVar        string // the variable Port came from; "" for the default
	VaultURL       string // "" when invalid; see Problems
	SecretName     string
	RequestTimeout time.Duration
	SecretCacheTTL time.Duration

	// The identity's environment (IDENTITY_ENDPOINT, AZURE_CLIENT_ID, …,
	// the host), as the credential sources read it.
	sources.Env
	// Host is the Azure service the app runs on, from its own variables
	// (detectHost), whose names the page's fixes use.
	Host          diagnose.Host
	AuthorityHost string // AZURE_AUTHORITY_HOST: Entra ID's host, for sovereign clouds
	// PowerShell: the page writes its commands for PowerShell (see pastesInPowerShell).
	PowerShell bool
	// Proxy is HTTPS_PROXY (or https_proxy), which azcore's default
	// transport honours; failures name it.
	ProxyVar, Proxy string
	// Reference is SECRET_FROM_REFERENCE: App Service's Key Vault
	// reference to the same secret, as the platform passed it on.
	Reference string
	// AzureHost: the environment names an Azure host (App Service,
	// Functions, Container Apps, a Kubernetes pod) or a managed or workload
	// identity. Where the app listens follows it only when no developer's
	// own sign-in serves the page (see serveLocally).
	AzureHost bool
	// ListenAddr is LISTEN_ADDR, where the app listens when set; a local
	// run answers only to local names wherever it listens, and to the name
	// Codespaces forwards to its port (CODESPACE_NAME and
	// GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN, see localNames).
	ListenAddr                 string
	Codespace, ForwardedDomain string
	// vaultSetting is KEY_VAULT_URL (or KEY_VAULT_URI) as the user set it,
	// whose URL user info no page or log may show, any more than the
	// proxy's (see secrets).
	vaultSetting string

	// Problems are invalid settings. They are shown on / with status 500
	// and never stop the process: /ping answers regardless.
	Problems []diagnose.Setting
	// Warnings are logged once at start-up.
	Warnings []string
}

// tokenSourceChoices are the values AZURE_TOKEN_CREDENTIALS accepts, as in
// azidentity's DefaultAzureCredential.
var tokenSourceChoices = []string{"WorkloadIdentityCredential", "ManagedIdentityCredential", "EnvironmentCredential", "AzureCLICredential", "AzureDeveloperCLICredential", "AzurePowerShellCredential", "prod", "dev"}

const (
	defaultPort           = "8080"
	defaultRequestTimeout = 15 * time.Second
	exampleVaultURL       = "https://<your-vault-name>.vault.azure.net/"
)

// loadConfig reads the configuration through getenv. It never fails: what is
// wrong is recorded in Problems for the page to show.
func loadConfig(getenv func(string) string) config {
	var references []diagnose.Setting
	getenv = withoutReferences(getenv, referenceSetting, &references)
	host := detectHost(getenv)
	c := config{
		Port:       defaultPort,
		SecretName: cmp.Or(getenv("SECRET_NAME"), "secret"),
		Env: sources.Env{
			IdentityEndpoint:   getenv("IDENTITY_ENDPOINT"),
			IdentityHeader:     getenv("IDENTITY_HEADER"),
			MSIEndpoint:        getenv("MSI_ENDPOINT"),
			MSISecret:          getenv("MSI_SECRET"),
			TenantID:           getenv("AZURE_TENANT_ID"),
			FederatedTokenFile: getenv("AZURE_FEDERATED_TOKEN_FILE"),
			IMDSEndpoint:       getenv("IMDS_ENDPOINT"),
			ClientID:           getenv("AZURE_CLIENT_ID"),
			ClientSecret:       getenv("AZURE_CLIENT_SECRET"),
			CertificatePath:    getenv("AZURE_CLIENT_CERTIFICATE_PATH"),
			CertificatePass:    getenv("AZURE_CLIENT_CERTIFICATE_PASSWORD"),
			Path:               getenv("PATH"),
			HostName:           host.Name,
		},
		Host:          host,
		AuthorityHost: getenv("AZURE_AUTHORITY_HOST"),
		PowerShell:    pastesInPowerShell(runtime.GOOS, getenv),
		Reference:     getenv(referenceSetting),
	}
	c.PortVar, c.Port = firstSet(getenv, defaultPort, "PORT", "FUNCTIONS_CUSTOMHANDLER_PORT", "HTTP_PLATFORM_PORT")
	c.AzureHost = azureHost(getenv, c)
	c.ListenAddr, c.Codespace, c.ForwardedDomain = getenv("LISTEN_ADDR"), getenv("CODESPACE_NAME"), getenv("GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN")
	c.ProxyVar, c.Proxy = firstSet(getenv, "", "HTTPS_PROXY", "https_proxy")

	if err := checkSecretName(c.SecretName); err != "" {
		c.Problems = append(c.Problems, invalid("SECRET_NAME", c.SecretName, err, suggestSecretName(c.SecretName)))
	}

	vaultVar, vault := "KEY_VAULT_URL", getenv("KEY_VAULT_URL")
	if vault == "" && getenv("KEY_VAULT_URI") != "" {
		vaultVar, vault = "KEY_VAULT_URI", getenv("KEY_VAULT_URI")
	}
	c.vaultSetting = vault
	if err := checkVaultURL(vault); err != "" {
		c.Problems = append(c.Problems, invalid(vaultVar, vault, err, exampleVaultURL))
	} else {
		c.VaultURL = vault
	}

	if v := getenv("AZURE_TOKEN_CREDENTIALS"); v != "" {
		if choice, ok := matchChoice(v, tokenSourceChoices); ok {
			c.TokenSources = choice
		} else {
			c.Problems = append(c.Problems, invalid("AZURE_TOKEN_CREDENTIALS", v,
				"not one of "+strings.Join(tokenSourceChoices, ", ")+"; leave it unset to try every source in order",
				"ManagedIdentityCredential"))
		}
	}

	var err string
	if c.RequestTimeout, err = duration(getenv("REQUEST_TIMEOUT"), defaultRequestTimeout, false); err != "" {
		c.Problems = append(c.Problems, invalid("REQUEST_TIMEOUT", getenv("REQUEST_TIMEOUT"), err, "15s"))
		c.RequestTimeout = defaultRequestTimeout
	}
	if c.SecretCacheTTL, err = duration(getenv("SECRET_CACHE_TTL"), 0, true); err != "" {
		c.Problems = append(c.Problems, invalid("SECRET_CACHE_TTL", getenv("SECRET_CACHE_TTL"), err, "30s"))
	}

	for _, e := range []struct{ endpointVar, endpoint, headerVar, header string }{
		{"IDENTITY_ENDPOINT", c.IdentityEndpoint, "IDENTITY_HEADER", c.IdentityHeader},
		{"MSI_ENDPOINT", c.MSIEndpoint, "MSI_SECRET", c.MSISecret},
	} {
		if e.header != "" && clearTextOffMachine(e.endpoint) {
			c.Problems = append(c.Problems, invalid(e.endpointVar, e.endpoint,
				"is plain HTTP to another machine: the app would send "+e.headerVar+" across the network in clear text (through HTTP_PROXY, if set). "+
					"App Service, Functions and Container Apps set an endpoint on this machine; use the value the platform set", "http://localhost:8081/msi/token"))
		}
	}

	c.Problems = replaceProblems(c.Problems, references)
	c.Warnings = c.Env.Warnings()
	// A setting's value is shown on the page and in the log: never a secret
	// in it, nor a URL's user info or query (a password, a signature).
	if len(c.Problems) > 0 {
		r := diagnose.NewRedactor(c.secrets()...)
		for i := range c.Problems {
			c.Problems[i].Found = r.Text(c.Problems[i].Found)
		}
	}
	return c
}

// azureHost reports whether the environment names an Azure host (App
// Service, Functions, Container Apps, a pod) or an identity only Azure
// gives (a managed identity's endpoint, a workload identity's token, a
// virtual machine's IMDS). Variables alone say only this much: a
// developer's pod or a laptop with a platform's variables set is not an
// Azure host while it reads with the developer's own sign-in.
func azureHost(getenv func(string) string, c config) bool {
	return c.Host.Name != "" || c.IdentityEndpoint != "" || c.MSIEndpoint != "" || c.FederatedTokenFile != "" ||
		getenv("KUBERNETES_SERVICE_HOST") != "" || getenv("AZURE_TOKEN_CREDENTIALS") == "ManagedIdentityCredential"
}

// detectHost reads the platforms' own variables: App Service sets
// WEBSITE_SITE_NAME and WEBSITE_RESOURCE_GROUP (App Service docs,
// "Environment variables and app settings reference"); a function app
// also FUNCTIONS_WORKER_RUNTIME (Azure Functions docs, "App settings
// reference"), which Flex Consumption keeps out of app settings, and its
// host gives a custom handler FUNCTIONS_CUSTOMHANDLER_PORT
// (Azure/azure-functions-host, HttpWorkerConstants); Container Apps sets
// CONTAINER_APP_NAME and CONTAINER_APP_REVISION (Container Apps docs,
// "Manage environment variables": built-in variables).
func detectHost(getenv func(string) string) diagnose.Host {
	h := detectAzureHost(getenv)
	h.Container = getenv("CODESPACES") == "true" || getenv("REMOTE_CONTAINERS") == "true"
	if getenv("KUBERNETES_SERVICE_HOST") != "" { // set in every pod (Kubernetes docs, "Service": environment variables)
		h.Pod, h.Namespace = getenv("HOSTNAME"), getenv("POD_NAMESPACE")
	}
	return h
}

func detectAzureHost(getenv func(string) string) diagnose.Host {
	containerApp, revision := getenv("CONTAINER_APP_NAME"), getenv("CONTAINER_APP_REVISION")
	site, rg := getenv("WEBSITE_SITE_NAME"), getenv("WEBSITE_RESOURCE_GROUP")
	functions := getenv("FUNCTIONS_WORKER_RUNTIME") != "" || getenv("FUNCTIONS_CUSTOMHANDLER_PORT") != ""
	switch {
	case containerApp != "":
		return diagnose.Host{Name: "Container Apps", Group: "containerapp", App: containerApp, Revision: revision}
	case site != "" && functions:
		return diagnose.Host{Name: "Azure Functions", Group: "functionapp", App: site, RG: rg}
	case site != "":
		return diagnose.Host{Name: "App Service", Group: "webapp", App: site, RG: rg}
	}
	return diagnose.Host{}
}

// localNames are the names besides localhost a local run answers to: the
// one Codespaces forwards to its port.
func (c config) localNames() []string {
	return harden.ForwardedNames(c.Codespace, c.ForwardedDomain, c.Port)
}

// serveLocally reports whether the app serves this machine only (loopback,
// local names): when a developer's own sign-in (az, azd, pwsh) reads the
// secret, whatever the host's variables say, for the page is theirs; and
// off an Azure host. An Azure host whose identity is off (no source at
// all) still listens where the platform's front end reaches it, so that
// its page can say so.
func (c config) serveLocally(developerSignIn bool) bool {
	return developerSignIn || !c.AzureHost
}

// referenceSetting is the app setting that holds App Service's Key Vault
// reference to the secret, shown beside the app's own read.
const referenceSetting = "SECRET_FROM_REFERENCE"

// logAttrs describes the configuration for the start-up log line: which
// settings are present, never their secret values.
func (c config) logAttrs() []any {
	set := func(v string) bool { return v != "" }
	return []any{
		"port", c.Port, "vault", c.VaultURL, "secret_name", c.SecretName,
		"token_sources", cmp.Or(c.TokenSources, "all"), "request_timeout", c.RequestTimeout.String(),
		"secret_cache_ttl", c.SecretCacheTTL.String(),
		"identity_endpoint", set(c.IdentityEndpoint), "msi_endpoint", set(c.MSIEndpoint),
		"azure_tenant_id", c.TenantID, "azure_client_id", c.ClientID,
		"azure_client_secret", set(c.ClientSecret), "azure_client_certificate_path", c.CertificatePath,
		"problems", len(c.Problems),
	}
}

// portNumber checks the port before the server tries to listen on it,
// naming the variable it came from.
func (c config) portNumber() error {
	n, err := strconv.Atoi(c.Port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%s=%q is not a port number from 0 to 65535", cmp.Or(c.PortVar, "the port"), c.Port)
	}
	return nil
}

// secrets are the values the app holds that no page or log may show: the
// identity endpoint's header, the client secret, the certificate's
// password and the proxy's password.
func (c config) secrets() []string {
	var proxyPassword string
	if u, err := url.Parse(c.Proxy); err == nil && u.User != nil {
		proxyPassword, _ = u.User.Password()
	}
	resolved := c.Reference // the secret itself, once App Service resolved it
	if diagnose.IsReference(resolved) {
		resolved = ""
	}
	secrets := []string{c.IdentityHeader, c.MSISecret, c.ClientSecret, c.CertificatePass, proxyPassword, resolved}
	secrets = append(secrets, diagnose.URLCredentials(c.vaultSetting)...)
	return append(secrets, diagnose.URLCredentials(c.Proxy)...)
}

// pastesInPowerShell: on Windows, the page's reader pastes into
// PowerShell, Windows' own shell, unless the app was started from a POSIX
// shell there (Git Bash, MSYS2 and Cygwin set SHELL; PowerShell and
// cmd.exe do not).
func pastesInPowerShell(goos string, getenv func(string) string) bool {
	return goos == "windows" && getenv("SHELL") == ""
}

// facts is what a diagnosis needs to know of the app, with p the
// principal its last token named (nil before the first).
func (c config) facts(p *principal) diagnose.Facts {
	f := diagnose.Facts{
		VaultURL: c.VaultURL, SecretName: c.SecretName, RequestTimeout: c.RequestTimeout,
		TenantID: c.TenantID, ClientID: c.ClientID, CertificatePath: c.CertificatePath, FederatedTokenFile: c.FederatedTokenFile,
		IdentityEndpoint: c.IdentityEndpoint, MSIEndpoint: c.MSIEndpoint, ProxyVar: c.ProxyVar, Proxy: c.Proxy,
		Host: c.Host, Secrets: c.secrets(), MissingServicePrincipal: c.MissingServicePrincipal(), PowerShell: c.PowerShell,
	}
	if diagnose.IsReference(c.Reference) {
		f.UnresolvedReference = referenceSetting
	}
	if p != nil {
		f.Principal = &diagnose.Principal{ObjectID: p.ObjectID, IsUser: p.IsUser}
	}
	return f
}
