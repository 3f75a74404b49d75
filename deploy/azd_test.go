package deploy

import (
	"debug/elf"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// azure.yaml's rules, read from azd's schema
// (Azure/azure-dev, schemas/v1.0/azure.yaml.json, at ae35809) and its
// code (cli/azd/pkg/project), where the schema leaves a field open.
var (
	// The schema's top-level and service properties; a key outside them
	// is a typo azd's validation reports.
	azdTopLevel = []string{"name", "resourceGroup", "metadata", "infra", "services", "resources", "pipeline", "hooks",
		"requiredVersions", "state", "platform", "workflows", "cloud"}
	azdService = []string{"apiVersion", "resourceGroup", "resourceName", "project", "image", "host", "language", "module",
		"dist", "remoteBuild", "docker", "k8s", "config", "uses", "env", "hooks"}
	// framework_service.go: parseServiceLanguage.
	azdLanguages = []string{"", "dotnet", "csharp", "fsharp", "js", "ts", "python", "py", "java", "go", "golang", "docker", "custom"}
	// The service-level hooks' names, and each hook's fields
	// (definitions.hook, additionalProperties false).
	azdServiceHooks = []string{"predeploy", "postdeploy", "prerestore", "postrestore", "prebuild", "postbuild", "prepackage", "postpackage", "prepublish", "postpublish"}
	azdHookFields   = []string{"shell", "kind", "dir", "run", "continueOnError", "interactive", "windows", "posix", "secrets"}
)

// readAzureYAML parses azure.yaml.
func readAzureYAML(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(repoFile("azure.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var y map[string]any
	if err := yaml.Unmarshal(raw, &y); err != nil {
		t.Fatalf("azure.yaml: %v", err)
	}
	return y
}

// azureYAMLRules checks azure.yaml as azd would read it; each violation
// starts with its rule's name.
func azureYAMLRules(y map[string]any) []string {
	var bad []string
	fail := func(rule, msg string) { bad = append(bad, rule+": "+msg) }
	for k := range y {
		if !slices.Contains(azdTopLevel, k) {
			fail("keys", "azure.yaml has the key "+k+", which azd's schema does not know")
		}
	}
	if str(y["name"]) == "" {
		fail("name", "azure.yaml has no name (the schema requires it)")
	}
	services, _ := y["services"].(map[string]any)
	web, _ := services["web"].(map[string]any)
	if len(services) != 1 || web == nil {
		fail("service", "azure.yaml's services are not the one service web, whose name infra/main.bicep tags the site with")
		return bad
	}
	for k := range web {
		if !slices.Contains(azdService, k) {
			fail("keys", "service web has the key "+k+", which azd's schema does not know")
		}
	}
	// host is required; appservice is the site azuredeploy.json creates.
	if str(web["host"]) != "appservice" {
		fail("host", "service web's host is "+str(web["host"])+"; want appservice, the site the template creates")
	}
	lang := str(web["language"])
	if !slices.Contains(azdLanguages, lang) {
		fail("language", "language "+lang+" is not one azd parses")
	}
	// A custom-language service deploys dist, which azd requires
	// (framework_service_custom.go: "'dist' required for custom language").
	if lang == "custom" && str(web["dist"]) == "" {
		fail("dist", "language custom without dist: azd refuses to package it")
	}
	hooks, _ := web["hooks"].(map[string]any)
	for name, h := range hooks {
		if !slices.Contains(azdServiceHooks, name) {
			fail("hooks", "service hook "+name+" is not an event azd runs")
		}
		hook, _ := h.(map[string]any)
		for k := range hook {
			if !slices.Contains(azdHookFields, k) {
				fail("hooks", "hook "+name+" has the field "+k+", which the schema does not allow")
			}
		}
		// An inline script needs its shell named (the schema's run: "you
		// also must specify the shell"); sh or pwsh.
		if sh := str(hook["shell"]); sh != "sh" && sh != "pwsh" {
			fail("hooks", "hook "+name+" names the shell "+sh+"; want sh or pwsh")
		}
	}
	if lang == "custom" && hooks["prepackage"] == nil {
		fail("build", "a custom-language service with no prepackage hook: nothing fills dist")
	}
	return bad
}

// TestAzureYAML checks azure.yaml against azd's schema and code, breaks it
// once per rule, and then runs its prepackage hook as azd does (sh -c, in
// the service's directory) in a copy of the repository: dist holds the
// static binary and startup.sh, and the Node image's startup script,
// with the template's startup command, serves /ping from it.
func TestAzureYAML(t *testing.T) {
	t.Parallel()
	y := readAzureYAML(t)
	if bad := azureYAMLRules(y); len(bad) > 0 {
		t.Errorf("azure.yaml:\n%s", strings.Join(bad, "\n"))
	}
	web := func(m map[string]any) map[string]any { return m["services"].(map[string]any)["web"].(map[string]any) }
	for _, tt := range []struct {
		rule   string
		break_ func(m map[string]any)
	}{
		{"name", func(m map[string]any) { delete(m, "name") }},
		{"keys", func(m map[string]any) { m["service"] = m["services"] }},
		{"keys", func(m map[string]any) { web(m)["distt"] = "dist" }},
		{"host", func(m map[string]any) { web(m)["host"] = "containerapp" }},
		{"language", func(m map[string]any) { web(m)["language"] = "golang1.26" }},
		{"dist", func(m map[string]any) { delete(web(m), "dist") }},
		{"hooks", func(m map[string]any) {
			web(m)["hooks"].(map[string]any)["prepack"] = web(m)["hooks"].(map[string]any)["prepackage"]
		}},
		{"hooks", func(m map[string]any) {
			delete(web(m)["hooks"].(map[string]any)["prepackage"].(map[string]any), "shell")
		}},
		{"build", func(m map[string]any) { delete(web(m), "hooks") }},
		{"service", func(m map[string]any) { m["services"] = map[string]any{"api": web(m)} }},
	} {
		m := readAzureYAML(t)
		if !breakCleanly(t, tt.rule, func() { tt.break_(m) }) {
			continue
		}
		if bad := azureYAMLRules(m); !catches(bad, tt.rule) {
			t.Errorf("rule %s did not catch its breakage; violations: %q", tt.rule, bad)
		}
	}

	if testing.Short() {
		t.Skip("builds the app")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	repo := copyRepo(t)
	w := web(y)
	run := exec.Command("sh", "-c", str(w["hooks"].(map[string]any)["prepackage"].(map[string]any)["run"]))
	run.Dir = filepath.Join(repo, str(w["project"]))
	// What azd's own environment gives a hook, and go where a developer has
	// it, on a Mac: the package is for App Service's linux/amd64 all the same.
	run.Env = append(os.Environ(), "PATH="+filepath.Dir(goBin)+":/usr/bin:/bin", "GOOS=darwin", "GOARCH=arm64")
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("the prepackage hook: %v\n%s", err, out)
	}
	dist := filepath.Join(run.Dir, str(w["dist"]))
	entries, _ := os.ReadDir(dist)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"keyvault-msi-go", "startup.sh"}) {
		t.Errorf("dist holds %q; want keyvault-msi-go and startup.sh, as the Actions workflow's package", names)
	}
	if f, err := elf.Open(filepath.Join(dist, "keyvault-msi-go")); err != nil {
		t.Error(err)
	} else {
		if f.Machine != elf.EM_X86_64 || f.OSABI != elf.ELFOSABI_NONE {
			t.Errorf("the binary in dist is for %v (%v); want linux/amd64, what App Service runs", f.Machine, f.OSABI)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Error("the binary in dist is dynamically linked: App Service's Node image may lack its libraries")
			}
		}
		f.Close()
	}
	serveFromOryx(t, nil, dist, templateStartupCommand(t), "PORT")
}

