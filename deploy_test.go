package main

import (
	"encoding/json"
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
