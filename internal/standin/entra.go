package standin

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// serveEntra plays the parts of Microsoft Entra ID that a client-credentials
// token request touches: instance discovery, tenant discovery (OpenID
// configuration) and the token endpoint, with its errors in Entra ID's own
// shape (see entraError).
func (s *Server) serveEntra(w http.ResponseWriter, r *http.Request) {
	tenant, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case rest == "discovery/instance":
		// MSAL asks about the authority it was given; the answer points at
		// that tenant's OpenID configuration.
		authz, _ := url.Parse(r.URL.Query().Get("authorization_endpoint"))
		asked := tenant
		if authz != nil {
			asked, _, _ = strings.Cut(strings.TrimPrefix(authz.Path, "/"), "/")
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"tenant_discovery_endpoint": "https://" + loginHost + "/" + asked + "/v2.0/.well-known/openid-configuration",
			"api-version":               "1.1",
			"metadata":                  []map[string]any{{"preferred_network": loginHost, "preferred_cache": loginHost, "aliases": []string{loginHost}}},
		})
	case rest == "v2.0/.well-known/openid-configuration":
		if tenant != Tenant && tenant != OtherTenant {
			// Azure/azure-cli#22145: OIDC discovery rejects an unknown tenant.
			entraError(w, http.StatusBadRequest, "invalid_tenant", 90002, "AADSTS90002: Tenant '"+tenant+"' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.")
			return
		}
		base := "https://" + loginHost + "/" + tenant
		writeJSON(w, http.StatusOK, map[string]any{
			"token_endpoint":         base + "/oauth2/v2.0/token",
			"issuer":                 base + "/v2.0",
			"authorization_endpoint": base + "/oauth2/v2.0/authorize",
		})
	case r.Method == http.MethodPost && rest == "oauth2/v2.0/token":
		s.tokenRequests.Add(1)
		s.serveClientCredentials(w, r, tenant)
	default:
		http.Error(w, "the local stand-in does not serve "+r.URL.Path, http.StatusNotFound)
	}
}

// serveClientCredentials answers a service principal's token request.
func (s *Server) serveClientCredentials(w http.ResponseWriter, r *http.Request, tenant string) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	clientID := r.PostForm.Get("client_id")
	// A certificate credential sends a signed client assertion instead of
	// the secret; the stand-in takes its presence for proof.
	assertion := r.PostForm.Get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" && r.PostForm.Get("client_assertion") != ""
	if clientID == WorkloadClientID {
		s.serveWorkloadExchange(w, r, assertion)
		return
	}
	switch {
	case s.currentFault() == FaultEntraDown:
		// Azure/azure-sdk-for-python#14241: 503 temporarily_unavailable, AADSTS90033.
		entraError(w, http.StatusServiceUnavailable, "temporarily_unavailable", 90033, "AADSTS90033: A transient error has occurred. Please try again.")
	case clientID != ServicePrincipalID:
		// MicrosoftDocs/azure-docs#21690 (the text); unauthorized_client, 400.
		entraError(w, http.StatusBadRequest, "unauthorized_client", 700016, "AADSTS700016: Application with identifier '"+clientID+"' was not found in the directory '"+tenant+"'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.")
	case assertion && s.currentFault() == FaultBadCert:
		// Azure-Samples/azure-health-data-and-ai-samples#261.
		entraError(w, http.StatusUnauthorized, "invalid_client", 700027, "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '"+clientID+"'.]")
	case !assertion && r.PostForm.Get("client_secret") == ClientSecret && s.currentFault() == FaultExpiredSecret:
		// liprec/vsts-release-aas#119: 401 invalid_client, AADSTS7000222.
		entraError(w, http.StatusUnauthorized, "invalid_client", 7000222, "AADSTS7000222: The provided client secret keys for app '"+clientID+"' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.")
	case !assertion && r.PostForm.Get("client_secret") != ClientSecret:
		// azidentity's TROUBLESHOOTING.md: 401 invalid_client, AADSTS7000215.
		entraError(w, http.StatusUnauthorized, "invalid_client", 7000215, "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '"+clientID+"'.")
	default:
		token, exp := s.MintToken(Claims{ObjectID: ServicePrincipalOI, AppID: ServicePrincipalID, IDType: "app"})
		writeJSON(w, http.StatusOK, map[string]any{
			"access_token": token, "token_type": "Bearer",
			"expires_in": int(time.Until(exp).Seconds()), "ext_expires_in": int(time.Until(exp).Seconds()),
		})
	}
}

// serveWorkloadExchange answers AKS workload identity's token exchange:
// a client-assertion grant whose assertion is the pod's service account
// token, which Entra ID matches against the identity's federated
// credentials.
func (s *Server) serveWorkloadExchange(w http.ResponseWriter, r *http.Request, assertion bool) {
	if !assertion || !s.workloadAssertion(r.PostForm.Get("client_assertion")) || s.currentFault() == FaultNoFederation {
		// external-secrets/external-secrets#2783: 401 invalid_client, AADSTS70021.
		entraError(w, http.StatusUnauthorized, "invalid_client", 70021, "AADSTS70021: No matching federated identity record found for presented assertion. "+
			"Assertion Issuer: '"+ServiceAccountIssuer+"'. Assertion Subject: '"+ServiceAccountSubject+"'. Assertion Audience: '"+serviceAccountAudience+"'. "+
			"https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation")
		return
	}
	token, exp := s.MintToken(Claims{ObjectID: WorkloadOID, AppID: WorkloadClientID, IDType: "app",
		MIResID: "/subscriptions/00000000-0000-4000-8000-000000000000/resourcegroups/demo-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/kvmsigo-workload"})
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": token, "token_type": "Bearer",
		"expires_in": int(time.Until(exp).Seconds()), "ext_expires_in": int(time.Until(exp).Seconds()),
	})
}

// entraError writes Entra ID's OAuth error body, as azidentity's
// TROUBLESHOOTING.md quotes one: the description ends with trace and
// correlation IDs and a timestamp on lines of their own, error_codes
// repeats the AADSTS number.
func entraError(w http.ResponseWriter, status int, errorField string, code int, desc string) {
	now := time.Now().UTC().Format("2006-01-02 15:04:05Z")
	trace, correlation := newUUID(), newUUID()
	writeJSON(w, status, map[string]any{
		"error":             errorField,
		"error_description": desc + "\r\nTrace ID: " + trace + "\r\nCorrelation ID: " + correlation + "\r\nTimestamp: " + now,
		"error_codes":       []int{code},
		"timestamp":         now,
		"trace_id":          trace,
		"correlation_id":    correlation,
		"error_uri":         "https://" + loginHost + "/error?code=" + strconv.Itoa(code),
	})
}
