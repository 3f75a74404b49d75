package deploy

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/Azure-Samples/keyvault-msi-go/internal/diagnose"
)

// templateRules checks azuredeploy.json offline for the mistakes that make
// a deployment fail late, fail on a redeploy, or leave it unsafe. Each
// violation starts with the rule's name. Static rules read the JSON, each
// nested template in its own scope; deployment rules deploy it with the
// ARM model (arm_test.go) under the parameter values that matter.
func templateRules(raw []byte) []string {
	var t map[string]any
	if err := json.Unmarshal(raw, &t); err != nil {
		return []string{"json: " + err.Error()}
	}
	var bad []string
	fail := func(rule, format string, args ...any) { bad = append(bad, rule+": "+fmt.Sprintf(format, args...)) }
	var all []map[string]any // every resource, nested ones included
	for _, scope := range templateScopes(t) {
		scopeRules(scope, fail)
		res, _ := scope["resources"].([]any)
		for _, r := range res {
			all = append(all, r.(map[string]any))
		}
	}
	globalRules(t, all, fail)
	deploymentRules(t, fail)
	return bad
}

// templateScopes is t and every inner-scope template nested in it: each
// has its own parameters and variables.
func templateScopes(t map[string]any) []map[string]any {
	scopes := []map[string]any{t}
	res, _ := t["resources"].([]any)
	for _, r := range res {
		props, _ := r.(map[string]any)["properties"].(map[string]any)
		if inner, ok := props["template"].(map[string]any); ok {
			scopes = append(scopes, templateScopes(inner)...)
		}
	}
	return scopes
}

// scopeRules are the checks that hold within one template's scope.
func scopeRules(t map[string]any, fail func(rule, format string, args ...any)) {
	params, _ := t["parameters"].(map[string]any)
	vars, _ := t["variables"].(map[string]any)
	own := map[string]any{"parameters": t["parameters"], "variables": t["variables"], "resources": ownResources(t), "outputs": t["outputs"]}
	for _, s := range stringsIn(own) {
		for _, m := range keyVaultReads.FindAllStringSubmatch(s, -1) {
			if m[2] < keyVaultMinAPI {
				fail("apiVersion", "%q reads %s at API version %s, which retires on 2027-02-27", s, m[1], m[2])
			}
		}
		for _, m := range regexp.MustCompile(`\b(parameters|variables)\('([^']*)'\)`).FindAllStringSubmatch(s, -1) {
			_, okP := params[m[2]]
			_, okV := vars[m[2]]
			if (m[1] == "parameters" && !okP) || (m[1] == "variables" && !okV) {
				fail("undeclared", "%s('%s') in %q", m[1], m[2], s)
			}
		}
		if strings.HasPrefix(s, "[") && !strings.HasPrefix(s, "[[") && !balanced(s) {
			fail("expression", "unbalanced %q", s)
		}
	}
	res, _ := t["resources"].([]any)
	types, names := map[string]bool{}, map[string]bool{}
	for _, r := range res {
		r := r.(map[string]any)
		types[str(r["type"])], names[str(r["name"])] = true, true
	}
	typeLiteral := regexp.MustCompile(`'(Microsoft\.[A-Za-z]+/[A-Za-z/]+)'`)
	for _, r := range res {
		r := r.(map[string]any)
		name := str(r["name"])
		deps, _ := r["dependsOn"].([]any)
		for _, d := range deps {
			ds := str(d)
			if m := typeLiteral.FindStringSubmatch(ds); strings.HasPrefix(ds, "[") && (m == nil || !types[m[1]]) {
				fail("dependsOn", "%s depends on %q, which names no resource in the template", name, ds)
			} else if !strings.HasPrefix(ds, "[") && !names[ds] {
				fail("dependsOn", "%s depends on %q, which names no resource in the template", name, ds)
			}
		}
		if v, min := str(r["apiVersion"]), minAPIVersion(str(r["type"])); v < min {
			fail("apiVersion", "%s %s uses apiVersion %q, older than %s", str(r["type"]), name, v, min)
		}
		if loc, ok := r["location"]; ok && !strings.HasPrefix(str(loc), "[") {
			fail("location", "%s has the hard-coded location %q", name, str(loc))
		}
		if str(r["type"]) == "Microsoft.Web/sites" {
			siteRules(r, fail)
		}
	}
	if p, ok := params["location"].(map[string]any); ok && !strings.HasPrefix(str(p["defaultValue"]), "[") {
		fail("location", "parameter location defaults to the hard-coded %q", str(p["defaultValue"]))
	}
	var secure []string
	for name, p := range params {
		p := p.(map[string]any)
		lower := strings.ToLower(name)
		isSecure := strings.HasPrefix(strings.ToLower(str(p["type"])), "secure")
		if (strings.Contains(lower, "secret") || strings.Contains(lower, "password")) && !isSecure {
			fail("securestring", "parameter %s has type %q; a secret must be securestring", name, str(p["type"]))
		}
		if isSecure {
			secure = append(secure, name)
		}
	}
	// A nested deployment's parameters are stored in the deployment's
	// history, readable with Reader on the resource group, unless the inner
	// template declares them secureString or secureObject (ARM docs,
	// "Parameters in ARM templates": secure parameters). A list* function
	// reads values such as app settings, which may hold a client secret.
	resources, _ := t["resources"].([]any)
	for _, res := range resources {
		r, _ := res.(map[string]any)
		props, _ := r["properties"].(map[string]any)
		inner, _ := props["template"].(map[string]any)
		passed, _ := props["parameters"].(map[string]any)
		declared, _ := inner["parameters"].(map[string]any)
		for name, v := range passed {
			value := str(v.(map[string]any)["value"])
			typ, _ := declared[name].(map[string]any)
			if regexp.MustCompile(`\blist[A-Za-z]*\(`).MatchString(value) && !strings.HasPrefix(strings.ToLower(str(typ["type"])), "secure") {
				fail("secureObject", "nested deployment %s passes %s, read with %q, as %q: its values stay in the deployment history", str(r["name"]), name, value, str(typ["type"]))
			}
		}
	}
	outputs, _ := t["outputs"].(map[string]any)
	for name, o := range outputs {
		for _, s := range stringsIn(o) {
			for _, p := range secure {
				if strings.Contains(s, "parameters('"+p+"')") {
					fail("outputs", "output %s reveals the secure parameter %s", name, p)
				}
			}
			if strings.Contains(s, "/secrets") || strings.Contains(s, "list") {
				fail("outputs", "output %s reads a secret or a list* function: %q", name, s)
			}
		}
	}
}

