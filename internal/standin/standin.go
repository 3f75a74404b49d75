// Package standin is a local stand-in for the Azure services this sample talks
// to: App Service's managed identity endpoint (both API versions), Microsoft
// Entra ID's token endpoint, and Key Vault with its authentication challenge.
//
// It serves real HTTP on 127.0.0.1 and real TLS under a CA it generates, so
// the production code path (azidentity, azsecrets, azcore's transport) runs
// unchanged. Requests for Azure host names reach it through an HTTP CONNECT
// proxy, which refuses every other host: nothing leaves the machine.
// Tests and `make demo` share it.
package standin

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Fault makes the stand-in fail in one of the ways real Azure can. Every
// failure answer it plays is the service's real shape, quoted from the
// public source named beside it.
type Fault string

// The faults the stand-in can play. The zero value answers normally.
const (
	FaultNone Fault = ""
	// Key Vault
	FaultRBAC         Fault = "rbac"         // 403 ForbiddenByRbac: no role for this principal
	FaultAccessPolicy Fault = "accesspolicy" // 403 AccessDenied: no access policy for this principal
	FaultForbidden    Fault = "forbidden"    // 403 with an inner code the app does not know (ForbiddenByPolicy)
	FaultFirewall     Fault = "firewall"     // 403 ForbiddenByFirewall, naming the client address
	FaultDisabled     Fault = "disabled"     // 403 SecretDisabled
	FaultNotFound     Fault = "notfound"     // 404 SecretNotFound (also what a deleted secret answers)
	FaultOtherTenant  Fault = "othertenant"  // the vault is in OtherTenant: its challenge names it
	FaultThrottle     Fault = "throttle"     // 429 with Retry-After, every time
	FaultThrottleOnce Fault = "throttleonce" // 429 once, then normal answers
	FaultUnavailable  Fault = "unavailable"  // 503
	FaultHang         Fault = "hang"         // Key Vault never answers
	// Microsoft Entra ID, to the service principal
	FaultExpiredSecret Fault = "expiredsecret" // AADSTS7000222: the client secret expired
	FaultBadCert       Fault = "badcert"       // AADSTS700027: the certificate is not registered
	FaultEntraDown     Fault = "entradown"     // 503 temporarily_unavailable, AADSTS90033
	// App Service's identity endpoint
	FaultIdentityDown Fault = "identitydown" // the identity endpoint answers 500
	FaultIdentityHang Fault = "identityhang" // the identity endpoint never answers
	FaultNoUAMI       Fault = "nouami"       // 400: the user-assigned identity is not assigned to the app
	// The instance metadata service (with Identity IMDS)
	FaultIMDSNoIdentity Fault = "imdsnoidentity" // 400 Identity not found: the VM has no (such) identity
	// AKS workload identity (with Identity Workload)
	FaultNoFederation Fault = "nofederation" // AADSTS70021: no federated credential matches the service account
	FaultNoTokenFile  Fault = "notokenfile"  // AZURE_FEDERATED_TOKEN_FILE names no file
	// The developer's Azure CLI (with Identity AzureCLI)
	FaultAzLoggedOut Fault = "azloggedout" // az: no one is logged in
	FaultAzExpired   Fault = "azexpired"   // az: the login expired
	FaultAzHang      Fault = "azhang"      // az never answers
	// The developer's Azure Developer CLI (with Identity AzureDeveloperCLI)
	FaultAzdLoggedOut Fault = "azdloggedout" // azd: no one is logged in
	FaultAzdExpired   Fault = "azdexpired"   // azd: the login expired
	// The network between the app and Azure
	FaultUntrusted Fault = "untrusted" // TLS from a CA the app does not trust, as a TLS-inspecting proxy presents
	FaultProxyDown Fault = "proxydown" // the HTTPS proxy refuses connections
	FaultNXDomain  Fault = "nxdomain"  // Azure's host names do not resolve (HTTPClient only: it needs the stand-in's resolver)
	FaultDown      Fault = "down"      // Azure unreachable: open connections drop, new ones are refused
)

// FaultInfo describes a fault for help text: what the stand-in plays, the
// identity it needs (if any) and the status of the page the sample shows
// for it, which TestFailures checks.
type FaultInfo struct {
	Fault      Fault
	Plays      string
	Needs      Identity // "" for any
	PageStatus int
}

