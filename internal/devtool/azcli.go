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

// AzureCLI gets tokens from the developer's Azure CLI login by running
// `az account get-access-token`, as azidentity's AzureCLICredential does,
// with the differences the package doc names.
type AzureCLI struct {
	Path   string // the executable's path
	Tenant string // AZURE_TENANT_ID; "" for az's own
}

// GetToken implements azcore.TokenCredential.
func (c *AzureCLI) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if len(opts.Scopes) != 1 || !cliSafe(opts.Scopes[0], ":/.-_") {
		return azcore.AccessToken{}, fmt.Errorf("the Azure CLI takes exactly one scope of letters, digits and :/.-_, not %q", opts.Scopes)
	}
	tenant, err := resolveTenant("the Azure CLI", c.Tenant, opts.TenantID)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	// A v1 resource, not a v2 scope: older az versions take only that.
	args := []string{"account", "get-access-token", "-o", "json", "--resource", strings.TrimSuffix(opts.Scopes[0], "/.default")}
	if tenant != "" {
		args = append(args, "--tenant", tenant)
	}
	if opts.Claims != "" {
		// Each word is letters, digits and base64's +/=: no shell quoting needed.
		login := []string{"az", "login"}
		if tenant != "" {
			login = append(login, "--tenant", tenant)
		}
		login = append(login, "--claims-challenge", base64.StdEncoding.EncodeToString([]byte(opts.Claims)))
		return azcore.AccessToken{}, fmt.Errorf("the vault asks for more claims (multifactor authentication); run: %s", strings.Join(login, " "))
	}
	stdout, err := run(ctx, c.Path, args...)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	return parseCLIToken(stdout)
}

// parseCLIToken reads az's JSON: accessToken, and expires_on (epoch
// seconds, az 2.54 and later) or else expiresOn (local time).
func parseCLIToken(out []byte) (azcore.AccessToken, error) {
	var t struct {
		AccessToken string `json:"accessToken"`
		ExpiresOn   string `json:"expiresOn"`
		Epoch       int64  `json:"expires_on"`
	}
	if err := json.Unmarshal(out, &t); err != nil || t.AccessToken == "" {
		return azcore.AccessToken{}, errors.New("az account get-access-token printed no token")
	}
	exp := time.Unix(t.Epoch, 0)
	if t.Epoch == 0 {
		var err error
		if exp, err = time.ParseInLocation("2006-01-02 15:04:05.999999", t.ExpiresOn, time.Local); err != nil {
			return azcore.AccessToken{}, fmt.Errorf("az printed an expiry the app cannot read: %q", t.ExpiresOn)
		}
	}
	return azcore.AccessToken{Token: t.AccessToken, ExpiresOn: exp.UTC()}, nil
}
