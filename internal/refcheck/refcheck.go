// Package refcheck tells, beside the app's own read of the secret, what
// App Service's other way to it says: a Key Vault reference in an app
// setting, which the platform resolves itself (App Service docs, "Use Key
// Vault references as app settings"). The checks that depend only on the
// configuration are built once; each view picks one.
package refcheck

import (
	"crypto/subtle"
	"strings"

	"github.com/Azure-Samples/keyvault-msi-go/internal/diagnose"
)

// Check is what the page says of the reference setting beside the app's
// read.
type Check struct {
	Setting string `json:"setting"`
	// State is "same" or "different" (App Service resolved the reference,
	// to the value this page read or to another), or "unresolved" (App
	// Service passed the reference's text on).
	State  string              `json:"state"`
	Says   string              `json:"says"`
	Target *diagnose.Reference `json:"target,omitempty"` // what an unresolved reference points at
	Fixes  []diagnose.Fix      `json:"fixes,omitempty"`
}

// Checks holds the checks that depend only on the configuration, built
// once; nil when the setting is not set.
type Checks struct {
	value                       string
	same, different, unresolved *Check
	// unresolvedReadable is unresolved when the app itself just read the
	// same secret: its identity may read it now.
	unresolvedReadable *Check
}

// New builds the checks for setting, whose value the app sees as value,
// beside the app's read of secretName in the vault at vaultURL; f is what
// the fixes need of the app's host.
func New(setting, value, secretName, vaultURL string, f diagnose.Facts) *Checks {
	if value == "" {
		return nil
	}
	rc := &Checks{value: value}
	if !diagnose.IsReference(value) {
		rc.same = &Check{Setting: setting, State: "same", Says: "App Service resolved the reference to the same value: both ways read the same secret."}
		rc.different = &Check{Setting: setting, State: "different",
			Says:  "App Service resolved the reference, to a value other than the one this page just read. App Service fetches a reference when the app starts or a setting changes, and again within 24 hours; this page reads Key Vault on every view (or as SECRET_CACHE_TTL says), so after a rotation the reference lags.",
			Fixes: []diagnose.Fix{diagnose.ReferenceRefresh(f, "Have App Service fetch "+setting+" again now:")}}
		return rc
	}
	rc.unresolved = &Check{Setting: setting, State: "unresolved",
		Says:  "App Service did not resolve the reference: it passed the reference's text on, which the app never shows as the secret.",
		Fixes: diagnose.ReferenceFixes(f, setting)}
	target, ok := diagnose.ParseReference(value)
	switch {
	case !ok:
		rc.unresolved.Says += " Its syntax is not one App Service reads: use @Microsoft.KeyVault(VaultName=<vault>;SecretName=<secret>) or @Microsoft.KeyVault(SecretUri=https://<vault>.vault.azure.net/secrets/<secret>)."
	case target.Secret != secretName || !strings.EqualFold(target.Vault, diagnose.VaultName(vaultURL)):
		rc.unresolved.Target = &target
		rc.unresolved.Says += " It points at the secret " + target.Secret + " in the vault " + target.Vault + ", not the one this page reads."
	default:
		rc.unresolved.Target = &target
		// The same secret, read just now by the app's own identity: the
		// permission is there today, so App Service either tried before it
		// was (and keeps that failure until it fetches again) or resolves
		// with another identity.
		readable := *rc.unresolved
		readable.Says += " This page has just read the same secret with the app's identity, so that identity may read it now: App Service tried before the permission existed and keeps the failure until it fetches again, or it resolves references with another identity (keyVaultReferenceIdentity)."
		rc.unresolvedReadable = &readable
	}
	return rc
}

// Against compares the reference with read, the value the app read; read
// is nil when the read failed, and only an unresolved reference is told
// then.
func (rc *Checks) Against(read *string) *Check {
	switch {
	case rc == nil:
		return nil
	case rc.unresolvedReadable != nil && read != nil:
		return rc.unresolvedReadable
	case rc.unresolved != nil:
		return rc.unresolved
	case read == nil:
		return nil
	case subtle.ConstantTimeCompare([]byte(rc.value), []byte(*read)) == 1:
		return rc.same
	}
	return rc.different
}
