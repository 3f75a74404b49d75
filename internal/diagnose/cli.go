package diagnose

import (
	"regexp"
	"strings"

	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"
)

// cliRules classify what the Azure CLI wrote on stderr, first match wins.
// The stand-in's az (internal/standin/az.go) plays each, quoted from the
// public source named there.
var cliRules = []toolRule{
	// "ERROR: Please run 'az login' to setup account."
	{regexp.MustCompile(`az login' to set ?up account`), explainer.cliNotLoggedIn},
	// The refresh token expired (AADSTS700082), failed a sign-in frequency
	// check (AADSTS70043), or the CLI asks to sign in again interactively.
	{regexp.MustCompile(`AADSTS(700082|70043|50173|50078|50076)\b|Interactive authentication is needed`), explainer.cliLoginExpired},
	// "AADSTS90002: Tenant '…' not found."
	{regexp.MustCompile(`AADSTS90002\b`), explainer.cliTenantNotFound},
}

func (x explainer) cliProblem(s *Source, stderr string) *Problem {
	return x.toolProblem(s, cliRules, stderr, &Problem{
		Title: "the Azure CLI could not get a token",
		Cause: "az account get-access-token failed: " + stderr,
		Fixes: []Fix{{Text: "Run what the app runs, and read what az says:", Command: cmd("az", "account", "get-access-token", "--resource", "https://vault.azure.net")}},
	})
}

// toolRule classifies what a developer tool (az, azd) said: a match, and
// the problem it means.
type toolRule struct {
	match *regexp.Regexp
	build func(x explainer, msg string) *Problem
}

// toolProblem is the problem of the first of rules that matches msg, or
// fallback, titled after the source s.
func (x explainer) toolProblem(s *Source, rules []toolRule, msg string, fallback *Problem) *Problem {
	p := fallback
	for _, r := range rules {
		if r.match.MatchString(msg) {
			p = r.build(x, msg)
			break
		}
	}
	p.Title = s.Name + ": " + p.Title
	return p
}

// azLogin is az login, in AZURE_TENANT_ID's tenant when it is set.
func (x explainer) azLogin(extra ...any) string {
	words := []any{"az", "login"}
	if x.cfg.TenantID != "" {
		words = append(words, "--tenant", x.cfg.TenantID)
	}
	if x.cfg.Host.Container {
		words = append(words, "--use-device-code") // a code typed into any browser, not one opened here
	}
	return cmd(append(words, extra...)...)
}

func (x explainer) cliNotLoggedIn(string) *Problem {
	return &Problem{
		Title: "not signed in",
		Cause: "The Azure CLI is installed, but no one is signed in to it.",
		Fixes: []Fix{{Text: "Sign in, then reload this page: the app asks az each time it needs a new token.", Command: x.azLogin()}},
	}
}

func (x explainer) cliLoginExpired(stderr string) *Problem {
	return &Problem{
		Title: "the sign-in has expired",
		Cause: "The Azure CLI's sign-in is no longer valid: " + pipeline.FirstLine(strings.TrimPrefix(stderr, "ERROR: ")),
		Fixes: []Fix{{Text: "Sign in again, for Key Vault:", Command: x.azLogin("--scope", "https://vault.azure.net/.default")}},
	}
}

func (x explainer) cliTenantNotFound(stderr string) *Problem {
	return &Problem{
		Title: "the tenant does not exist",
		Cause: "The Azure CLI was asked for a token in a tenant that does not exist: " + pipeline.FirstLine(strings.TrimPrefix(stderr, "ERROR: ")),
		Fixes: []Fix{{Text: "Set AZURE_TENANT_ID to the vault's tenant, or unset it:", Command: cmd("az", "keyvault", "show", "--name", x.vaultName(), "--query", "properties.tenantId", "-o", "tsv")}},
	}
}
