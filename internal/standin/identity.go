package standin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
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
		// Not a played failure: the stand-in's own check that the app speaks
		// the protocol, worded as the stand-in's, not Azure's.
		http.Error(w, `{"error":"invalid_request","error_description":"the local stand-in: unknown api-version, path or identity header"}`, http.StatusBadRequest)
		return
	}
	s.tokenRequests.Add(1)
	if s.currentFault() == FaultIdentityHang {
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		return
	}
	if s.currentFault() == FaultIdentityDown {
		// A bare 500: no public source shows a body for it, so none is invented.
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	resource := q.Get("resource")
	if resource != "https://"+s.opts.VaultDomain {
		// The stand-in's own check that the app asks for the vault's
		// resource; the app never does otherwise, so no Azure text is played.
		http.Error(w, fmt.Sprintf(`{"error":"invalid_resource","error_description":"the local stand-in issues tokens only for its vault, not %q"}`, resource), http.StatusBadRequest)
		return
	}
	claims := managedIdentityClaims()
	clientID := q.Get("client_id")
	if legacy {
		clientID = q.Get("clientid")
	}
	if clientID != "" && s.currentFault() == FaultNoUAMI {
		// App Service's answer for a user-assigned identity the app does not
		// have (MicrosoftDocs/azure-docs#43543).
		writeJSON(w, http.StatusBadRequest, map[string]any{"StatusCode": 400, "Message": "No MSI found for specified ClientId/ResourceId.", "CorrelationId": newUUID()})
		return
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

// newUUID is a random version-4 UUID, as Azure's correlation IDs are.
func newUUID() string {
	h := newID(16)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client hung up; nothing to tell it
}
