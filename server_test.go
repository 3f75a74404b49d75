package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

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
	srv := newHTTPServer(h, loadConfig(mapEnv(nil)), io.Discard)
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
	srv := newHTTPServer(http.NotFoundHandler(), cfg, io.Discard)
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
