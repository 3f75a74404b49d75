package diagnose

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestFixCommandsPaste renders every failure's fixes and pastes each
// command into sh, bash and zsh (macOS's default shell) with -n: it must
// parse in each, and be one command.
func TestFixCommandsPaste(t *testing.T) {
	t.Parallel()
	var commands []string
	for _, p := range explainedProblems() {
		for _, f := range p.Fixes {
			if f.Command != "" {
				commands = append(commands, f.Command)
			}
		}
	}
	if len(commands) < 20 {
		t.Fatalf("only %d commands to check; the table lost its rows", len(commands))
	}
	for _, shell := range pasteShells(t) {
		for _, c := range commands {
			if out, err := exec.Command(shell, "-n", "-c", c).CombinedOutput(); err != nil || len(out) > 0 {
				t.Errorf("%s -n -c %q: %v\n%s", shell, c, err, out)
			}
		}
	}
	for _, c := range commands {
		if err := oneCommand(c); err != "" {
			t.Errorf("%q is not one command: %s", c, err)
		}
	}
}

// pasteShells are the shells a user pastes a fix into; .ci/run installs
// zsh, so that it is never skipped there.
func pasteShells(t *testing.T) []string {
	var shells []string
	for _, name := range []string{"sh", "bash", "zsh"} {
		path, err := exec.LookPath(name)
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed; .ci/run installs it", name)
			}
			t.Logf("%s is not installed: not checked", name)
			continue
		}
		shells = append(shells, path)
	}
	return shells
}

// TestShellQuoteRoundTrip pastes words that shells expand (a leading = or
// ~, globs, history, variables, quotes) into each shell, as the fixes
// quote them: each shell must hand the command the very same words.
func TestShellQuoteRoundTrip(t *testing.T) {
	t.Parallel()
	words := []string{"=ls", "~root", "~", "*", "a?b", "[ab]", "{a,b}", "!!", "a!b", "$HOME", "${x}", "`id`", "$(id)",
		"it's", `say "hi"`, `a\b`, "a b", "#x", "x#y", "%1", "^x", "a=b", "--k=v", "a;b", "a|b", "a&b", "a>b", "<value>",
		"[?clientId=='c'].id", "tab\there", "ünïcödé", "-"}
	args := []any{"printf", raw(`'%s\n'`)}
	for _, w := range words {
		args = append(args, w)
	}
	line := cmd(args...)
	for _, shell := range pasteShells(t) {
		// zsh reads ~ and = expansions, history and globs as an interactive
		// user's shell does only with these options; -f skips rc files.
		argv := []string{"-c", line}
		if strings.HasSuffix(shell, "zsh") {
			argv = []string{"-f", "-o", "EQUALS", "-c", line}
		}
		out, err := exec.Command(shell, argv...).CombinedOutput()
		if err != nil {
			t.Errorf("%s -c %q: %v\n%s", shell, line, err, out)
			continue
		}
		got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		if !slices.Equal(got, words) {
			t.Errorf("%s hands the command %q; want %q", shell, got, words)
		}
	}
}

// oneCommand returns why s is more than one simple command, or "": an
// operator (; & | newline) or a redirection outside quotes and $(…).
func oneCommand(s string) string {
	var quote rune
	depth := 0
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case strings.HasPrefix(s[i:], "$("):
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0 && strings.ContainsRune(";&|\n<>`", r):
			return "unquoted " + strconv.QuoteRune(r) + " at " + strconv.Itoa(i)
		}
	}
	if quote != 0 || depth != 0 {
		return "unbalanced quotes or $("
	}
	return ""
}

// explainedProblems is every problem the explainer builds for the
// failures it knows, with placeholders and with App Service's names, so
// that TestFixCommandsPaste sees each command form.
func explainedProblems() []*Problem {
	var out []*Problem
	for _, cfg := range []Facts{
		{VaultURL: "https://kv.vault.azure.net/", SecretName: "secret", ClientID: "c", TenantID: "t", Proxy: "http://proxy:3128", ProxyVar: "HTTPS_PROXY", CertificatePath: "/tmp/my cert.pem"},
		{VaultURL: "https://kv.vault.azure.net/", SecretName: "secret", Host: Host{"App Service", "webapp", "my-app", "my rg", ""}, ClientID: "c"},
		{VaultURL: "https://kv.vault.azure.net/", SecretName: "secret", Host: Host{"Container Apps", "containerapp", "my-app", "", "my-app--rev1"}, ClientID: "c"},
	} {
		x := explainer{cfg: cfg, principal: &Principal{ObjectID: "oid", IsUser: true}}
		out = append(out, x.noIdentity(), x.configurationProblem([]Setting{{"KEY_VAULT_URL", "", "not set", "https://<your-vault-name>.vault.azure.net/"}}),
			x.timedOut(context.DeadlineExceeded), x.dnsProblem("kv.vault.azure.net"), x.dnsProblem("login.microsoftonline.com"),
			x.proxyProblem("kv.vault.azure.net", "t", "w"), x.untrustedProblem("kv.vault.azure.net", errors.New("x509")))
		for _, r := range keyVaultRules {
			out = append(out, r.build(x, vaultAnswer{Message: "Resource: '/subscriptions/s/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv/secrets/secret'\r\nClient address: 192.0.2.1"}))
		}
		for _, build := range entraRules {
			out = append(out, build(x, entraAnswer{Desc: "AADSTS1: x"}))
		}
		for _, r := range cliRules {
			out = append(out, r.build(x, "ERROR: x"))
		}
		s := &Source{Name: "App Service user-assigned managed identity (2017-09-01)", TypeName: "ManagedIdentityCredential"}
		cli := &Source{Name: "Azure CLI", TypeName: "AzureCLICredential"}
		mismatch := `isn't configured to acquire tokens for tenant "abc"`
		out = append(out, x.identityProblem(s, "x", nil), x.tenantMismatch(s, mismatch), x.tenantMismatch(cli, mismatch))
	}
	return out
}

