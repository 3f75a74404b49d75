package diagnose

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// vaultAnswer is Key Vault's error body, {"error":{"code","message",
// "innererror":{"code"}}}. The inner code tells apart failures that share
// a status: a 403 is ForbiddenByRbac, AccessDenied (access policy),
// ForbiddenByFirewall or SecretDisabled.
type vaultAnswer struct {
	Code, Inner, Message string
}

func readVaultAnswer(e *azcore.ResponseError) vaultAnswer {
	a := vaultAnswer{Code: e.ErrorCode}
	if e.RawResponse == nil {
		return a
	}
	body, err := runtime.Payload(e.RawResponse)
	if err != nil {
		return a
	}
	var v struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError struct {
				Code string `json:"code"`
			} `json:"innererror"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &v) == nil {
		a.Message, a.Inner = v.Error.Message, v.Error.InnerError.Code
		if a.Code == "" {
			a.Code = v.Error.Code
		}
	}
	return a
}

// keyVaultRules classify Key Vault's answers, first match wins. Each
// answer's shape is the stand-in's (internal/standin/vault.go), which
// names the public source it is quoted from.
var keyVaultRules = []struct {
	status int
	inner  string // "" matches any
	build  func(x explainer, a vaultAnswer) *Problem
}{
	{http.StatusForbidden, "ForbiddenByRbac", explainer.rbacDenied},
	{http.StatusForbidden, "AccessDenied", explainer.accessPolicyDenied},
	{http.StatusForbidden, "ForbiddenByFirewall", explainer.firewallDenied},
	{http.StatusForbidden, "SecretDisabled", explainer.secretDisabled},
	{http.StatusForbidden, "ForbiddenByPolicy", explainer.compoundIdentityDenied},
	{http.StatusForbidden, "", explainer.forbidden},
	{http.StatusNotFound, "", explainer.secretNotFound},
	{http.StatusUnauthorized, "", explainer.tokenRejected},
	{http.StatusTooManyRequests, "", explainer.throttled},
}

func (x explainer) vaultProblem(e *azcore.ResponseError) *Problem {
	a := readVaultAnswer(e)
	p := x.vaultFailed(e, a)
	for _, r := range keyVaultRules {
		if r.status == e.StatusCode && (r.inner == "" || r.inner == a.Inner) {
			p = r.build(x, a)
			// Key Vault's own words for it, which the docs and a search know.
			if code := cmp.Or(a.Inner, a.Code); code != "" && !strings.Contains(p.Cause, code) {
				p.Cause += fmt.Sprintf(" (Key Vault answered %d %s.)", e.StatusCode, code)
			}
			break
		}
	}
	if e.StatusCode == http.StatusForbidden && x.cfg.UnresolvedReference != "" {
		// App Service resolves the reference with the same identity
		// (unless keyVaultReferenceIdentity names another), so the same
		// denial is the likely cause there too.
		p.Fixes = append(p.Fixes, x.referenceRefresh("The same denial likely kept App Service from resolving "+x.cfg.UnresolvedReference+
			", a Key Vault reference to this secret: once the app may read it, have App Service resolve the reference again now, rather than within 24 hours:"))
	}
	if e.RawResponse != nil {
		p.RequestID = e.RawResponse.Header.Get("x-ms-request-id")
	}
	return p
}

var (
	// deniedResource finds the vault in an RBAC denial's "Resource:
	// '/subscriptions/…/providers/microsoft.keyvault/vaults/kv/secrets/s'".
	deniedResource = regexp.MustCompile(`(?i)Resource: '(/subscriptions/[^']+?/providers/microsoft\.keyvault/vaults/[^/']+)`)
	// clientAddress finds a firewall denial's "Client address: 203.0.113.7"
	// (sometimes followed by " from unknown subnet").
	clientAddress = regexp.MustCompile(`Client address: ([0-9a-fA-F.:]+)`)
)

// assignee is the principal Key Vault judged: its object ID and what
// az role assignment create calls its kind.
func (x explainer) assignee() (oid, kind string) {
	if x.principal != nil && objectID.MatchString(x.principal.ObjectID) { // a token's claim: see shape.go
		return x.principal.ObjectID, x.principal.PrincipalType()
	}
	return placeholder("object-id"), "ServicePrincipal"
}

