package deploy

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// rawTemplateURL is where the Deploy to Azure button fetches the template.
const rawTemplateURL = "https://raw.githubusercontent.com/Azure-Samples/keyvault-msi-go/main/azuredeploy.json"

func TestDeployButton(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(repoFile("README.md"))
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

// TestDeployScript runs .deployment's command the way KuduLite's custom
// builder does, then starts the result the way the Node image's generated
// startup script does, under each port variable a hosting route sets.
//
// KuduLite (Azure-App-Service/KuduLite): SiteBuilderFactory.cs picks
// CustomBuilder when .deployment has a command; ExternalCommandBuilder.cs
// runs it in the repository root through Scripts/starter.sh, which is
// `exec "$@"`, with DEPLOYMENT_SOURCE (the repository) and
// DEPLOYMENT_TARGET (wwwroot) set by ExternalCommandFactory.cs.
func TestDeployScript(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the app")
	}
	wwwroot := kuduBuild(t)
	// As after a zip deployment that dropped the executable bit: startup.sh restores it.
	if err := os.Chmod(filepath.Join(wwwroot, "keyvault-msi-go"), 0o644); err != nil {
		t.Fatal(err)
	}
	startup := templateStartupCommand(t)
	for _, portVar := range []string{"PORT", "HTTP_PLATFORM_PORT", "FUNCTIONS_CUSTOMHANDLER_PORT"} {
		t.Run(portVar, func(t *testing.T) {
			serveFromOryx(t, nil, wwwroot, startup, portVar)
		})
	}
}

