package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/diagnose"
	"github.com/Azure-Samples/keyvault-msi-go/proctree"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// azCLICredential gets tokens from the developer's Azure CLI login by
// running `az account get-access-token`, as azidentity's
// AzureCLICredential does, with two differences: it runs the az that the
// app found on its own PATH (cfg.Path), not the process's; and it keeps at
// most diagnose.MaxAnswer bytes of what az writes, so that an az that writes
// without end costs the app 64 KiB.
type azCLICredential struct {
	az     string // the executable's path
	tenant string // AZURE_TENANT_ID; "" for az's own
}

// cliTimeout bounds az and azd when the caller set no deadline, as azidentity's does.
const cliTimeout = 10 * time.Second

// GetToken implements azcore.TokenCredential.
func (c *azCLICredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if len(opts.Scopes) != 1 || !cliSafe(opts.Scopes[0], ":/.-_") {
		return azcore.AccessToken{}, fmt.Errorf("the Azure CLI takes exactly one scope of letters, digits and :/.-_, not %q", opts.Scopes)
	}
	tenant, err := resolveTenant("the Azure CLI", c.tenant, opts.TenantID)
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
	stdout, err := runCapped(ctx, c.az, args...)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	return parseCLIToken(stdout)
}

// runCapped runs a developer tool (az, azd) and returns its stdout, or an
// error that is its stderr; each is kept to diagnose.MaxAnswer bytes, and
// the tool is given cliTimeout when ctx has no deadline.
func runCapped(ctx context.Context, tool string, args ...string) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cliTimeout)
		defer cancel()
	}
	name := filepath.Base(tool)
	run := exec.CommandContext(ctx, tool, args...)
	stdout, stderr := &cappedBuffer{}, &cappedBuffer{}
	run.Stdout, run.Stderr = stdout, stderr
	run.WaitDelay = 100 * time.Millisecond // the tool's children must not hold its pipes open
	proctree.EndTogether(run)              // and a timed-out tool leaves none behind
	if err := run.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s did not answer in time: %w", name, ctx.Err())
		}
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, errors.New(msg)
		}
		return nil, fmt.Errorf("%s %s failed: %w", name, strings.Join(args[:min(2, len(args))], " "), err)
	}
	return stdout.Bytes(), nil
}

// resolveTenant is the tenant to ask a developer tool (tool) for: the
// one Key Vault's challenge names (requested), unless AZURE_TENANT_ID
// (configured) names another, which azidentity refuses with these words
// (its resolveTenant) and the page explains.
func resolveTenant(tool, configured, requested string) (string, error) {
	switch {
	case requested == "" || requested == configured:
		return configured, nil
	case !cliSafe(requested, ".-"):
		return "", fmt.Errorf("the tenant %q has characters a tenant ID never has", requested)
	case configured != "" && configured != "organizations":
		return "", fmt.Errorf("%s source isn't configured to acquire tokens for tenant %q: AZURE_TENANT_ID names %q", tool, requested, configured)
	}
	return requested, nil
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

// cliSafe reports whether s is letters, digits and the given punctuation.
func cliSafe(s, punct string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(punct, r)) {
			return false
		}
	}
	return s != ""
}

// cappedBuffer keeps the first diagnose.MaxAnswer bytes written to it and drops
// the rest, so that az runs to its end without the app holding it all. It
// holds its buffer in a field, not embedded: an embedded bytes.Buffer's
// ReadFrom would let io.Copy, which os/exec uses, write past the cap.
type cappedBuffer struct{ buf bytes.Buffer }

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := diagnose.MaxAnswer - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *cappedBuffer) String() string { return b.buf.String() }
func (b *cappedBuffer) Bytes() []byte  { return b.buf.Bytes() }
