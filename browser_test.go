package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// TestBrowser opens the page in headless Chromium: the secret and the
// principal are visible, a hostile secret is shown as text and runs
// nothing, and the 403 page shows the object ID and the fix. Screenshots go
// to screenshots/, which git ignores.
func TestBrowser(t *testing.T) {
	t.Parallel()
	browserCtx := startBrowser(t)

	hostile := `<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>`
	tests := []struct {
		name    string
		secret  string
		fault   standin.Fault
		checks  map[string]string // selector → text it must contain
		shotTag string
	}{
		{"secret", standin.DefaultSecret, "", map[string]string{
			"#secret-value": standin.DefaultSecret, "#principal-oid": standin.ManagedIdentityOID, "#principal": "App Service managed identity (2017-09-01)",
		}, "secret"},
		{"hostile secret", hostile, "", map[string]string{"#secret-value": hostile}, "hostile-secret"},
		{"forbidden", standin.DefaultSecret, standin.FaultRBAC, map[string]string{
			"#problem-title": "Key Vault denied access (Azure RBAC)", "#problem-cause": standin.ManagedIdentityOID,
			"#fixes": "az role assignment create --role 'Key Vault Secrets User' --assignee-object-id " + standin.ManagedIdentityOID,
		}, "forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startStandIn(t, standin.Options{Secrets: map[string]string{"secret": tt.secret}})
			s.SetFault(tt.fault)
			app := startApp(t, envFor(t, s, standin.AppServiceLegacy), s)
			tab, cancel := chromedp.NewContext(browserCtx)
			defer cancel()
			tab, cancel = context.WithTimeout(tab, 30*time.Second)
			defer cancel()

			if err := chromedp.Do(tab, chromedp.Navigate(app.URL+"/"), chromedp.WaitReady("body"),
				chromedp.Sleep(200*time.Millisecond)); err != nil { // time for an injected handler to fire, had one got through
				t.Fatal(err)
			}
			for sel, want := range tt.checks {
				got, err := chromedp.Run(tab, chromedp.TextContent(sel))
				if err != nil || !strings.Contains(got, want) {
					t.Errorf("%s shows %q (%v); want it to contain %q", sel, got, err, want)
				}
			}
			title, err := chromedp.Run(tab, chromedp.Title())
			if err != nil {
				t.Fatal(err)
			}
			// Every img or script but the page's own (the Copy buttons').
			active, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll("img").length + `+
				`[...document.scripts].filter(s => s.textContent !== `+strconv.Quote(copyScript(t))+`).length`))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(title, "pwned") || active != 0 {
				t.Errorf("page title %q, %d img/script elements; want the hostile secret inert", title, active)
			}
			shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100)) // 100: PNG
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("screenshots", tt.shotTag+".png"), shot, 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestBrowserFixLayout opens the 403, no-identity and Key Vault reference pages on a phone's
// width and a desktop's: every command word stays on one line (the page
// breaks commands at spaces only, never inside a token such as
// --assignee-object-id), and the page itself never scrolls sideways.
// Screenshots go to screenshots/, to be looked at.
func TestBrowserFixLayout(t *testing.T) {
	t.Parallel()
	browserCtx := startBrowser(t)
	onAppService := []string{"WEBSITE_SITE_NAME", "kvmsigo-demo-app", "WEBSITE_RESOURCE_GROUP", "kvmsigo-rg"}
	pages := []struct {
		name  string
		fault standin.Fault
		ref   standin.Reference
		env   []string
		wait  string // the element the page must have
	}{
		{"forbidden", standin.FaultRBAC, "", nil, "#fixes"},
		// Key Vault's message names the caller as one long appid=…;oid=…;iss=… word.
		{"forbidden-by-policy", standin.FaultForbidden, "", nil, "#fixes"},
		{"no-identity", "", "", append([]string{"MSI_ENDPOINT", "", "MSI_SECRET", ""}, onAppService...), "#fixes"},
		{"reference-same", "", standin.ReferenceResolved, onAppService, "#reference"},
		{"reference-stale", "", standin.ReferenceStale, onAppService, "#reference-fixes"},
		{"reference-unresolved", "", standin.ReferenceUnresolved, onAppService, "#reference-fixes"},
	}
	for _, pg := range pages {
		for _, width := range []int64{360, 1280} {
			t.Run(fmt.Sprintf("%s %dpx", pg.name, width), func(t *testing.T) {
				s := startStandIn(t, standin.Options{Reference: pg.ref})
				s.SetFault(pg.fault)
				env := envFor(t, s, standin.AppServiceLegacy, pg.env...)
				env["PATH"] = t.TempDir()
				app := startApp(t, env, s)
				tab, cancel := chromedp.NewContext(browserCtx)
				defer cancel()
				tab, cancel = context.WithTimeout(tab, 30*time.Second)
				defer cancel()
				if err := chromedp.Do(tab, chromedp.EmulateViewport(width, 800), chromedp.Navigate(app.URL+"/"), chromedp.WaitReady(pg.wait)); err != nil {
					t.Fatal(err)
				}
				checkLayout(t, tab, fmt.Sprintf("%s-%d.png", pg.name, width), pg.wait != "#reference")
			})
		}
	}
}

// TestBrowserFailureLayout opens every failure page of TestFailures'
// table at a phone's width, where a long command or a long word of
// Azure's message would push the page sideways, and at a desktop's, and
// checks its layout.
func TestBrowserFailureLayout(t *testing.T) {
	t.Parallel()
	checkFailureLayouts(t, "failure", func(t *testing.T, tt failureCase) testApp {
		_, _, app := startFailure(t, tt)
		return app
	})
}

// TestBrowserPowerShellLayout: every failure page as the app shows it on
// Windows, its commands in PowerShell (whose quoting makes some words
// longer), at 360 and 1280 px.
func TestBrowserPowerShellLayout(t *testing.T) {
	t.Parallel()
	checkFailureLayouts(t, "powershell", func(t *testing.T, tt failureCase) testApp {
		s, env := failureEnv(t, tt)
		cfg := loadConfig(mapEnv(env))
		cfg.PowerShell = true
		return serveApp(t, cfg, s)
	})
}

// checkFailureLayouts opens every failure page, each served by start, at
// 360 and 1280 px, and checks its layout (checkLayout).
func checkFailureLayouts(t *testing.T, prefix string, start func(*testing.T, failureCase) testApp) {
	browserCtx := startBrowser(t)
	certFile := filepath.Join(t.TempDir(), "sp.pem")
	if err := standin.WriteClientCertificate(certFile); err != nil {
		t.Fatal(err)
	}
	for _, tt := range failureCases(certFile) {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // pages that wait out retries wait together
			app := start(t, tt)
			tab, cancel := chromedp.NewContext(browserCtx)
			defer cancel()
			tab, cancel = context.WithTimeout(tab, 90*time.Second)
			defer cancel()
			name := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(tt.name), "-"), "-")
			for _, width := range []int64{360, 1280} {
				if err := chromedp.Do(tab, chromedp.EmulateViewport(width, 800), chromedp.Navigate(app.URL+"/"), chromedp.WaitReady("body")); err != nil {
					t.Fatal(err)
				}
				checkLayout(t, tab, fmt.Sprintf("%s-%s-%d.png", prefix, name, width), len(tt.wantFixes) > 0)
			}
		})
	}
}

// checkLayout checks the page open in tab: no command word broken though
// it fits a line, no command cut at its box's edge, no sideways scroll;
// and saves its screenshot to screenshots/shotName. A page that needs
// commands must show some.
func checkLayout(t *testing.T, tab context.Context, shotName string, needsCommands bool) {
	t.Helper()
	// A command word breaks across lines only when it is wider than
	// its box on its own line; no command is cut at its box's edge;
	// the page never scrolls sideways.
	layout, err := chromedp.Run(tab, chromedp.Evaluate[struct {
		Words    int      `json:"words"`
		Broken   []string `json:"broken"`
		Clipped  []string `json:"clipped"`
		Overflow bool     `json:"overflow"`
	}](`(() => {
		const words = [...document.querySelectorAll("pre.cmd span")];
		const alone = w => {
			const probe = document.createElement("span");
			probe.style.whiteSpace = "nowrap";
			probe.textContent = w.textContent;
			w.parentElement.appendChild(probe);
			const wide = probe.getBoundingClientRect().width > w.closest("pre").clientWidth;
			probe.remove();
			return wide;
		};
		return {
			words: words.length,
			broken: words.filter(w => w.getClientRects().length > 1 && !alone(w)).map(w => w.textContent),
			clipped: [...document.querySelectorAll("pre.cmd")].filter(p => p.scrollWidth > p.clientWidth).map(p => p.textContent),
			overflow: document.documentElement.scrollWidth > window.innerWidth,
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if (layout.Words == 0 && needsCommands) || len(layout.Broken) > 0 || len(layout.Clipped) > 0 || layout.Overflow {
		t.Errorf("%d command words; broken across lines though they fit a line: %q; cut at the box's edge: %q; page scrolls sideways: %v",
			layout.Words, layout.Broken, layout.Clipped, layout.Overflow)
	}
	shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("screenshots", shotName), shot, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserCopy clicks each Copy button on the 403 page, as a user
// would, and reads the clipboard back: exactly the command the JSON view
// gives, in order. The page holds each command as text too, for a browser
// without the script.
func TestBrowserCopy(t *testing.T) {
	t.Parallel()
	browserCtx := startBrowser(t)
	for _, tt := range []struct {
		name string
		env  func(s *standin.Server) map[string]string
	}{
		{"one command (RBAC denial)", func(s *standin.Server) map[string]string {
			s.SetFault(standin.FaultRBAC)
			return envFor(t, s, standin.AppServiceLegacy, "WEBSITE_SITE_NAME", "kvmsigo-demo-app", "WEBSITE_RESOURCE_GROUP", "kvmsigo-rg")
		}},
		{"a command per tool (every developer tool signed out)", func(s *standin.Server) map[string]string {
			dir := t.TempDir()
			for _, write := range []func(string, standin.AzState) error{s.WriteAzCLI, s.WriteAzd, s.WritePwsh} {
				if err := write(dir, standin.AzLoggedOut); err != nil {
					t.Fatal(err)
				}
			}
			return envFor(t, s, standin.AzureCLI, "PATH", dir, "AZURE_TENANT_ID", standin.Tenant)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := startStandIn(t, standin.Options{})
			app := startApp(t, tt.env(s), s)
			checkCopyButtons(t, browserCtx, app.URL)
		})
	}
}

// checkCopyButtons opens the failure page at url and clicks each Copy
// button in turn: each puts exactly its command on the clipboard, in the
// order of the JSON view's fixes, and then says Copied.
func checkCopyButtons(t *testing.T, browserCtx context.Context, url string) {
	t.Helper()
	_, body := fetch(t, "GET", url+"/", "application/json")
	var v view
	if err := json.Unmarshal([]byte(body), &v); err != nil || v.Problem == nil {
		t.Fatalf("%v: %s", err, body)
	}
	var want []string
	for _, f := range v.Problem.Fixes {
		if f.Command != "" {
			want = append(want, f.Command)
		}
	}
	tab, cancel := chromedp.NewContext(browserCtx)
	defer cancel()
	tab, cancel = context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(tab, chromedp.Navigate(url+"/"), chromedp.WaitReady("button.copy")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(tab, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name}, Setting: browser.PermissionSettingGranted, Origin: url}); err != nil {
			t.Fatal(err)
		}
	}
	buttons, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll("#fixes button.copy").length`))
	if err != nil || buttons != len(want) {
		t.Fatalf("%d Copy buttons (%v); want one per command, %d", buttons, err, len(want))
	}
	for i, command := range want {
		button := fmt.Sprintf(`document.querySelectorAll("#fixes button.copy")[%d]`, i)
		if _, err := chromedp.Run(tab, chromedp.Evaluate[any](button+`.click()`)); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(tab, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
		if err != nil || got != command {
			t.Errorf("Copy button %d put %q on the clipboard (%v); want %q", i+1, got, err, command)
		}
		label, _ := chromedp.Run(tab, chromedp.Evaluate[string](button+`.textContent`))
		if label != "Copied" {
			t.Errorf("Copy button %d says %q after the click; want Copied", i+1, label)
		}
	}
}

// copyScript is the page's one script, web/copy.js.
func copyScript(t *testing.T) string {
	t.Helper()
	js, err := webFiles.ReadFile("web/copy.js")
	if err != nil {
		t.Fatal(err)
	}
	return string(js)
}

// startBrowser starts headless Chromium for one test, or skips it when
// there is none.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Skip("no Chromium on PATH: install it (apt-get install chromium) to run the browser test; .ci/run does")
	}
	if err := os.MkdirAll("screenshots", 0o755); err != nil {
		t.Fatal(err)
	}
	allocCtx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(412, 915)) // a phone's viewport
	t.Cleanup(cancel)
	browserCtx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("starting %s: %v", browser, err)
	}
	return browserCtx
}