// kuduBuild runs .deployment's command as KuduLite does, with the machine's
// Go in place of the download, and returns the DEPLOYMENT_TARGET it filled.
func kuduBuild(t *testing.T) string {
	t.Helper()
	script, err := os.ReadFile("build.sh")
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(repoFile("go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	pinned := regexp.MustCompile(`(?m)^GO_VERSION=(\S+)`).FindSubmatch(script)
	want := regexp.MustCompile(`(?m)^go (\S+)`).FindSubmatch(gomod)
	if pinned == nil || want == nil || string(pinned[1]) != string(want[1]) {
		t.Errorf("deploy/build.sh pins Go %s; go.mod says %s", pinned, want)
	}
	cfg, err := os.ReadFile(repoFile(".deployment"))
	if err != nil {
		t.Fatal(err)
	}
	// DeploymentSettingsProvider.cs reads .deployment as INI: [config] command = …
	m := regexp.MustCompile(`(?m)^\s*command\s*=\s*(.+?)\s*$`).FindSubmatch(cfg)
	if m == nil {
		t.Fatalf(".deployment = %q; want a [config] command", cfg)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	repo, wwwroot := mustAbs(t, ".."), t.TempDir()
	starter := filepath.Join(t.TempDir(), "starter.sh")
	if err := os.WriteFile(starter, []byte("#!/usr/bin/env bash\nexec \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A script just written may be briefly held open by a process another
	// test forked meanwhile: exec then fails with ETXTBSY (golang/go#22315),
	// and waiting a moment is the known remedy.
	for try := 0; ; try++ {
		cmd := exec.Command(starter, strings.Fields(string(m[1]))...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "DEPLOYMENT_SOURCE="+repo, "DEPLOYMENT_TARGET="+wwwroot, "DEPLOY_GO="+goBin)
		out, err := cmd.CombinedOutput()
		if errors.Is(err, syscall.ETXTBSY) && try < 10 {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v\n%s", m[1], err, out)
		}
		return wwwroot
	}
}

// templateStartupCommand is the startup command azuredeploy.json gives
// App Service, which deploy.yml must give it too.
func templateStartupCommand(t *testing.T) string {
	t.Helper()
	startup := str(readTemplate(t)["variables"].(map[string]any)["startupCommand"])
	workflow, err := os.ReadFile(repoFile(".github/workflows/deploy.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(workflow), "startup-command: "+startup) {
		t.Errorf("deploy.yml does not set startup-command: %s, as azuredeploy.json does", startup)
	}
	return startup
}

// oryxStart starts the app as the Node image does: Oryx writes a /bin/sh
// script that enters wwwroot and runs the site's startup command, prefixed
// with PATH, as its last line, with no exec of its own (microsoft/Oryx,
// src/startupscriptgenerator/src/node/scriptgenerator.go,
// GenerateEntrypointScript; common/fsvalidation.go, ExtendPathForCommand).
// The script runs under the command under (such as unshare), when it is
// not nil.
func oryxStart(t *testing.T, under []string, wwwroot, startupCommand string, env ...string) *exec.Cmd {
	t.Helper()
	command := strings.ReplaceAll(startupCommand, "/home/site/wwwroot", wwwroot)
	script := "#!/bin/sh\n\n# Enter the source directory to make sure the script runs where the user expects\n" +
		"cd \"" + wwwroot + "\"\n\nexport NODE_PATH=/usr/local/lib/node_modules:$NODE_PATH\n" +
		"PATH=\"$PATH:" + wwwroot + "\" " + command + "\n"
	path := filepath.Join(t.TempDir(), "startup.sh")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	argv := append(append([]string(nil), under...), "/bin/sh", path)
	app := exec.Command(argv[0], argv[1:]...)
	app.Env = append(env, "PATH=/usr/bin:/bin")
	// A file, not a pipe: a process that outlives the script (see
	// TestOryxStartupSignals) would hold a pipe open and stall Wait.
	logs, err := os.Create(filepath.Join(t.TempDir(), "app.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logs.Close() })
	app.Stdout = logs
	// Its own process group, so that cleanup also ends a process that
	// outlived the script.
	app.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-app.Process.Pid, syscall.SIGKILL)
		_ = app.Wait() // an error once the test has waited: nothing to do
	})
	return app
}

// serveFromOryx starts the app through Oryx's script (oryxStart) with
// portVar set to a free port, and returns it once it answers /ping there,
// with the URL it serves.
func serveFromOryx(t *testing.T, under []string, wwwroot, startupCommand, portVar string) (*exec.Cmd, string) {
	t.Helper()
	port := freePort(t)
	app := oryxStart(t, under, wwwroot, startupCommand, portVar+"="+port)
	url := listeningURL(t, app.Stdout.(*os.File).Name(), port)
	waitForPing(t, url, 10*time.Second)
	return app, url
}

// TestOryxStartupSignals sends SIGTERM to the process the Node image
// starts (Oryx's script), as App Service does when it stops a container,
// and checks who receives it. With the template's `exec …` startup
// command the script becomes the app, which shuts down gracefully; with
// the command run as the script's child, SIGTERM ends only /bin/sh and the
// app runs on, unaware, until the platform kills it.
func TestOryxStartupSignals(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the app")
	}
	wwwroot := kuduBuild(t)
	tests := []struct {
		name         string
		command      string
		wantGraceful bool
	}{
		{"the template's command", templateStartupCommand(t), true},
		{"without exec", strings.TrimPrefix(templateStartupCommand(t), "exec "), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app, url := serveFromOryx(t, nil, wwwroot, tt.command, "PORT")
			if err := app.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- app.Wait() }()
			select {
			case err := <-exited:
				logs, _ := os.ReadFile(app.Stdout.(*os.File).Name())
				graceful := err == nil && strings.Contains(string(logs), "shutting down")
				if graceful != tt.wantGraceful {
					t.Errorf("after SIGTERM: exit %v, app's log %q; want graceful shutdown %v", err, logs, tt.wantGraceful)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the started process did not exit within 10s of SIGTERM")
			}
			resp, err := http.Get(url + "/ping")
			if err == nil {
				resp.Body.Close()
			}
			if stillServing := err == nil; stillServing == tt.wantGraceful {
				t.Errorf("after the started process exited, /ping still answers: %v; want %v", stillServing, !tt.wantGraceful)
			}
		})
	}
}

// TestFunctionsFiles checks the Azure Functions custom-handler files parse,
// start this binary, forward HTTP as is, and that the host routes / and
// /ping to the functions that forward them to the app.
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
	readJSON(t, repoFile("functions/host.json"), &host)
	if got := host.CustomHandler.Description.DefaultExecutablePath; got != "keyvault-msi-go" {
		t.Errorf("defaultExecutablePath = %q; want keyvault-msi-go", got)
	}
	if !host.CustomHandler.EnableForwardingHTTPRequest {
		t.Error("enableForwardingHttpRequest is not true: the app would not see the original path")
	}
	if p := host.Extensions.HTTP.RoutePrefix; p == nil || *p != "" {
		t.Error(`extensions.http.routePrefix is not "": routes would gain an /api prefix`)
	}

	routes := map[string]string{} // function → the route the host maps
	for _, fn := range []string{"index", "ping"} {
		var f struct {
			Bindings []struct {
				Type      string   `json:"type"`
				Route     string   `json:"route"`
				Methods   []string `json:"methods"`
				AuthLevel string   `json:"authLevel"`
			} `json:"bindings"`
		}
		readJSON(t, repoFile(filepath.Join("functions", fn, "function.json")), &f)
		if len(f.Bindings) != 2 || f.Bindings[0].Type != "httpTrigger" || f.Bindings[1].Type != "http" {
			t.Errorf("%s/function.json: want an httpTrigger and an http output; got %+v", fn, f.Bindings)
			continue
		}
		// Any other level asks for a function key: / and /ping would answer
		// 401 to a browser and to the smoke test (Azure Functions docs,
		// "HTTP trigger": authLevel).
		if got := f.Bindings[0].AuthLevel; got != "anonymous" {
			t.Errorf("function %s authLevel = %q; want anonymous", fn, got)
		}
		if !slices.Equal(f.Bindings[0].Methods, []string{"get", "head"}) {
			t.Errorf("function %s methods = %q; want get and head", fn, f.Bindings[0].Methods)
		}
		// The host maps an empty route to the function's name
		// (Azure/azure-functions-host, WebScriptHostHttpRoutesManager.cs).
		routes[fn] = cmp.Or(f.Bindings[0].Route, fn)
	}
	if testing.Short() {
		return // what follows builds the app
	}
	// The app as the Functions host starts it: no KEY_VAULT_URL, so / is the configuration page.
	_, url := serveFromOryx(t, nil, kuduBuild(t), templateStartupCommand(t), "PORT")
	for path, want := range map[string]struct {
		fn     string
		status int
	}{"/": {"index", http.StatusInternalServerError}, "/ping": {"ping", http.StatusOK}, "/index": {"", 0}} {
		var matched []string
		for fn, route := range routes {
			if functionsRouteMatches(route, path) {
				matched = append(matched, fn)
			}
		}
		if want.fn == "" {
			if len(matched) != 0 {
				t.Errorf("the host routes %s to %q; want no function", path, matched)
			}
			continue
		}
		if len(matched) != 1 || matched[0] != want.fn {
			t.Errorf("the host routes %s to %q; want %s (routes: %v)", path, matched, want.fn, routes)
			continue
		}
		// enableForwardingHttpRequest: the app sees the request's own path.
		if got := get(t, url+path); got != want.status {
			t.Errorf("the app answers %s with %d; want %d", path, got, want.status)
		}
	}
}

// functionsRouteMatches models ASP.NET Core's route templates as the
// Functions host uses them (routePrefix ""): literal segments, and
// parameters {name}, {name?} (optional), {*name} (catch-all) with a
// maxlength(n) constraint. The README's workaround for the root,
// {ignored:maxlength(0)?}, matches only the empty path
// (Azure/Azure-Functions#2473).
func functionsRouteMatches(template, path string) bool {
	segs := strings.FieldsFunc(path, func(r rune) bool { return r == '/' })
	parts := strings.FieldsFunc(template, func(r rune) bool { return r == '/' })
	for i, part := range parts {
		if !strings.HasPrefix(part, "{") {
			if i >= len(segs) || !strings.EqualFold(segs[i], part) {
				return false
			}
			continue
		}
		spec := strings.Trim(part, "{}")
		if strings.HasPrefix(spec, "*") {
			return true
		}
		optional := strings.HasSuffix(spec, "?")
		if i >= len(segs) {
			if !optional {
				return false
			}
			continue
		}
		if m := regexp.MustCompile(`maxlength\((\d+)\)`).FindStringSubmatch(spec); m != nil {
			if n, _ := strconv.Atoi(m[1]); len(segs[i]) > n {
				return false
			}
		}
	}
	return len(segs) <= len(parts)
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

// TestBuildScriptDownload runs deploy/build.sh's download branch, as on
// App Service where no Go is installed, with a curl stand-in first on
// PATH: a toolchain whose checksum does not match is refused and nothing
// is built; one that matches is unpacked, built with, and kept for the
// next deployment.
func TestBuildScriptDownload(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the app")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	// A toolchain archive whose go runs the machine's own.
	archive := filepath.Join(t.TempDir(), "go.tar.gz")
	tree := t.TempDir()
	if err := os.MkdirAll(filepath.Join(tree, "go", "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "go", "bin", "go"), []byte("#!/bin/sh\nexec "+goBin+" \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tar", "-C", tree, "-czf", archive, "go").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	sum, err := exec.Command("sha256sum", archive).Output()
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile("build.sh")
	if err != nil {
		t.Fatal(err)
	}
	matching := regexp.MustCompile(`(?m)^GO_SHA256=\S+`).ReplaceAll(script, []byte("GO_SHA256="+strings.Fields(string(sum))[0]))

	for _, tt := range []struct {
		name   string
		script []byte
		ok     bool
	}{
		{"checksum mismatch", script, false}, // a working toolchain, but not the one pinned
		{"checksum match", matching, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bin, cache, wwwroot := t.TempDir(), t.TempDir(), t.TempDir()
			// A toolchain an earlier deployment left: a new one replaces it.
			old := filepath.Join(cache, "go1.25.0", "bin")
			if err := os.MkdirAll(old, 0o755); err != nil {
				t.Fatal(err)
			}
			buildSh := filepath.Join(t.TempDir(), "build.sh")
			if err := os.WriteFile(buildSh, tt.script, 0o755); err != nil {
				t.Fatal(err)
			}
			// curl -fsSL --retry 3 -o FILE URL: write to FILE, log the URL.
			body := "cp '" + archive + "' \"$out\""
			curl := "#!/bin/sh\nwhile [ $# -gt 1 ]; do [ \"$1\" = -o ] && out=$2; shift; done\necho \"$1\" >> " + filepath.Join(bin, "curl.log") + "\n" + body + "\n"
			if err := os.WriteFile(filepath.Join(bin, "curl"), []byte(curl), 0o755); err != nil {
				t.Fatal(err)
			}
			run := func() ([]byte, error) {
				cmd := exec.Command("bash", buildSh)
				cmd.Dir = mustAbs(t, "..")
				cmd.Env = append(os.Environ(), "PATH="+bin+":/usr/bin:/bin", "DEPLOYMENT_SOURCE="+mustAbs(t, ".."), "DEPLOYMENT_TARGET="+wwwroot,
					"GO_TOOLCHAIN_DIR="+cache, "DEPLOY_GO=")
				return cmd.CombinedOutput()
			}
			out, err := run()
			_, built := os.Stat(filepath.Join(wwwroot, "keyvault-msi-go"))
			if !tt.ok {
				if err == nil || built == nil || !strings.Contains(string(out), "checksum mismatch") {
					t.Errorf("a toolchain with the wrong checksum: exit %v, built %v:\n%s\nwant a failure, nothing built", err, built == nil, out)
				}
				if left, _ := filepath.Glob(filepath.Join(cache, "*.tar.gz")); len(left) > 0 {
					t.Errorf("the refused archive is left in the cache: %v", left)
				}
				return
			}
			if err != nil || built != nil {
				t.Fatalf("a matching toolchain: %v, built: %v\n%s", err, built == nil, out)
			}
			if _, err := os.Stat(old); !os.IsNotExist(err) {
				t.Errorf("the older toolchain %s is still in the cache (%v): each costs about 250 MB of the app's storage", old, err)
			}
			if !regexp.MustCompile(`(?m)^Go toolchain cache: \S+ in ` + regexp.QuoteMeta(cache) + ` \(one toolchain, Go `).Match(out) {
				t.Errorf("the build does not say how much of the app's storage its toolchain cache takes:\n%s", out)
			}
			if _, err := run(); err != nil {
				t.Fatalf("second deployment: %v", err)
			}
			if calls, _ := os.ReadFile(filepath.Join(bin, "curl.log")); strings.Count(string(calls), "\n") != 1 ||
				!strings.Contains(string(calls), "https://go.dev/dl/go") {
				t.Errorf("curl was called for %q; want go.dev once: the second deployment reuses the toolchain", calls)
			}
		})
	}
}

// TestWorkflows checks the GitHub workflows for what a user relies on: CI
// runs the README's commands; the deployment tests first, signs in with
// OpenID Connect (which needs id-token: write), and smoke-tests /ping.
func TestWorkflows(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		file  string
		lines []string // each a whole line of the file, trimmed, in this order
	}{
		{".github/workflows/ci.yml", []string{"run: make lint", "run: make test", "runner: [macos-latest, windows-latest]", "runs-on: ${{ matrix.runner }}", "run: go test -race -count=1 ./...", "shell: bash", "run: az bicep build --file infra/main.bicep --stdout > /dev/null"}},
		// azd pipeline config's shape: OIDC, provision, deploy, then /ping.
		{".github/workflows/azure-dev.yml", []string{"run: make test", "id-token: write", "- uses: Azure/setup-azd@0b7e3a35ab00f2eee7080c845eb39c3f0ebfa553 # v2.4.0",
			`run: azd auth login --client-id "$AZURE_CLIENT_ID" --federated-credential-provider github --tenant-id "$AZURE_TENANT_ID"`,
			"run: azd provision --no-prompt", "SECRET_VALUE: ${{ secrets.SECRET_VALUE }}", "run: azd deploy --no-prompt",
			`run: curl --fail --retry 10 --retry-delay 6 --retry-all-errors "$(azd env get-value WEBSITE_URL)/ping"`}},
		{".github/workflows/deploy.yml", []string{"run: make test", "name: app", "id-token: write", "name: app",
			"- uses: azure/login@f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca # v3.0.1", "- uses: azure/webapps-deploy@02a81bead70021f5284939794bcec79c271ab383 # v3.0.8",
			`run: curl --fail --retry 10 --retry-delay 6 --retry-all-errors "https://${{ vars.AZURE_WEBAPP_NAME }}.azurewebsites.net/ping"`}},
		{".github/workflows/template-validation.yml", []string{"pull_request:", "- uses: microsoft/security-devops-action@08976cb623803b1b36d7112d4ff9f59eae704de0 # v1.12.0",
			"- uses: microsoft/template-validation-action@bae4895d0a8abd4f0d5aad68ae8647b3027f4c91 # v0.4.4"}},
	} {
		raw, err := os.ReadFile(repoFile(tt.file))
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, l := range strings.Split(string(raw), "\n") {
			lines = append(lines, strings.TrimSpace(l))
		}
		at := 0
		for _, want := range tt.lines {
			i := slices.Index(lines[at:], want)
			if i < 0 {
				t.Errorf("%s has no line %q after line %d", tt.file, want, at)
				continue
			}
			at += i + 1
		}
		for _, bad := range workflowRules(t, raw) {
			t.Errorf("%s: %s", tt.file, bad)
		}
	}
}

// workflow is the part of a GitHub workflow the rules read.
type workflow struct {
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		If          string            `yaml:"if"`
		Environment any               `yaml:"environment"`
		Needs       any               `yaml:"needs"`
		Permissions map[string]string `yaml:"permissions"`
		Steps       []struct {
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// usesPinned is an action pinned by its commit, with the tag in a comment,
// which yaml drops: "owner/repo@<40 hex digits>".
var usesPinned = regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)

// workflowRules are the rules a workflow's jobs keep (GitHub's "Security
// hardening for GitHub Actions"): every action pinned by a full commit SHA,
// which a moved tag cannot change; checkout keeps no token in the work
// tree; no job that can mint an OpenID Connect token (id-token: write)
// runs the tests, and so every test dependency's code; none has it by
// default.
func workflowRules(t *testing.T, raw []byte) []string {
	var wf workflow
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatal(err)
	}
	var bad []string
	if wf.Permissions["id-token"] != "" {
		bad = append(bad, "the workflow's own permissions grant id-token: every job may mint a token")
	}
	for name, job := range wf.Jobs {
		for _, step := range job.Steps {
			if step.Uses != "" && !usesPinned.MatchString(step.Uses) {
				bad = append(bad, fmt.Sprintf("job %s uses %s, not pinned by a commit SHA", name, step.Uses))
			}
			if strings.HasPrefix(step.Uses, "actions/checkout@") && step.With["persist-credentials"] != "false" {
				bad = append(bad, fmt.Sprintf("job %s checks out without persist-credentials: false", name))
			}
			if job.Permissions["id-token"] == "write" && regexp.MustCompile(`\bmake test\b|\bgo test\b`).MatchString(step.Run) {
				bad = append(bad, fmt.Sprintf("job %s can mint the production identity's token and runs the tests (%q)", name, step.Run))
			}
		}
	}
	return bad
}

// TestWorkflowRules breaks a workflow one way per rule.
func TestWorkflowRules(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(repoFile(".github/workflows/deploy.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, old, new string }{
		{"a tag", "actions/setup-go@b7ad1dad31e06c5925ef5d2fc7ad053ef454303e # v7.0.0", "actions/setup-go@v7"},
		{"a short SHA", "azure/login@f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca", "azure/login@f5d393a"},
		{"a kept token", "persist-credentials: false", "persist-credentials: true"},
		{"tests beside the token", "      - uses: azure/login@", "      - run: make test\n      - uses: azure/login@"},
		{"a token for every job", "permissions:\n  contents: read\n", "permissions:\n  contents: read\n  id-token: write\n"},
	} {
		broken := strings.Replace(string(raw), tt.old, tt.new, 1)
		if broken == string(raw) {
			t.Fatalf("%s: deploy.yml has no %q to break", tt.name, tt.old)
		}
		if bad := workflowRules(t, []byte(broken)); len(bad) == 0 {
			t.Errorf("%s: no rule caught it", tt.name)
		}
	}
}

// TestGitAttributes: every script in the repository (a file that starts
// with #!) and every file Kudu, Oryx or Docker reads keeps LF endings in
// a Windows checkout, as .gitattributes says.
func TestGitAttributes(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(repoFile(".gitattributes"))
	if err != nil {
		t.Fatal(err)
	}
	var lf []string // patterns with eol=lf
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) > 1 && !strings.HasPrefix(f[0], "#") && slices.Contains(f[1:], "eol=lf") {
			lf = append(lf, f[0])
		}
	}
	keepsLF := func(rel string) bool {
		return slices.ContainsFunc(lf, func(p string) bool {
			if !strings.Contains(p, "/") {
				ok, _ := filepath.Match(p, filepath.Base(rel))
				return ok
			}
			return p == rel
		})
	}
	var checked int
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			if d != nil && d.IsDir() && (d.Name() == ".git" || d.Name() == "screenshots" || d.Name() == "bin") {
				return filepath.SkipDir
			}
			return err
		}
		rel, _ := filepath.Rel("..", path)
		head := make([]byte, 2)
		if f, err := os.Open(path); err == nil {
			_, _ = f.Read(head)
			f.Close()
		}
		if string(head) == "#!" || rel == ".deployment" || rel == "Dockerfile" {
			checked++
			if !keepsLF(rel) {
				t.Errorf("%s is not kept with LF endings by .gitattributes: a Windows checkout breaks it on Linux", rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 5 {
		t.Errorf("only %d scripts found; want build.sh, startup.sh, .ci/run, .deployment and the Dockerfile at least", checked)
	}
}

// TestOryxStartupSignalsAsPID1: in a container, Oryx's script is PID 1 of
// its PID namespace, and the kernel delivers to PID 1 only the signals it
// has a handler for (pid_namespaces(7)). /bin/sh sets none for SIGTERM:
// without exec, SIGTERM is dropped, and the script and the app both serve
// on until SIGKILL. With the template's exec the app is PID 1, and Go's
// handler shuts it down gracefully. Runs where a PID namespace can be made.
func TestOryxStartupSignalsAsPID1(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the app")
	}
	pidNS := []string{"unshare", "-p", "-f", "--mount-proc", "--kill-child"}
	if out, err := exec.Command(pidNS[0], append(pidNS[1:], "true")...).CombinedOutput(); err != nil {
		t.Skipf("no PID namespace here (%v: %s)", err, out)
	}
	wwwroot := kuduBuild(t)
	for _, tt := range []struct {
		name         string
		command      string
		wantGraceful bool
	}{
		{"the template's command", templateStartupCommand(t), true},
		{"without exec", strings.TrimPrefix(templateStartupCommand(t), "exec "), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			app, url := serveFromOryx(t, pidNS, wwwroot, tt.command, "PORT")
			if err := syscall.Kill(namespaceInit(t, app.Process.Pid), syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- app.Wait() }()
			select {
			case err := <-exited:
				logs, _ := os.ReadFile(app.Stdout.(*os.File).Name())
				if !tt.wantGraceful || err != nil || !strings.Contains(string(logs), "shutting down") {
					t.Errorf("after SIGTERM to PID 1: exit %v, app's log %q; want graceful shutdown %v", err, logs, tt.wantGraceful)
				}
			case <-time.After(3 * time.Second):
				if tt.wantGraceful {
					t.Fatal("the app, PID 1, did not exit within 3s of SIGTERM")
				}
				if got := get(t, url+"/ping"); got != http.StatusOK {
					t.Errorf("3s after a dropped SIGTERM /ping = %d; want the app still serving", got)
				}
				// As App Service does after its grace; and Wait must end before cleanup's.
				_ = syscall.Kill(-app.Process.Pid, syscall.SIGKILL)
				<-exited
			}
		})
	}
}

// namespaceInit is the host PID of the process unshare (pid) forked to be
// PID 1 of the new namespace: its only child.
func namespaceInit(t *testing.T, pid int) int {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		raw, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
		if f := strings.Fields(string(raw)); len(f) == 1 {
			child, err := strconv.Atoi(f[0])
			if err == nil {
				return child
			}
		}
	}
	t.Fatalf("unshare (pid %d) forked no namespace init within 5s", pid)
	return 0
}

// TestDependabot: dependabot watches every kind of dependency the project
// pins: Go modules, the workflows' actions (pinned by commit, which it
// updates with their tag comments), the Dockerfile's images and the dev
// container's features.
func TestDependabot(t *testing.T) {
	t.Parallel()
	var cfg struct {
		Updates []struct {
			Ecosystem string `yaml:"package-ecosystem"`
			Directory string `yaml:"directory"`
		} `yaml:"updates"`
	}
	if err := yaml.Unmarshal([]byte(readRepoFile(t, ".github/dependabot.yml")), &cfg); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range cfg.Updates {
		got = append(got, u.Ecosystem+" "+u.Directory)
	}
	for _, want := range []string{"gomod /", "github-actions /", "docker /", "devcontainers /"} {
		if !slices.Contains(got, want) {
			t.Errorf("dependabot.yml updates %q; want %q among them", got, want)
		}
	}
}

// TestFunctionsPlan: the Functions route creates its app on Flex
// Consumption, and no command in the docs names the Linux Consumption
// plan, which retires on 2028-09-30 (Learn, "Azure Functions hosting
// options").
func TestFunctionsPlan(t *testing.T) {
	t.Parallel()
	var creates []string
	for _, doc := range []string{"README.md", "docs/deploy.md", "docs/troubleshooting.md", "docs/identity.md", "docs/scaling.md", "docs/references.md"} {
		text := readRepoFile(t, doc)
		for _, block := range regexp.MustCompile("(?s)```(?:sh|bash)\n(.*?)```").FindAllStringSubmatch(text, -1) {
			command := strings.ReplaceAll(block[1], "\\\n", " ") // continued lines, joined
			for _, line := range strings.Split(command, "\n") {
				if strings.Contains(line, "--consumption-plan-location") {
					t.Errorf("%s creates an app on the retiring Linux Consumption plan: %s", doc, line)
				}
				if strings.HasPrefix(strings.TrimSpace(line), "az functionapp create ") {
					creates = append(creates, line)
				}
			}
		}
	}
	if len(creates) == 0 || !slices.ContainsFunc(creates, func(c string) bool {
		return strings.Contains(c, "--flexconsumption-location ") && strings.Contains(c, "--runtime custom")
	}) {
		t.Errorf("the docs create the function app with %q; want one on Flex Consumption (--flexconsumption-location) as a custom handler", creates)
	}
}
