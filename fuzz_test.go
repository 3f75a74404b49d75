package main

import (
	"strings"
	"testing"
)

// The fuzz targets take input from outside: token claims, the identity
// endpoint's expires_on, and the environment. None may panic, and each
// input is either accepted or refused with a reason.

func FuzzParseExpiresOn(f *testing.F) {
	for _, s := range []string{`"1561000921"`, `1561000921`, `"06/19/2019 23:42:01 +00:00"`, `"1/16/2020 5:24:12 AM +00:00"`, `""`, `"x"`, `-1`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := parseExpiresOn(raw)
		if err == nil && got.IsZero() {
			t.Errorf("parseExpiresOn(%q) = zero time, nil", raw)
		}
		if err != nil && err.Error() == "" {
			t.Errorf("parseExpiresOn(%q) returned an empty error", raw)
		}
	})
}

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
