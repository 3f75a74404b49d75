package diagnose

import (
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Redactor cleans text that came from outside the app (an upstream's
// answer, az's stderr, a setting the user typed) before a page or a log
// shows it: the secrets the app holds, anything shaped like a token, a
// URL's user info and query, and more than an excerpt's length.
type Redactor struct {
	secrets []string
}

// minSecretLength is the shortest secret searched for: a shorter value
// would match ordinary words on the page. Azure's are far longer (a client
// secret has 40 characters, IDENTITY_HEADER is a GUID); a password a user
// put in a URL may be as short as this, and a longer one is searched for
// whole.
const minSecretLength = 4

// maxExcerpt is the most of one upstream text a page or a log shows.
const maxExcerpt = 1024

// NewRedactor knows the secrets the app holds (the identity endpoint's
// header, the client secret, the certificate's password, the proxy's
// password); shorter ones than minSecretLength are not searched for.
func NewRedactor(secrets ...string) Redactor {
	var r Redactor
	for _, s := range secrets {
		if len(s) >= minSecretLength {
			r.secrets = append(r.secrets, s)
		}
	}
	return r
}

var (
	// jwtShape is a JSON Web Token: three base64url parts, the first two
	// starting {" encoded (eyJ).
	jwtShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
	// urlUserInfo and urlQuery find a URL's user info and query in text.
	// User info runs to the authority's last @: a password may hold @, '
	// and " unescaped, as users type them.
	urlUserInfo = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^\s/?#<>]*@`)
	urlQuery    = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^\s?#"'<>]*)\?[^\s#"'<>]*`)
)

// Text is s as a page or a log may show it.
func (r Redactor) Text(s string) string {
	cut := len(s) > 4*maxExcerpt
	if cut {
		// Redact only what an excerpt can show: a prefix, less its last
		// word, which may be a secret or a token cut in two.
		s = runePrefix(s, 4*maxExcerpt)
		s = s[:strings.LastIndexAny(s, " \t\n")+1]
	}
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, "[redacted]")
		if cut {
			s = trimPrefixOf(s, secret) // a secret with spaces, cut in two
		}
	}
	s = jwtShape.ReplaceAllString(s, "[redacted token]")
	s = urlUserInfo.ReplaceAllString(s, "${1}[redacted]@")
	s = urlQuery.ReplaceAllStringFunc(s, redactQuery)
	if len(s) > maxExcerpt || cut {
		return runePrefix(s, maxExcerpt) + " … [cut]"
	}
	return s
}

// helpQuery are the query parameters of the links Azure's own messages
// give for help, which carry no secret: Microsoft's forward links
// (go.microsoft.com/fwlink/?linkid=…, in Key Vault's and Entra ID's
// messages) and an API version.
var helpQuery = map[string]bool{"linkid": true, "clcid": true, "api-version": true}

// redactQuery is a URL found in text with its query redacted, unless every
// parameter in it is one of helpQuery's: a signature, a code or a token in
// a query is a secret, a help link's number is not.
func redactQuery(u string) string {
	base, query, _ := strings.Cut(u, "?")
	for _, pair := range strings.Split(strings.TrimRight(query, ".,;:)"), "&") {
		name, _, _ := strings.Cut(pair, "=")
		if !helpQuery[strings.ToLower(name)] {
			return base + "?[redacted]"
		}
	}
	return u
}

// trimPrefixOf is s without the longest start of secret it ends with.
func trimPrefixOf(s, secret string) string {
	for n := len(secret) - 1; n > 0; n-- {
		if strings.HasSuffix(s, secret[:n]) {
			return s[:len(s)-n]
		}
	}
	return s
}

// runePrefix is at most n bytes of s, cut at a character boundary.
func runePrefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Problem returns a copy of p with every text redacted. Commands are
// redacted too: they quote values that came from settings.
func (r Redactor) Problem(p *Problem) *Problem {
	out := *p
	out.Title, out.Cause = r.Text(p.Title), r.Text(p.Cause)
	out.Fixes = make([]Fix, len(p.Fixes))
	for i, f := range p.Fixes {
		out.Fixes[i] = Fix{Text: r.Text(f.Text), Command: r.command(f.Command)}
	}
	out.RequestID = r.Text(p.RequestID)
	return &out
}

// command redacts a command's secrets and tokens with a word that means
// the same to every shell, quoted or not, and never cuts it: a command cut
// short would not run when pasted.
func (r Redactor) command(c string) string {
	for _, secret := range r.secrets {
		c = strings.ReplaceAll(c, secret, "REDACTED")
	}
	return jwtShape.ReplaceAllString(c, "REDACTED")
}

// URLCredentials are the secrets in the user info of raw, a URL a user
// set (parseable or not, with or without a scheme): the user info whole,
// the user name and the password, each as typed and percent-decoded. The
// user info is everything before the last @ that precedes the path, so
// that a password with @, ', " or a space in it counts whole.
func URLCredentials(raw string) []string {
	rest := raw
	if _, after, ok := strings.Cut(raw, "://"); ok {
		rest = after
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return nil
	}
	userInfo := rest[:at]
	user, password, _ := strings.Cut(userInfo, ":")
	var out []string
	for _, s := range []string{userInfo, password, user} {
		out = append(out, s)
		if decoded, err := url.PathUnescape(s); err == nil && decoded != s {
			out = append(out, decoded)
		}
	}
	return out
}

// withoutUserInfo is the URL s without its user info, and whether it had
// any: a command that reaches a proxy names it so, and asks for the
// credential apart.
func withoutUserInfo(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil && len(URLCredentials(s)) > 0 {
		// Unparseable, as a password with a space is: the scheme and what
		// follows the user info's last @.
		scheme, rest, ok := strings.Cut(s, "://")
		rest = rest[strings.LastIndex(rest, "@")+1:]
		if !ok {
			return redactURL(s[strings.LastIndex(s, "@")+1:]), true
		}
		return redactURL(scheme + "://" + rest), true
	}
	if err != nil || u.User == nil {
		return redactURL(s), false
	}
	u.User = nil
	return redactURL(u.String()), true
}

// redactURL is a URL the user set, without its user info and query, for a
// page or a log: https://user:pass@host/?sig=x → https://[redacted]@host/?[redacted].
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		// Unparseable: keep no part that could be user info or a query.
		if i := strings.LastIndex(s, "@"); i >= 0 {
			s = "[redacted]" + s[i:]
		}
		if i := strings.IndexAny(s, "?#"); i >= 0 {
			s = s[:i] + "?[redacted]"
		}
		return runePrefix(s, maxExcerpt)
	}
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(u.Scheme + "://")
	}
	if u.User != nil {
		b.WriteString("[redacted]@")
	}
	b.WriteString(u.Host)
	if u.Opaque != "" {
		b.WriteString(u.Opaque)
	}
	b.WriteString(u.EscapedPath())
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteString("?[redacted]")
	}
	if u.Fragment != "" {
		b.WriteString("#[redacted]")
	}
	return runePrefix(b.String(), maxExcerpt)
}
