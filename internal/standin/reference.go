package standin

import "fmt"

// Reference is how App Service handed the app SECRET_FROM_REFERENCE, its
// Key Vault reference to the secret "secret". App Service resolves a
// reference before the app starts and refetches it within 24 hours; when
// it cannot resolve it, the app gets the reference's own text (App
// Service docs, "Use Key Vault references as app settings": rotation,
// troubleshooting).
type Reference string

const (
	ReferenceNone       Reference = ""
	ReferenceResolved   Reference = "resolved"   // the vault's current value
	ReferenceStale      Reference = "stale"      // the value before the last rotation, not yet refetched
	ReferenceUnresolved Reference = "unresolved" // the reference's text
)

// References lists the states a demo or test can ask for.
var References = []Reference{ReferenceResolved, ReferenceStale, ReferenceUnresolved}

// ReferenceText is the app setting's value as the template sets it.
const ReferenceText = "@Microsoft.KeyVault(VaultName=kv;SecretName=secret)"

// referenceValue is SECRET_FROM_REFERENCE's value in state ref.
func (s *Server) referenceValue(ref Reference) (string, error) {
	switch ref {
	case ReferenceResolved:
		return s.opts.Secrets["secret"], nil
	case ReferenceStale:
		return s.opts.Secrets["secret"] + " (the version before the last rotation)", nil
	case ReferenceUnresolved:
		return ReferenceText, nil
	}
	return "", fmt.Errorf("unknown reference state %q (want one of %v)", ref, References)
}
