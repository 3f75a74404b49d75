package standin

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The AKS workload identity the stand-in plays.
const (
	WorkloadClientID = "88880000-0000-4000-8000-000000000002" // the user-assigned identity's client ID
	WorkloadOID      = "88880000-0000-4000-8000-000000000003"
	// ServiceAccountIssuer and ServiceAccountSubject are the federated
	// credential's issuer and subject: the cluster's OIDC issuer and the
	// pod's service account.
	ServiceAccountIssuer  = "https://oidc.local-stand-in.invalid/cluster/"
	ServiceAccountSubject = "system:serviceaccount:default:kvmsigo"
	// serviceAccountAudience is the audience the AKS webhook projects.
	serviceAccountAudience = "api://AzureADTokenExchange"
)

// FederatedTokenPath is AZURE_FEDERATED_TOKEN_FILE: the projected service
// account token; under FaultNoTokenFile, a path with no file.
func (s *Server) FederatedTokenPath() string {
	if s.currentFault() == FaultNoTokenFile {
		return filepath.Join(s.dir, "no-such-token")
	}
	return filepath.Join(s.dir, "azure-identity-token")
}

// writeFederatedToken writes the service account token a pod of the
// workload's service account gets, signed by the stand-in.
func (s *Server) writeFederatedToken() error {
	token := s.signClaims(map[string]any{
		"iss": ServiceAccountIssuer, "sub": ServiceAccountSubject, "aud": []string{serviceAccountAudience},
		"exp": time.Now().Add(24 * time.Hour).Unix(), "iat": time.Now().Unix(),
	})
	return os.WriteFile(filepath.Join(s.dir, "azure-identity-token"), []byte(token), 0o600)
}

// workloadAssertion checks a client assertion presented for the workload
// identity: the stand-in's own service account token, as Entra ID checks
// it against the identity's federated credential.
func (s *Server) workloadAssertion(assertion string) bool {
	i := strings.LastIndexByte(assertion, '.')
	return i > 0 && b64.EncodeToString(s.sign([]byte(assertion[:i]))) == assertion[i+1:]
}
