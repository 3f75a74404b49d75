package main

import (
	"bufio"
	"context"
	"io"
	"maps"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// startHTTPServer serves the app with run's own server settings, with
// ReadHeaderTimeout shortened (when not zero) so that a test can wait it out.
func startHTTPServer(t *testing.T, readHeaderTimeout time.Duration) (addr string) {
	t.Helper()
	h, err := newApp(discardLogger(), loadConfig(mapEnv(nil)), azcore.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(h, loadConfig(mapEnv(nil)), io.Discard)
	if srv.ReadHeaderTimeout <= 0 || srv.ReadHeaderTimeout > 10*time.Second || srv.MaxHeaderBytes <= 0 || srv.IdleTimeout <= 0 {
		t.Fatalf("server limits: ReadHeaderTimeout %v, MaxHeaderBytes %d, IdleTimeout %v; want all set, header timeout ≤ 10s",
			srv.ReadHeaderTimeout, srv.MaxHeaderBytes, srv.IdleTimeout)
	}
	if readHeaderTimeout > 0 {
		srv.ReadHeaderTimeout = readHeaderTimeout
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }() // ends with ErrServerClosed at cleanup
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

func TestSlowHeadersAreCutOff(t *testing.T) {
	t.Parallel()
	addr := startHTTPServer(t, 300*time.Millisecond)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	req := "GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 100)
	var werr error
	for i := 0; i < len(req) && werr == nil; i++ { // a byte every 20ms: 2.5s for the lot
		_, werr = conn.Write([]byte{req[i]})
		time.Sleep(20 * time.Millisecond)
	}
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	resp, _ := io.ReadAll(conn)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a client sending headers byte by byte held the connection %v; want it cut off near 300ms", took)
	}
	if strings.Contains(string(resp), "Hello World!") {
		t.Errorf("the slow request was served: %q", resp)
	}
}

func TestOversizedHeaders(t *testing.T) {
	t.Parallel()
	addr := startHTTPServer(t, 0)
	req, err := http.NewRequest("GET", "http://"+addr+"/ping", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Big", strings.Repeat("a", 200<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, want := resp.StatusCode, http.StatusRequestHeaderFieldsTooLarge; got != want {
		t.Errorf("GET /ping with 200 KiB of headers = %d; want %d", got, want)
	}
}

func TestIdleConnectionFlood(t *testing.T) {
	t.Parallel()
	addr := startHTTPServer(t, 0)
	const idle = 500
	conns := make([]net.Conn, 0, idle)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range idle { // each completes one request, then idles on keep-alive
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		if _, err := io.WriteString(c, "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + addr + "/ping")
	if err != nil {
		t.Fatalf("GET /ping beside %d idle connections: %v", idle, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /ping beside %d idle connections = %d; want 200", idle, resp.StatusCode)
	}
}

// TestServerLimits pins run's own server settings, which the other tests
// shorten to wait them out: each bounds what a slow or idle client holds.
func TestServerLimits(t *testing.T) {
	t.Parallel()
	cfg := loadConfig(mapEnv(map[string]string{"REQUEST_TIMEOUT": "7s"}))
	srv := newServer(http.NotFoundHandler(), cfg, io.Discard)
	for _, tt := range []struct {
		name      string
		got, want time.Duration
	}{
		{"ReadHeaderTimeout", srv.ReadHeaderTimeout, 5 * time.Second},
		{"ReadTimeout", srv.ReadTimeout, 5 * time.Second},    // a promised body no route reads
		{"WriteTimeout", srv.WriteTimeout, 17 * time.Second}, // REQUEST_TIMEOUT and time to write the page
		{"IdleTimeout", srv.IdleTimeout, 2 * time.Minute},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %v; want %v", tt.name, tt.got, tt.want)
		}
	}
	if got, want := srv.MaxHeaderBytes, 64<<10; got != want {
		t.Errorf("MaxHeaderBytes = %d; want %d", got, want)
	}
}

// TestLocalRunServesThisMachineOnly runs the app as a developer does, and
// as each Azure host does: a local run listens on loopback alone and
// answers only to local names (a page that points its own name at
// 127.0.0.1 gets 421, not the secret); LISTEN_ADDR widens where it
// listens; an Azure host listens on every interface for its front end.
func TestLocalRunServesThisMachineOnly(t *testing.T) {
	t.Parallel()
	laptop := map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/"}
	for _, tt := range []struct {
		name       string
		env        []string
		wantAddrs  string // the listening addresses' hosts, joined by spaces
		wantRebind int    // GET /ping with Host: rebind.example
	}{
		{"laptop", nil, "127.0.0.1 ::1", http.StatusMisdirectedRequest},
		{"laptop, LISTEN_ADDR widens", []string{"LISTEN_ADDR", "0.0.0.0"}, "::", http.StatusMisdirectedRequest}, // Go's dual-stack listener
		{"laptop, Codespaces' forwarded name", []string{"CODESPACE_NAME", "rebind", "GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN", "example"}, "127.0.0.1 ::1", http.StatusMisdirectedRequest},
		{"App Service", []string{"WEBSITE_SITE_NAME", "demo-app", "IDENTITY_ENDPOINT", "http://127.0.0.1:1/msi/token", "IDENTITY_HEADER", "h"}, "::", http.StatusOK},
		// Its identity off, and no developer tool: the front end must still
		// reach the page that says so.
		{"App Service, identity off", []string{"WEBSITE_SITE_NAME", "demo-app"}, "::", http.StatusOK},
		{"Container Apps, identity off", []string{"CONTAINER_APP_NAME", "demo-app"}, "::", http.StatusOK},
		{"AKS", []string{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, "::", http.StatusOK},
		// A developer's own sign-in is theirs, whatever the host's variables say.
		{"a dev pod, az signed in", []string{"KUBERNETES_SERVICE_HOST", "10.0.0.1", "az", ""}, "127.0.0.1 ::1", http.StatusMisdirectedRequest},
		{"Functions' variables, az signed in", []string{"WEBSITE_SITE_NAME", "demo-app", "FUNCTIONS_WORKER_RUNTIME", "custom", "az", ""}, "127.0.0.1 ::1", http.StatusMisdirectedRequest},
		{"a dev pod, az, LISTEN_ADDR widens", []string{"KUBERNETES_SERVICE_HOST", "10.0.0.1", "az", "", "LISTEN_ADDR", "0.0.0.0"}, "::", http.StatusMisdirectedRequest},
		{"a virtual machine", []string{"AZURE_TOKEN_CREDENTIALS", "ManagedIdentityCredential"}, "::", http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := maps.Clone(laptop)
			env["PORT"], env["PATH"] = freePort(t), t.TempDir()
			for i := 0; i+1 < len(tt.env); i += 2 {
				env[tt.env[i]] = tt.env[i+1]
			}
			if _, ok := env["az"]; ok { // az on PATH, signed in; a view never asks it here
				delete(env, "az")
				writeAz(t, env["PATH"], standin.ToolAnswer{})
			}
			logs := &syncBuffer{}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- run(ctx, mapEnv(env), logs, io.Discard) }()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("run: %v", err)
				}
			}()
			addrs := waitForListening(t, logs, len(strings.Fields(tt.wantAddrs)))
			var hosts []string
			for _, a := range addrs {
				host, _, _ := net.SplitHostPort(a)
				hosts = append(hosts, host)
			}
			if got := strings.Join(hosts, " "); got != tt.wantAddrs && !(tt.wantAddrs == "127.0.0.1 ::1" && got == "127.0.0.1") { // a machine without IPv6
				t.Errorf("listening on %q; want %q", got, tt.wantAddrs)
			}
			_, port, _ := net.SplitHostPort(addrs[0])
			served := map[string]int{"rebind.example": tt.wantRebind, "localhost:" + port: 200, "127.0.0.1:" + port: 200, "[::1]:" + port: 200, "app.localhost": 200}
			if env["CODESPACE_NAME"] != "" {
				served["rebind-"+port+".example"] = 200 // the forwarded name, and no other
			}
			for host, want := range served {
				req, _ := http.NewRequest("GET", "http://127.0.0.1:"+port+"/ping", nil)
				req.Host = host
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if got := resp.StatusCode; got != want {
					t.Errorf("GET /ping with Host %s = %d; want %d", host, got, want)
				}
				if served := strings.Contains(string(body), "Hello World!"); served != (want == http.StatusOK) {
					t.Errorf("GET /ping with Host %s: the route's answer in the body: %v; want %v\n%s", host, served, want == http.StatusOK, body)
				}
			}
		})
	}
}

var listeningAddr = regexp.MustCompile(`msg=listening addr=(\S+)`)

// waitForListening waits for n "listening" lines in logs and returns their addresses.
func waitForListening(t *testing.T, logs *syncBuffer, n int) []string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		var addrs []string
		for _, m := range listeningAddr.FindAllStringSubmatch(logs.String(), -1) {
			addrs = append(addrs, m[1])
		}
		if len(addrs) >= n || time.Now().After(deadline) && len(addrs) > 0 {
			return addrs
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listening line within 10s:\n%s", logs)
		}
	}
}