// ownResources is t's resources without the templates nested in them,
// which are scopes of their own.
func ownResources(t map[string]any) []any {
	res, _ := t["resources"].([]any)
	var out []any
	for _, r := range res {
		r := r.(map[string]any)
		props, _ := r["properties"].(map[string]any)
		if _, ok := props["template"]; ok {
			trimmed := map[string]any{}
			for k, v := range r {
				trimmed[k] = v
			}
			p := map[string]any{}
			for k, v := range props {
				if k != "template" {
					p[k] = v
				}
			}
			trimmed["properties"] = p
			r = trimmed
		}
		out = append(out, r)
	}
	return out
}

func siteRules(r map[string]any, fail func(rule, format string, args ...any)) {
	name := str(r["name"])
	props, _ := r["properties"].(map[string]any)
	cfg, _ := props["siteConfig"].(map[string]any)
	if props["httpsOnly"] != true {
		fail("httpsOnly", "%s does not set httpsOnly: true", name)
	}
	if v := str(cfg["minTlsVersion"]); v != "1.2" && v != "1.3" {
		fail("minTlsVersion", "%s sets minTlsVersion %q; want 1.2 or later", name, v)
	}
	if str(cfg["ftpsState"]) != "Disabled" {
		fail("ftpsState", "%s sets ftpsState %q; want Disabled", name, str(cfg["ftpsState"]))
	}
	if r["identity"] == nil {
		fail("identity", "%s has no managed identity", name)
	}
	// The app runs on the Node image (Oryx's startup script), which App
	// Service keeps only while its Node.js line is supported: Node 22 ends
	// in April 2027, Node 24 in April 2028 (nodejs/Release, the release
	// schedule); App Service lists 24-lts (az webapp list-runtimes; the
	// azurerm provider's node_version values include 24-lts).
	if fx := str(cfg["linuxFxVersion"]); !regexp.MustCompile(`^NODE\|(2[4-9]|[3-9]\d)-lts$`).MatchString(fx) {
		fail("runtime", "%s runs on %q; want NODE|24-lts or a later LTS, whose support outlasts the sample's", name, fx)
	}
	// App Service probes the health check path every minute on each
	// instance: /ping answers without calling Azure; / would read the
	// secret each time (App Service docs, "Monitor instances using Health check").
	if got := str(cfg["healthCheckPath"]); got != "/ping" {
		fail("healthCheck", "%s checks its health at %q; want /ping, which calls no Azure service", name, got)
	}
}

// globalRules hold across the template and its nested templates.
func globalRules(t map[string]any, all []map[string]any, fail func(rule, format string, args ...any)) {
	// Key Vault refuses enableSoftDelete=false: "Once set to true, it cannot
	// be reverted" (bicep-types-az, Microsoft.KeyVault 2024-11-01 types).
	if params, _ := t["parameters"].(map[string]any); params["enableSoftDelete"] != nil {
		fail("softDelete", "the template offers enableSoftDelete, which Key Vault no longer lets be false")
	}
	referenceOrderRule(t, fail)
}

