package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
	"github.com/chromedp/chromedp"
)

// TestBrowser opens the page in headless Chromium: the secret and the
// principal are visible, a hostile secret is shown as text and runs
// nothing, and the 403 page shows the object ID and the fix. Screenshots go
// to screenshots/, which git ignores.
func TestBrowser(t *testing.T) {
	t.Parallel()
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
	defer cancel()
	browserCtx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("starting %s: %v", browser, err)
	}

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
		{"forbidden", standin.DefaultSecret, standin.FaultForbidden, map[string]string{
			"#problem-title": "Key Vault denied access", "#problem-cause": standin.ManagedIdentityOID,
			"#fixes": "az role assignment create --role \"Key Vault Secrets User\" --assignee-object-id " + standin.ManagedIdentityOID,
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
			active, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll("img, script").length`))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(title, "pwned") || active != 0 {
				t.Errorf("page title %q, %d img/script elements; want the hostile secret inert", title, active)
			}
			shot, err := chromedp.Run(tab, chromedp.FullScreenshot(90))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("screenshots", tt.shotTag+".jpg"), shot, 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
}
