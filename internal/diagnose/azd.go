package diagnose

import (
	"regexp"
	"strings"

	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"
)

// azdRules classify what the Azure Developer CLI wrote on stderr (its
// message, as the app's azd credential extracts it), first match wins. The
// stand-in's azd (internal/standin/azd.go) plays each, quoted from the
// public source named there.
var azdRules = []toolRule{
	// "not logged in, run `azd auth login` to login" (azd's
	// ErrNoCurrentUser, as Azure/azure-sdk-for-js's AzureDeveloperCliCredential matches it).
	{regexp.MustCompile("not logged in, run `azd (auth )?login`"), explainer.azdNotLoggedIn},
	// An expired or revoked refresh token, a sign-in frequency check, or
	// azd's own "reauthentication required" (Azure/azure-dev#2675).
	{regexp.MustCompile(`AADSTS(700082|70043|50173|50078|50076|50079)\b|reauthentication required`), explainer.azdLoginExpired},
}

func (x explainer) azdProblem(s *Source, msg string) *Problem {
	return x.toolProblem(s, azdRules, msg, &Problem{
		Title: "the Azure Developer CLI could not get a token",
		Cause: "azd auth token failed: " + msg,
		Fixes: []Fix{{Text: "Run what the app runs, and read what azd says:", Command: cmd("azd", "auth", "token", "--scope", "https://vault.azure.net/.default")}},
	})
}

// azdLogin is azd auth login, in AZURE_TENANT_ID's tenant when it is set.
func (x explainer) azdLogin(extra ...any) string {
	words := []any{"azd", "auth", "login"}
	if x.cfg.TenantID != "" {
		words = append(words, "--tenant-id", x.cfg.TenantID)
	}
	return cmd(append(words, extra...)...)
}

func (x explainer) azdNotLoggedIn(string) *Problem {
	return &Problem{
		Title: "not signed in",
		Cause: "The Azure Developer CLI is installed, but no one is signed in to it.",
		Fixes: []Fix{{Text: "Sign in, then reload this page: the app asks azd each time it needs a new token.", Command: x.azdLogin()}},
	}
}

func (x explainer) azdLoginExpired(msg string) *Problem {
	return &Problem{
		Title: "the sign-in has expired",
		Cause: "The Azure Developer CLI's sign-in is no longer valid: " + pipeline.FirstLine(strings.TrimPrefix(msg, "ERROR: ")),
		Fixes: []Fix{{Text: "Sign in again, for Key Vault:", Command: x.azdLogin("--scope", "https://vault.azure.net/.default")}},
	}
}