// TestReadEntraAnswer reads Entra ID's error body: the code from
// error_codes, else from the AADSTS number in the description.
func TestReadEntraAnswer(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		body string
		want int
	}{
		{`{"error":"temporarily_unavailable","error_description":"A transient error.","error_codes":[90033]}`, 90033},
		{`{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}`, 7000215},
		{`{"error":"invalid_client"}`, 0},
	} {
		r := &http.Response{StatusCode: 401, Body: io.NopCloser(strings.NewReader(tt.body))}
		if got := readEntraAnswer(r).Code; got != tt.want {
			t.Errorf("readEntraAnswer(%s).Code = %d; want %d", tt.body, got, tt.want)
		}
	}
}

// TestClassifierEdges covers answers the stand-in does not play: Key
// Vault's own 500, an untrusted certificate on Entra ID's host, and a
// federated credential's issuer that Entra ID's answer does not name.
func TestClassifierEdges(t *testing.T) {
	t.Parallel()
	x := explainer{cfg: Facts{VaultURL: "https://kv.vault.azure.net/", SecretName: "secret"}}
	resp := &http.Response{StatusCode: 500, Header: http.Header{"X-Ms-Request-Id": {"r1"}}, Body: io.NopCloser(strings.NewReader(`{"error":{"code":"InternalServerError","message":"x"}}`)),
		Request: httptest.NewRequest("GET", "https://kv.vault.azure.net/secrets/secret", nil)}
	if p := x.vaultProblem(runtime.NewResponseError(resp).(*azcore.ResponseError)); p.Title != "Key Vault failed" || p.RequestID != "r1" {
		t.Errorf("Key Vault 500: %q, request ID %q; want Key Vault failed, r1", p.Title, p.RequestID)
	}
	err := &url.Error{Op: "Post", URL: "https://login.microsoftonline.com/t/oauth2/v2.0/token", Err: x509.UnknownAuthorityError{}}
	if p := x.networkProblem(err); p == nil || !strings.Contains(p.Cause, "login.microsoftonline.com") || !strings.Contains(p.Fixes[0].Command, "https://login.microsoftonline.com/") {
		t.Errorf("untrusted certificate on Entra ID's host: %+v; want the page to name that host", p)
	}
	// 700213 names the subject, not the issuer: the cluster's is looked up.
	x.cfg.ClientID = "c"
	w := &Source{Name: "AKS workload identity", TypeName: "WorkloadIdentityCredential"}
	resp = &http.Response{StatusCode: 400, Body: io.NopCloser(strings.NewReader(`{"error":"invalid_request","error_description":"AADSTS700213: No matching federated identity record found for presented assertion subject 'system:serviceaccount:default:kvmsigo'."}`))}
	p := x.workloadProblem(w, "", &azidentity.AuthenticationFailedError{RawResponse: resp})
	if len(p.Fixes) != 1 || !strings.Contains(p.Fixes[0].Command, "--issuer $(az aks show --name '<cluster>'") {
		t.Errorf("federated credential fix without an issuer in the answer: %+v; want the issuer from az aks show, unquoted", p.Fixes)
	}
}

// TestSourceDetail: a failed token request reads as its endpoint's host,
// status and reason, or the status alone when the body gives none.
func TestSourceDetail(t *testing.T) {
	t.Parallel()
	answer := func(status int, body string, withRequest bool) error {
		r := &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(body))}
		if withRequest {
			r.Request = httptest.NewRequest("POST", "https://login.microsoftonline.com/t/oauth2/v2.0/token", nil)
		}
		return &azidentity.AuthenticationFailedError{RawResponse: r}
	}
	for _, tt := range []struct {
		err  error
		want string
	}{
		{answer(401, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"}`, true),
			"login.microsoftonline.com answered 401: AADSTS7000215: Invalid client secret provided."},
		{answer(503, ``, true), "login.microsoftonline.com answered 503 Service Unavailable"},
		{answer(500, ``, false), "the endpoint answered 500 Internal Server Error"},
		{errors.New("AzureCLICredential: ERROR: Please run 'az login' to setup account.\nTo troubleshoot, visit https://aka.ms/x"), "ERROR: Please run 'az login' to setup account."},
	} {
		if got := SourceDetail(tt.err); got != tt.want {
			t.Errorf("sourceDetail = %q; want %q", got, tt.want)
		}
	}
}

