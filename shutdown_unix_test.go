//go:build unix

package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// TestShutdownEndsWhatViewsStarted: SIGTERM comes while a view waits on
// an az that never answers (with REQUEST_TIMEOUT longer than the grace, as
// the slow-az page suggests), alone or through the shared refresh of
// SECRET_CACHE_TTL. Within the grace, the view is answered, az and the
// child it started are ended, and serve returns cleanly (run exits 0).
func TestShutdownEndsWhatViewsStarted(t *testing.T) {
	t.Parallel()
	const grace = 3 * time.Second
	for _, tt := range []struct {
		name string
		env  []string
	}{
		{"a view", nil},
		{"a shared refresh", []string{"SECRET_CACHE_TTL", "1h"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeAz(t, dir, standin.ToolAnswer{Hang: true})
			s := startStandIn(t, standin.Options{})
			env := envFor(t, s, standin.AzureCLI, append([]string{"PATH", dir, "REQUEST_TIMEOUT", "30s", "SHELL", "/bin/sh"}, tt.env...)...)
			cfg := loadConfig(mapEnv(env))
			a, err := newApp(discardLogger(), cfg, azcore.ClientOptions{Transport: s.HTTPClient()})
			if err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, sigterm := context.WithCancel(context.Background())
			defer sigterm()
			done := make(chan error, 1)
			go func() { done <- serve(ctx, discardLogger(), newServer(a, cfg, io.Discard), []net.Listener{ln}, grace) }()

			view := make(chan string, 1)
			go func() {
				resp, err := http.Get("http://" + ln.Addr().String() + "/")
				if err != nil {
					view <- "closed: " + err.Error()
					return
				}
				resp.Body.Close()
				view <- strconv.Itoa(resp.StatusCode)
			}()
			pids := hangingPIDs(t, filepath.Join(dir, "az.log.pids"))
			for _, pid := range pids {
				defer syscall.Kill(pid, syscall.SIGKILL) // whatever the outcome
			}

			sigterm()
			start := time.Now()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("serve after SIGTERM = %v; want nil (exit 0)", err)
				}
			case <-time.After(grace + 10*time.Second):
				t.Fatalf("serve has not returned %v after SIGTERM; the grace is %v", time.Since(start), grace)
			}
			// Within the grace, give or take what a busy machine adds; a
			// shutdown that waited on az would take until REQUEST_TIMEOUT (30 s).
			if took := time.Since(start); took > grace+5*time.Second {
				t.Errorf("shutdown took %v; want it within the grace, %v", took, grace)
			}
			select {
			case got := <-view:
				if got != "503" {
					t.Errorf("the view in flight at SIGTERM = %s; want 503, a page that says the app is stopping", got)
				}
			case <-time.After(5 * time.Second):
				t.Error("the view in flight at SIGTERM got no answer, and its connection stays open")
			}
			for _, pid := range pids {
				if !gone(pid, 5*time.Second) {
					t.Errorf("process %d (az or its child) runs on after shutdown", pid)
				}
			}
		})
	}
}

// hangingPIDs waits for a hanging stand-in tool's PIDs file (its own and
// its child's) and returns them.
func hangingPIDs(t *testing.T, path string) []int {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		b, err := os.ReadFile(path)
		if fields := strings.Fields(string(b)); err == nil && len(fields) == 2 {
			var pids []int
			for _, f := range fields {
				pid, err := strconv.Atoi(f)
				if err != nil {
					t.Fatal(err)
				}
				pids = append(pids, pid)
			}
			return pids
		}
	}
	t.Fatal("az was never asked for a token")
	return nil
}

// gone reports whether process pid ends (or is a zombie, waiting to be
// reaped) within d.
func gone(pid int, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if syscall.Kill(pid, 0) != nil {
			return true
		}
		// Linux's /proc/<pid>/stat: the third field is the state; Z is a zombie.
		if stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
			if f := strings.Fields(string(stat)); len(f) > 2 && f[2] == "Z" {
				return true
			}
		}
	}
	return false
}
