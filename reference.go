package main

import (
	"crypto/subtle"
	"strings"

	"github.com/Azure-Samples/keyvault-msi-go/diagnose"
)

// referenceCheck is what the page says of SECRET_FROM_REFERENCE, App
// Service's own way to the same secret, beside the app's read.
type referenceCheck struct {
	Setting string `json:"setting"`
	// State is "same" or "different" (App Service resolved the reference,
	// to the value this page read or to another), or "unresolved" (App
	// Service passed the reference's text on).
	State  string              `json:"state"`
	Says   string              `json:"says"`
	Target *diagnose.Reference `json:"target,omitempty"` // what an unresolved reference points at
	Fixes  []diagnose.Fix      `json:"fixes,omitempty"`
}

// referenceChecks holds the checks that depend only on the configuration,
// built once; nil when SECRET_FROM_REFERENCE is not set.
type referenceChecks struct {
	value                       string
	same, different, unresolved *referenceCheck
	// unresolvedReadable is unresolved when the app itself just read the
	// same secret: its identity may read it now.
	unresolvedReadable *referenceCheck
}

func newReferenceChecks(cfg config) *referenceChecks {
	if cfg.Reference == "" {
		return nil
	}
	f := cfg.facts(nil)
	rc := &referenceChecks{value: cfg.Reference}
	if !diagnose.IsReference(cfg.Reference) {
		rc.same = &referenceCheck{Setting: referenceSetting, State: "same", Says: "App Service resolved the reference to the same value: both ways read the same secret."}
		rc.different = &referenceCheck{Setting: referenceSetting, State: "different",
			Says:  "App Service resolved the reference, to a value other than the one this page just read. App Service fetches a reference when the app starts or a setting changes, and again within 24 hours; this page reads Key Vault on every view (or as SECRET_CACHE_TTL says), so after a rotation the reference lags.",
			Fixes: []diagnose.Fix{diagnose.ReferenceRefresh(f, "Have App Service fetch "+referenceSetting+" again now:")}}
		return rc
	}
	rc.unresolved = &referenceCheck{Setting: referenceSetting, State: "unresolved",
		Says:  "App Service did not resolve the reference: it passed the reference's text on, which the app never shows as the secret.",
		Fixes: diagnose.ReferenceFixes(f, referenceSetting)}
	target, ok := diagnose.ParseReference(cfg.Reference)
	switch {
	case !ok:
		rc.unresolved.Says += " Its syntax is not one App Service reads: use @Microsoft.KeyVault(VaultName=<vault>;SecretName=<secret>) or @Microsoft.KeyVault(SecretUri=https://<vault>.vault.azure.net/secrets/<secret>)."
	case target.Secret != cfg.SecretName || !strings.EqualFold(target.Vault, diagnose.VaultName(cfg.VaultURL)):
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

// against compares the reference with s, the value the app read; s is nil
// when the read failed, and only an unresolved reference is told then.
func (rc *referenceChecks) against(s *secret) *referenceCheck {
	switch {
	case rc == nil:
		return nil
	case rc.unresolvedReadable != nil && s != nil:
		return rc.unresolvedReadable
	case rc.unresolved != nil:
		return rc.unresolved
	case s == nil:
		return nil
	case subtle.ConstantTimeCompare([]byte(rc.value), []byte(s.Value)) == 1:
		return rc.same
	}
	return rc.different
}