// FaultTable lists every fault, in the order help text shows them.
var FaultTable = []FaultInfo{
	{FaultRBAC, "Key Vault 403 ForbiddenByRbac", "", 502},
	{FaultAccessPolicy, "Key Vault 403 AccessDenied (access policy)", "", 502},
	{FaultForbidden, "Key Vault 403 with another inner code (ForbiddenByPolicy)", "", 502},
	{FaultFirewall, "Key Vault 403 ForbiddenByFirewall", "", 502},
	{FaultDisabled, "Key Vault 403 SecretDisabled", "", 502},
	{FaultNotFound, "Key Vault 404 SecretNotFound", "", 502},
	{FaultOtherTenant, "the vault is in another tenant", ServicePrincipal, 502},
	{FaultThrottle, "Key Vault 429, every time", "", 502},
	{FaultThrottleOnce, "Key Vault 429 once, then the secret", "", 200},
	{FaultUnavailable, "Key Vault 503", "", 502},
	{FaultHang, "Key Vault never answers (REQUEST_TIMEOUT)", "", 504},
	{FaultExpiredSecret, "Entra ID AADSTS7000222: the client secret expired", ServicePrincipal, 502},
	{FaultBadCert, "Entra ID AADSTS700027: the certificate is not registered", ServicePrincipal, 502},
	{FaultEntraDown, "Entra ID 503 AADSTS90033", ServicePrincipal, 502},
	{FaultIdentityDown, "the managed identity endpoint answers 500", "", 502},
	{FaultIdentityHang, "the managed identity endpoint never answers (REQUEST_TIMEOUT)", "", 504},
	{FaultNoUAMI, "the user-assigned identity is not the app's", "", 502},
	{FaultIMDSNoIdentity, "IMDS 400 Identity not found", IMDS, 502},
	{FaultNoFederation, "Entra ID AADSTS70021: no federated credential for the service account", Workload, 502},
	{FaultNoTokenFile, "AZURE_FEDERATED_TOKEN_FILE names no file", Workload, 502},
	{FaultAzLoggedOut, "az: not logged in", AzureCLI, 502},
	{FaultAzExpired, "az: the login expired", AzureCLI, 502},
	{FaultAzHang, "az never answers (REQUEST_TIMEOUT)", AzureCLI, 504},
	{FaultAzdLoggedOut, "azd: not logged in", AzureDeveloperCLI, 502},
	{FaultAzdExpired, "azd: the login expired", AzureDeveloperCLI, 502},
	{FaultUntrusted, "a TLS certificate the app does not trust", "", 502},
	{FaultProxyDown, "HTTPS_PROXY refuses connections", "", 502},
	{FaultNXDomain, "Azure's names do not resolve (tests only)", "", 502},
	{FaultDown, "Azure unreachable through the proxy", "", 502},
}

// Lookup returns the FaultInfo of f.
func Lookup(f Fault) (FaultInfo, bool) {
	for _, fi := range FaultTable {
		if fi.Fault == f {
			return fi, true
		}
	}
	return FaultInfo{}, false
}

// Options configure a stand-in. The zero value is usable.
type Options struct {
	// Secrets the vault holds, by name. Default: {"secret": DefaultSecret}.
	Secrets map[string]string
	// VaultDomain is the Key Vault DNS suffix. Default "vault.azure.net".
	// Tests pass a unique one so that token caches shared by a process
	// (MSAL keeps one for managed identities) cannot mix two stand-ins.
	VaultDomain string
	// LegacyExpiresOn formats expires_on in the 2017-09-01 protocol: "epoch"
	// (default), "linux" (06/19/2019 23:42:01 +00:00) or "windows"
	// (1/16/2020 5:24:12 AM +00:00).
	LegacyExpiresOn string
	// TokenLifetime of issued tokens. Default one hour.
	TokenLifetime time.Duration
	// IMDS makes the proxy answer requests for the instance metadata
	// service (169.254.169.254) as a virtual machine's would. Without it,
	// such a request is refused and recorded (Rejected).
	IMDS bool
	// Reference makes Env set SECRET_FROM_REFERENCE as App Service would
	// hand it over in that state; none by default.
	Reference Reference
}