// TestFixCommandsHostileValues fills the fixes with values that shells
// expand or split (quotes, $, `, !, spaces) and runs each command in each
// shell against stand-in commands that record their arguments: every
// value must arrive whole, and nothing in it may run or expand.
func TestFixCommandsHostileValues(t *testing.T) {
	t.Parallel()
	hostile := []string{`my app's "x" !x`, "rg $HOME `id` $(id)", `c'"$HOME`, "/tmp/my cert's $HOME.pem"}
	cfg := Facts{VaultURL: "https://kv.vault.azure.net/", SecretName: "secret", ClientID: hostile[2], TenantID: hostile[2],
		CertificatePath: hostile[3], Host: Host{"App Service", "webapp", hostile[0], hostile[1], ""}}
	x := explainer{cfg: cfg, principal: &Principal{ObjectID: hostile[2]}}
	var commands []string
	problems := []*Problem{x.noIdentity(), x.configurationProblem([]Setting{{"SECRET_CACHE_TTL", "", "x", hostile[0]}}),
		x.certificateNotRegistered(entraAnswer{}), x.applicationNotFound(entraAnswer{}), x.accessPolicyDenied(vaultAnswer{}),
		x.identityProblem(&Source{Name: "App Service user-assigned managed identity (2017-09-01)"}, "x", nil)}
	for _, p := range problems {
		for _, f := range p.Fixes {
			if f.Command != "" && !strings.HasPrefix(f.Command, "export ") {
				commands = append(commands, f.Command)
			}
		}
	}
	bin := t.TempDir()
	log := filepath.Join(bin, "args")
	for _, name := range []string{"az", "curl"} {
		writeScript(t, filepath.Join(bin, name), `for a in "$@"; do printf '%s\n' "$a"; done >> `+log+"\n")
	}
	checked := 0
	for _, shell := range pasteShells(t) {
		for _, c := range commands {
			os.Remove(log)
			run := exec.Command(shell, "-c", c)
			run.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "HOME=/nonexistent-home"}
			if out, err := run.CombinedOutput(); err != nil {
				t.Errorf("%s -c %q: %v\n%s", shell, c, err, out)
				continue
			}
			args, _ := os.ReadFile(log)
			if strings.Contains(string(args), "uid=") || strings.Contains(string(args), "/nonexistent-home") {
				t.Errorf("%s ran or expanded part of a value in %q:\n%s", shell, c, args)
			}
			for _, v := range hostile {
				if strings.Contains(c, shellQuote(v)) {
					checked++
				}
				if strings.Contains(c, shellQuote(v)) && !strings.Contains(string(args), v) {
					t.Errorf("%s split or changed %q in %q; the command got:\n%s", shell, v, c, args)
				}
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d hostile values reached a command; want the fixes to carry them", checked)
	}
}

// TestRedactorText: what the redactor lets a page or a log show.
func TestRedactorText(t *testing.T) {
	t.Parallel()
	const secret = "s3cret-value-0123456789"
	spaced := "a pass phrase with spaces, " + strings.Repeat("x", 37) // 64 bytes
	r := NewRedactor(secret, "short", "proxy-password", spaced)
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
		{"a short setting is not searched for", "a short answer", []string{"a short answer"}, nil},
		{"a token", "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc_DEF-1 end", []string{"token [redacted token] end"}, []string{"eyJ"}},
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

// TestAuthErrorText: the chain's error names the source that failed, or
// says that none is configured; the log's error field quotes it.
func TestAuthErrorText(t *testing.T) {
	t.Parallel()
	failed := &Source{Name: "Azure CLI"}
	for _, tt := range []struct {
		err  *AuthError
		want string
	}{
		{&AuthError{}, "no credential source is configured"},
		{&AuthError{Failed: failed, Err: errors.New("az: not logged in")}, "Azure CLI: az: not logged in"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q; want %q", got, tt.want)
		}
	}
}

// TestErrorDescription reads the human part of an error body: App
// Service's Message, OAuth's error_description (its first line), else error.
func TestErrorDescription(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`{"StatusCode":400,"Message":"No MSI found for specified ClientId/ResourceId.","CorrelationId":"c"}`: "No MSI found for specified ClientId/ResourceId.",
		`{"error":"invalid_client","error_description":"AADSTS7000215: Invalid.\r\nTrace ID: x"}`:            "AADSTS7000215: Invalid.",
		`{"error":"invalid_request"}`: "invalid_request",
		`not json`:                    "",
	} {
		if got := ErrorDescription([]byte(body)); got != want {
			t.Errorf("ErrorDescription(%s) = %q; want %q", body, got, want)
		}
	}
}
