package diagnose

import (
	"regexp"
	"strings"

	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"
)

// pwshRules classify what Azure PowerShell wrote on stderr, first match
// wins. The stand-in's pwsh (internal/standin/pwsh.go) plays each, from the
// public source named there. Each fix is a PowerShell command, to run in
// pwsh, where Az.Accounts lives.
var pwshRules = []toolRule{
	// Get-AzAccessToken with no Connect-AzAccount sign-in; azidentity
	// matches "Connect-AzAccount" in it (developer_credential_util.go).
	{regexp.MustCompile(`Run Connect-AzAccount to login`), explainer.pwshNotSignedIn},
	// The script's own words when Az.Accounts 2.2.0 or later is missing.
	{regexp.MustCompile(`Az\.Accounts module not found`), explainer.pwshNoModule},
	{regexp.MustCompile(`AADSTS(700082|70043|50173|50078|50076|50079)\b`), explainer.pwshLoginExpired},
}

func (x explainer) pwshProblem(s *Source, msg string) *Problem {
	return x.toolProblem(s, pwshRules, msg, &Problem{
		Title: "Azure PowerShell could not get a token",
		Cause: "Get-AzAccessToken failed: " + msg,
		Fixes: []Fix{{Text: "In PowerShell, run what the app runs, and read what it says:", Command: cmd("Get-AzAccessToken", "-ResourceUrl", "https://vault.azure.net")}},
	})
}

// connectAzAccount is Connect-AzAccount, in AZURE_TENANT_ID's tenant when
// it is set.
func (x explainer) connectAzAccount() string {
	words := []any{"Connect-AzAccount"}
	if x.cfg.TenantID != "" {
		words = append(words, "-TenantId", x.cfg.TenantID)
	}
	return cmd(words...)
}

func (x explainer) pwshNotSignedIn(string) *Problem {
	return &Problem{
		Title: "not signed in",
		Cause: "Azure PowerShell is installed, but no one is signed in to it.",
		Fixes: []Fix{{Text: "In PowerShell, sign in, then reload this page:", Command: x.connectAzAccount()}},
	}
}

func (x explainer) pwshNoModule(string) *Problem {
	return &Problem{
		Title: "Az.Accounts is not installed",
		Cause: "pwsh is on PATH, but the Az.Accounts module (2.2.0 or later), which has Get-AzAccessToken, is not installed.",
		Fixes: []Fix{{Text: "In PowerShell, install it, then sign in with Connect-AzAccount:", Command: cmd("Install-Module", "Az.Accounts", "-Scope", "CurrentUser")}},
	}
}

func (x explainer) pwshLoginExpired(msg string) *Problem {
	return &Problem{
		Title: "the sign-in has expired",
		Cause: "Azure PowerShell's sign-in is no longer valid: " + pipeline.FirstLine(strings.TrimPrefix(msg, "Get-AzAccessToken: ")),
		Fixes: []Fix{{Text: "In PowerShell, sign in again:", Command: x.connectAzAccount()}},
	}
}
