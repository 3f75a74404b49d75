package standin

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
)

const loginHost = "login.microsoftonline.com"

// serveProxy answers HTTP CONNECT for Azure host names by tunnelling to the
// stand-in's own TLS listener. Any other host is refused and remembered, so a
// test can prove that nothing tried to leave the machine.
func (s *Server) serveProxy(w http.ResponseWriter, r *http.Request) {
	// A plain-HTTP request for the instance metadata service reaches a proxy
	// as an absolute-form GET; with Options.IMDS the stand-in answers it
	// itself and forwards nothing.
	if s.opts.IMDS && r.Method != http.MethodConnect && r.URL.Host == imdsHost {
		s.serveIMDS(w, r)
		return
	}
	host, port, err := net.SplitHostPort(r.Host)
	if r.Method != http.MethodConnect || err != nil || port != "443" ||
		(host != loginHost && !strings.HasSuffix(host, "."+s.opts.VaultDomain)) {
		s.rejected.Store(r.Host, struct{}{})
		http.Error(w, "the local stand-in proxies only Key Vault and Entra ID host names", http.StatusForbidden)
		return
	}
	if s.currentFault() == FaultDown {
		http.Error(w, "the local stand-in is down (fault down)", http.StatusBadGateway)
		return
	}
	upstream, err := net.Dial("tcp", s.azure.Listener.Addr().String())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusOK)
	client, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	if n := buf.Reader.Buffered(); n > 0 {
		b, _ := buf.Reader.Peek(n) // n bytes are buffered: Peek cannot fail
		if _, err := upstream.Write(b); err != nil {
			client.Close()
			upstream.Close()
			return
		}
	}
	s.tunnels.Store(client, struct{}{})
	defer s.tunnels.Delete(client)
	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src) // a tunnel ends when either side closes
		dst.Close()
	}
	go pipe(upstream, client)
	go pipe(client, upstream)
	wg.Wait()
}

// Rejected lists the hosts the proxy refused to tunnel to.
func (s *Server) Rejected() []string {
	var hosts []string
	s.rejected.Range(func(k, _ any) bool {
		hosts = append(hosts, k.(string))
		return true
	})
	return hosts
}

// refusedAddress returns the URL of a loopback port that was free a moment
// ago and is closed now: connecting to it is refused, as to a proxy that
// is down.
func refusedAddress() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return "http://" + addr, ln.Close()
}
