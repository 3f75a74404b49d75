package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// azdCredential gets tokens from the developer's Azure Developer CLI login
// by running `azd auth token -o json --no-prompt --scope …`, as
// azidentity's AzureDeveloperCLICredential does (azidentity 1.15,
// azure_developer_cli_credential.go), with azCLICredential's two
// differences: the azd on the app's own PATH, and its output capped.
type azdCredential struct {
	azd    string // the executable's path
	tenant string // AZURE_TENANT_ID; "" for azd's own
}

// GetToken implements azcore.TokenCredential.
func (c *azdCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if len(opts.Scopes) == 0 {
		return azcore.AccessToken{}, errors.New("the Azure Developer CLI needs a scope")
	}
	args := []string{"auth", "token", "-o", "json", "--no-prompt"}
	for _, scope := range opts.Scopes {
		if !cliSafe(scope, ":/.-_") {
			return azcore.AccessToken{}, fmt.Errorf("the scope %q has characters a scope never has", scope)
		}
		args = append(args, "--scope", scope)
	}
	tenant, err := resolveTenant("the Azure Developer CLI", c.tenant, opts.TenantID)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	if tenant != "" {
		args = append(args, "--tenant-id", tenant)
	}
	if opts.Claims != "" {
		return azcore.AccessToken{}, fmt.Errorf("the vault asks for more claims (multifactor authentication); run: azd auth login --scope %s", opts.Scopes[0])
	}
	out, err := runCapped(ctx, c.azd, args...)
	if err != nil {
		return azcore.AccessToken{}, errors.New(azdMessage(err.Error()))
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
