package loopback

import "testing"

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
