package diagnose

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestRedactorText: what the redactor lets a page or a log show.
func TestRedactorText(t *testing.T) {
	t.Parallel()
	const secret = "s3cret-value-0123456789"
	spaced := "a pass phrase with spaces, " + strings.Repeat("x", 37) // 64 bytes
	r := NewRedactor(secret, "sho", "p4ss", "proxy-password", spaced)
	long := strings.Repeat("é", 3000) // 6000 bytes: a cut must fall between characters
	// Many secrets shrink on redaction, so that the one the text cuts in
	// two at the limit would fall inside the excerpt.
	packed := strings.Repeat("b", 32) + strings.Repeat(spaced, 64) + strings.Repeat(" ", 4*maxExcerpt)
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJ" + strings.Repeat("Q", 297) + ".abc_DEF-1" // a real one is 1–2 KB
	tokens := strings.Repeat(jwt+" ", 4*maxExcerpt/len(jwt)+1)
	for _, tt := range []struct {
		name, in  string
		want, not []string
	}{
		{"a known secret", "bad secret " + secret + ".", []string{"bad secret [redacted]."}, []string{secret}},
		{"the proxy's password", "proxy-password rejected", []string{"[redacted] rejected"}, []string{"proxy-password"}},
		{"a setting shorter than 4 is not searched for", "a short answer", []string{"a short answer"}, nil},
		{"a password of 4 is", "proxy pw p4ss rejected", []string{"proxy pw [redacted] rejected"}, nil},
		{"user info with @, quotes and a space", `proxyconnect "http://u:P@ss'w\"d@proxy:3128"`, []string{`"http://[redacted]@proxy:3128"`}, []string{"ss'w"}},
		{"a token", "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc_DEF-1 end", []string{"token [redacted token] end"}, []string{"eyJ"}},
		{"Azure's help link", "See https://go.microsoft.com/fwlink/?linkid=2125287.", []string{"See https://go.microsoft.com/fwlink/?linkid=2125287."}, []string{"[redacted]"}},
		{"a help link with a signature beside", "https://go.microsoft.com/fwlink/?linkid=1&sig=c2VjcmV0", []string{"https://go.microsoft.com/fwlink/?[redacted]"}, []string{"c2VjcmV0"}},
		{"user info and query", `Get "https://user:pw@kv.vault.azure.net/x?sig=abc&se=1": EOF`, []string{`Get "https://[redacted]@kv.vault.azure.net/x?[redacted]": EOF`}, []string{"pw@", "sig="}},
		{"a long text", long, []string{" … [cut]"}, nil},
		{"a secret cut in two at the limit", packed, []string{"[redacted]"}, []string{spaced[:20]}},
		{"a token cut in two at the limit", tokens, []string{"[redacted token]"}, []string{"eyJ"}},
	} {
		got := r.Text(tt.in)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: Text(…) = %q; want it to contain %q", tt.name, runePrefix(got, 200), w)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(got, n) {
				t.Errorf("%s: Text(…) shows %q", tt.name, n)
			}
		}
		if len(got) > maxExcerpt+len(" … [cut]") || !utf8.ValidString(got) {
			t.Errorf("%s: Text(…) is %d bytes (valid UTF-8: %v); want at most an excerpt", tt.name, len(got), utf8.ValidString(got))
		}
	}
}
