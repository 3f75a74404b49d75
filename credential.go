package main

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"
	"github.com/Azure-Samples/keyvault-msi-go/internal/sources"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// chain is the app's one credential. It asks the first source whose
// environment is present, in the order workload identity, managed
// identity, service principal, Azure CLI, Azure Developer CLI, and records
// who that source turned out to be. A configured identity that fails is
// reported, not passed over: falling through to a developer's own login on
// a server would hide the real problem. A developer tool that fails (signed
// out, expired, broken) is passed over to the next developer tool, as in
// DefaultAzureCredential, which treats their failures as "unavailable"
// (azidentity 1.15, developer_credential_util.go: unavailableIfInDAC).
type chain struct {
	sources   []sources.Source
	active    *sources.Source   // the first source asked; nil when every source is skipped
	fallbacks []*sources.Source // the developer tools asked, in order, when active is one and fails
	last      atomic.Pointer[issued]
}

// issued is who the last token was issued to, and the developer tools
// that failed before its source gave it.
type issued struct {
	principal  principal
	passedOver []*sources.AuthError
}

// newChain builds the chain for cfg. opts reach every source's HTTP
// pipeline: newApp passes pipeline.Options, so the app's one transport
// carries every token request (HTTPS_PROXY honoured, answers bounded).
func newChain(cfg config, opts azcore.ClientOptions) *chain {
	// Workload identity comes before the managed identity, as in
	// azidentity's DefaultAzureCredential.
	build := []struct {
		kind sources.Kind
		new  func() sources.Source
	}{
		{sources.KindWorkloadIdentity, func() sources.Source { return sources.WorkloadIdentity(cfg.Env, opts) }},
		{sources.KindManagedIdentity, func() sources.Source { return sources.ManagedIdentity(cfg.Env, opts) }},
		{sources.KindServicePrincipal, func() sources.Source { return sources.ServicePrincipal(cfg.Env, opts) }},
		{sources.KindAzureCLI, func() sources.Source { return sources.AzureCLI(cfg.Env) }},
		{sources.KindAzureDeveloperCLI, func() sources.Source { return sources.AzureDeveloperCLI(cfg.Env) }},
		{sources.KindAzurePowerShell, func() sources.Source { return sources.AzurePowerShell(cfg.Env) }},
	}
	c := &chain{sources: make([]sources.Source, len(build))} // never grown: active and fallbacks point into it
	for i, b := range build {
		s := &c.sources[i]
		if c.active != nil && !(c.active.Kind.DeveloperTool() && b.kind.DeveloperTool()) {
			// Never asked, so never built: a host with a managed identity
			// searches no PATH for a developer's tools.
			*s = sources.NotTried(b.kind, c.active.Name)
			continue
		}
		*s = b.new()
		if s.Skipped == "" && !cfg.allows(s.Kind) {
			s.Skipped, s.Cred = "excluded by AZURE_TOKEN_CREDENTIALS="+cfg.TokenSources, nil
		}
		switch {
		case s.Skipped != "":
		case c.active == nil:
			c.active = s
		default: // a developer tool after the developer tool first asked
			c.fallbacks = append(c.fallbacks, s)
		}
	}
	return c
}

// allows reports whether AZURE_TOKEN_CREDENTIALS lets the chain use typeName.
func (c config) allows(kind sources.Kind) bool {
	switch c.TokenSources {
	case "":
		return true
	case "prod":
		return !kind.DeveloperTool()
	case "dev":
		return kind.DeveloperTool()
	}
	return c.TokenSources == string(kind)
}

// developerSignIn reports whether the chain reads with a developer's own
// sign-in: its first source is a developer tool (its fallbacks are too).
func (c *chain) developerSignIn() bool {
	return c.active != nil && c.active.Kind.DeveloperTool()
}