// DefaultSecret is the value of the secret named "secret" unless Options say otherwise.
const DefaultSecret = "Hello from the local Key Vault stand-in!"

// Fixed identities the stand-in knows. They are made-up GUIDs, not real ones.
const (
	Tenant             = "72f988bf-0000-4000-8000-00000000c0de"
	ManagedIdentityOID = "11111111-1111-4111-8111-111111111111"
	ManagedIdentityApp = "22222222-2222-4222-8222-222222222222"
	ManagedIdentityRes = "/subscriptions/00000000-0000-4000-8000-000000000000/resourcegroups/demo-rg/providers/Microsoft.Web/sites/demo-app"
	ServicePrincipalID = "33333333-3333-4333-8333-333333333333" // AZURE_CLIENT_ID
	ServicePrincipalOI = "44444444-4444-4444-8444-444444444444" // its object ID
	ClientSecret       = "stand-in-client-secret"
	// OtherTenant owns the vault under FaultOtherTenant.
	OtherTenant = "99999999-0000-4000-8000-00000000beef"
	UserOID     = "55555555-5555-4555-8555-555555555555"
	UserUPN     = "developer@contoso.example"
	// IdentityHeader is the value of IDENTITY_HEADER and MSI_SECRET.
	IdentityHeader = "stand-in-identity-header"
	// Issuer names the stand-in in every token it issues, so pages can say who issued it.
	Issuer = "https://local-stand-in.invalid/" + Tenant + "/ (the local stand-in, not Azure)"
)

// Server is a running stand-in. Close it when done.
type Server struct {
	opts       Options
	key        []byte // signs tokens; tokens from another stand-in don't verify here
	identity   *httptest.Server
	azure      *httptest.Server // TLS: Key Vault and Entra ID, by Host
	proxy      *httptest.Server
	dns        net.PacketConn // answers every name with NXDOMAIN, for FaultNXDomain
	dnsQueries atomic.Int64
	versions   atomic.Int64 // new versions of every secret, since the start
	// refusedProxy is an address nothing listens on, for FaultProxyDown.
	refusedProxy string
	caPEM        []byte
	roots        *x509.CertPool
	closing      chan struct{}
	close        sync.Once

	fault         atomic.Value // Fault
	tokenRequests atomic.Int64
	vaultRequests atomic.Int64
	challenges    atomic.Int64
	handshakes    atomic.Int64
	throttled     atomic.Bool
	rejected      sync.Map // host → struct{}: CONNECT targets refused
	dir           string   // the stand-in's own files: the federated token
	tunnels       sync.Map // net.Conn → struct{}: open proxy tunnels
}