// referenceOrderRule: the resource that sets SECRET_FROM_REFERENCE, a Key
// Vault reference, is deployed only once the secret and the app's
// permission on it exist. App Service resolves a reference when its
// setting is written, and a failure stays until the next refetch, within
// 24 hours (App Service docs, "Use Key Vault references as app settings":
// rotation, Azure Resource Manager deployment). Under access policies the
// permission is the vault's own list; under RBAC, the secrets-user
// deployment, which ARM drops from dependsOn where its condition is false
// (ARM docs, "Conditional deployment": dependsOn).
func referenceOrderRule(t map[string]any, fail func(rule, format string, args ...any)) {
	res, _ := t["resources"].([]any)
	deps := map[string][]string{} // a top-level resource's type and name → its dependsOn
	var setter string
	key := func(r map[string]any) string { return str(r["type"]) + " " + str(r["name"]) }
	for _, r := range res {
		r := r.(map[string]any)
		deps[key(r)] = stringsIn(r["dependsOn"])
		if raw, _ := json.Marshal(r); strings.Contains(string(raw), "SECRET_FROM_REFERENCE") {
			setter = key(r)
		}
	}
	if setter == "" {
		fail("referenceOrder", "no resource sets SECRET_FROM_REFERENCE, the Key Vault reference the page compares with its own read")
		return
	}
	// Every dependency, followed through the resources it names.
	reached, queue := map[string]bool{}, []string{setter}
	for len(queue) > 0 {
		for _, d := range deps[queue[0]] {
			for k := range deps {
				typ, name, _ := strings.Cut(k, " ")
				if !reached[k] && strings.Contains(d, "'"+typ+"'") && dependencyNames(d, name) {
					reached[k] = true
					queue = append(queue, k)
				}
			}
		}
		queue = queue[1:]
	}
	for _, want := range []struct{ typ, nameHas, why string }{
		{"Microsoft.KeyVault/vaults/secrets", "secret", "the secret"},
		{"Microsoft.KeyVault/vaults", "keyVaultName", "the vault with its access policies"},
		{"Microsoft.Resources/deployments", "secrets-user", "the Key Vault Secrets User role assignment"},
	} {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(reached)), func(k string) bool {
			typ, name, _ := strings.Cut(k, " ")
			return typ == want.typ && strings.Contains(name, want.nameHas)
		}) {
			fail("referenceOrder", "%s sets SECRET_FROM_REFERENCE without depending on %s: App Service resolves the reference before it exists and keeps the failure", setter, want.why)
		}
	}
}

// dependencyNames reports whether dependsOn entry d, a resourceId()
// expression, names the resource whose name expression is name: each
// piece of the name's literals ('{0}-secrets-user', '{0}/secret') is in
// one of d's.
func dependencyNames(d, name string) bool {
	var lits []string
	for _, m := range quoted.FindAllStringSubmatch(d, -1) {
		lits = append(lits, m[1])
	}
	for _, m := range quoted.FindAllStringSubmatch(name, -1) {
		for _, piece := range strings.Split(m[1], "/") {
			piece = strings.ReplaceAll(piece, "{0}", "")
			if piece != "" && !slices.ContainsFunc(lits, func(l string) bool { return strings.Contains(l, piece) }) {
				return false
			}
		}
	}
	return true
}

var quoted = regexp.MustCompile(`'([^']*)'`)

// secretsUserRole is the role definition ID of Key Vault Secrets User
// (Azure docs, "Azure built-in roles").
const secretsUserRole = "4633458b-17de-408a-b874-0445c86b69e6"

// resourceRules read the deployed resources each rule is about, as the
// ARM model evaluates them: the site's identity, the role assignment's
// principal, the app settings' values, the outputs.
func resourceRules(d []deployed, w *armWorld, fail func(rule, format string, args ...any)) {
	site, vault := findDeployed(d, "Microsoft.Web/sites"), findDeployed(d, "Microsoft.KeyVault/vaults")
	settings := findDeployed(d, "Microsoft.Web/sites/config")
	if site == nil || vault == nil || settings == nil {
		fail("resources", "the template deploys no site, vault or app settings")
		return
	}
	principal := identityRules(d, w, site, settings, fail)
	var roles int
	for _, r := range d {
		if r.Type != "Microsoft.Authorization/roleAssignments" || !strings.Contains(fmt.Sprint(r.Props["roleDefinitionId"]), secretsUserRole) {
			continue
		}
		// Role assignments are immutable: the same name for another principal
		// (the site recreated, another developer) fails with
		// RoleAssignmentUpdateNotPermitted, and would replace the first.
		if got := fmt.Sprint(r.Props["principalId"]); got != principal {
			if got != w.Params["developerPrincipalId"] {
				fail("role", "a Key Vault Secrets User assignment is for %q; want the site's identity %q or developerPrincipalId", got, principal)
			} else if !strings.Contains(r.Name, got) {
				fail("roleName", "role assignment %q: its name does not derive from its principal %q", r.Name, got)
			}
			continue
		}
		roles++
		// A managed identity is a service principal to Azure RBAC; another
		// type makes the assignment fail or, for Group, never apply.
		if got := str(r.Props["principalType"]); got != "ServicePrincipal" {
			fail("principalType", "the role assignment's principalType is %q; want ServicePrincipal, as a managed identity is", got)
		}
		if !strings.Contains(r.Name, principal) {
			fail("roleName", "role assignment %q: its name does not derive from its principal %q", r.Name, principal)
		}
	}
	if rbac := vault.Props["enableRbacAuthorization"] == true; rbac && roles == 0 {
		fail("role", "the vault uses RBAC and nothing assigns Key Vault Secrets User (%s)", secretsUserRole)
	}
	wantURL := "https://" + vault.Name + ".vault.azure.net/"
	if got := fmt.Sprint(settings.Props["KEY_VAULT_URL"]); got != wantURL {
		fail("KEY_VAULT_URL", "the app setting KEY_VAULT_URL deploys as %q; want the vault's vaultUri %q", got, wantURL)
	}
	// The reference names the same secret, without a version, so that App
	// Service follows a rotation ("Use Key Vault references as app
	// settings": rotation); the app's own parser reads it as App Service would.
	if ref, ok := diagnose.ParseReference(fmt.Sprint(settings.Props["SECRET_FROM_REFERENCE"])); !ok || ref != (diagnose.Reference{Vault: vault.Name, Secret: "secret"}) {
		fail("reference", "SECRET_FROM_REFERENCE deploys as %q; want a Key Vault reference to the secret \"secret\" in %s, with no version", settings.Props["SECRET_FROM_REFERENCE"], vault.Name)
	}
	if got := fmt.Sprint(w.Outputs["keyVaultUri"]); got != wantURL {
		fail("outputs", "the output keyVaultUri is %q; want %q", got, wantURL)
	}
	if _, ok := vault.Props["enableSoftDelete"]; ok {
		fail("softDelete", "the vault sets enableSoftDelete, which Key Vault no longer lets be false")
	}
	// WEBSITES_PORT applies to custom containers only (App Service docs,
	// "Environment variables and app settings reference").
	if _, ok := settings.Props["WEBSITES_PORT"]; ok {
		fail("websitesPort", "WEBSITES_PORT is set; App Service reads it only for custom containers")
	}
}