// GetToken implements azcore.TokenCredential. azsecrets calls it once per
// token lifetime: its bearer-token policy caches the token and makes
// concurrent callers wait for one request.
func (c *chain) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if c.active == nil {
		return azcore.AccessToken{}, &sources.AuthError{}
	}
	var failed []*sources.AuthError
	for _, s := range append([]*sources.Source{c.active}, c.fallbacks...) {
		tok, ae := ask(ctx, s, opts)
		if ae == nil {
			l := &issued{principal: principalFromToken(tok.Token), passedOver: failed}
			l.principal.Source, l.principal.ExpiresOn = s.Name, shownTime(tok.ExpiresOn)
			c.last.Store(l)
			return tok, nil
		}
		failed = append(failed, ae)
		if ctx.Err() != nil {
			break // no time left to ask the next tool
		}
	}
	ae := failed[0]
	ae.Also = failed[1:]
	pipeline.Store(ctx, ae) // for the handler: see withAuthFailure
	return azcore.AccessToken{}, ae
}

// latestShown is the latest time JSON can carry: encoding/json refuses a
// year past 9999 (RFC 3339), and an upstream may claim one.
var latestShown = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// shownTime is t as the page may show it: no later than latestShown.
func shownTime(t time.Time) time.Time {
	if t.After(latestShown) {
		return latestShown
	}
	return t
}

// ask gets a token from s, or says why s could not, with the last network
// failure its requests met.
func ask(ctx context.Context, s *sources.Source, opts policy.TokenRequestOptions) (azcore.AccessToken, *sources.AuthError) {
	ctx, transportErr := pipeline.Slot[error](ctx)
	tok, err := s.Cred.GetToken(ctx, opts)
	if err == nil {
		return tok, nil
	}
	ae := &sources.AuthError{Failed: s, Err: err}
	if t := transportErr(); t != nil {
		ae.Transport = *t
	}
	return azcore.AccessToken{}, ae
}

// Principal is who the last token was issued to, or nil before the first.
func (c *chain) Principal() *principal {
	if l := c.last.Load(); l != nil {
		return &l.principal
	}
	return nil
}

// withAuthFailure adds the chain's failure, recorded in ctx's seen slot,
// to a request's final error when that error has lost it: azcore's retry
// policy replaces any error with the context's own once the context is
// done, so a token request that timed out would otherwise read as Key
// Vault's timeout.
func withAuthFailure(failed func() *sources.AuthError, err error) error {
	var ae *sources.AuthError
	if f := failed(); f != nil && err != nil && !errors.As(err, &ae) {
		return errors.Join(f, err)
	}
	return err
}

// sourceStatus is one credential source as the page lists it.
type sourceStatus struct {
	Name   string `json:"name"`
	Status string `json:"status"` // used, failed, skipped, or configured (not yet asked)
	Detail string `json:"detail,omitempty"`
}

// statuses lists the chain's sources as they stand for a view: the sources
// whose errors err holds failed, each with detail's words for its error;
// with no err, the developer tools passed over for the last token failed;
// the source that issued the last token is used; any other is configured.
func (c *chain) statuses(err error, detail func(error) string) []sourceStatus {
	var p *principal
	l := c.last.Load()
	if l != nil {
		p = &l.principal
	}
	failed := map[string]error{}
	var ae *sources.AuthError
	switch {
	case errors.As(err, &ae) && ae.Failed != nil:
		for _, a := range append([]*sources.AuthError{ae}, ae.Also...) {
			failed[a.Failed.Name] = a.Err
		}
	case err == nil && l != nil:
		for _, a := range l.passedOver {
			failed[a.Failed.Name] = a.Err
		}
	}
	out := make([]sourceStatus, 0, len(c.sources))
	for i := range c.sources {
		s := &c.sources[i]
		switch {
		case s.Skipped != "":
			out = append(out, sourceStatus{s.Name, "skipped", s.Skipped})
		case failed[s.Name] != nil:
			out = append(out, sourceStatus{s.Name, "failed", detail(failed[s.Name])})
		case p != nil && p.Source == s.Name:
			out = append(out, sourceStatus{s.Name, "used", ""})
		case s != c.active:
			out = append(out, sourceStatus{s.Name, "configured", "asked only if " + c.active.Name + " fails"})
		default:
			out = append(out, sourceStatus{s.Name, "configured", "not yet asked for a token"})
		}
	}
	return out
}
