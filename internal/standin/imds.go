package standin

import (
	"net/http"
	"strconv"
	"strings"
)

const imdsHost = "169.254.169.254"

// VMIdentityOID is the object ID of the virtual machine's identity.
const VMIdentityOID = "66666666-6666-4666-8666-666666666666"

// serveIMDS plays the instance metadata service's token endpoint (Azure
// docs, "How to use managed identities for Azure resources on an Azure VM
// to acquire an access token"): GET /metadata/identity/oauth2/token with
// api-version and resource, the header Metadata: true, and expires_on as
// epoch seconds in a string.
func (s *Server) serveIMDS(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.URL.Path != "/metadata/identity/oauth2/token" || r.Header.Get("Metadata") != "true" || q.Get("api-version") == "" {
		// The stand-in's own check that the app speaks IMDS's protocol.
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request", "error_description": "the local stand-in: missing Metadata: true, api-version or the token path"})
		return
	}
	s.tokenRequests.Add(1)
	if s.currentFault() == FaultIMDSNoIdentity {
		// Azure/azure-sdk-for-net#37278: a VM without the requested identity.
		w.Header().Set("Server", "IMDS/150.870.65.1015")
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request", "error_description": "Identity not found"})
		return
	}
	resource := q.Get("resource")
	if resource != "https://"+s.opts.VaultDomain {
		// The stand-in's own check, as in serveIdentity: not a played failure.
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_resource", "error_description": "the local stand-in issues tokens only for its vault, not " + resource})
		return
	}
	claims := Claims{ObjectID: VMIdentityOID, AppID: "77770000-0000-4000-8000-000000000001", IDType: "app",
		MIResID: "/subscriptions/00000000-0000-4000-8000-000000000000/resourcegroups/demo-rg/providers/Microsoft.Compute/virtualMachines/demo-vm"}
	if id := q.Get("client_id"); id != "" {
		claims.AppID = id
		claims.MIResID = strings.Replace(claims.MIResID, "Microsoft.Compute/virtualMachines/demo-vm", "Microsoft.ManagedIdentity/userAssignedIdentities/demo-uami", 1)
	}
	token, exp := s.MintToken(claims)
	lifetime := strconv.FormatInt(int64(s.opts.TokenLifetime.Seconds()), 10)
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": token, "refresh_token": "", "expires_in": lifetime, "expires_on": strconv.FormatInt(exp.Unix(), 10),
		"not_before": strconv.FormatInt(exp.Unix()-int64(s.opts.TokenLifetime.Seconds()), 10), "resource": resource, "token_type": "Bearer",
	})
}
