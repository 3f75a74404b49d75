package standin

import (
	"net/http"
	"strings"
	"time"
)

// serveAzure routes TLS requests by host name: Entra ID or a vault.
func (s *Server) serveAzure(w http.ResponseWriter, r *http.Request) {
	if r.Host == loginHost {
		s.serveEntra(w, r)
		return
	}
	s.serveVault(w, r)
}

// serveVault plays Key Vault's GET secret operation, with the bearer
// challenge that azsecrets elicits before its first authorized request.
func (s *Server) serveVault(w http.ResponseWriter, r *http.Request) {
	s.vaultRequests.Add(1)
	w.Header().Set("x-ms-request-id", newID(16))
	auth := r.Header.Get("Authorization")
	if auth == "" {
		s.challenges.Add(1)
		w.Header().Set("WWW-Authenticate", `Bearer authorization="https://`+loginHost+`/`+Tenant+`", resource="https://`+s.opts.VaultDomain+`"`)
		vaultError(w, http.StatusUnauthorized, "Unauthorized", "", "AKV10000: Request is missing a Bearer or PoP token.")
		return
	}
	if err := s.verify(strings.TrimPrefix(auth, "Bearer ")); err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer authorization="https://`+loginHost+`/`+Tenant+`", resource="https://`+s.opts.VaultDomain+`"`)
		vaultError(w, http.StatusUnauthorized, "Unauthorized", "", "AKV10032: "+err.Error())
		return
	}
	// GET /secrets/{name}/{version}, version possibly empty
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if r.Method != http.MethodGet || len(parts) < 2 || len(parts) > 3 || parts[0] != "secrets" {
		vaultError(w, http.StatusBadRequest, "BadParameter", "", "the local stand-in serves only GET /secrets/{name}")
		return
	}
	name := parts[1]
	switch s.currentFault() {
	case FaultForbidden:
		vaultError(w, http.StatusForbidden, "Forbidden", "AccessDenied", "Caller is not authorized to perform action on resource. Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'")
		return
	case FaultFirewall:
		vaultError(w, http.StatusForbidden, "Forbidden", "ForbiddenByFirewall", "Client address is not authorized and caller is not a trusted service.")
		return
	case FaultThrottle:
		w.Header().Set("Retry-After", "1")
		vaultError(w, http.StatusTooManyRequests, "Throttled", "", "Request was not processed because too many requests were received.")
		return
	case FaultThrottleOnce:
		if s.throttled.CompareAndSwap(false, true) {
			w.Header().Set("Retry-After", "1")
			vaultError(w, http.StatusTooManyRequests, "Throttled", "", "Request was not processed because too many requests were received.")
			return
		}
	case FaultUnavailable:
		vaultError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "", "The service is temporarily unavailable.")
		return
	case FaultHang:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		return
	}
	value, ok := s.opts.Secrets[name]
	if !ok || s.currentFault() == FaultNotFound {
		vaultError(w, http.StatusNotFound, "SecretNotFound", "", "A secret with (name/id) "+name+" was not found in this key vault.")
		return
	}
	version := "0123456789abcdef0123456789abcdef"
	now := time.Now().Unix()
	writeJSON(w, http.StatusOK, map[string]any{
		"value": value,
		"id":    "https://" + r.Host + "/secrets/" + name + "/" + version,
		"attributes": map[string]any{
			"enabled": true, "created": now - 3600, "updated": now - 3600, "recoveryLevel": "Recoverable+Purgeable",
		},
	})
}

func vaultError(w http.ResponseWriter, status int, code, inner, message string) {
	body := map[string]any{"code": code, "message": message}
	if inner != "" {
		body["innererror"] = map[string]any{"code": inner}
	}
	writeJSON(w, status, map[string]any{"error": body})
}