// rbacScope is the vault's resource ID. Key Vault's RBAC denial names the
// resource it judged ("Resource: '/subscriptions/…/vaults/kv/secrets/s'");
// without it, or with a resource not shaped as a vault's ID (shape.go),
// az looks up the vault the app was told to read.
func (x explainer) rbacScope(a vaultAnswer) any {
	if m := deniedResource.FindStringSubmatch(a.Message); m != nil && vaultResourceID.MatchString(m[1]) {
		return m[1]
	}
	return raw("$(" + cmd("az", "keyvault", "show", "--name", x.vaultName(), "--query", "id", "-o", "tsv") + ")")
}

func (x explainer) roleAssignmentFix(a vaultAnswer) Fix {
	oid, kind := x.assignee()
	return Fix{
		Text: "The vault uses Azure RBAC: give the principal the Key Vault Secrets User role on it. A new role assignment can take a few minutes to apply; reload this page after that.",
		Command: cmd("az", "role", "assignment", "create", "--role", "Key Vault Secrets User",
			"--assignee-object-id", oid, "--assignee-principal-type", kind, "--scope", x.rbacScope(a)),
	}
}

func (x explainer) accessPolicyFix() Fix {
	oid, _ := x.assignee()
	return Fix{
		Text:    "The vault uses access policies: let the principal get secrets.",
		Command: cmd("az", "keyvault", "set-policy", "--name", x.vaultName(), "--object-id", oid, "--secret-permissions", "get"),
	}
}

func (x explainer) rbacDenied(a vaultAnswer) *Problem {
	oid, _ := x.assignee()
	return &Problem{
		Title: "Key Vault denied access (Azure RBAC)",
		Cause: "The vault " + x.vaultName() + " uses Azure RBAC, and the principal " + oid + " has no role that lets it read secrets there.",
		Fixes: []Fix{x.roleAssignmentFix(a)},
	}
}

func (x explainer) accessPolicyDenied(vaultAnswer) *Problem {
	oid, _ := x.assignee()
	return &Problem{
		Title: "Key Vault denied access (access policy)",
		Cause: "The vault " + x.vaultName() + " uses access policies, and none lets the principal " + oid + " get secrets.",
		Fixes: []Fix{x.accessPolicyFix()},
	}
}

// compoundIdentityDenied explains ForbiddenByPolicy, which only a vault
// with access policies answers (an RBAC vault answers ForbiddenByRbac):
// the vault's policy names this principal together with an application, a
// compound identity, which lets the principal in only on that
// application's behalf (MicrosoftDocs/azure-docs#67772,
// fortinet/fortigate-autoscale-azure#68).
func (x explainer) compoundIdentityDenied(a vaultAnswer) *Problem {
	oid, _ := x.assignee()
	fix := x.accessPolicyFix()
	fix.Text = "Give the principal a policy of its own, with no application in it:"
	return &Problem{
		Title: "Key Vault denied access (access policy for an application)",
		Cause: "The vault " + x.vaultName() + " uses access policies, and the one naming the principal " + oid +
			" names an application beside it (a compound identity: " + pipeline.FirstLine(a.Message) + "). Such a policy lets the principal in only on that application's behalf, so a request of its own is refused.",
		Fixes: []Fix{fix},
	}
}

func (x explainer) forbidden(a vaultAnswer) *Problem {
	oid, _ := x.assignee()
	return &Problem{
		Title: "Key Vault denied access",
		Cause: "Key Vault refused the principal " + oid + " (" + pipeline.FirstLine(a.Message) + ").",
		Fixes: []Fix{x.roleAssignmentFix(a), x.accessPolicyFix()},
	}
}