func findDeployed(d []deployed, typ string) *deployed {
	for i := range d {
		if d[i].Type == typ {
			return &d[i]
		}
	}
	return nil
}

// deploymentRules deploy the template with the ARM model under the
// parameter values each rule is about.
func deploymentRules(t map[string]any, fail func(rule, format string, args ...any)) {
	deploy := func(params map[string]any) []deployed {
		base := map[string]any{"secretValue": "s"}
		for k, v := range params {
			base[k] = v
		}
		d, w, err := deployWorld(t, base)
		if err != nil {
			fail("deploy", "%v with %v", err, params)
			return nil
		}
		resourceRules(d, w, fail)
		return d
	}
	find := findDeployed
	siteConfig := func(d []deployed) map[string]any {
		site := find(d, "Microsoft.Web/sites")
		if site == nil {
			return map[string]any{}
		}
		cfg, _ := site.Props["siteConfig"].(map[string]any)
		return cfg
	}

	// A site has one source control type: sourcecontrols (repoUrl) sets
	// ExternalGit, and a site that also asks for LocalGit conflicts
	// ("Conflict with existing ScmType: ExternalGit", Azure/bicep#10469).
	for _, localGit := range []bool{true, false} {
		for _, repo := range []string{"", "https://github.com/Azure-Samples/keyvault-msi-go"} {
			d := deploy(map[string]any{"enableLocalGit": localGit, "repoUrl": repo})
			scm := siteConfig(d)["scmType"]
			switch {
			case find(d, "Microsoft.Web/sites/sourcecontrols") != nil && scm != nil:
				fail("scmType", "enableLocalGit=%v repoUrl=%q: sourcecontrols deploys beside scmType %v", localGit, repo, scm)
			case localGit && repo == "" && scm != "LocalGit":
				fail("scmType", "enableLocalGit=true without repoUrl: scmType is %v, want LocalGit", scm)
			}
		}
	}

	// The vault's own accessPolicies replace the whole list on every
	// deployment (Azure/azure-quickstart-templates#5517): the list must hold
	// the app's policy and the user's extra ones, not [] beside an 'add'.
	extra := map[string]any{"tenantId": "t", "objectId": "hand-added", "permissions": map[string]any{"secrets": []any{"list"}}}
	d := deploy(map[string]any{"permissionModel": "accessPolicy", "extraAccessPolicies": []any{extra}})
	if vault := find(d, "Microsoft.KeyVault/vaults"); vault != nil {
		policies, _ := vault.Props["accessPolicies"].([]any)
		var app, kept bool
		for _, p := range policies {
			p, _ := p.(map[string]any)
			app = app || p["objectId"] == principalOf(find(d, "Microsoft.Web/sites").Name)
			kept = kept || p["objectId"] == "hand-added"
		}
		if !app || !kept {
			fail("accessPolicies", "with permissionModel=accessPolicy the vault's list is %v; want the app's policy and extraAccessPolicies", policies)
		}
	}
	if d := deploy(map[string]any{"permissionModel": "rbac"}); find(d, "Microsoft.KeyVault/vaults") != nil {
		if p, ok := find(d, "Microsoft.KeyVault/vaults").Props["accessPolicies"].([]any); !ok || len(p) != 0 {
			fail("accessPolicies", "with permissionModel=rbac the vault's accessPolicies are %v; want [] (required at creation, ignored under RBAC)", p)
		}
	}

	// Purge protection "does not accept false as its value" (ARM template
	// reference, Microsoft.KeyVault/vaults: enablePurgeProtection): off
	// means the property left out, on means true.
	for _, on := range []bool{false, true} {
		if vault := find(deploy(map[string]any{"enablePurgeProtection": on}), "Microsoft.KeyVault/vaults"); vault != nil {
			if got, set := vault.Props["enablePurgeProtection"]; on && got != true || !on && set && got != nil {
				fail("purgeProtection", "enablePurgeProtection=%v deploys the vault's enablePurgeProtection as %v; want %v", on, got, map[bool]any{true: true, false: "nothing"}[on])
			}
		}
	}

	// A user-assigned identity, under both permission models: the rules
	// above (identityRules) check it is the one that may read.
	deploy(map[string]any{"identityType": "UserAssigned", "permissionModel": "rbac"})
	deploy(map[string]any{"identityType": "UserAssigned", "permissionModel": "accessPolicy"})

	// azd up grants whoever runs it (developerPrincipalId) with its own
	// assignment, named for it: a provision by the pipeline's service
	// principal adds its own and leaves the developer's (incremental mode
	// deletes nothing; ARM docs, "Deployment modes").
	names := map[string]string{}
	for _, dev := range []struct{ id, typ string }{{"dev-oid", "User"}, {"pipeline-sp", "ServicePrincipal"}} {
		d := deploy(map[string]any{"permissionModel": "rbac", "developerPrincipalId": dev.id, "developerPrincipalType": dev.typ})
		for _, r := range d {
			if r.Type == "Microsoft.Authorization/roleAssignments" && r.Props["principalId"] == dev.id {
				names[dev.id] = r.Name
				if got := str(r.Props["principalType"]); got != dev.typ {
					fail("developerRole", "developerPrincipalType %s gives the assignment principalType %q", dev.typ, got)
				}
			}
		}
	}
	if names["dev-oid"] == "" || names["pipeline-sp"] == "" || names["dev-oid"] == names["pipeline-sp"] {
		fail("developerRole", "developerPrincipalId gives the assignments %v; want one per principal, each named for it", names)
	}

	// Who can see the secret: allowedClientRanges restricts the site, not SCM.
	open := siteConfig(deploy(nil))
	closed := siteConfig(deploy(map[string]any{"allowedClientRanges": []any{"203.0.113.0/24"}}))
	switch {
	case open["ipSecurityRestrictions"] != nil || open["ipSecurityRestrictionsDefaultAction"] == "Deny":
		fail("accessRestrictions", "without allowedClientRanges the site is restricted: %v, %v", open["ipSecurityRestrictions"], open["ipSecurityRestrictionsDefaultAction"])
	case closed["ipSecurityRestrictionsDefaultAction"] != "Deny" || !strings.Contains(fmt.Sprint(closed["ipSecurityRestrictions"]), "203.0.113.0/24"):
		fail("accessRestrictions", "allowedClientRanges=[203.0.113.0/24] gives restrictions %v, default %v; want that range allowed and the rest denied",
			closed["ipSecurityRestrictions"], closed["ipSecurityRestrictionsDefaultAction"])
	case closed["scmIpSecurityRestrictionsUseMain"] != false:
		fail("accessRestrictions", "scmIpSecurityRestrictionsUseMain is %v; want false, so that git push still reaches SCM", closed["scmIpSecurityRestrictionsUseMain"])
	}

	// Deploying again keeps the app settings the user added: a
	// sites/config appsettings resource replaces the whole set on every
	// deployment (Azure/azure-quickstart-templates#8495, Azure/azure-cli#11718),
	// so the template must merge its own over what stands.
	if first := deploy(nil); findDeployed(first, "Microsoft.Web/sites/config") != nil {
		site, settings := findDeployed(first, "Microsoft.Web/sites"), findDeployed(first, "Microsoft.Web/sites/config")
		id := armResourceID("Microsoft.Web/sites/config", []string{site.Name, "appsettings"})
		standing := map[string]any{"SECRET_CACHE_TTL": "30s"} // as the throttling fix sets it
		for k, v := range settings.Props {
			standing[k] = v
		}
		again, _, err := redeploy(t, map[string]any{"secretValue": "s"}, map[string]map[string]any{id: standing})
		if err != nil {
			fail("deploy", "deploying again: %v", err)
		} else if got := findDeployed(again, "Microsoft.Web/sites/config").Props; got["SECRET_CACHE_TTL"] != "30s" || got["KEY_VAULT_URL"] != settings.Props["KEY_VAULT_URL"] {
			fail("redeploy", "deploying again over the settings %v leaves %v; want the user's SECRET_CACHE_TTL kept beside the template's KEY_VAULT_URL", standing, got)
		}
	}

	// azd deploy finds the site by its azd-service-name tag, which
	// infra/main.bicep passes in tags (Azure/azure-dev,
	// cli/azd/pkg/project/resource_manager.go).
	if site := find(deploy(map[string]any{"tags": map[string]any{"azd-service-name": "web"}}), "Microsoft.Web/sites"); site == nil || site.Tags["azd-service-name"] != "web" {
		fail("tags", "the tags parameter does not reach the site, where azd deploy looks for azd-service-name")
	}

	// The startup command must exec: Oryx runs it from a /bin/sh script
	// (TestOryxStartupSignals shows what SIGTERM does otherwise).
	if cmd := fmt.Sprint(siteConfig(deploy(nil))["appCommandLine"]); !strings.HasPrefix(cmd, "exec ") {
		fail("exec", "appCommandLine %q does not exec the app", cmd)
	}
}

