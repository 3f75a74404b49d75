package harden

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestLocalName: the Host values a browser sends for this machine are
// served; a name that is not localhost's, however it is written, is not.
func TestLocalName(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		host string
		also []string
		ok   bool
	}{
		{"localhost:8080", nil, true},
		{"LOCALHOST", nil, true},
		{"localhost.:8080", nil, true},
		{"app.localhost:8080", nil, true},
		{"127.0.0.1:8080", nil, true},
		{"[::1]:8080", nil, true},
		{"192.168.1.20:8080", nil, true}, // with LISTEN_ADDR widened: the machine's own address
		{"rebind.example:8080", nil, false},
		{"localhost.rebind.example", nil, false},
		{"127.0.0.1.nip.io:8080", nil, false},
		{"evillocalhost:8080", nil, false},
		{"", nil, false},
		{"kv-8080.app.github.dev", []string{"kv-8080.app.github.dev"}, true},
		{"kv-8081.app.github.dev", []string{"kv-8080.app.github.dev"}, false},
	} {
		if got := localName(tt.host, tt.also); got != tt.ok {
			t.Errorf("localName(%q, %q) = %v; want %v", tt.host, tt.also, got, tt.ok)
		}
	}
}

// TestOnlyLocalNames: a request for another name gets 421 and the notice
// alone: the page behind the guard is never run, so no byte of it (the
// secret) follows the refusal; a local name gets the page.
func TestOnlyLocalNames(t *testing.T) {
	t.Parallel()
	const page = "the secret"
	for _, tt := range []struct {
		host       string
		wantStatus int
		wantBody   string
	}{
		{"rebind.example:8080", http.StatusMisdirectedRequest, notLocal},
		{"localhost:8080", http.StatusOK, page},
	} {
		served := false
		h := OnlyLocalNames(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			served = true
			_, _ = io.WriteString(w, page)
		}))
		req := httptest.NewRequest("GET", "/", nil)
		req.Host = tt.host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got, body := rec.Code, rec.Body.String(); got != tt.wantStatus || body != tt.wantBody {
			t.Errorf("GET / with Host %s = %d %q; want %d %q", tt.host, got, body, tt.wantStatus, tt.wantBody)
		}
		if want := tt.wantStatus == http.StatusOK; served != want {
			t.Errorf("Host %s: the page ran: %v; want %v", tt.host, served, want)
		}
	}
}
