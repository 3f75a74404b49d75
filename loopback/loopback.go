// Package loopback keeps a local run of the app to the machine it runs on.
// On a laptop the app reads the secret with the developer's own sign-in,
// so it must not serve it to the network (anyone on the same café Wi-Fi)
// nor to a web page the developer visits, which can point a name of its
// own at 127.0.0.1 (DNS rebinding) and read the answer as same-origin.
package loopback

import (
	"errors"
	"net"
	"net/http"
	"strings"
)

// Listen listens on port on the loopback addresses only: 127.0.0.1, and
// [::1] where the machine has IPv6 (browsers and curl try localhost's
// IPv6 address first).
func Listen(port string) ([]net.Listener, error) {
	v4, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return nil, err
	}
	_, port, _ = net.SplitHostPort(v4.Addr().String()) // port 0 chose one
	v6, err := net.Listen("tcp", net.JoinHostPort("::1", port))
	if err != nil {
		return []net.Listener{v4}, nil // no IPv6 loopback: 127.0.0.1 serves localhost
	}
	return []net.Listener{v4, v6}, nil
}

// OnlyLocalNames answers 421 Misdirected Request to a request whose Host
// is a name other than localhost (or one of also): a name resolves to
// whatever its owner says, 127.0.0.1 included, while an IP address is the
// machine the browser meant. also are names the developer chose to serve,
// such as Codespaces' forwarded name for the port.
func OnlyLocalNames(next http.Handler, also ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkHost(r.Host, also); err != nil {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusMisdirectedRequest)
			_, _ = w.Write([]byte(err.Error() + "\n")) // a client that hung up needs no answer
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkHost reports why a local run does not serve hostport.
func checkHost(hostport string, also []string) error {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	switch {
	case net.ParseIP(host) != nil, host == "localhost", strings.HasSuffix(host, ".localhost"):
		return nil
	}
	for _, a := range also {
		if strings.EqualFold(host, a) {
			return nil
		}
	}
	return errors.New("This local run of the app answers only to localhost and IP addresses, so that a web page cannot " +
		"read your secret by pointing a name of its own at this machine (DNS rebinding). Open http://localhost:<port>/ " +
		"(or, with LISTEN_ADDR set, this machine's IP address) instead.")
}
