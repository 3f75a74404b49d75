package devtool

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// AzurePowerShell gets tokens from the developer's Azure PowerShell
// sign-in (Connect-AzAccount) by running Get-AzAccessToken in pwsh, as
// azidentity's AzurePowerShellCredential does (azidentity 1.15,
// azure_powershell_credential.go): a v1 resource, Az.Accounts 2.2.0 or
// later, the token as plain text whichever type the module returns; with
// the differences the package doc names.
type AzurePowerShell struct {
	Path   string // pwsh's path (powershell.exe's on Windows without pwsh)
	Tenant string // AZURE_TENANT_ID; "" for the sign-in's own
}

// GetToken implements azcore.TokenCredential.
func (c *AzurePowerShell) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if len(opts.Scopes) != 1 || !cliSafe(opts.Scopes[0], ":/.-_") {
		return azcore.AccessToken{}, fmt.Errorf("pwsh takes exactly one scope of letters, digits and :/.-_, not %q", opts.Scopes)
	}
	tenant, err := resolveTenant("Azure PowerShell", c.Tenant, opts.TenantID)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	if opts.Claims != "" {
		login := "Connect-AzAccount"
		if tenant != "" {
			login += " -TenantId " + tenant
		}
		return azcore.AccessToken{}, fmt.Errorf("the vault asks for more claims (multifactor authentication); run: %s -ClaimsChallenge %s",
			login, base64.StdEncoding.EncodeToString([]byte(opts.Claims)))
	}
	// The resource and tenant are letters, digits and :/.-_ only (checked
	// above), so they stand in single quotes as they are.
	script := strings.Join([]string{
		"$ErrorActionPreference = 'Stop'",
		"if (-not (Get-Module -ListAvailable -Name Az.Accounts | Where-Object { $_.Version -ge [version]'2.2.0' })) { throw '" + noAzAccounts + "' }",
		"$request = @{ ResourceUrl = '" + strings.TrimSuffix(opts.Scopes[0], "/.default") + "'; WarningAction = 'Ignore' }",
		"if ('" + tenant + "') { $request.TenantId = '" + tenant + "' }",
		"$answer = Get-AzAccessToken @request",
		"$token = $answer.Token",
		"if ($token -is [securestring]) { $token = [System.Net.NetworkCredential]::new('', $token).Password }",
		"@{ Token = $token; ExpiresOn = $answer.ExpiresOn.ToUnixTimeSeconds() } | ConvertTo-Json -Compress",
	}, "\n")
	out, err := run(ctx, c.Path, "-NoProfile", "-NonInteractive", "-OutputFormat", "Text", "-EncodedCommand", encodeCommand(script))
	if err != nil {
		return azcore.AccessToken{}, err
	}
	var t struct {
		Token     string
		ExpiresOn int64
	}
	if json.Unmarshal(out, &t) != nil || t.Token == "" {
		return azcore.AccessToken{}, errors.New("Get-AzAccessToken printed no token")
	}
	return azcore.AccessToken{Token: t.Token, ExpiresOn: time.Unix(t.ExpiresOn, 0).UTC()}, nil
}

// noAzAccounts is what the script says when the module is missing, as
// azidentity's own script says it.
const noAzAccounts = "Az.Accounts module not found"

// encodeCommand is script as pwsh's -EncodedCommand takes it: base64 of
// its UTF-16LE bytes (PowerShell docs, about_Pwsh).
func encodeCommand(script string) string {
	units := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(units))
	for i, u := range units {
		binary.LittleEndian.PutUint16(b[2*i:], u)
	}
	return base64.StdEncoding.EncodeToString(b)
}
