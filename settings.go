package main

// The settings as a user types them: what is wrong with each (in the
// words the configuration page shows), an example of a valid one, and the
// Key Vault references App Service left unresolved in their place.

import (
	"cmp"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"

	"github.com/Azure-Samples/keyvault-msi-go/internal/diagnose"
)

// invalid is an invalid setting: its variable, the value found, what is
// wrong with it and an example of a valid one.
func invalid(variable, found, problem, example string) diagnose.Setting {
	return diagnose.Setting{Variable: variable, Found: found, Problem: problem, Example: example}
}

// firstSet returns the first of vars that getenv finds set, and its value;
// "" and def when none is.
func firstSet(getenv func(string) string, def string, vars ...string) (string, string) {
	for _, v := range vars {
		if val := getenv(v); val != "" {
			return v, val
		}
	}
	return "", def
}

// withoutReferences wraps getenv so that a setting holding a Key Vault
// reference reads as unset, and is recorded in found (all but keep, the
// setting meant to hold one): App Service passes
// a reference it could not resolve through as text, which must never be
// used as a vault URL or sent to Entra ID as a credential.
func withoutReferences(getenv func(string) string, keep string, found *[]diagnose.Setting) func(string) string {
	return func(name string) string {
		v := getenv(name)
		if name == keep || !diagnose.IsReference(v) {
			return v
		}
		if !slices.ContainsFunc(*found, func(s diagnose.Setting) bool { return s.Variable == name }) {
			*found = append(*found, diagnose.Setting{Variable: name, Found: v, Reference: true,
				Problem: "is a Key Vault reference that App Service did not resolve: it passed the reference's text on, and the app uses it for nothing"})
		}
		return ""
	}
}

// replaceProblems puts each unresolved reference in place of any problem
// its setting's emptiness caused.
func replaceProblems(problems, references []diagnose.Setting) []diagnose.Setting {
	if len(references) == 0 {
		return problems
	}
	out := slices.Clone(references)
	for _, p := range problems {
		if !slices.ContainsFunc(references, func(r diagnose.Setting) bool { return r.Variable == p.Variable }) {
			out = append(out, p)
		}
	}
	return out
}

// checkSecretName returns what is wrong with a secret name, or "". Key
// Vault names objects with 1 to 127 letters, digits and dashes (Key Vault
// docs, "About keys, secrets, and certificates": object identifiers).
func checkSecretName(s string) string {
	if len(s) > 127 {
		return "longer than Key Vault's 127 characters"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Sprintf("%q is not allowed: Key Vault names secrets with letters, digits and dashes only", r)
		}
	}
	return ""
}

// suggestSecretName is s with each run of characters Key Vault forbids
// replaced by one dash, as an example of a name it accepts.
func suggestSecretName(s string) string {
	var b strings.Builder
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		switch {
		case ok:
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-")
	if len(name) > 127 {
		name = name[:127]
	}
	return cmp.Or(name, "secret")
}

// checkVaultURL returns what is wrong with a vault URL, or "".
func checkVaultURL(s string) string {
	if s == "" {
		return "not set: the app does not know which vault to read"
	}
	if strings.TrimSpace(s) != s {
		return "has spaces or a line break around it: remove them"
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "":
		return "not an absolute URL"
	case u.Scheme != "https":
		return "must use https: Key Vault accepts tokens only over TLS"
	case u.User != nil:
		return "has a user name or password in it: Key Vault takes none, and the app shows the URL without it; remove it, and change that password if it is one"
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || (u.Path != "" && u.Path != "/"):
		return "must be the vault's base URL, with no path or query (the app shows the URL without its query)"
	case strings.ContainsAny(u.Host, "<>"):
		return "still holds a placeholder: put your vault's name in place of <…> (az keyvault list --query '[].properties.vaultUri' -o tsv lists your vaults' URLs)"
	case net.ParseIP(u.Hostname()) == nil && !vaultName(strings.SplitN(u.Hostname(), ".", 2)[0]):
		return "is not a vault's URL: a vault's name is letters, digits and dashes (Key Vault docs, \"Key Vault naming\")"
	}
	return ""
}

// vaultName reports whether s has only the characters a vault's name may
// have: letters, digits and dashes, starting with a letter.
func vaultName(s string) bool {
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || r == '-')) {
			return false
		}
	}
	return s != ""
}

// matchChoice matches v against choices, ignoring case and spaces around it, as azidentity does.
func matchChoice(v string, choices []string) (string, bool) {
	for _, c := range choices {
		if strings.EqualFold(strings.TrimSpace(v), c) {
			return c, true
		}
	}
	return "", false
}

// duration parses a Go duration such as "15s"; "" means def.
func duration(s string, def time.Duration, zeroOK bool) (time.Duration, string) {
	if s == "" {
		return def, ""
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return def, "not a duration such as 15s or 2m"
	case d < 0 || (d == 0 && !zeroOK):
		return def, "must be positive"
	}
	return d, ""
}

// clearTextOffMachine reports whether endpoint is plain HTTP to a host other
// than this machine (loopback) or the instance metadata service, whose
// link-local address never leaves the host's network card.
func clearTextOffMachine(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" {
		return false
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); ip != nil {
		return !ip.IsLoopback() && host != pipeline.IMDSAddress
	}
	return host != "localhost"
}
