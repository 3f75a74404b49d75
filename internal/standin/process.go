package standin

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"time"
)

// Helpers for running the app as its own process against a stand-in, as
// the tests and make demo do: a port to give it, and the moments it
// listens and answers.

// FreePort is a port on 127.0.0.1 that nothing listens on now.
func FreePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
}

var listening = regexp.MustCompile(`msg=listening addr=\S*:(\d+)`)

// ListeningURL waits for the app's "msg=listening addr=…" line in the log
// file at path, and returns the URL of port on 127.0.0.1: the port the
// caller gave the app, which the line must name.
func ListeningURL(path, port string, timeout time.Duration) (string, error) {
	for deadline := time.Now().Add(timeout); ; time.Sleep(time.Millisecond) {
		logs, _ := os.ReadFile(path) // absent until the process writes
		if m := listening.FindSubmatch(logs); m != nil {
			if string(m[1]) != port {
				return "", fmt.Errorf("the app listens on port %s; it was given %s", m[1], port)
			}
			return "http://127.0.0.1:" + port, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no listening address in %s within %v:\n%s", path, timeout, logs)
		}
	}
}

// WaitForPing polls url/ping until it answers 200, and returns how long that took.
func WaitForPing(url string, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		resp, err := http.Get(url + "/ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start), nil
			}
		}
		if time.Since(start) > timeout {
			return 0, fmt.Errorf("no 200 from %s/ping within %v (last error: %v)", url, timeout, err)
		}
		time.Sleep(time.Millisecond)
	}
}