// Start starts a stand-in on 127.0.0.1.
func Start(opts Options) (*Server, error) {
	if opts.Secrets == nil {
		opts.Secrets = map[string]string{"secret": DefaultSecret}
	}
	if opts.VaultDomain == "" {
		opts.VaultDomain = "vault.azure.net"
	}
	if opts.TokenLifetime == 0 {
		opts.TokenLifetime = time.Hour
	}
	s := &Server{opts: opts, key: make([]byte, 32), closing: make(chan struct{})}
	s.fault.Store(FaultNone)
	if _, err := rand.Read(s.key); err != nil {
		return nil, err
	}
	hosts := []string{"*." + opts.VaultDomain, loginHost}
	cert, caPEM, err := newCertificate(hosts)
	if err != nil {
		return nil, err
	}
	// Under FaultUntrusted the same names come with a certificate from a CA
	// the app has never seen, as a TLS-inspecting proxy presents them.
	inspected, _, err := newCertificate(hosts)
	if err != nil {
		return nil, err
	}
	s.caPEM = caPEM
	s.roots = x509.NewCertPool()
	s.roots.AppendCertsFromPEM(caPEM)

	s.identity = httptest.NewServer(http.HandlerFunc(s.serveIdentity))
	s.azure = httptest.NewUnstartedServer(http.HandlerFunc(s.serveAzure))
	s.azure.TLS = &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		s.handshakes.Add(1)
		if s.currentFault() == FaultUntrusted {
			return &inspected, nil
		}
		return &cert, nil
	}}
	// TLS handshakes that fail on purpose (FaultUntrusted) need no log line.
	s.azure.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.azure.StartTLS()
	s.proxy = httptest.NewServer(http.HandlerFunc(s.serveProxy))
	if s.dns, err = startDNS(&s.dnsQueries); err != nil {
		s.Close()
		return nil, err
	}
	if s.refusedProxy, err = refusedAddress(); err != nil {
		s.Close()
		return nil, err
	}
	if s.dir, err = os.MkdirTemp("", "standin-"); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.writeFederatedToken(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close stops every listener, ending hung requests first.
func (s *Server) Close() {
	s.close.Do(func() {
		close(s.closing)
		if s.dns != nil {
			s.dns.Close()
		}
		if s.dir != "" {
			os.RemoveAll(s.dir)
		}
		s.proxy.Close()
		s.azure.Close()
		s.identity.Close()
	})
}

// SetFault makes the stand-in fail from now on; FaultNone heals it.
func (s *Server) SetFault(f Fault) {
	s.throttled.Store(false)
	s.fault.Store(f)
	if f == FaultDown {
		s.tunnels.Range(func(c, _ any) bool {
			c.(net.Conn).Close()
			return true
		})
	}
}

func (s *Server) currentFault() Fault { return s.fault.Load().(Fault) }

// TokenRequests counts token requests answered by the identity endpoint and Entra ID.
func (s *Server) TokenRequests() int64 { return s.tokenRequests.Load() }

// VaultRequests counts Key Vault requests, challenges included.
func (s *Server) VaultRequests() int64 { return s.vaultRequests.Load() }

// Handshakes counts TLS handshakes with Key Vault and Entra ID.
func (s *Server) Handshakes() int64 { return s.handshakes.Load() }

// Challenges counts Key Vault requests answered 401 with a challenge.
func (s *Server) Challenges() int64 { return s.challenges.Load() }

// VaultURL is the URL of a vault with the given name, e.g. https://kv.vault.azure.net/.
func (s *Server) VaultURL(name string) string {
	return "https://" + name + "." + s.opts.VaultDomain + "/"
}

// IdentityEndpoint is IDENTITY_ENDPOINT (api-version 2019-08-01).
func (s *Server) IdentityEndpoint() string { return s.identity.URL + "/msi/token" }

// LegacyEndpoint is MSI_ENDPOINT (api-version 2017-09-01).
func (s *Server) LegacyEndpoint() string { return s.identity.URL + "/MSI/token/" }

// ProxyURL is the CONNECT proxy through which Azure host names reach the
// stand-in: under FaultProxyDown, an address that refuses connections.
func (s *Server) ProxyURL() string { return s.proxyURL() }

func (s *Server) proxyURL() string {
	if s.currentFault() == FaultProxyDown {
		return s.refusedProxy
	}
	return s.proxy.URL
}

// CACertPEM is the certificate of the CA behind the stand-in's TLS.
func (s *Server) CACertPEM() []byte { return s.caPEM }

// HTTPClient returns a client that trusts the stand-in's CA and sends Azure
// host names through its proxy; loopback addresses are dialled directly.
// Tests hand it to the app as its azcore transport; the app's own default is
// untouched.
// Under FaultNXDomain it dials Azure directly, resolving names through the
// stand-in's DNS server, which knows none; under FaultProxyDown its proxy
// refuses connections.
func (s *Server) HTTPClient() *http.Client {
	resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", s.dns.LocalAddr().String())
	}}
	return &http.Client{Transport: &http.Transport{
		Proxy: func(r *http.Request) (*url.URL, error) {
			if ip := net.ParseIP(r.URL.Hostname()); ip != nil && ip.IsLoopback() {
				return nil, nil
			}
			if s.currentFault() == FaultNXDomain {
				return nil, nil
			}
			return url.Parse(s.proxyURL())
		},
		DialContext:         (&net.Dialer{Resolver: resolver}).DialContext,
		TLSClientConfig:     &tls.Config{RootCAs: s.roots, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 100,
		ForceAttemptHTTP2:   true,
	}}
}

// Identity names the kind of identity the app should find in its environment.
type Identity string

