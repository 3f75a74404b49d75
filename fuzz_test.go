package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"golang.org/x/net/http/httpproxy"
)

// The fuzz targets take input from outside: token claims and the
// environment (legacymsi fuzzes the identity endpoint's expires_on). None
// may panic, and each input is either accepted or refused with a reason.

func FuzzPrincipalFromToken(f *testing.F) {
	for _, s := range []string{"e30.eyJvaWQiOiJvIn0.sig", "a.b.c", "", "...", "e30.W10.x", "e30.eyJvaWQiOjV9.x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		claims, err := claimsOf(token)
		if err != nil && claims != nil {
			t.Errorf("claimsOf(%q) returned claims and an error", token)
		}
		p := principalFromToken(token)
		if err != nil && p != (principal{}) {
			t.Errorf("principalFromToken(%q) = %+v from a token claimsOf refuses", token, p)
		}
	})
}

func FuzzLoadConfig(f *testing.F) {
	f.Add("https://kv.vault.azure.net/", "prod", "8080", "15s")
	f.Add("http://x", "bogus", "-1", "-5s")
	f.Add("", "", "", "")
	f.Add("https://[::1]:x/", "DEV", "65536", "1h")
	f.Fuzz(func(t *testing.T, vault, sources, port, timeout string) {
		c := loadConfig(mapEnv(map[string]string{"KEY_VAULT_URL": vault, "AZURE_TOKEN_CREDENTIALS": sources, "PORT": port, "REQUEST_TIMEOUT": timeout}))
		if c.VaultURL == "" {
			if len(c.Problems) == 0 {
				t.Errorf("KEY_VAULT_URL %q refused without a problem", vault)
			}
		} else if !strings.HasPrefix(c.VaultURL, "https://") {
			t.Errorf("KEY_VAULT_URL %q accepted", vault)
		}
		if c.RequestTimeout <= 0 {
			t.Errorf("REQUEST_TIMEOUT %q gave %v", timeout, c.RequestTimeout)
		}
		for _, p := range c.Problems {
			if p.Problem == "" || p.Variable == "" {
				t.Errorf("problem without a reason: %+v", p)
			}
		}
		_ = c.portNumber() // must not panic
	})
}

// FuzzCredentialsInURLs: a user name and password in KEY_VAULT_URL or
// HTTPS_PROXY, whatever bytes they hold, never reach the page (JSON or
// HTML) or the log: no run of 4 or more of their bytes shows that does
// not also show when they are all Q, where it is the app's own text.
func FuzzCredentialsInURLs(f *testing.F) {
	f.Add("admin", "P@ssw0rd")
	f.Add("u", `it's "my pass"`)
	f.Add("corp", "pw12")
	f.Add("me", "%41%42cd%zz")
	f.Add("a:b", "c@d:e'f\"g h")
	f.Fuzz(func(t *testing.T, user, pass string) {
		if len(pass) < 4 || !utf8.ValidString(user+pass) || strings.ContainsAny(user+pass, "/?#\\\x00\r\n\t") {
			return // a URL's path, query and fragment start there; control bytes end the setting
		}
		q := func(s string) string { return strings.Repeat("Q", len(s)) }
		for _, vary := range []string{"KEY_VAULT_URL", "HTTPS_PROXY"} {
			got, base := exposure(t, vary, user, pass), exposure(t, vary, q(user), q(pass))
			for _, secret := range []string{pass, user} {
				for i := 0; i+4 <= len(secret); i++ {
					if run := secret[i : i+4]; strings.Contains(got, run) && !strings.Contains(base, run) {
						t.Fatalf("%s with %q:%q shows %q:\n%s", vary, user, pass, run, got)
					}
				}
			}
		}
	})
}

// exposure is everything the app shows of a user name and password in the
// setting vary: GET / as JSON and HTML, and the log without its times.
func exposure(t *testing.T, vary, user, pass string) string {
	env := map[string]string{"KEY_VAULT_URL": "https://kv.vault.azure.net/", "AZURE_TENANT_ID": standin.Tenant,
		"AZURE_CLIENT_ID": standin.ServicePrincipalID, "AZURE_CLIENT_SECRET": standin.ClientSecret, "REQUEST_TIMEOUT": "2s"}
	proxy := ""
	if vary == "KEY_VAULT_URL" {
		env[vary] = "https://" + user + ":" + pass + "@kv.vault.azure.net/"
	} else {
		proxy = "http://" + user + ":" + pass + "@127.0.0.1:9" // nothing listens on port 9 (discard)
		env[vary] = proxy
	}
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	// The proxy as azcore's default transport reads HTTPS_PROXY, from env.
	proxyFunc := (&httpproxy.Config{HTTPSProxy: proxy}).ProxyFunc()
	transport := &http.Transport{
		Proxy: func(r *http.Request) (*url.URL, error) { return proxyFunc(r.URL) },
		// Nothing leaves the machine: a proxy setting httpproxy reads as
		// none would send the request to Key Vault's own name.
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr != "127.0.0.1:9" {
				return nil, fmt.Errorf("dial %s: refused by the test", addr) // few words: a baseline whose proxy parses fails otherwise
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}
	h, err := newApp(logger, loadConfig(mapEnv(env)), azcore.ClientOptions{Transport: &http.Client{Transport: transport},
		Retry: policy.RetryOptions{MaxRetries: -1}})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, accept := range []string{"application/json", "text/html"} {
		req := httptest.NewRequest("GET", "http://localhost/", nil)
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		out.WriteString(rec.Body.String())
	}
	return out.String() + logs.String()
}
