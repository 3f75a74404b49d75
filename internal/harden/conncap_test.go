package harden

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"
)

// TestANewClientGetsIn: whatever a client holds the cap with, connections
// idle on keep-alive, connections that send nothing or half a request's
// headers, or both, and however many it has opened and closed before, a
// new client is answered; the connections closed for it are the longest
// idle, else the oldest that sent no whole request.
func TestANewClientGetsIn(t *testing.T) {
	t.Parallel()
	const max = 4
	for _, tt := range []struct {
		name               string
		idle, silent, half int
		closedBefore       int // connections opened and closed before, each to be counted out
		wantClosed         []string
	}{
		// At most max/2 stay idle: the new client's, once answered, too.
		{"idle keep-alives", max, 0, 0, 0, []string{"idle 0", "idle 1", "idle 2"}},
		{"silent connections", 0, max, 0, 0, []string{"silent 0"}},
		{"half-sent requests", 0, 0, max, 0, []string{"half 0"}},
		{"idle and silent", max / 2, max / 2, 0, 0, []string{"idle 0"}},
		{"silent and half-sent", 0, max / 2, max / 2, 0, []string{"silent 0"}},
		{"after many closed", 0, 0, 0, 3 * max, nil},
		{"silent, after many closed", 0, max - 1, 0, 3 * max, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewConnCap(max)
			addr, _, _ := serveCapped(t, c)
			for range tt.closedBefore {
				conn := dial(t, addr)
				if err := request(conn, "/ping"); err != nil {
					t.Fatal(err)
				}
				conn.Close()
				settle(t, c, 0, 0)
			}
			conns := map[string]net.Conn{}
			idle := 0
			for i := range tt.idle {
				conn := dial(t, addr)
				if err := request(conn, "/ping"); err != nil {
					t.Fatal(err)
				}
				idle = min(i+1, max/2)
				settle(t, c, idle, idle)
				conns[fmt.Sprint("idle ", i)] = conn
			}
			for i := range tt.silent {
				conns[fmt.Sprint("silent ", i)] = dial(t, addr)
				settle(t, c, idle+i+1, idle)
			}
			for i := range tt.half {
				conn := dial(t, addr)
				if _, err := io.WriteString(conn, "GET /ping HTTP/1.1\r\nHost: local"); err != nil {
					t.Fatal(err)
				}
				conns[fmt.Sprint("half ", i)] = conn
				settle(t, c, idle+tt.silent+i+1, idle)
			}
			// The new client, as a browser: it connects, then asks.
			if err := request(dial(t, addr), "/ping"); err != nil {
				t.Fatalf("a new client beside %d idle, %d silent and %d half-sent connections (cap %d): %v", tt.idle, tt.silent, tt.half, max, err)
			}
			for name, conn := range conns {
				if got, want := closedByServer(conn), slices.Contains(tt.wantClosed, name); got != want {
					t.Errorf("%s: closed by the server %v; want %v (the ones to go: %q)", name, got, want, tt.wantClosed)
				}
			}
		})
	}
}

// TestBusyConnectionsStay: with every other connection busy in a request,
// the new one is the one closed; no request in progress is cut off.
func TestBusyConnectionsStay(t *testing.T) {
	t.Parallel()
	c := NewConnCap(2)
	addr, started, release := serveCapped(t, c)
	busy := make([]chan error, 2)
	for i := range busy {
		conn := dial(t, addr)
		busy[i] = make(chan error, 1)
		go func() { busy[i] <- request(conn, "/slow") }()
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatal("the server never began a /slow request")
		}
	}
	if err := request(dial(t, addr), "/ping"); err == nil {
		t.Error("a third connection beside two busy ones (cap 2) was answered; want it closed")
	}
	release()
	for i, done := range busy {
		if err := <-done; err != nil {
			t.Errorf("busy request %d: %v; want it answered", i, err)
		}
	}
}

// serve starts an HTTP server on loopback whose ConnState is c's Track,
// and returns its address, a channel that receives as each /slow request
// begins, and a func that ends every /slow request.
func serveCapped(t *testing.T, c *ConnCap) (string, <-chan struct{}, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started, slow := make(chan struct{}, 16), make(chan struct{})
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slow" {
				started <- struct{}{}
				<-slow
			}
			_, _ = io.WriteString(w, "Hello World!")
		}),
		ConnState: c.Track,
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), started, func() { close(slow) }
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// request sends GET path on c and reads the answer, within 5 s.
func request(c net.Conn, path string) error {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return err
}

// settle waits, for at most 5 s, until c counts open connections, idle of
// them idle.
func settle(t *testing.T, c *ConnCap, open, idle int) {
	t.Helper()
	var got [2]int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		c.mu.Lock()
		got = [2]int{c.open, len(c.idle)}
		c.mu.Unlock()
		if got == [2]int{open, idle} {
			return
		}
	}
	t.Fatalf("open, idle = %v; want %v", got, [2]int{open, idle})
}

// closedByServer reports whether the server closed c: a read sees the end
// at once, where an open connection would wait.
func closedByServer(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	ne, timeout := err.(net.Error)
	return !(timeout && ne.Timeout())
}
