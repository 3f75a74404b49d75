package diagnose

import (
	"net/url"
	"strings"
)

// A Key Vault reference is an app setting whose value is
// @Microsoft.KeyVault(SecretUri=…) or @Microsoft.KeyVault(VaultName=…;
// SecretName=…[;SecretVersion=…]): App Service resolves it with the app's
// identity before the app starts, refreshes it within 24 hours, and when
// it cannot resolve it passes the reference's own text through (App
// Service docs, "Use Key Vault references as app settings": reference
// syntax, rotation, troubleshooting).
const referencePrefix = "@microsoft.keyvault("

// IsReference reports whether v is a Key Vault reference's text, which an
// app sees only when App Service did not resolve it.
func IsReference(v string) bool {
	v = strings.TrimSpace(v)
	return len(v) > len(referencePrefix) && strings.EqualFold(v[:len(referencePrefix)], referencePrefix) && strings.HasSuffix(v, ")")
}

// Reference is what a Key Vault reference points at.
type Reference struct {
	Vault   string `json:"vault"` // the vault's name
	Secret  string `json:"secret"`
	Version string `json:"version,omitempty"` // "" for the latest
}

// ParseReference reads a reference's target; ok is false when v is not a
// reference App Service could parse either.
func ParseReference(v string) (ref Reference, ok bool) {
	if !IsReference(v) {
		return Reference{}, false
	}
	v = strings.TrimSpace(v)
	body := v[len(referencePrefix) : len(v)-1]
	fields := map[string]string{}
	for _, part := range strings.Split(body, ";") {
		k, val, _ := strings.Cut(part, "=")
		fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(val)
	}
	if uri := fields["secreturi"]; uri != "" {
		u, err := url.Parse(uri) // a typo such as :443x or %zz does not parse
		if err != nil {
			return Reference{}, false
		}
		parts := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
		if u.Host == "" || len(parts) < 2 || len(parts) > 3 || parts[0] != "secrets" {
			return Reference{}, false
		}
		ref = Reference{Vault: strings.SplitN(u.Host, ".", 2)[0], Secret: parts[1]}
		if len(parts) == 3 {
			ref.Version = parts[2]
		}
		return ref, true
	}
	ref = Reference{Vault: fields["vaultname"], Secret: fields["secretname"], Version: fields["secretversion"]}
	if ref.Vault == "" || ref.Secret == "" {
		return Reference{}, false
	}
	return ref, true
}

// ReferenceFixes are the fixes for references App Service left unresolved
// in the app settings named: ask the platform why, name the user-assigned
// identity it must use, and have it resolve them again.
func ReferenceFixes(f Facts, settings ...string) []Fix {
	return inShell(f, explainer{cfg: f}.referenceFixes(settings)...)
}

func (x explainer) referenceFixes(settings []string) []Fix {
	h, names := x.cfg.Host, strings.Join(settings, ", ")
	// One setting's status (WebApps_GetAppSettingKeyVaultReference), or
	// every setting's (WebApps_GetAppSettingsKeyVaultReferences).
	path := "/config/configreferences/appsettings"
	if len(settings) == 1 {
		path += "/" + settings[0]
	}
	fixes := []Fix{{
		Text: "Ask App Service why it did not resolve " + names + ": the answer's status (AccessToKeyVaultDenied, SecretNotFound, MSINotEnabled, …) and details say; docs/references.md lists each status and its fix.",
		// az rest puts ARM's endpoint before a path and fills in
		// {subscriptionId} (Azure/azure-cli, az rest's --url help).
		Command: cmd("az", "rest", "--method", "get", "--url", h.siteID()+path+"?api-version=2022-03-01"),
	}}
	if x.cfg.ClientID != "" && (x.cfg.IdentityEndpoint != "" || x.cfg.MSIEndpoint != "") {
		fixes = append(fixes, Fix{
			Text:    "App Service resolves references with the system-assigned identity unless keyVaultReferenceIdentity names another: name the user-assigned identity this app uses (AZURE_CLIENT_ID).",
			Command: cmd("az", h.az(), "update", "--resource-group", h.rg(), "--name", h.app(), "--set", raw(`keyVaultReferenceIdentity="`+string(identityByClientID(x.cfg.ClientID))+`"`)),
		})
	}
	return append(fixes, x.referenceRefresh("Once that is fixed, have App Service resolve "+names+" again now, rather than within 24 hours:"))
}

// referenceRefresh asks App Service to resolve the app's references now:
// otherwise it refetches them within 24 hours, or when a setting changes
// (App Service docs, "Use Key Vault references as app settings": rotation).
func (x explainer) referenceRefresh(text string) Fix {
	return Fix{
		Text:    text,
		Command: cmd("az", "rest", "--method", "post", "--url", x.cfg.Host.siteID()+"/config/configreferences/appsettings/refresh?api-version=2022-03-01"),
	}
}

// ReferenceRefresh is the fix, told in text, that has App Service
// resolve its references again now.
func ReferenceRefresh(f Facts, text string) Fix {
	return inShell(f, explainer{cfg: f}.referenceRefresh(text))[0]
}

// siteID is the app's ARM resource ID, with az rest's {subscriptionId}.
func (h Host) siteID() string {
	return "/subscriptions/{subscriptionId}/resourceGroups/" + h.rg() + "/providers/Microsoft.Web/sites/" + h.app()
}
