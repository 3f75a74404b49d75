package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// templateRules checks an ARM template offline for the mistakes that make
// a deployment fail late or leave it unsafe. Each violation starts with the
// rule's name.
func templateRules(raw []byte) []string {
	var t struct {
		Parameters map[string]struct {
			Type         string `json:"type"`
			DefaultValue any    `json:"defaultValue"`
		} `json:"parameters"`
		Variables map[string]any   `json:"variables"`
		Resources []map[string]any `json:"resources"`
		Outputs   map[string]any   `json:"outputs"`
	}
	if err := json.Unmarshal(raw, &t); err != nil {
		return []string{"json: " + err.Error()}
	}
	var generic any
	_ = json.Unmarshal(raw, &generic) // parsed above: cannot fail
	var bad []string
	fail := func(rule, format string, args ...any) { bad = append(bad, rule+": "+fmt.Sprintf(format, args...)) }

	for _, s := range stringsIn(generic) {
		for _, m := range regexp.MustCompile(`\b(parameters|variables)\('([^']*)'\)`).FindAllStringSubmatch(s, -1) {
			_, okP := t.Parameters[m[2]]
			_, okV := t.Variables[m[2]]
			if (m[1] == "parameters" && !okP) || (m[1] == "variables" && !okV) {
				fail("undeclared", "%s('%s') in %q", m[1], m[2], s)
			}
		}
		if strings.HasPrefix(s, "[") && !strings.HasPrefix(s, "[[") && !balanced(s) {
			fail("expression", "unbalanced %q", s)
		}
	}

	types := map[string]bool{}
	names := map[string]bool{}
	for _, r := range t.Resources {
		types[str(r["type"])] = true
		names[str(r["name"])] = true
	}
	typeLiteral := regexp.MustCompile(`'(Microsoft\.[A-Za-z]+/[A-Za-z/]+)'`)
	for _, r := range t.Resources {
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
		}
	}
	if p, ok := t.Parameters["location"]; ok && !strings.HasPrefix(str(p.DefaultValue), "[") {
		fail("location", "parameter location defaults to the hard-coded %q", str(p.DefaultValue))
	}

	var secure []string
	for name, p := range t.Parameters {
		lower := strings.ToLower(name)
		isSecure := strings.HasPrefix(strings.ToLower(p.Type), "secure")
		if (strings.Contains(lower, "secret") || strings.Contains(lower, "password")) && !isSecure {
			fail("securestring", "parameter %s has type %q; a secret must be securestring", name, p.Type)
		}
		if isSecure {
			secure = append(secure, name)
		}
	}
	for name, o := range t.Outputs {
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

	all := strings.Join(stringsIn(generic), "\n")
	if !types["Microsoft.Authorization/roleAssignments"] || !strings.Contains(all, "4633458b-17de-408a-b874-0445c86b69e6") {
		fail("role", "no role assignment of Key Vault Secrets User (4633458b-17de-408a-b874-0445c86b69e6)")
	}
	if !strings.Contains(string(raw), `"KEY_VAULT_URL": "[reference(`) || !strings.Contains(all, ".vaultUri") {
		fail("KEY_VAULT_URL", "the app setting KEY_VAULT_URL is not set from the vault's vaultUri")
	}
	return bad
}

// minAPIVersion is the oldest API version the template may use for a type:
// 2023 or later, except where the provider's newest stable version is older
// (role assignments: 2022-04-01).
func minAPIVersion(typ string) string {
	if strings.HasPrefix(typ, "Microsoft.Authorization/") {
		return "2022-04-01"
	}
	return "2023"
}

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
	raw, err := os.ReadFile("azuredeploy.json")
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
	raw, err := os.ReadFile("azuredeploy.json")
	if err != nil {
		t.Fatal(err)
	}
	if bad := templateRules(raw); len(bad) > 0 {
		t.Errorf("azuredeploy.json:\n%s", strings.Join(bad, "\n"))
	}
}

