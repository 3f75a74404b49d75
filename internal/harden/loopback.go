package harden

// A local run of the app is kept to the machine it runs on. On a laptop
// the app reads the secret with the developer's own sign-in, so it must
// not serve it to the network (anyone on the same café Wi-Fi) nor to a web
// page the developer visits, which can point a name of its own at
// 127.0.0.1 (DNS rebinding) and read the answer as same-origin.

import (
	"net"
	"net/http"
	"slices"
	"strings"
)

// ListenLoopback listens on port on the loopback addresses only: 127.0.0.1, and
// [::1] where the machine has IPv6 (browsers and curl try localhost's
// IPv6 address first).
func ListenLoopback(port string) ([]net.Listener, error) {
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
		if !localName(r.Host, also) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusMisdirectedRequest)
			_, _ = w.Write([]byte(notLocal)) // a client that hung up needs no answer
			return
		}
		next.ServeHTTP(w, r)
	})
}

// localName reports whether a local run serves hostport: localhost (and
// its subdomains, which browsers resolve to loopback themselves), an IP
// address, or one of also.
func localName(hostport string, also []string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	return slices.ContainsFunc(also, func(a string) bool { return strings.EqualFold(host, a) })
}

// notLocal is the answer to any other name.
const notLocal = "This local run of the app answers only to localhost and IP addresses, so that a web page cannot " +
	"read your secret by pointing a name of its own at this machine (DNS rebinding). Open http://localhost:<port>/ " +
	"(or, with LISTEN_ADDR set, this machine's IP address) instead.\n"

// ForwardedNames are the names a development environment forwards to this
// machine's port: Codespaces' https://<CODESPACE_NAME>-<port>.<domain>,
// from codespace and domain, its CODESPACE_NAME and
// GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN (GitHub docs, "Default
// environment variables for your codespace").
func ForwardedNames(codespace, domain, port string) []string {
	if codespace != "" && domain != "" {
		return []string{codespace + "-" + port + "." + domain}
	}
	return nil
}
