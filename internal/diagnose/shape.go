package diagnose

import (
	"net/netip"
	"regexp"
)

// A word taken from an upstream's answer (Key Vault's message, Entra ID's
// description, a token's claims, a URL a redirect named) enters a fix's
// command only in the shape it must have; a word of any other shape gives
// way to what the app knows itself or to a placeholder. Quoting for the
// reader's shell is not enough: on Windows az is az.cmd, and cmd.exe reads
// & | < > ^ % in its arguments again, so "&calc.exe&rem" in a pasted scope
// would run. Whoever answers KEY_VAULT_URL writes these words, before any
// token is sent.
var (
	// A vault's resource ID: a subscription's GUID, a resource group's
	// name (letters, digits, _ . ( ) -, at most 90) and a vault's name
	// (letters, digits and -, at most 24), as Learn's "Naming rules and
	// restrictions for Azure resources" allows them. Key Vault writes it in
	// lower case.
	vaultResourceID = regexp.MustCompile(`(?i)^/subscriptions/` + guid + `/resourceGroups/[a-z0-9_.()-]{1,90}/providers/Microsoft\.KeyVault/vaults/[a-z0-9-]{1,24}$`)
	// An object's ID in Entra ID: a GUID.
	objectID = regexp.MustCompile(`^` + guid + `$`)
	// A tenant: its GUID or one of its domain names.
	tenantID = regexp.MustCompile(`^(` + guid + `|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$`)
	// A host name, as DNS has it, and a host with its port, as a URL has
	// them (an IPv6 address in brackets).
	hostName = regexp.MustCompile(`^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?$`)
	hostPort = regexp.MustCompile(`^([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$`)
	// An origin: http or https and a host.
	originShape = regexp.MustCompile(`^https?://([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$`)
	// An OIDC issuer: an https URL of a host and a path of plain segments
	// (AKS: https://<region>.oic.prod-aks.azure.com/<tenant>/<guid>/).
	issuerURL = regexp.MustCompile(`^https://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?(/[A-Za-z0-9._~-]*)*$`)
	// A Kubernetes service account's subject: its namespace and name are
	// DNS labels and subdomains (Kubernetes docs, "Object Names and IDs").
	serviceAccountSubject = regexp.MustCompile(`^system:serviceaccount:[a-z0-9]([a-z0-9-]*[a-z0-9])?:[a-z0-9]([a-z0-9.-]*[a-z0-9])?$`)
)

const guid = `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`

// shaped is word when re matches it whole, else otherwise.
func shaped(re *regexp.Regexp, word, otherwise string) string {
	if re.MatchString(word) {
		return word
	}
	return otherwise
}

// ipAddress is s when it is an IP address, else "".
func ipAddress(s string) string {
	if _, err := netip.ParseAddr(s); err != nil {
		return ""
	}
	return s
}
