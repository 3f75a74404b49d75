package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
)

// TestProcess runs the built app as App Service would, with nothing but
// environment variables: azidentity finds IDENTITY_ENDPOINT in the real
// process environment, and azcore's default transport reaches the stand-in
// through HTTPS_PROXY and trusts it through SSL_CERT_FILE. Then SIGTERM
// arrives during a request, which must still finish.
func TestProcess(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the app")
	}
	if runtime.GOOS == "windows" {
		t.Skip("sends SIGTERM, as App Service does: Windows has no such signal")
	}
	bin, dir := buildApp(t)
	s := startStandIn(t, standin.Options{})
	env, err := s.ProcessEnv(standin.AppService, dir) // no az: never the machine's own
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	port := freePort(t)
	cmd.Env = append(env, "PORT="+port, "REQUEST_TIMEOUT=2s")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() }) // no-op once it has exited

	lines := bufio.NewScanner(stdout)
	var addr string
	for addr == "" && lines.Scan() {
		if m := regexp.MustCompile(`msg=listening addr=\S*:(\d+)`).FindStringSubmatch(lines.Text()); m != nil {
			if m[1] != port {
				t.Fatalf("the app listens on port %s; PORT is %s", m[1], port)
			}
			addr = "http://127.0.0.1:" + port // where the test told it to listen
		}
	}
	if addr == "" {
		t.Fatal("the app never logged its address")
	}
	logs := make(chan string, 1)
	go func() {
		var b strings.Builder
		for lines.Scan() {
			b.WriteString(lines.Text() + "\n")
		}
		logs <- b.String()
	}()

	if resp, body := fetch(t, "GET", addr+"/ping", ""); resp.StatusCode != http.StatusOK || body != "Hello World!" {
		t.Fatalf("GET /ping = %d %q; want 200 Hello World!", resp.StatusCode, body)
	}
	resp, body := fetch(t, "GET", addr+"/", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d; want 200\n%s", resp.StatusCode, body)
	}
	containsAll(t, "page", body, standin.DefaultSecret, "App Service managed identity (2019-08-01)", standin.ManagedIdentityOID)

	s.SetFault(standin.FaultHang)
	before := s.VaultRequests()
	inFlight := make(chan int, 1)
	go func() {
		resp, err := http.Get(addr + "/")
		if err != nil {
			inFlight <- 0
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		inFlight <- resp.StatusCode
	}()
	for s.VaultRequests() == before {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if got, want := <-inFlight, http.StatusGatewayTimeout; got != want {
		t.Errorf("request in flight at SIGTERM = %d; want %d (finished, not cut off)", got, want)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v; want status 0", err)
	}
	containsAll(t, "logs", <-logs, "shutting down")
}

// TestIdleConnectionsAtTheDescriptorLimit runs the built app with its
// open-file limit lowered to 64 (sh's ulimit), opens 100 connections that
// each make one request and then idle on keep-alive, and asks for /ping
// from a new one: the app closes the longest idle ones rather than stop
// accepting, so the new client is answered.
func TestIdleConnectionsAtTheDescriptorLimit(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the app")
	}
	if runtime.GOOS == "windows" {
		t.Skip("lowers RLIMIT_NOFILE with sh's ulimit: Linux and macOS only")
	}
	url, _ := startWithFileLimit(t, 64)
	conns := idleConnections(t, url, 100)
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get(url + "/ping")
	if err != nil {
		t.Fatalf("GET /ping beside %d idle connections, under a limit of 64 open files: %v", conns, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /ping = %d; want 200", resp.StatusCode)
	}
}

// TestSilentConnectionsAtTheDescriptorLimit runs the built app with its
// open-file limit lowered to 128 (a cap of 64 connections), opens 100
// connections that send nothing, the cheapest thing an attacker has, and
// then asks for /ping from new ones: the app closes the oldest silent
// ones for them, so each is answered.
func TestSilentConnectionsAtTheDescriptorLimit(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the app")
	}
	if runtime.GOOS == "windows" {
		t.Skip("lowers RLIMIT_NOFILE with sh's ulimit: Linux and macOS only")
	}
	url, _ := startWithFileLimit(t, 128)
	for range 100 {
		c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
	}
	client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := range 5 {
		resp, err := client.Get(url + "/ping")
		if err != nil {
			t.Fatalf("GET /ping %d beside 100 silent connections, under a limit of 128 open files: %v", i+1, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /ping = %d; want 200", resp.StatusCode)
		}
	}
}

// startWithFileLimit starts the built app, as on App Service, with its
// limit on open files lowered to nofile, and returns its URL and process.
func startWithFileLimit(tb testing.TB, nofile int) (string, *os.Process) {
	tb.Helper()
	bin, dir := buildApp(tb)
	port := freePort(tb)
	cmd := exec.Command("/bin/sh", "-c", `ulimit -n "$1" && exec "$0"`, bin, strconv.Itoa(nofile))
	cmd.Env = []string{"PATH=" + dir, "PORT=" + port, "WEBSITE_SITE_NAME=demo-app", "KEY_VAULT_URL=https://kv.vault.azure.net/"}
	logs := filepath.Join(dir, "app.log")
	out, err := os.Create(logs)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { out.Close() })
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	url, err := standin.ListeningURL(logs, port, 10*time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	return url, cmd.Process
}

// idleConnections opens n connections to url that each make one request
// and then stay open, idle on keep-alive, until the test ends; it fails
// on the first the app does not answer within 2 s (a server out of file
// descriptors stops accepting, and answers none).
func idleConnections(tb testing.TB, url string, n int) int {
	tb.Helper()
	for i := range n {
		c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { c.Close() })
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := io.WriteString(c, "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			tb.Fatalf("connection %d of %d: %v", i+1, n, err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			tb.Fatalf("connection %d of %d, beside %d idle ones: no answer: %v", i+1, n, i, err)
		}
		resp.Body.Close()
	}
	return n
}