// TestTemplateRules breaks the real template one way at a time and checks
// that the matching rule catches it.
func TestTemplateRules(t *testing.T) {
	t.Parallel()
	resource := func(m map[string]any, typ string) map[string]any {
		for _, r := range m["resources"].([]any) {
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
	tests := []struct {
		rule   string
		break_ func(m map[string]any)
	}{
		{"undeclared", func(m map[string]any) { siteConfig(m)["appCommandLine"] = "[parameters('nope')]" }},
		{"undeclared", func(m map[string]any) { siteConfig(m)["appCommandLine"] = "[variables('nope')]" }},
		{"expression", func(m map[string]any) { siteConfig(m)["appCommandLine"] = "[concat('a', variables('startupCommand')]" }},
		{"expression", func(m map[string]any) { siteConfig(m)["appCommandLine"] = "[variables('startupCommand')" }},
		{"dependsOn", func(m map[string]any) {
			site(m)["dependsOn"] = []any{"[resourceId('Microsoft.Web/hostingEnvironments', 'x')]"}
		}},
		{"securestring", func(m map[string]any) {
			m["parameters"].(map[string]any)["secretValue"].(map[string]any)["type"] = "string"
		}},
		{"httpsOnly", func(m map[string]any) { delete(site(m)["properties"].(map[string]any), "httpsOnly") }},
		{"minTlsVersion", func(m map[string]any) { siteConfig(m)["minTlsVersion"] = "1.0" }},
		{"ftpsState", func(m map[string]any) { delete(siteConfig(m), "ftpsState") }},
		{"location", func(m map[string]any) { site(m)["location"] = "westeurope" }},
		{"location", func(m map[string]any) {
			m["parameters"].(map[string]any)["location"].(map[string]any)["defaultValue"] = "eastus"
		}},
		{"apiVersion", func(m map[string]any) { resource(m, "Microsoft.KeyVault/vaults")["apiVersion"] = "2016-10-01" }},
		{"apiVersion", func(m map[string]any) {
			resource(m, "Microsoft.Authorization/roleAssignments")["apiVersion"] = "2020-04-01-preview"
		}},
		{"role", func(m map[string]any) {
			resource(m, "Microsoft.Authorization/roleAssignments")["type"] = "Microsoft.Authorization/locks"
		}},
		{"KEY_VAULT_URL", func(m map[string]any) {
			delete(resource(m, "Microsoft.Web/sites/config")["properties"].(map[string]any), "KEY_VAULT_URL")
		}},
		{"outputs", func(m map[string]any) {
			m["outputs"].(map[string]any)["leak"] = map[string]any{"type": "string", "value": "[parameters('secretValue')]"}
		}},
	}
	for _, tt := range tests {
		m := readTemplate(t)
		tt.break_(m)
		raw, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		bad := templateRules(raw)
		if !slices.ContainsFunc(bad, func(s string) bool { return strings.HasPrefix(s, tt.rule+":") }) {
			t.Errorf("rule %s did not catch its breakage; violations: %q", tt.rule, bad)
		}
	}
}

// rawTemplateURL is where the Deploy to Azure button fetches the template.
const rawTemplateURL = "https://raw.githubusercontent.com/Azure-Samples/keyvault-msi-go/main/azuredeploy.json"

func TestDeployButton(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`\(https://portal\.azure\.com/#create/Microsoft\.Template/uri/([^)\s]+)\)`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no Deploy to Azure link (https://portal.azure.com/#create/Microsoft.Template/uri/...)")
	}
	if got, want := string(m[1]), url.QueryEscape(rawTemplateURL); got != want {
		t.Errorf("button link ends %q; want the raw template URL percent-encoded, %q", got, want)
	}
	if !strings.Contains(string(readme), "https://aka.ms/deploytoazurebutton") {
		t.Error("README does not show the button image https://aka.ms/deploytoazurebutton")
	}
}

// TestDeployScript runs the platform's build script as App Service's
// deployment engine would, with the machine's Go in place of the download,
// and starts its output under each port variable a hosting route sets.
func TestDeployScript(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the app")
	}
	script, err := os.ReadFile("deploy/build.sh")
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	pinned := regexp.MustCompile(`(?m)^GO_VERSION=(\S+)`).FindSubmatch(script)
	want := regexp.MustCompile(`(?m)^go (\S+)`).FindSubmatch(gomod)
	if pinned == nil || want == nil || string(pinned[1]) != string(want[1]) {
		t.Errorf("deploy/build.sh pins Go %s; go.mod says %s", pinned, want)
	}
	if cfg, err := os.ReadFile(".deployment"); err != nil || !strings.Contains(string(cfg), "command = bash deploy/build.sh") {
		t.Errorf(".deployment = %q, %v; want it to run deploy/build.sh", cfg, err)
	}

	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	wwwroot := t.TempDir()
	cmd := exec.Command("bash", "deploy/build.sh")
	cmd.Env = append(os.Environ(), "DEPLOYMENT_SOURCE="+mustAbs(t, "."), "DEPLOYMENT_TARGET="+wwwroot, "DEPLOY_GO="+goBin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("deploy/build.sh: %v\n%s", err, out)
	}
	// As after a zip deployment that dropped the executable bit: startup.sh restores it.
	if err := os.Chmod(filepath.Join(wwwroot, "keyvault-msi-go"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, portVar := range []string{"PORT", "HTTP_PLATFORM_PORT", "FUNCTIONS_CUSTOMHANDLER_PORT"} {
		t.Run(portVar, func(t *testing.T) {
			port := freeTestPort(t)
			app := exec.Command("bash", filepath.Join(wwwroot, "startup.sh"))
			app.Env = []string{portVar + "=" + port, "PATH=" + os.Getenv("PATH")}
			if err := app.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = app.Process.Kill(); _ = app.Wait() }()
			waitForPing(t, "http://127.0.0.1:"+port, 10*time.Second)
		})
	}
}

// TestFunctionsFiles checks the Azure Functions custom-handler files parse,
// start this binary, forward HTTP as is, and route to the app's handlers.
func TestFunctionsFiles(t *testing.T) {
	t.Parallel()
	var host struct {
		CustomHandler struct {
			Description struct {
				DefaultExecutablePath string `json:"defaultExecutablePath"`
			} `json:"description"`
			EnableForwardingHTTPRequest bool `json:"enableForwardingHttpRequest"`
		} `json:"customHandler"`
		Extensions struct {
			HTTP struct {
				RoutePrefix *string `json:"routePrefix"`
			} `json:"http"`
		} `json:"extensions"`
	}
	readJSON(t, "functions/host.json", &host)
	if got := host.CustomHandler.Description.DefaultExecutablePath; got != "keyvault-msi-go" {
		t.Errorf("defaultExecutablePath = %q; want keyvault-msi-go", got)
	}
	if !host.CustomHandler.EnableForwardingHTTPRequest {
		t.Error("enableForwardingHttpRequest is not true: the app would not see the original path")
	}
	if p := host.Extensions.HTTP.RoutePrefix; p == nil || *p != "" {
		t.Error(`extensions.http.routePrefix is not "": routes would gain an /api prefix`)
	}

	app := startApp(t, map[string]string{}, nil)
	for fn, wantStatus := range map[string]int{"ping": http.StatusOK, "index": http.StatusInternalServerError} {
		var f struct {
			Bindings []struct {
				Type    string   `json:"type"`
				Route   *string  `json:"route"`
				Methods []string `json:"methods"`
			} `json:"bindings"`
		}
		readJSON(t, filepath.Join("functions", fn, "function.json"), &f)
		if len(f.Bindings) != 2 || f.Bindings[0].Type != "httpTrigger" || f.Bindings[0].Route == nil || f.Bindings[1].Type != "http" {
			t.Errorf("%s/function.json: want an httpTrigger with a route and an http output; got %+v", fn, f.Bindings)
			continue
		}
		resp, _ := fetch(t, "GET", app.URL+"/"+*f.Bindings[0].Route, "")
		if resp.StatusCode != wantStatus {
			t.Errorf("function %s routes to /%s, which answers %d; want %d", fn, *f.Bindings[0].Route, resp.StatusCode, wantStatus)
		}
		if !slices.Equal(f.Bindings[0].Methods, []string{"get", "head"}) {
			t.Errorf("function %s methods = %q; want get and head", fn, f.Bindings[0].Methods)
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
