package main

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/diagnose"
	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// secret is a value read from Key Vault and what the page says about it.
type secret struct {
	Name      string    `json:"name"`
	Value     string    `json:"value"`
	Version   string    `json:"version"`
	Vault     string    `json:"vault"`
	FetchedAt time.Time `json:"fetchedAt"`
}

// secretReader reads one secret through the process's one azsecrets.Client.
type secretReader struct {
	client *azsecrets.Client
	vault  string
	name   string
	ttl    time.Duration // 0: read Key Vault on every call
	// timeout bounds a shared cache refresh, which must not die with
	// whichever caller happened to start it.
	timeout time.Duration

	// warm is set once a request has passed Key Vault's authentication
	// challenge. Until then, reads go one at a time: azsecrets does not
	// share an in-flight challenge, so a cold burst would otherwise cost a
	// challenge round trip per request and more than one token: measured
	// without it, 32 concurrent first views made 4 token requests of the
	// identity endpoint, against 1 (TestColdBurst).
	warm    atomic.Bool
	warming chan struct{}

	cached atomic.Pointer[secret]
	mu     sync.Mutex
	flight *refresh // the refresh in progress, if any
	// explain turns a failed read into what its views show. It runs once
	// per failure, inside the read: a failed answer's body is read there,
	// and views that share a refresh share only the explanation.
	explain func(error) *failure
}

func newSecretReader(client *azsecrets.Client, cfg config, explain func(error) *failure) *secretReader {
	return &secretReader{client: client, vault: cfg.VaultURL, name: cfg.SecretName, ttl: cfg.SecretCacheTTL,
		timeout: cfg.RequestTimeout, warming: make(chan struct{}, 1), explain: explain}
}

// readResult is what one read gives its views: the secret or the failure.
type readResult struct {
	secret  secret
	failure *failure
}

// Read returns the secret: from the cache while it is younger than the TTL,
// else from Key Vault, with concurrent misses sharing one refresh. A failed
// refresh is returned as the failure it is, never as the expired value.
func (r *secretReader) Read(ctx context.Context) (secret, *failure) {
	if r.ttl <= 0 {
		res := r.fetch(ctx)
		return res.secret, res.failure
	}
	if s := r.cached.Load(); s != nil && time.Since(s.FetchedAt) < r.ttl {
		return *s, nil
	}
	f := r.join(ctx)
	select {
	case <-f.done:
		return f.result.secret, f.result.failure
	case <-ctx.Done():
		r.leave(f)
		return secret{}, r.explain(ctx.Err())
	}
}

// refresh is one read of Key Vault that concurrent views share. It must
// not die with whichever view started it, and must not outlive the last
// that waits for it: a view that ends (its client gone, the app shutting
// down) leaves, and the last to leave ends the read, with any tool it ran.
type refresh struct {
	done    chan struct{}
	result  readResult // set before done is closed
	waiting int
	cancel  context.CancelFunc
}

// join returns the refresh in progress, or starts one, counting the view
// whose context is ctx among those waiting.
func (r *secretReader) join(ctx context.Context) *refresh {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.flight == nil {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
		f := &refresh{done: make(chan struct{}), cancel: cancel}
		r.flight = f
		go func() {
			defer cancel()
			f.result = r.fetch(fctx)
			if f.result.failure == nil {
				r.cached.Store(&f.result.secret)
			}
			r.mu.Lock()
			if r.flight == f {
				r.flight = nil
			}
			r.mu.Unlock()
			close(f.done)
		}()
	}
	r.flight.waiting++
	return r.flight
}

// leave counts a view out of f; the last one ends it, and a view that
// comes after starts a refresh of its own.
func (r *secretReader) leave(f *refresh) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f.waiting--; f.waiting == 0 {
		f.cancel()
		if r.flight == f {
			r.flight = nil
		}
	}
}

// fetch reads the secret from Key Vault, and explains a failure there.
func (r *secretReader) fetch(ctx context.Context) readResult {
	s, err := r.get(ctx)
	if err != nil {
		return readResult{failure: r.explain(err)}
	}
	return readResult{secret: s}
}

// get reads the secret from Key Vault. A panic in the Azure SDK on a
// malformed answer is returned as an error: azsecrets 1.5.1's challenge
// policy indexes the challenge's authorization URL for a tenant it does
// not check is there (keyvault/internal 1.2.0, challenge_policy.go:
// parseTenant), and one bad answer must never end the process.
func (r *secretReader) get(ctx context.Context) (s secret, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &diagnose.SDKPanic{Value: p}
		}
	}()
	if !r.warm.Load() {
		select {
		case r.warming <- struct{}{}:
			defer func() { <-r.warming }()
		case <-ctx.Done():
			return secret{}, ctx.Err()
		}
	}
	ctx, authFailure := pipeline.Slot[diagnose.AuthError](ctx)
	resp, err := r.client.GetSecret(ctx, r.name, "", nil)
	if err != nil {
		if respErr := (*azcore.ResponseError)(nil); errors.As(err, &respErr) && respErr.StatusCode != http.StatusUnauthorized {
			r.warm.Store(true) // the challenge is done; Key Vault judged the token
		}
		return secret{}, withAuthFailure(authFailure, err)
	}
	r.warm.Store(true)
	s = secret{Name: r.name, Vault: r.vault, FetchedAt: time.Now()}
	if resp.Value != nil {
		s.Value = *resp.Value
	}
	if resp.ID != nil {
		s.Version = resp.ID.Version()
	}
	return s, nil
}

// failure is a failed read as every view of it shows it: explained once,
// redacted, and never changed after, so that views may share it.
type failure struct {
	problem *diagnose.Problem
	sources []sourceStatus
	log     string // the error's first line, for the log
}

// explainFailure returns the function that explains a failed read, with
// what the app knows: cfg, and the chain's principal and sources.
func explainFailure(cfg config, creds *chain) func(error) *failure {
	redactor := sync.OnceValue(func() diagnose.Redactor { return diagnose.NewRedactor(cfg.secrets()...) }) // built at the first failure
	return func(err error) *failure {
		r := redactor()
		p := creds.Principal()
		f := &failure{
			problem: diagnose.Explain(err, cfg.facts(p)),
			sources: creds.statuses(err, diagnose.SourceDetail),
			log:     r.Text(pipeline.FirstLine(err.Error())),
		}
		for i := range f.sources {
			f.sources[i].Detail = r.Text(f.sources[i].Detail)
		}
		return f
	}
}