func (x explainer) firewallDenied(a vaultAnswer) *Problem {
	p := &Problem{
		Title: "Key Vault's firewall blocked the request",
		Cause: "The vault " + x.vaultName() + " accepts requests only from allowed networks, and this app's address is not one of them.",
	}
	m := clientAddress.FindStringSubmatch(a.Message)
	if m == nil || ipAddress(m[1]) == "" {
		p.Fixes = []Fix{{Text: "Reach the vault from an allowed network: connect the app to the vault's virtual network (VNet integration or a private endpoint)."}}
		return p
	}
	p.Cause = "The vault " + x.vaultName() + " accepts requests only from allowed networks, and it saw this app coming from " + m[1] + "."
	p.Fixes = []Fix{{
		Text:    "Allow that address in the vault's firewall. On App Service the outbound address can change; VNet integration is the lasting fix.",
		Command: cmd("az", "keyvault", "network-rule", "add", "--name", x.vaultName(), "--ip-address", m[1]),
	}}
	return p
}

func (x explainer) secretDisabled(vaultAnswer) *Problem {
	return &Problem{
		Title: "The secret is disabled",
		Cause: fmt.Sprintf("The secret %q in %s exists but is disabled, so Key Vault refuses to read it. Permissions are not the problem.", x.cfg.SecretName, x.vaultName()),
		Fixes: []Fix{{
			Text:    "Enable it again.",
			Command: cmd("az", "keyvault", "secret", "set-attributes", "--vault-name", x.vaultName(), "--name", x.cfg.SecretName, "--enabled", "true"),
		}},
	}
}

func (x explainer) secretNotFound(vaultAnswer) *Problem {
	vault, name := x.vaultName(), x.cfg.SecretName
	return &Problem{
		Title: "The secret was not found",
		Cause: fmt.Sprintf("The vault %s has no secret named %q.", vault, name),
		Fixes: []Fix{
			{Text: "Create it.", Command: cmd("az", "keyvault", "secret", "set", "--vault-name", vault, "--name", name, "--value", placeholder("value"))},
			{Text: "If it was deleted, recover it: the vault keeps deleted secrets for its retention period.", Command: cmd("az", "keyvault", "secret", "recover", "--vault-name", vault, "--name", name)},
		},
	}
}

func (x explainer) tokenRejected(a vaultAnswer) *Problem {
	return &Problem{
		Title: "Key Vault rejected the token",
		Cause: "Key Vault did not accept the token: " + pipeline.FirstLine(a.Message),
		Fixes: []Fix{{
			Text:    "A token from another tenant or for another audience is refused. Find the vault's tenant, then sign in there (AZURE_TENANT_ID, or az login --tenant).",
			Command: cmd("az", "keyvault", "show", "--name", x.vaultName(), "--query", "properties.tenantId", "-o", "tsv"),
		}},
	}
}

func (x explainer) throttled(vaultAnswer) *Problem {
	return &Problem{
		Title: "Key Vault is throttling requests",
		Cause: "Key Vault answered 429 Too Many Requests, also after the retries the Azure SDK makes (honouring Retry-After). Its limit is shared by every app that reads the vault.",
		Fixes: []Fix{x.settingFix("Read the secret less often: set SECRET_CACHE_TTL (for example 30s) so that views within it reuse the value.", "SECRET_CACHE_TTL", "30s")},
	}
}

// vaultFailed is any other answer: a 5xx after the SDK's retries, or one
// this table does not know.
func (x explainer) vaultFailed(e *azcore.ResponseError, a vaultAnswer) *Problem {
	if e.StatusCode >= 500 {
		return &Problem{
			Title: "Key Vault failed",
			Cause: fmt.Sprintf("Key Vault answered %d %s, also after the retries the Azure SDK makes.", e.StatusCode, http.StatusText(e.StatusCode)),
			Fixes: []Fix{{Text: "This is on Azure's side: reload in a minute, check https://azure.status.microsoft/ and quote the request ID below to support."}},
		}
	}
	return &Problem{
		Title: "Key Vault refused the request",
		Cause: fmt.Sprintf("Key Vault answered %d %s (%s): %s", e.StatusCode, http.StatusText(e.StatusCode), a.Code, pipeline.FirstLine(a.Message)),
		Fixes: []Fix{{
			Text:    "Check KEY_VAULT_URL and SECRET_NAME against the vault.",
			Command: cmd("az", "keyvault", "secret", "show", "--vault-name", x.vaultName(), "--name", x.cfg.SecretName, "--query", "id"),
		}},
	}
}