// identityRules check the identity the app reads the secret with, and
// return its principal: the site's system-assigned identity; or, with
// identityType UserAssigned, the user-assigned identity the template
// creates, which the site carries, whose client ID the app finds in
// AZURE_CLIENT_ID (as DefaultAzureCredential does), and with which App
// Service resolves Key Vault references (keyVaultReferenceIdentity; App
// Service docs, "Use Key Vault references": user-assigned identity).
func identityRules(d []deployed, w *armWorld, site, settings *deployed, fail func(rule, format string, args ...any)) string {
	typ := str(site.Identity["type"])
	if w.Params["identityType"] != "UserAssigned" {
		if !strings.Contains(typ, "SystemAssigned") {
			fail("identity", "the site's identity type is %q; want SystemAssigned", typ)
		}
		if id, ok := settings.Props["AZURE_CLIENT_ID"]; ok {
			fail("userAssigned", "with the system-assigned identity, AZURE_CLIENT_ID is set (%v): the app would ask for a user-assigned one", id)
		}
		return principalOf(site.Name)
	}
	uami := findDeployed(d, "Microsoft.ManagedIdentity/userAssignedIdentities")
	if uami == nil {
		fail("userAssigned", "identityType UserAssigned deploys no user-assigned identity")
		return ""
	}
	id := armResourceID(uami.Type, []string{uami.Name})
	assigned, _ := site.Identity["userAssignedIdentities"].(map[string]any)
	if typ != "UserAssigned" || assigned[id] == nil {
		fail("userAssigned", "the site's identity is %v; want UserAssigned with %s", site.Identity, id)
	}
	if got, want := fmt.Sprint(settings.Props["AZURE_CLIENT_ID"]), "client-of-"+uami.Name; got != want {
		fail("userAssigned", "AZURE_CLIENT_ID deploys as %q; want the identity's client ID %q", got, want)
	}
	if got := fmt.Sprint(site.Props["keyVaultReferenceIdentity"]); got != id {
		fail("userAssigned", "keyVaultReferenceIdentity is %q; want %s, or App Service resolves references with an identity the site lacks", got, id)
	}
	return principalOf(uami.Name)
}

