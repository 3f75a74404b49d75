package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
)

// TestDemo runs make demo's flow: the app's binary against the stand-in,
// on the port asked for; / shows the stand-in's secret beside a stale Key Vault reference, and Ctrl-C (the
// context's end) stops both, cleanly.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the app")
	}
	url, printed, stop := startDemo(t, "-reference", "stale")
	resp, body := get(t, url+"/", "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, standin.DefaultSecret) || !strings.Contains(body, "resolved, a different value") {
		t.Errorf("GET / in the demo with -reference stale = %d; want 200, the stand-in's secret and its reference lagging\n%s", resp.StatusCode, body)
	}
	// The demo plays App Service with the variables it sets for every app:
	// its fixes name the app and its group, as they would on Azure.
	if site := "/resourceGroups/" + standin.ResourceGroup + "/providers/Microsoft.Web/sites/" + standin.SiteName + "/"; !strings.Contains(body, site) {
		t.Errorf("the demo's reference fix does not name the app (%s): App Service's WEBSITE_SITE_NAME and WEBSITE_RESOURCE_GROUP are not played\n%s", site, body)
	}
	if !strings.Contains(printed(), "open   http://localhost:"+strings.TrimPrefix(url, "http://127.0.0.1:")+"/") {
		t.Errorf("the demo does not tell where to open it:\n%s", printed())
	}
	// The app plays an Azure host, but serves this machine only.
	if !strings.Contains(printed(), "msg=listening addr=127.0.0.1:") || strings.Contains(printed(), "msg=listening addr=[::]:") {
		t.Errorf("the demo's app does not listen on loopback only:\n%s", printed())
	}
	if err := stop(); err != nil {
		t.Errorf("demo after Ctrl-C: %v; want a clean stop", err)
	}
}

// TestDemoFunctions: IDENTITY=functions plays a custom handler on Flex
// Consumption: the app listens on the port the Functions host gives it,
// the page names Azure Functions, and a fix names the function app and
// its group in az functionapp's words.
func TestDemoFunctions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the app")
	}
	url, _, stop := startDemo(t, "-identity", "functions", "-fault", "identitydown")
	_, body := get(t, url+"/", "application/json")
	for _, want := range []string{`"title":"Azure Functions managed identity (2019-08-01)`,
		`"command":"az functionapp restart --name ` + standin.FunctionApp + ` --resource-group ` + standin.ResourceGroup + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("IDENTITY=functions FAULT=identitydown: the page has no %s\n%s", want, body)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("demo after Ctrl-C: %v; want a clean stop", err)
	}
}

// startDemo builds the app and runs the demo with args on a free port
// until stop (Ctrl-C, the context's end); it returns the app's URL, what
// the demo has printed so far, and stop.
func startDemo(t *testing.T, args ...string) (url string, printed func() string, stop func() error) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "keyvault-msi-go")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	port, err := standin.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	// A file, not a buffer: the app's process writes to it too.
	stdout, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdout.Close() })
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-app", bin, "-port", port}, args...), func(k string) string { return map[string]string{"PATH": "/usr/bin:/bin"}[k] }, stdout, stdout)
	}()
	printed = func() string { b, _ := os.ReadFile(stdout.Name()); return string(b) }
	url = "http://127.0.0.1:" + port
	if _, err := standin.WaitForPing(url, 20*time.Second); err != nil {
		cancel()
		t.Fatalf("%v\n%s", err, printed())
	}
	return url, printed, func() error { cancel(); return <-done }
}

// get fetches url, asking for accept ("" for the browser's HTML).
func get(t *testing.T, url, accept string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

// TestDemoFaultHelp lists every fault the demo plays, with its page's
// status, and none it refuses.
func TestDemoFaultHelp(t *testing.T) {
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"-fault", "help"}, func(string) string { return "" }, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, f := range standin.FaultTable {
		listed := regexp.MustCompile(`(?m)^  ` + string(f.Fault) + ` `).MatchString(stdout.String())
		refused := run(context.Background(), []string{"-fault", string(f.Fault), "-app", "/nonexistent"}, func(string) string { return "" }, io.Discard, io.Discard)
		playable := refused == nil || !strings.Contains(refused.Error(), "-fault")
		if listed != playable {
			t.Errorf("FAULT=help lists %s: %v; the demo plays it: %v (%v)", f.Fault, listed, playable, refused)
		}
	}
}

// TestDemoReferenceChoice refuses a reference state it cannot play.
func TestDemoReferenceChoice(t *testing.T) {
	err := run(context.Background(), []string{"-reference", "half"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "resolved") {
		t.Errorf("-reference half: %v; want an error naming the states", err)
	}
}

// TestDemoFaultNeedsItsIdentity: a fault that plays on one identity only
// is refused with another, naming the one it needs, rather than serving a
// 200 page that says nothing of it.
func TestDemoFaultNeedsItsIdentity(t *testing.T) {
	err := run(context.Background(), []string{"-fault", "expiredsecret", "-identity", "appservice", "-app", "/nonexistent"},
		func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "IDENTITY=sp") {
		t.Errorf("FAULT=expiredsecret IDENTITY=appservice: %v; want it refused, naming IDENTITY=sp", err)
	}
}

// TestDemoAppEnv: the app gets the port where its host would, and the
// SHELL the demo was started from, and listens on loopback only (the
// demo's app plays an Azure host, which listens on every interface), so that on Windows from Git Bash the
// page writes bash's commands, and PowerShell's otherwise.
func TestDemoAppEnv(t *testing.T) {
	for _, tt := range []struct {
		id    standin.Identity
		shell string
		want  []string
	}{
		{standin.AppService, "/usr/bin/bash", []string{"PORT=8080", "LISTEN_ADDR=127.0.0.1", "SHELL=/usr/bin/bash"}},
		{standin.Functions, "", []string{"FUNCTIONS_CUSTOMHANDLER_PORT=8080", "LISTEN_ADDR=127.0.0.1"}},
	} {
		got := appEnv([]string{"KEY_VAULT_URL=x"}, tt.id, "8080", func(k string) string { return map[string]string{"SHELL": tt.shell}[k] })
		if want := append([]string{"KEY_VAULT_URL=x"}, tt.want...); !slices.Equal(got, want) {
			t.Errorf("appEnv(%s, SHELL=%q) = %q; want %q", tt.id, tt.shell, got, want)
		}
	}
}
