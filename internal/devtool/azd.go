package devtool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// AzureDeveloperCLI gets tokens from the developer's Azure Developer CLI
// login by running `azd auth token --output=json --no-prompt --scope=…`,
// as azidentity's AzureDeveloperCLICredential does (azidentity 1.15,
// azure_developer_cli_credential.go), with the differences the package doc
// names. Each flag is written --name=value: azd 1.31 takes a separate
// value such as "json" for a command name it may have to install, and
// looks it up in its extension registry on the network first
// (Azure/azure-dev, cli/azd/cmd/auto_install.go), which cost 9.8 s a token
// offline here, against 0.07 s with "=".
type AzureDeveloperCLI struct {
	Path   string // the executable's path
	Tenant string // AZURE_TENANT_ID; "" for azd's own
}

// GetToken implements azcore.TokenCredential.
func (c *AzureDeveloperCLI) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if len(opts.Scopes) == 0 {
		return azcore.AccessToken{}, errors.New("the Azure Developer CLI needs a scope")
	}
	args := []string{"auth", "token", "--output=json", "--no-prompt"}
	for _, scope := range opts.Scopes {
		if !cliSafe(scope, ":/.-_") {
			return azcore.AccessToken{}, fmt.Errorf("the scope %q has characters a scope never has", scope)
		}
		args = append(args, "--scope="+scope)
	}
	tenant, err := resolveTenant("the Azure Developer CLI", c.Tenant, opts.TenantID)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	if tenant != "" {
		args = append(args, "--tenant-id="+tenant)
	}
	if opts.Claims != "" {
		// azd 1.18.1 and later take the vault's claims challenge and ask
		// Entra ID for a token that meets it (cmd/auth_token.go).
		args = append(args, "--claims="+base64.StdEncoding.EncodeToString([]byte(opts.Claims)))
	}
	out, err := run(ctx, c.Path, args...)
	if err != nil {
		msg := azdMessage(err.Error())
		if strings.Contains(msg, "unknown flag: --claims") {
			// azidentity's words for an azd older than 1.18.1.
			msg = "the vault asks for more claims (multifactor authentication), and this azd cannot pass them on: upgrade to azd 1.18.1 or later (https://aka.ms/azd-install)"
		}
		return azcore.AccessToken{}, errors.New(msg)
	}
	var t struct {
		Token     string `json:"token"`
		ExpiresOn string `json:"expiresOn"`
	}
	if json.Unmarshal(out, &t) != nil || t.Token == "" {
		return azcore.AccessToken{}, errors.New("azd auth token printed no token")
	}
	exp, err := time.Parse(time.RFC3339, t.ExpiresOn)
	if err != nil {
		return azcore.AccessToken{}, fmt.Errorf("azd printed an expiry the app cannot read: %q", t.ExpiresOn)
	}
	return azcore.AccessToken{Token: t.Token, ExpiresOn: exp.UTC()}, nil
}

// azdMessage is the human part of what azd wrote on stderr: a line
// {"error": …} (azd 1.23.7 and later), else the first non-empty message of
// its {"type":"consoleMessage","data":{"message": …}} lines, else the text
// itself (azidentity 1.15, developer_credential_util.go: extractAzdError).
func azdMessage(stderr string) string {
	var fallback string
	for _, line := range strings.Split(stderr, "\n") {
		var e struct {
			Error string `json:"error"`
			Data  struct {
				Message string `json:"message"`
			} `json:"data"`
		}
		if json.Unmarshal([]byte(strings.TrimSpace(line)), &e) != nil {
			continue
		}
		if e.Error != "" {
			return e.Error
		}
		if m := strings.TrimSpace(e.Data.Message); m != "" && fallback == "" {
			fallback = m
		}
	}
	if fallback != "" {
		return fallback
	}
	return stderr
}
