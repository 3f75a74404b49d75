package diagnose

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

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
	if runtime.GOOS == "windows" {
		t.Skip("POSIX shells are where Linux and macOS users paste; on Windows the page's commands are PowerShell")
	}
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
		{VaultURL: "https://kv.vault.azure.net/", SecretName: "secret", Host: Host{Name: "App Service", Group: "webapp", App: "my-app", RG: "my rg"}, ClientID: "c"},
		{VaultURL: "https://kv.vault.azure.net/", SecretName: "secret", Host: Host{Name: "App Service", Group: "webapp", App: "my-app", RG: "my rg"}, ClientID: "c",
			IdentityEndpoint: "http://localhost:8081/msi/token", UnresolvedReference: "SECRET_FROM_REFERENCE"},
		{VaultURL: "https://kv.vault.azure.net/", SecretName: "secret", Host: Host{Name: "Container Apps", Group: "containerapp", App: "my-app", Revision: "my-app--rev1"}, ClientID: "c"},
	} {
		x := explainer{cfg: cfg, principal: &Principal{ObjectID: "oid", IsUser: true}}
		out = append(out, x.noIdentity(), x.configurationProblem([]Setting{
			{Variable: "KEY_VAULT_URL", Problem: "not set", Example: "https://<your-vault-name>.vault.azure.net/"},
			{Variable: "AZURE_CLIENT_SECRET", Found: "@Microsoft.KeyVault(VaultName=kv;SecretName=sp)", Problem: "unresolved", Reference: true}}),
			x.configurationProblem([]Setting{{Variable: "A", Reference: true}, {Variable: "B", Reference: true}}),
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
		azd := &Source{Name: "Azure Developer CLI", Kind: "AzureDeveloperCLICredential"}
		for _, msg := range []string{"x", "ERROR: not logged in, run `azd auth login` to login", "AADSTS700082: x"} {
			out = append(out, x.azdProblem(azd, msg))
		}
		s := &Source{Name: "App Service user-assigned managed identity (2017-09-01)", Kind: "ManagedIdentityCredential"}
		cli := &Source{Name: "Azure CLI", Kind: "AzureCLICredential"}
		mismatch := `isn't configured to acquire tokens for tenant "abc"`
		out = append(out, x.identityProblem(s, "x", nil), x.tenantMismatch(s, mismatch), x.tenantMismatch(cli, mismatch), x.tenantMismatch(azd, mismatch))
	}
	return out
}

// hostileValues are values that shells expand or split: quotes, $, `, !, spaces.
var hostileValues = []string{`my app's "x" !x ‘q’`, "rg $HOME `id` $(id)", `c'"$HOME`, "/tmp/my cert's $HOME.pem"}

// hostileProblems are problems whose fixes carry hostileValues.
func hostileProblems() []*Problem {
	hostile := hostileValues
	cfg := Facts{VaultURL: "https://kv.vault.azure.net/", SecretName: "secret", ClientID: hostile[2], TenantID: hostile[2],
		CertificatePath: hostile[3], Host: Host{Name: "App Service", Group: "webapp", App: hostile[0], RG: hostile[1], Pod: hostile[2], Namespace: hostile[0]}, IdentityEndpoint: "http://localhost:8081/msi/token"}
	x := explainer{cfg: cfg, principal: &Principal{ObjectID: hostile[2]}}
	return []*Problem{x.noIdentity(), x.configurationProblem([]Setting{{Variable: "SECRET_CACHE_TTL", Problem: "x", Example: hostile[0]}, {Variable: "KEY_VAULT_URL", Reference: true}}),
		x.certificateNotRegistered(entraAnswer{}), x.applicationNotFound(entraAnswer{}), x.accessPolicyDenied(vaultAnswer{}),
		x.identityProblem(&Source{Name: "App Service user-assigned managed identity (2017-09-01)"}, "x", nil),
		x.workloadProblem(&Source{Name: "AKS workload identity"}, "open /var/run/secrets/token: no such file or directory", nil)}
}

// TestFixCommandsHostileValues fills the fixes with values that shells
// expand or split (quotes, $, `, !, spaces) and runs each command in each
// shell against stand-in commands that record their arguments: every
// value must arrive whole, and nothing in it may run or expand.
func TestFixCommandsHostileValues(t *testing.T) {
	t.Parallel()
	hostile := hostileValues
	var commands []string
	problems := hostileProblems()
	for _, p := range problems {
		for _, f := range p.Fixes {
			if f.Command != "" && !strings.HasPrefix(f.Command, "export ") {
				commands = append(commands, f.Command)
			}
		}
	}
	bin := t.TempDir()
	log := filepath.Join(bin, "args")
	for _, name := range []string{"az", "curl", "kubectl"} { // every tool a fix runs: never the machine's own
		writeScript(t, filepath.Join(bin, name), `for a in "$@"; do printf '%s\n' "$a"; done >> `+log+"\n")
	}
	checked := 0
	for _, shell := range pasteShells(t) {
		for _, c := range commands {
			os.Remove(log)
			run := exec.Command(shell, "-c", c)
			run.Env = []string{"PATH=" + bin, "HOME=/nonexistent-home"}
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

func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestSettingFixesSurviveRedeploy: on App Service, every fix that sets an
// app setting says that deploying the template again keeps it; elsewhere
// none says so.
func TestSettingFixesSurviveRedeploy(t *testing.T) {
	t.Parallel()
	var settings int
	for _, p := range explainedProblems() {
		for _, f := range p.Fixes {
			onAppService := strings.Contains(f.Command, "az webapp config appsettings set")
			says := strings.Contains(f.Text, "Deploying azuredeploy.json again keeps it")
			if onAppService {
				settings++
			}
			if onAppService != says {
				t.Errorf("fix %+v: sets an App Service setting %v, says a redeploy keeps it %v", f, onAppService, says)
			}
		}
	}
	if settings < 3 {
		t.Errorf("only %d App Service setting fixes checked", settings)
	}
}