// minAPIVersion is the oldest API version the template may use for a type:
// 2023 or later, except where the provider's newest stable version is older
// (role assignments: 2022-04-01), and Key Vault's 2026-02-01: every control
// plane version before it retires on 2027-02-27, after which a template
// that names one no longer deploys (Learn, "Migrate to a newer Key Vault
// API version").
func minAPIVersion(typ string) string {
	switch {
	case strings.HasPrefix(typ, "Microsoft.Authorization/"):
		return "2022-04-01"
	case strings.HasPrefix(typ, "Microsoft.KeyVault/"):
		return keyVaultMinAPI
	}
	return "2023"
}

// keyVaultMinAPI is Key Vault's oldest control plane version after 2027-02-27.
const keyVaultMinAPI = "2026-02-01"

// keyVaultReads finds the API version of each reference() or list*() of a
// Key Vault resource in an expression.
var keyVaultReads = regexp.MustCompile(`(?:reference|list[A-Za-z]*)\(resourceId\('(Microsoft\.KeyVault/[^']+)'[^()]*(?:\([^()]*\)[^()]*)*\), '([^']+)'`)

// balanced reports whether an ARM expression's brackets and parentheses
// pair up, outside its single-quoted strings.
func balanced(expr string) bool {
	if !strings.HasSuffix(expr, "]") {
		return false
	}
	var stack []rune
	quoted := false
	for _, c := range expr {
		switch {
		case c == '\'':
			quoted = !quoted // '' inside a string toggles twice: still quoted
		case quoted:
		case c == '(' || c == '[':
			stack = append(stack, c)
		case c == ')' || c == ']':
			want := map[rune]rune{')': '(', ']': '['}[c]
			if len(stack) == 0 || stack[len(stack)-1] != want {
				return false
			}
			stack = stack[:len(stack)-1]
		}
	}
	return len(stack) == 0 && !quoted
}

// stringsIn returns every string in a decoded JSON value.
func stringsIn(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, stringsIn(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, e := range v {
			out = append(out, stringsIn(e)...)
		}
		return out
	}
	return nil
}

func str(v any) string { s, _ := v.(string); return s }

