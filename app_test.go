package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// startStandIn starts a local Azure stand-in for one test. Its vault domain
// is unique, so that token caches a process shares (MSAL keeps one for
// managed identities) never hand one test's token to another.
func startStandIn(t testing.TB, opts standin.Options) *standin.Server {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	opts.VaultDomain = "t" + hex.EncodeToString(b) + ".vault.azure.net"
	s, err := standin.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if r := s.Rejected(); len(r) > 0 {
			t.Errorf("requests tried to leave the machine, for %v", r)
		}
	})
	return s
}

// syncBuffer is a log sink that tests read while the app writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testApp is the app under test, served over real HTTP on 127.0.0.1.
type testApp struct {
	URL  string
	Logs *syncBuffer
}

// startApp starts the app with env as its whole environment, its Azure
// traffic going to s (when not nil) through the one seam newApp offers.
// Retries keep azcore's count and policy but back off from milliseconds,
// not seconds; Key Vault's Retry-After (1s from the stand-in) still applies.
func startApp(t testing.TB, env map[string]string, s *standin.Server) testApp {
	t.Helper()
	if _, set := env["SHELL"]; !set {
		// The tests read POSIX commands; on Windows without SHELL the page
		// writes PowerShell's (TestPowerShellPage).
		env = maps.Clone(env)
		env["SHELL"] = "/bin/sh"
	}
	return serveApp(t, loadConfig(mapEnv(env)), s)
}

// serveApp serves the app built from cfg over real HTTP on 127.0.0.1, as
// startApp does.
func serveApp(t testing.TB, cfg config, s *standin.Server) testApp {
	t.Helper()
	logs := &syncBuffer{}
	opts := azcore.ClientOptions{Retry: policy.RetryOptions{RetryDelay: 5 * time.Millisecond, MaxRetryDelay: 2 * time.Second}}
	if s != nil {
		opts.Transport = s.HTTPClient()
	}
	h, err := newApp(slog.New(slog.NewTextHandler(logs, nil)), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return testApp{URL: srv.URL, Logs: logs}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func mapEnv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// envFor is the stand-in's environment for id plus extra.
func envFor(t testing.TB, s *standin.Server, id standin.Identity, extra ...string) map[string]string {
	t.Helper()
	env, err := s.Env(id)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

// fetch sends one request and returns the response and its body.
func fetch(t testing.TB, method, url, accept string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
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
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// setManagedIdentityEnv exports the managed-identity variables to the
// process: azidentity's ManagedIdentityCredential reads them there, not
// through the app's getenv. Tests calling it cannot run in parallel.
func setManagedIdentityEnv(t *testing.T, env map[string]string) {
	for _, k := range []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET"} {
		t.Setenv(k, env[k])
	}
}

func containsAll(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s does not contain %q\n%s", what, w, body)
		}
	}
}

// checkJSONView asks the app at url for GET / as JSON: its status, the
// parts it must contain and, when wantFixes is not nil, its fixes' whole
// commands.
func checkJSONView(t *testing.T, url string, wantStatus int, want, wantFixes []string) {
	t.Helper()
	resp, body := fetch(t, "GET", url+"/", "application/json")
	if resp.StatusCode != wantStatus {
		t.Errorf("GET / = %d; want %d\n%s", resp.StatusCode, wantStatus, body)
	}
	containsAll(t, "JSON view", body, want...)
	if wantFixes != nil {
		checkFixes(t, body, wantFixes, nil)
	}
}

// buildApp builds the app's binary into a temporary directory.
func buildApp(t testing.TB) (bin, dir string) {
	t.Helper()
	dir = t.TempDir()
	bin = filepath.Join(dir, "app"+exeSuffix)
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin, dir
}

// exeSuffix is what Windows wants at the end of a program's name.
var exeSuffix = map[bool]string{true: ".exe"}[runtime.GOOS == "windows"]

func TestMain(m *testing.M) {
	// No test may reach IMDS or real Azure: clear what azidentity reads
	// from the process environment before any test starts.
	for _, k := range []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT",
		"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "HTTPS_PROXY", "https_proxy"} {
		os.Unsetenv(k)
	}
	code := m.Run()
	standin.RemoveToolProgram()
	os.Exit(code)
}

// freePort is a port nothing listens on now, for a process test to give
// the app: the test then reaches the app there, so that an app that
// ignored its port variable would fail it.
func freePort(t testing.TB) string {
	t.Helper()
	port, err := standin.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// listeningURL waits for the app's listening line in the log at path and
// returns the URL of port, the port the test gave it; the line must name it.
func listeningURL(t testing.TB, path, port string) string {
	t.Helper()
	url, err := standin.ListeningURL(path, port, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// waitForPing polls url/ping until it answers 200, and returns how long that took.
func waitForPing(t testing.TB, url string, timeout time.Duration) time.Duration {
	t.Helper()
	d, err := standin.WaitForPing(url, timeout)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
