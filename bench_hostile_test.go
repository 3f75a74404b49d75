package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// BenchmarkHostileUpstream starts the built app twice, side by side: one
// whose identity endpoint answers normally, one whose endpoint sends an
// endless body, and loads both with the same views. It prints each one's
// peak resident memory: the endless body must cost no more than a cap.
func BenchmarkHostileUpstream(b *testing.B) {
	endless := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 32<<10))
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	b.Cleanup(endless.Close)
	s := startStandIn(b, standin.Options{})
	normal := startProcess(b, s, "")
	hostile := startProcess(b, s, endless.URL+"/MSI/token/")
	for range 5 { // alternating rounds of 200 views at 32 at once
		load(loadClient(32), normal.url+"/", 200, 32)
		load(loadClient(32), hostile.url+"/", 200, 32)
	}
	for _, p := range []struct {
		name string
		proc appProcess
	}{{"normal identity endpoint", normal}, {"endless identity endpoint body", hostile}} {
		rss, err := peakRSS(p.proc.cmd.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		report(b, "peak resident memory after 1,000 views, "+p.name, float64(rss)/(1<<20), "MiB")
	}
}

type appProcess struct {
	url string
	cmd *exec.Cmd
}

// startProcess starts the built app as App Service's 2017-09-01 identity
// would, against s, with MSI_ENDPOINT replaced when endpoint is not "".
func startProcess(b *testing.B, s *standin.Server, endpoint string) appProcess {
	bin, dir := buildApp(b)
	env, err := s.ProcessEnv(standin.AppServiceLegacy, dir)
	if err != nil {
		b.Fatal(err)
	}
	if endpoint != "" {
		env = append(env, "MSI_ENDPOINT="+endpoint) // the last of a repeated name wins
	}
	logs, err := os.Create(filepath.Join(dir, "app.log"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { logs.Close() })
	cmd := exec.Command(bin)
	port := freePort(b)
	cmd.Env = append(env, "PORT="+port)
	cmd.Stdout = logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	url := listeningURL(b, logs.Name(), port)
	waitForPing(b, url, 10*time.Second)
	return appProcess{url, cmd}
}

// BenchmarkBodylessConnection times how long the app's own server keeps a
// connection whose request promises a body and never sends it.
func BenchmarkBodylessConnection(b *testing.B) {
	h, err := newApp(discardLogger(), loadConfig(mapEnv(nil)), azcore.ClientOptions{})
	if err != nil {
		b.Fatal(err)
	}
	srv := newServer(h, loadConfig(mapEnv(nil)), io.Discard)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Close() })
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, "GET /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"); err != nil {
		b.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(time.Minute))
	_, _ = io.Copy(io.Discard, bufio.NewReader(conn)) // until the server closes it
	report(b, "seconds until a body-less connection is closed", time.Since(start).Seconds(), "s")
}

// BenchmarkIdleConnectionCap starts the built app with its open-file limit
// at 256, opens 1,000 connections that each make one request and then
// idle, and reports how many descriptors the app holds after them and how
// long a new client waits for /ping: the cap closes the longest idle
// connections, so the app keeps accepting.
func BenchmarkIdleConnectionCap(b *testing.B) {
	url, proc := startWithFileLimit(b, 256)
	answered := idleConnections(b, url, 1000)
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", proc.Pid))
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url + "/ping")
	if err != nil {
		b.Fatalf("a new client beside 1,000 idle connections: %v", err)
	}
	resp.Body.Close()
	report(b, "idle connections opened, each answered once, under a limit of 256 open files", float64(answered), "connections")
	report(b, "open files the app holds after them", float64(len(fds)), "files")
	report(b, "seconds a new client waits for /ping beside them", time.Since(start).Seconds(), "s")
}