// copyRepo copies the repository's files into a temporary directory, so
// that a hook that writes beside them leaves the checkout alone. It walks
// the tree rather than asking git, so that it also copies a copy that is
// not a checkout (make mutate's).
func copyRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	skip := map[string]bool{".git": true, "bin": true, "dist": true, "screenshots": true, "node_modules": true, ".azure": true}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && skip[d.Name()] {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel("..", path)
		dst := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		fi, err := d.Info()
		if err != nil || !fi.Mode().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// mainBicep is infra/main.bicep read for what the tests check: the
// module's path, the parameters it passes and the outputs it reads.
type mainBicep struct {
	module  string            // the path after module <name>
	passed  []string          // the module's params
	values  map[string]string // each passed param's expression, as written
	outputs []string          // the template outputs it reads (app.outputs.X)
	exports []string          // its own outputs, which azd writes to its environment
	params  []string          // its own params
	tags    string            // the azd-service-name it gives the site
}

func readMainBicep(t *testing.T, src string) mainBicep {
	t.Helper()
	var b mainBicep
	if m := regexp.MustCompile(`(?m)^module (\w+) '([^']+)' = \{`).FindStringSubmatch(src); m != nil {
		b.module = m[2]
		for _, o := range regexp.MustCompile(`\b`+m[1]+`\.outputs\.(\w+)`).FindAllStringSubmatch(src, -1) {
			b.outputs = append(b.outputs, o[1])
		}
	}
	if m := regexp.MustCompile(`(?s)\n  params: \{\n(.*?)\n  \}\n`).FindStringSubmatch(src); m != nil {
		b.values = map[string]string{}
		for _, p := range regexp.MustCompile(`(?m)^    (\w+):(.*)$`).FindAllStringSubmatch(m[1], -1) {
			b.passed = append(b.passed, p[1])
			b.values[p[1]] = strings.TrimSpace(p[2])
		}
	}
	for _, o := range regexp.MustCompile(`(?m)^output (\w+) `).FindAllStringSubmatch(src, -1) {
		b.exports = append(b.exports, o[1])
	}
	for _, p := range regexp.MustCompile(`(?m)^param (\w+) `).FindAllStringSubmatch(src, -1) {
		b.params = append(b.params, p[1])
	}
	if m := regexp.MustCompile(`'azd-service-name': '([^']+)'`).FindStringSubmatch(src); m != nil {
		b.tags = m[1]
	}
	return b
}

// mainBicepRules checks infra/main.bicep against azuredeploy.json and
// azure.yaml; no Bicep compiler runs here (the azure-dev workflow builds
// it on GitHub with az bicep build).
func mainBicepRules(b mainBicep, template map[string]any, params map[string]any, service string) []string {
	var bad []string
	fail := func(rule, msg string) { bad = append(bad, rule+": "+msg) }
	if b.module != "../azuredeploy.json" {
		fail("module", "infra/main.bicep deploys "+b.module+"; want ../azuredeploy.json, the one template, not a copy")
	}
	declared, _ := template["parameters"].(map[string]any)
	for name, d := range declared {
		if _, def := d.(map[string]any)["defaultValue"]; !def && !slices.Contains(b.passed, name) {
			fail("params", "the template requires "+name+", which main.bicep does not pass")
		}
	}
	for _, p := range b.passed {
		if declared[p] == nil {
			fail("params", "main.bicep passes "+p+", which the template does not declare (ARM fails the deployment)")
		}
	}
	outputs, _ := template["outputs"].(map[string]any)
	for _, o := range b.outputs {
		if outputs[o] == nil {
			fail("outputs", "main.bicep reads the output "+o+", which the template does not have")
		}
	}
	// KEY_VAULT_URL is what the app reads: azd writes it to the
	// environment, so that go run . finds the vault.
	if !slices.Contains(b.exports, "KEY_VAULT_URL") {
		fail("outputs", "main.bicep exports no KEY_VAULT_URL: after azd provision, go run . does not know the vault")
	}
	// The azure-dev workflow's smoke test reads WEBSITE_URL.
	if !slices.Contains(b.exports, "WEBSITE_URL") {
		fail("outputs", "main.bicep exports no WEBSITE_URL, which the azure-dev workflow's smoke test reads")
	}
	if b.tags != service {
		fail("tags", "main.bicep tags the site azd-service-name="+b.tags+"; azure.yaml's service is "+service+", so azd deploy finds no site")
	}
	// main.parameters.json fills each of main.bicep's parameters from azd's
	// environment; a secure one left out is prompted for (Azure/azure-dev,
	// cli/azd/pkg/infra/provisioning/bicep/bicep_provider.go).
	for name := range params {
		if !slices.Contains(b.params, name) {
			fail("parameters", "main.parameters.json sets "+name+", which main.bicep does not declare")
		}
	}
	for _, want := range []string{"environmentName", "location"} {
		if params[want] == nil {
			fail("parameters", "main.parameters.json does not pass "+want+" from azd's environment")
		}
	}
	// What the module passes through is main.bicep's own parameter, by
	// value: the secret the user typed, the region azd chose.
	for _, name := range []string{"secretValue", "location"} {
		if v, ok := b.values[name]; ok && v != name {
			fail("params", "main.bicep passes "+name+": "+v+"; want its own parameter "+name)
		}
	}
	// Azure RBAC, Key Vault's default since API 2026-02-01, and the
	// developer's own role assignment: an access-policy list is replaced by
	// whoever provisions last (MicrosoftDocs, Key Vault "access-control-default").
	if v, ok := b.values["permissionModel"]; ok && v != "'rbac'" {
		fail("permissionModel", "main.bicep passes permissionModel "+v+"; want 'rbac' (or the template's default)")
	}
	if b.values["developerPrincipalId"] != "principalId" || b.values["developerPrincipalType"] != "principalType" {
		fail("developer", "main.bicep does not grant whoever runs azd (developerPrincipalId: principalId, developerPrincipalType: principalType)")
	}
	// azd substitutes these two itself (cli/azd/pkg/infra/provisioning/bicep/bicep_provider.go: evalParamEnvSubst).
	for name, want := range map[string]string{"principalId": "${AZURE_PRINCIPAL_ID}", "principalType": "${AZURE_PRINCIPAL_TYPE}"} {
		if v, _ := params[name].(map[string]any); v["value"] != want {
			fail("developer", "main.parameters.json passes "+name+" as "+fmt.Sprint(v["value"])+"; want "+want)
		}
	}
	return bad
}

// TestCustomLanguageEnabled: azd treats a custom-language service as an
// alpha feature and, on a fresh install, stops with a panic before any
// hook runs (Azure/azure-dev 1.31, cli/azd/cmd/container.go: the
// "language.custom" feature; pkg/alpha/alpha_feature_manager.go reads it
// from azd's config or AZD_ALPHA_ENABLE_LANGUAGE_CUSTOM). Wherever the
// project runs azd, the switch is on: the README's steps, the azd
// workflow's job and the dev container.
func TestCustomLanguageEnabled(t *testing.T) {
	t.Parallel()
	y := readAzureYAML(t)
	if lang := str(y["services"].(map[string]any)["web"].(map[string]any)["language"]); lang != "custom" {
		t.Skipf("azure.yaml's language is %s, not custom", lang)
	}
	const enable = "azd config set alpha.language.custom on"
	readme := readRepoFile(t, "README.md")
	if i, j := strings.Index(readme, enable), strings.Index(readme, "\nazd up"); i < 0 || j < 0 || i > j {
		t.Errorf("README.md does not run %q before azd up", enable)
	}
	var wf struct {
		Jobs map[string]struct {
			Env   map[string]string `yaml:"env"`
			Steps []struct {
				Uses string `yaml:"uses"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal([]byte(readRepoFile(t, ".github/workflows/azure-dev.yml")), &wf); err != nil {
		t.Fatal(err)
	}
	for name, job := range wf.Jobs {
		runsAzd := slices.ContainsFunc(job.Steps, func(s struct {
			Uses string `yaml:"uses"`
		}) bool {
			return strings.HasPrefix(s.Uses, "Azure/setup-azd@")
		})
		if runsAzd && job.Env["AZD_ALPHA_ENABLE_LANGUAGE_CUSTOM"] != "true" {
			t.Errorf("azure-dev.yml's job %s does not set AZD_ALPHA_ENABLE_LANGUAGE_CUSTOM=true", name)
		}
	}
	if readDevContainer(t).ContainerEnv["AZD_ALPHA_ENABLE_LANGUAGE_CUSTOM"] != "true" {
		t.Error("the dev container does not set AZD_ALPHA_ENABLE_LANGUAGE_CUSTOM=true")
	}
}

// devContainer is the part of .devcontainer/devcontainer.json the tests read.
type devContainer struct {
	Image        string            `json:"image"`
	ContainerEnv map[string]string `json:"containerEnv"`
}

// readDevContainer reads devcontainer.json, JSON with // comment lines.
func readDevContainer(t *testing.T) devContainer {
	t.Helper()
	var lines []string
	for _, line := range strings.Split(readRepoFile(t, ".devcontainer/devcontainer.json"), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "//") {
			lines = append(lines, line)
		}
	}
	var dc devContainer
	if err := json.Unmarshal([]byte(strings.Join(lines, "\n")), &dc); err != nil {
		t.Fatal(err)
	}
	return dc
}

// TestDevContainerImagePinned: the dev container's image is pinned by
// digest, which no one can move to other bytes, as the Dockerfile's are.
func TestDevContainerImagePinned(t *testing.T) {
	t.Parallel()
	if image := readDevContainer(t).Image; !regexp.MustCompile(`^[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}$`).MatchString(image) {
		t.Errorf("the dev container's image %q is not pinned by digest", image)
	}
}

// TestMainBicep checks infra/main.bicep and main.parameters.json against
// the template and azure.yaml, and breaks each once.
func TestMainBicep(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(repoFile("infra/main.bicep"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(repoFile("infra/main.parameters.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pf struct {
		Parameters map[string]any `json:"parameters"`
	}
	if err := json.Unmarshal(raw, &pf); err != nil {
		t.Fatal(err)
	}
	template := readTemplate(t)
	if bad := mainBicepRules(readMainBicep(t, string(src)), template, pf.Parameters, "web"); len(bad) > 0 {
		t.Errorf("infra/main.bicep:\n%s", strings.Join(bad, "\n"))
	}
	for _, tt := range []struct{ rule, old, new string }{
		{"module", "'../azuredeploy.json'", "'./app.json'"},
		{"params", "    secretValue: secretValue\n", ""},
		{"params", "    location: location\n", "    location: location\n    region: location\n"},
		{"outputs", "app.outputs.keyVaultUri", "app.outputs.vaultUri"},
		{"outputs", "output KEY_VAULT_URL ", "output AZURE_KEY_VAULT_ENDPOINT "},
		{"outputs", "output WEBSITE_URL ", "output SERVICE_WEB_URI "},
		{"tags", "'azd-service-name': 'web'", "'azd-service-name': 'app'"},
		{"permissionModel", "permissionModel: 'rbac'", "permissionModel: 'accessPolicy'"},
		{"params", "    secretValue: secretValue\n", "    secretValue: 'changeme'\n"},
		{"params", "    location: location\n", "    location: 'eastus'\n"},
		{"developer", "    developerPrincipalId: principalId\n", ""},
	} {
		broken := strings.Replace(string(src), tt.old, tt.new, 1)
		if broken == string(src) {
			t.Fatalf("%s: %q is not in main.bicep", tt.rule, tt.old)
		}
		if bad := mainBicepRules(readMainBicep(t, broken), template, pf.Parameters, "web"); !catches(bad, tt.rule) {
			t.Errorf("rule %s did not catch its breakage; violations: %q", tt.rule, bad)
		}
	}
	if bad := mainBicepRules(readMainBicep(t, string(src)), template, map[string]any{"environmentName": 1}, "web"); len(bad) == 0 {
		t.Error("a parameters file without location passes")
	}
}

// TestDevContainer reads .devcontainer/devcontainer.json with the dev
// container CLI (@devcontainers/cli on npm) as VS Code and Codespaces
// would, and checks what it must hold: Go at go.mod's version, the Azure
// CLI and azd, and the tools the tests use. The CLI asks docker for a
// running container first; a docker that lists none stands in, since no
// Docker engine runs here.
func TestDevContainer(t *testing.T) {
	t.Parallel()
	cli, err := exec.LookPath("devcontainer")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no devcontainer on PATH: .ci/run installs it (npm install -g @devcontainers/cli)")
		}
		t.Skip("no devcontainer on PATH: npm install -g @devcontainers/cli to run this test")
	}
	docker := filepath.Join(t.TempDir(), "docker")
	if err := os.WriteFile(docker, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(cli, "read-configuration", "--workspace-folder", mustAbs(t, ".."), "--docker-path", docker).Output()
	if err != nil {
		t.Fatalf("devcontainer read-configuration: %v", err)
	}
	var got struct {
		Configuration struct {
			Features          map[string]map[string]any `json:"features"`
			PostCreateCommand string                    `json:"postCreateCommand"`
			ForwardPorts      []int                     `json:"forwardPorts"`
		} `json:"configuration"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	c := got.Configuration
	if v := c.Features["ghcr.io/devcontainers/features/go:1"]["version"]; v != goModVersion(t) {
		t.Errorf("the dev container's Go is %v; want go.mod's %s", v, goModVersion(t))
	}
	for _, f := range []string{"ghcr.io/devcontainers/features/azure-cli:1", "ghcr.io/azure/azure-dev/azd:0"} {
		if _, ok := c.Features[f]; !ok {
			t.Errorf("the dev container has no %s", f)
		}
	}
	for _, tool := range []string{"chromium", "zsh", "shellcheck"} {
		if !strings.Contains(c.PostCreateCommand, " "+tool) {
			t.Errorf("the dev container does not install %s, which the tests use: %q", tool, c.PostCreateCommand)
		}
	}
	if !slices.Contains(c.ForwardPorts, 8080) {
		t.Errorf("the dev container forwards %v; want 8080, where make demo and go run . listen", c.ForwardPorts)
	}
}

// goModVersion is the go directive of go.mod.
func goModVersion(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(repoFile("go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return string(m[1])
}