func readTemplate(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(repoFile("azuredeploy.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTemplate(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(repoFile("azuredeploy.json"))
	if err != nil {
		t.Fatal(err)
	}
	if bad := templateRules(raw); len(bad) > 0 {
		t.Errorf("azuredeploy.json:\n%s", strings.Join(bad, "\n"))
	}
}

// dropDependency removes, from the app settings deployment's dependsOn,
// the entries that contain what.
func dropDependency(m map[string]any, what string) {
	for _, r := range m["resources"].([]any) {
		r := r.(map[string]any)
		if strings.Contains(str(r["name"]), "appsettings") {
			r["dependsOn"] = slices.DeleteFunc(r["dependsOn"].([]any), func(d any) bool { return strings.Contains(str(d), what) })
		}
	}
}

// TestTemplateRules breaks the real template one way at a time and checks
// that the matching rule catches it.
func TestTemplateRules(t *testing.T) {
	t.Parallel()
	resources := func(m map[string]any) []any { return m["resources"].([]any) }
	resource := func(m map[string]any, typ string) map[string]any {
		for _, r := range resources(m) {
			if r := r.(map[string]any); r["type"] == typ {
				return r
			}
		}
		t.Fatalf("no %s in the template", typ)
		return nil
	}
	site := func(m map[string]any) map[string]any { return resource(m, "Microsoft.Web/sites") }
	siteConfig := func(m map[string]any) map[string]any {
		return site(m)["properties"].(map[string]any)["siteConfig"].(map[string]any)
	}
	nested := func(m map[string]any) map[string]any {
		return resource(m, "Microsoft.Resources/deployments")["properties"].(map[string]any)["template"].(map[string]any)
	}
	roleAssignment := func(m map[string]any) map[string]any {
		return resource(nested(m), "Microsoft.Authorization/roleAssignments")
	}
	vault := func(m map[string]any) map[string]any {
		return resource(m, "Microsoft.KeyVault/vaults")["properties"].(map[string]any)
	}
	// settingsDeployment is the nested deployment that merges the app settings.
	settingsDeployment := func(m map[string]any) map[string]any {
		for _, r := range resources(m) {
			if r := r.(map[string]any); r["type"] == "Microsoft.Resources/deployments" && strings.Contains(str(r["name"]), "appsettings") {
				return r["properties"].(map[string]any)
			}
		}
		t.Fatal("no app settings deployment in the template")
		return nil
	}
	vaultURL := func(m map[string]any, expr string) {
		settingsDeployment(m)["parameters"].(map[string]any)["keyVaultUrl"] = map[string]any{"value": expr}
	}
	settings := func(m map[string]any) map[string]any {
		return resource(settingsDeployment(m)["template"].(map[string]any), "Microsoft.Web/sites/config")
	}
	tests := []struct {
		rule   string
		break_ func(m map[string]any)
	}{
		{"undeclared", func(m map[string]any) { siteConfig(m)["appCommandLine"] = "[parameters('nope')]" }},
		{"undeclared", func(m map[string]any) { siteConfig(m)["appCommandLine"] = "[variables('nope')]" }},
		{"undeclared", func(m map[string]any) {
			roleAssignment(m)["properties"].(map[string]any)["principalId"] = "[parameters('siteName')]"
		}},
		{"expression", func(m map[string]any) { siteConfig(m)["appCommandLine"] = "[concat('a', variables('startupCommand')]" }},
		{"expression", func(m map[string]any) { siteConfig(m)["appCommandLine"] = "[variables('startupCommand')" }},
		{"dependsOn", func(m map[string]any) {
			site(m)["dependsOn"] = []any{"[resourceId('Microsoft.Web/hostingEnvironments', 'x')]"}
		}},
		{"securestring", func(m map[string]any) {
			m["parameters"].(map[string]any)["secretValue"].(map[string]any)["type"] = "string"
		}},
		{"purgeProtection", func(m map[string]any) { vault(m)["enablePurgeProtection"] = "[parameters('enablePurgeProtection')]" }},
		{"userAssigned", func(m map[string]any) { delete(site(m)["properties"].(map[string]any), "keyVaultReferenceIdentity") }},
		{"userAssigned", func(m map[string]any) {
			settings(m)["properties"] = "[union(parameters('currentSettings'), createObject('KEY_VAULT_URL', parameters('keyVaultUrl'), 'SECRET_FROM_REFERENCE', parameters('keyVaultReference')))]"
		}},
		{"userAssigned", func(m map[string]any) { site(m)["identity"] = map[string]any{"type": "SystemAssigned"} }},
		{"developerRole", func(m map[string]any) {
			r := resource(nested(m), "Microsoft.Authorization/roleAssignments") // the site's comes first
			res := nested(m)["resources"].([]any)
			nested(m)["resources"] = []any{r, res[len(res)-1]}
			res[len(res)-1].(map[string]any)["name"] = "[guid(resourceId('Microsoft.KeyVault/vaults', parameters('keyVaultName')), 'developer', variables('secretsUserRole'))]"
		}},
		{"developerRole", func(m map[string]any) {
			res := nested(m)["resources"].([]any)
			nested(m)["resources"] = res[:len(res)-1]
		}},
		{"secureObject", func(m map[string]any) {
			settingsDeployment(m)["template"].(map[string]any)["parameters"].(map[string]any)["currentSettings"] = map[string]any{"type": "object"}
		}},
		{"httpsOnly", func(m map[string]any) { delete(site(m)["properties"].(map[string]any), "httpsOnly") }},
		{"minTlsVersion", func(m map[string]any) { siteConfig(m)["minTlsVersion"] = "1.0" }},
		{"ftpsState", func(m map[string]any) { delete(siteConfig(m), "ftpsState") }},
		{"identity", func(m map[string]any) { delete(site(m), "identity") }},
		{"location", func(m map[string]any) { site(m)["location"] = "westeurope" }},
		{"location", func(m map[string]any) {
			m["parameters"].(map[string]any)["location"].(map[string]any)["defaultValue"] = "eastus"
		}},
		{"apiVersion", func(m map[string]any) { resource(m, "Microsoft.KeyVault/vaults")["apiVersion"] = "2016-10-01" }},
		{"apiVersion", func(m map[string]any) { roleAssignment(m)["apiVersion"] = "2020-04-01-preview" }},
		{"apiVersion", func(m map[string]any) { resource(m, "Microsoft.KeyVault/vaults")["apiVersion"] = "2024-11-01" }},         // retired 2027-02-27
		{"apiVersion", func(m map[string]any) { resource(m, "Microsoft.KeyVault/vaults/secrets")["apiVersion"] = "2025-05-01" }}, // retired 2027-02-27
		{"apiVersion", func(m map[string]any) {
			vaultURL(m, "[reference(resourceId('Microsoft.KeyVault/vaults', parameters('keyVaultName')), '2024-11-01').vaultUri]")
		}},
		{"role", func(m map[string]any) { roleAssignment(m)["type"] = "Microsoft.Authorization/locks" }},
		{"roleName", func(m map[string]any) {
			roleAssignment(m)["name"] = "[guid(resourceId('Microsoft.KeyVault/vaults', parameters('keyVaultName')), variables('secretsUserRole'))]"
		}},
		{"KEY_VAULT_URL", func(m map[string]any) {
			settings(m)["properties"] = "[parameters('currentSettings')]"
		}},
		{"outputs", func(m map[string]any) {
			m["outputs"].(map[string]any)["leak"] = map[string]any{"type": "string", "value": "[parameters('secretValue')]"}
		}},
		{"softDelete", func(m map[string]any) { vault(m)["enableSoftDelete"] = false }},
		{"websitesPort", func(m map[string]any) {
			settings(m)["properties"] = "[union(parameters('currentSettings'), createObject('KEY_VAULT_URL', parameters('keyVaultUrl'), 'WEBSITES_PORT', '8080'))]"
		}},
		{"scmType", func(m map[string]any) {
			siteConfig(m)["scmType"] = "[if(parameters('enableLocalGit'), 'LocalGit', 'None')]"
		}},
		{"scmType", func(m map[string]any) { siteConfig(m)["scmType"] = "[null()]" }},
		{"accessPolicies", func(m map[string]any) { vault(m)["accessPolicies"] = []any{} }},
		{"accessPolicies", func(m map[string]any) { delete(vault(m), "accessPolicies") }},
		{"accessRestrictions", func(m map[string]any) { delete(siteConfig(m), "ipSecurityRestrictionsDefaultAction") }},
		{"accessRestrictions", func(m map[string]any) { siteConfig(m)["scmIpSecurityRestrictionsUseMain"] = true }},
		// No system-assigned identity: its principalId does not exist, and the deployment fails.
		{"deploy", func(m map[string]any) { site(m)["identity"] = map[string]any{"type": "None"} }},
		{"deploy", func(m map[string]any) { site(m)["identity"] = map[string]any{"type": "UserAssigned"} }},
		{"principalType", func(m map[string]any) { roleAssignment(m)["properties"].(map[string]any)["principalType"] = "User" }},
		{"role", func(m map[string]any) {
			resource(m, "Microsoft.Resources/deployments")["properties"].(map[string]any)["parameters"].(map[string]any)["principalId"] =
				map[string]any{"value": "[reference(resourceId('Microsoft.Web/sites', parameters('siteName')), '2024-11-01', 'full').identity.tenantId]"}
		}},
		// reference() without 'full' is the properties; with it, the whole resource.
		{"deploy", func(m map[string]any) {
			vaultURL(m, "[reference(resourceId('Microsoft.KeyVault/vaults', parameters('keyVaultName')), '2026-02-01').properties.vaultUri]")
		}},
		{"deploy", func(m map[string]any) {
			vaultURL(m, "[reference(resourceId('Microsoft.KeyVault/vaults', parameters('keyVaultName')), '2026-02-01', 'full').vaultUri]")
		}},
		{"deploy", func(m map[string]any) {
			vaultURL(m, "[reference(resourceId('Microsoft.KeyVault/vaults', 'another-vault'), '2026-02-01').vaultUri]")
		}},
		{"KEY_VAULT_URL", func(m map[string]any) {
			vaultURL(m, "[format('https://{0}.vault.azure.net', parameters('keyVaultName'))]") // no trailing slash: not the vaultUri
		}},
		{"outputs", func(m map[string]any) {
			m["outputs"].(map[string]any)["keyVaultUri"] = map[string]any{"type": "string", "value": "[parameters('keyVaultName')]"}
		}},
		{"accessPolicies", func(m map[string]any) {
			vault(m)["accessPolicies"] = "[if(equals(parameters('permissionModel'), 'accessPolicy'), createArray(createObject('tenantId', subscription().tenantId, 'objectId', reference(resourceId('Microsoft.Web/sites', parameters('siteName')), '2024-11-01', 'full').identity.tenantId, 'permissions', createObject('secrets', createArray('get')))), createArray())]"
		}},
		{"healthCheck", func(m map[string]any) { siteConfig(m)["healthCheckPath"] = "/" }},
		{"runtime", func(m map[string]any) { siteConfig(m)["linuxFxVersion"] = "NODE|22-lts" }},
		// Today's mistake: the settings as the template alone has them, replacing the user's.
		{"redeploy", func(m map[string]any) {
			settings(m)["properties"] = map[string]any{"KEY_VAULT_URL": "[parameters('keyVaultUrl')]"}
		}},
		{"exec", func(m map[string]any) {
			m["variables"].(map[string]any)["startupCommand"] = "bash /home/site/wwwroot/startup.sh"
		}},
		{"tags", func(m map[string]any) { delete(site(m), "tags") }},
		// The reference written before the permission or the secret exists.
		{"referenceOrder", func(m map[string]any) { dropDependency(m, "secrets-user") }},
		{"referenceOrder", func(m map[string]any) { dropDependency(m, "'secret'") }},
		{"reference", func(m map[string]any) {
			settingsDeployment(m)["parameters"].(map[string]any)["keyVaultReference"] = map[string]any{"value": "[format('@Microsoft.KeyVault(VaultName={0};SecretName=secret;SecretVersion=0123)', parameters('keyVaultName'))]"}
		}},
		{"reference", func(m map[string]any) {
			settingsDeployment(m)["parameters"].(map[string]any)["keyVaultReference"] = map[string]any{"value": "[format('@Microsoft.KeyVault({0}/secret)', parameters('keyVaultName'))]"}
		}},
	}
	for _, tt := range tests {
		m := readTemplate(t)
		if !breakCleanly(t, tt.rule, func() { tt.break_(m) }) {
			continue
		}
		raw, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		bad := templateRules(raw)
		if !catches(bad, tt.rule) {
			t.Errorf("rule %s did not catch its breakage; violations: %q", tt.rule, bad)
		}
	}
}
