package standin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// serveIdentity plays App Service's local identity endpoint: api-version
// 2019-08-01 (header X-IDENTITY-HEADER) and the legacy 2017-09-01 (header
// secret), both on GET with the resource in the query.
func (s *Server) serveIdentity(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var legacy bool
	switch v := q.Get("api-version"); {
	case v == "2019-08-01" && r.URL.Path == "/msi/token" && r.Header.Get("X-IDENTITY-HEADER") == IdentityHeader:
	case v == "2017-09-01" && r.URL.Path == "/MSI/token/" && r.Header.Get("secret") == IdentityHeader:
		legacy = true
	default:
		http.Error(w, `{"error":"invalid_request","error_description":"unknown api-version, path or identity header"}`, http.StatusBadRequest)
		return
	}
	s.tokenRequests.Add(1)
	if s.currentFault() == FaultIdentityDown {
		http.Error(w, `{"error":"service_unavailable","error_description":"the local stand-in's identity endpoint is down (fault identitydown)"}`, http.StatusInternalServerError)
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	resource := q.Get("resource")
	if resource != "https://"+s.opts.VaultDomain {
		http.Error(w, fmt.Sprintf(`{"error":"invalid_resource","error_description":"AADSTS500011: resource %q not found"}`, resource), http.StatusBadRequest)
		return
	}
	claims := managedIdentityClaims()
	clientID := q.Get("client_id")
	if legacy {
		clientID = q.Get("clientid")
	}
	if clientID != "" { // a user-assigned identity: its client ID shows in the token
		claims.AppID = clientID
		claims.MIResID = strings.Replace(ManagedIdentityRes, "Microsoft.Web/sites/demo-app", "Microsoft.ManagedIdentity/userAssignedIdentities/demo-uami", 1)
	}
	token, exp := s.MintToken(claims)
	expiresOn := strconv.FormatInt(exp.Unix(), 10)
	if legacy {
		switch s.opts.LegacyExpiresOn {
		case "linux":
			expiresOn = exp.UTC().Format("01/02/2006 15:04:05 -07:00")
		case "windows":
			expiresOn = exp.UTC().Format("1/2/2006 3:04:05 PM -07:00")
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": token,
		"expires_on":   expiresOn,
		"resource":     resource,
		"token_type":   "Bearer",
		"client_id":    claims.AppID,
	})
}

// serveEntra plays the parts of Microsoft Entra ID that a client-credentials
// token request touches: instance discovery, tenant metadata and the token
// endpoint.
func (s *Server) serveEntra(w http.ResponseWriter, r *http.Request) {
	base := "https://" + loginHost + "/" + Tenant
	switch {
	case strings.HasSuffix(r.URL.Path, "/discovery/instance"):
		writeJSON(w, http.StatusOK, map[string]any{
			"tenant_discovery_endpoint": base + "/v2.0/.well-known/openid-configuration",
			"api-version":               "1.1",
			"metadata":                  []map[string]any{{"preferred_network": loginHost, "preferred_cache": loginHost, "aliases": []string{loginHost}}},
		})
	case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
		writeJSON(w, http.StatusOK, map[string]any{
			"token_endpoint":         base + "/oauth2/v2.0/token",
			"issuer":                 base + "/v2.0",
			"authorization_endpoint": base + "/oauth2/v2.0/authorize",
		})
	case r.Method == http.MethodPost && r.URL.Path == "/"+Tenant+"/oauth2/v2.0/token":
		s.tokenRequests.Add(1)
		if s.currentFault() == FaultIdentityDown {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": "temporarily_unavailable", "error_description": "AADSTS90033: the local stand-in's token endpoint is down (fault identitydown)", "error_codes": []int{90033}})
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// A certificate credential sends a signed client assertion instead of
		// the secret; the stand-in takes its presence for proof.
		assertion := r.PostForm.Get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" && r.PostForm.Get("client_assertion") != ""
		if r.PostForm.Get("client_id") != ServicePrincipalID || (r.PostForm.Get("client_secret") != ClientSecret && !assertion) {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.", "error_codes": []int{7000215}})
			return
		}
		token, exp := s.MintToken(Claims{ObjectID: ServicePrincipalOI, AppID: ServicePrincipalID, IDType: "app"})
		writeJSON(w, http.StatusOK, map[string]any{
			"access_token": token, "token_type": "Bearer",
			"expires_in": int(time.Until(exp).Seconds()), "ext_expires_in": int(time.Until(exp).Seconds()),
		})
	default:
		http.Error(w, `{"error":"invalid_request","error_description":"AADSTS90002: the local stand-in does not serve `+r.URL.Path+`"}`, http.StatusBadRequest)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client hung up; nothing to tell it
}