// The identities a stand-in can play.
const (
	AppService        Identity = "appservice" // IDENTITY_ENDPOINT + IDENTITY_HEADER, 2019-08-01
	AppServiceLegacy  Identity = "legacy"     // MSI_ENDPOINT + MSI_SECRET, 2017-09-01
	ServicePrincipal  Identity = "sp"         // AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET
	AzureCLI          Identity = "cli"        // the developer's az login (ProcessEnv writes an az stand-in)
	AzureDeveloperCLI Identity = "azd"        // the developer's azd auth login (ProcessEnv writes an azd stand-in)
	Workload          Identity = "workload"   // AKS workload identity: AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID, AZURE_TENANT_ID
	IMDS              Identity = "imds"       // a virtual machine's identity, chosen with AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential
	ContainerApps     Identity = "containerapps"
	Functions         Identity = "functions" // a custom handler on Flex Consumption: App Service's identity endpoint, the Functions host's variables
)

// Identities lists every identity, for flags and help text.
var Identities = []Identity{AppService, AppServiceLegacy, ServicePrincipal, AzureCLI, AzureDeveloperCLI, Workload, IMDS, ContainerApps, Functions}

// SiteName and ResourceGroup are the App Service app Env plays, the
// group the stand-in's resource IDs name.
const (
	SiteName      = "kvmsigo-demo-app"
	ResourceGroup = "demo-rg"
)

// FunctionApp is the function app Env plays for Functions.
const FunctionApp = "kvmsigo-demo-func"

// WorkloadPod is the pod name Env gives the Workload identity's app.
const WorkloadPod = "kvmsigo-7d9f8c6b5-x2k4q"

// UserAssignedClientID is the AZURE_CLIENT_ID Env sets under FaultNoUAMI:
// a user-assigned identity the app does not have.
const UserAssignedClientID = "77777777-7777-4777-8777-777777777777"

// Env is the environment under which the app finds this stand-in playing id:
// the identity's variables and the vault's URL. It does not include the
// proxy or CA settings; see ProcessEnv for a separate process.
func (s *Server) Env(id Identity) (map[string]string, error) {
	env := map[string]string{"KEY_VAULT_URL": s.VaultURL("kv")}
	switch id {
	case AppService:
		env["IDENTITY_ENDPOINT"] = s.IdentityEndpoint()
		env["IDENTITY_HEADER"] = IdentityHeader
		setSite(env)
	case Functions:
		env["IDENTITY_ENDPOINT"] = s.IdentityEndpoint()
		env["IDENTITY_HEADER"] = IdentityHeader
		// As Flex Consumption sets them: the site's name and group, which
		// KelvinTegelaar/CIPP-API (Get-ApplicationInsightsQuery) reads
		// there, with WEBSITE_SKU; the Functions host adds the port and a
		// worker ID for the custom handler it starts
		// (Azure/azure-functions-host, HttpWorkerConstants): the caller
		// sets FUNCTIONS_CUSTOMHANDLER_PORT, as it sets PORT for the others.
		env["WEBSITE_SITE_NAME"] = FunctionApp
		env["WEBSITE_RESOURCE_GROUP"] = ResourceGroup
		env["WEBSITE_SKU"] = "FlexConsumption"
		env["FUNCTIONS_CUSTOMHANDLER_WORKER_ID"] = newUUID()
	case AppServiceLegacy:
		env["MSI_ENDPOINT"] = s.LegacyEndpoint()
		env["MSI_SECRET"] = IdentityHeader
		setSite(env) // whichever protocol the app speaks
	case ServicePrincipal:
		env["AZURE_TENANT_ID"] = Tenant
		env["AZURE_CLIENT_ID"] = ServicePrincipalID
		env["AZURE_CLIENT_SECRET"] = ClientSecret
	case AzureCLI, AzureDeveloperCLI:
	case Workload:
		// As the AKS webhook injects them (Azure Workload Identity docs,
		// "Quick start"), AZURE_AUTHORITY_HOST included.
		env["AZURE_CLIENT_ID"] = WorkloadClientID
		env["AZURE_TENANT_ID"] = Tenant
		env["AZURE_AUTHORITY_HOST"] = "https://" + loginHost + "/"
		env["AZURE_FEDERATED_TOKEN_FILE"] = s.FederatedTokenPath()
		// And as Kubernetes sets them in every pod: the API server's
		// address (Kubernetes docs, "Service": environment variables) and
		// the pod's name as its hostname.
		env["KUBERNETES_SERVICE_HOST"] = "10.0.0.1"
		env["HOSTNAME"] = WorkloadPod
	case IMDS:
		env["AZURE_TOKEN_CREDENTIALS"] = "ManagedIdentityCredential"
	case ContainerApps:
		env["IDENTITY_ENDPOINT"] = s.IdentityEndpoint()
		env["IDENTITY_HEADER"] = IdentityHeader
		env["CONTAINER_APP_NAME"] = "kvmsigo"
		env["CONTAINER_APP_REVISION"] = "kvmsigo--7f3k2"
	default:
		return nil, fmt.Errorf("unknown identity %q (want one of %v)", id, Identities)
	}
	if s.currentFault() == FaultNoUAMI {
		env["AZURE_CLIENT_ID"] = UserAssignedClientID
	}
	if s.opts.Reference != ReferenceNone {
		v, err := s.referenceValue(s.opts.Reference)
		if err != nil {
			return nil, err
		}
		env["SECRET_FROM_REFERENCE"] = v
	}
	return env, nil
}

