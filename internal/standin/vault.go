package standin

import (
	"fmt"
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

// ClientAddress is the address Key Vault's firewall reports for the app
// under FaultFirewall (TEST-NET-3, RFC 5737: never a real host).
const ClientAddress = "203.0.113.7"

// serveVault plays Key Vault's GET secret operation, with the bearer
// challenge that azsecrets elicits before its first authorized request.
func (s *Server) serveVault(w http.ResponseWriter, r *http.Request) {
	s.vaultRequests.Add(1)
	w.Header().Set("x-ms-request-id", newID(16))
	vault, _, _ := strings.Cut(r.Host, ".")
	tenant := Tenant
	if s.currentFault() == FaultOtherTenant {
		tenant = OtherTenant
	}
	// The challenge: 401 with WWW-Authenticate naming the vault's tenant and
	// resource (Azure/azure-sdk-for-js, keyvault-secrets recording
	// recording_cant_get_a_disabled_secret.js).
	challenge := `Bearer authorization="https://` + loginHost + `/` + tenant + `", resource="https://` + s.opts.VaultDomain + `"`
	auth := r.Header.Get("Authorization")
	if auth == "" {
		s.challenges.Add(1)
		w.Header().Set("WWW-Authenticate", challenge)
		vaultError(w, http.StatusUnauthorized, "Unauthorized", "", "Request is missing a Bearer or PoP token.")
		return
	}
	claims, err := s.verify(strings.TrimPrefix(auth, "Bearer "))
	if err != nil {
		// The stand-in's own check of its tokens (signature, audience,
		// expiry); no test plays it, so its text is the stand-in's.
		w.Header().Set("WWW-Authenticate", challenge)
		vaultError(w, http.StatusUnauthorized, "Unauthorized", "", "the local stand-in rejects this token: "+err.Error())
		return
	}
	if claims.TenantID != tenant {
		// MicrosoftDocs/azure-docs#75410: "AKV10032: Invalid issuer. Expected
		// one of https://sts.windows.net/…/, found https://sts.windows.net/…/."
		w.Header().Set("WWW-Authenticate", challenge)
		vaultError(w, http.StatusUnauthorized, "Unauthorized", "",
			"AKV10032: Invalid issuer. Expected one of https://sts.windows.net/"+tenant+"/, found https://sts.windows.net/"+claims.TenantID+"/.")
		return
	}
	// GET /secrets/{name}/{version}, version possibly empty
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if r.Method != http.MethodGet || len(parts) < 2 || len(parts) > 3 || parts[0] != "secrets" {
		vaultError(w, http.StatusBadRequest, "BadParameter", "", "the local stand-in serves only GET /secrets/{name}") // its own limit, not Azure's
		return
	}
	name := parts[1]
	if s.vaultFault(w, r, vault, name, claims) {
		return
	}
	value, ok := s.opts.Secrets[name]
	if !ok {
		s.secretNotFound(w, name)
		return
	}
	version := "0123456789abcdef0123456789abcdef"
	if n := s.versions.Load(); n > 0 {
		version = fmt.Sprintf("%032x", n)
	}
	now := time.Now().Unix()
	writeJSON(w, http.StatusOK, map[string]any{
		"value": value,
		"id":    "https://" + r.Host + "/secrets/" + name + "/" + version,
		"attributes": map[string]any{
			"enabled": true, "created": now - 3600, "updated": now - 3600, "recoveryLevel": "Recoverable+Purgeable",
		},
	})
}

// vaultFault answers as Key Vault does under the current fault, and
// reports whether it did.
func (s *Server) vaultFault(w http.ResponseWriter, r *http.Request, vault, name string, c Claims) bool {
	caller := "appid=" + c.AppID + ";oid=" + c.ObjectID + ";iss=https://sts.windows.net/" + c.TenantID + "/"
	switch s.currentFault() {
	case FaultRBAC:
		// piyushsachdeva/Terraform_AKS#2 (GetSecret, InnerError ForbiddenByRbac).
		vaultError(w, http.StatusForbidden, "Forbidden", "ForbiddenByRbac", "Caller is not authorized to perform action on resource.\r\n"+
			"If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n"+
			"Caller: "+caller+"\r\nAction: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\n"+
			"Resource: '"+strings.ToLower(VaultResourceID(vault))+"/secrets/"+name+"'\r\n"+
			"Assignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: "+vault+";location=westeurope\r\n")
	case FaultAccessPolicy:
		// external-secrets/external-secrets#586 (InnerError AccessDenied).
		vaultError(w, http.StatusForbidden, "Forbidden", "AccessDenied", "The user, group or application '"+caller+"' does not have secrets get permission on key vault '"+
			vault+";location=westeurope'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287")
	case FaultForbidden:
		// SparebankenVest/azure-key-vault-to-kubernetes#232 (InnerError ForbiddenByPolicy).
		vaultError(w, http.StatusForbidden, "Forbidden", "ForbiddenByPolicy", "The policy requires the caller '"+caller+
			"' to use on-behalf-of (OBO) flow. For more information on OBO, please see https://go.microsoft.com/fwlink/?linkid=2152310")
	case FaultFirewall:
		// hashicorp/packer-plugin-azure#384 (message) and the Secrets Store CSI
		// driver's troubleshooting page (InnerError ForbiddenByFirewall).
		vaultError(w, http.StatusForbidden, "Forbidden", "ForbiddenByFirewall", "Client address is not authorized and caller is not a trusted service.\r\n"+
			"Client address: "+ClientAddress+"\r\nCaller: "+caller+"\r\nVault: "+vault+";location=westeurope")
	case FaultDisabled:
		// Azure/azure-sdk-for-js, keyvault-secrets recording_cant_get_a_disabled_secret.js.
		vaultError(w, http.StatusForbidden, "Forbidden", "SecretDisabled", "Operation get is not allowed on a disabled secret.")
	case FaultNotFound:
		s.secretNotFound(w, name)
	case FaultThrottle:
		throttle(w)
	case FaultThrottleOnce:
		if !s.throttled.CompareAndSwap(false, true) {
			return false
		}
		throttle(w)
	case FaultUnavailable:
		// Azure/azure-sdk-for-net#12558: the front end's own 503, HTML, not JSON.
		w.Header().Set("Content-Type", "text/html; charset=us-ascii")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">`+"\r\n"+
			`<HTML><HEAD><TITLE>Service Unavailable</TITLE>`+"\r\n"+`<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>`+"\r\n"+
			`<BODY><h2>Service Unavailable</h2>`+"\r\n"+`<hr><p>HTTP Error 503. The service is unavailable.</p>`+"\r\n"+`</BODY></HTML>`+"\r\n")
	case FaultHang:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
	default:
		return false
	}
	return true
}

// secretNotFound is Key Vault's 404, the same for a secret that never
// existed and one deleted into soft-delete (Azure/azure-sdk-for-js#25489).
func (s *Server) secretNotFound(w http.ResponseWriter, name string) {
	vaultError(w, http.StatusNotFound, "SecretNotFound", "", "A secret with (name/id) "+name+" was not found in this key vault. "+
		"If you recently deleted this secret you may be able to recover it using the correct recovery command. "+
		"For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182")
}

// throttle is Key Vault's 429 (vcsjones/AzureSignTool#219).
func throttle(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	vaultError(w, http.StatusTooManyRequests, "Throttled", "", "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached")
}

// VaultResourceID is the ARM resource ID of the vault named name.
func VaultResourceID(name string) string {
	return "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/demo-rg/providers/Microsoft.KeyVault/vaults/" + name
}

// vaultError writes Key Vault's error body: {"error":{"code","message",
// "innererror":{"code"}}}.
func vaultError(w http.ResponseWriter, status int, code, inner, message string) {
	body := map[string]any{"code": code, "message": message}
	if inner != "" {
		body["innererror"] = map[string]any{"code": inner}
	}
	writeJSON(w, status, map[string]any{"error": body})
}