// setSite sets the variables App Service sets for every app (Learn,
// "Environment variables and app settings reference"): the site's name,
// its resource group, its host name.
func setSite(env map[string]string) {
	env["WEBSITE_SITE_NAME"] = SiteName
	env["WEBSITE_RESOURCE_GROUP"] = ResourceGroup
	env["WEBSITE_HOSTNAME"] = SiteName + ".azurewebsites.net"
}

// ProcessEnv is Env plus what a separate process needs to reach and trust
// the stand-in through azcore's default transport: HTTPS_PROXY, and
// SSL_CERT_FILE naming the CA written into dir. The process's PATH is dir
// alone, where the az stand-in is written for AzureCLI and the azd one for
// AzureDeveloperCLI: never an az or azd the machine has, which would come
// first or answer for a real Azure.
func (s *Server) ProcessEnv(id Identity, dir string) ([]string, error) {
	env, err := s.Env(id)
	if err != nil {
		return nil, err
	}
	env["PATH"] = dir
	if id == AzureCLI {
		if err := s.WriteAzCLI(dir, s.AzState()); err != nil {
			return nil, err
		}
	}
	if id == AzureDeveloperCLI {
		state := map[Fault]AzState{FaultAzdLoggedOut: AzLoggedOut, FaultAzdExpired: AzExpired}[s.currentFault()]
		if err := s.WriteAzd(dir, cmp.Or(state, AzLoggedIn)); err != nil {
			return nil, err
		}
	}
	if id == ServicePrincipal && s.currentFault() == FaultBadCert {
		// A certificate Entra ID has not registered: sign in with it.
		certFile := filepath.Join(dir, "sp.pem")
		if err := WriteClientCertificate(certFile); err != nil {
			return nil, err
		}
		delete(env, "AZURE_CLIENT_SECRET")
		env["AZURE_CLIENT_CERTIFICATE_PATH"] = certFile
	}
	caFile := filepath.Join(dir, "standin-ca.pem")
	if err := os.WriteFile(caFile, s.caPEM, 0o600); err != nil {
		return nil, err
	}
	env["HTTPS_PROXY"] = s.proxyURL()
	if id == IMDS {
		env["HTTP_PROXY"] = s.proxyURL() // IMDS is plain HTTP
	}
	env["SSL_CERT_FILE"] = caFile
	var out []string
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out, nil
}

// NewVersion gives every secret a new version with the same value, as
// `az keyvault secret set` does when it is run again with the value the
// secret has.
func (s *Server) NewVersion() { s.versions.Add(1) }

// DNSQueries is how many questions the stand-in's resolver has answered
// (NXDOMAIN, for FaultNXDomain): a name that does not resolve is asked
// once per lookup, A and AAAA, and never again on a retry.
func (s *Server) DNSQueries() int64 { return s.dnsQueries.Load() }

// newID returns a random hex string, for request IDs and versions.
func newID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

func (s *Server) sign(data []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write(data)
	return m.Sum(nil)
}
