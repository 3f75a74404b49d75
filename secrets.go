package main

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"golang.org/x/sync/singleflight"
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
	// challenge round trip per request.
	warm    atomic.Bool
	warming chan struct{}

	cached atomic.Pointer[secret]
	group  singleflight.Group
}

func newSecretReader(client *azsecrets.Client, cfg config) *secretReader {
	return &secretReader{client: client, vault: cfg.VaultURL, name: cfg.SecretName, ttl: cfg.SecretCacheTTL,
		timeout: cfg.RequestTimeout, warming: make(chan struct{}, 1)}
}

// Read returns the secret: from the cache while it is younger than the TTL,
// else from Key Vault, with concurrent misses sharing one request. A failed
// refresh is returned as the failure it is, never as the expired value.
func (r *secretReader) Read(ctx context.Context) (secret, error) {
	if r.ttl <= 0 {
		return r.fetch(ctx)
	}
	if s := r.cached.Load(); s != nil && time.Since(s.FetchedAt) < r.ttl {
		return *s, nil
	}
	ch := r.group.DoChan("", func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
		defer cancel()
		s, err := r.fetch(ctx)
		if err == nil {
			r.cached.Store(&s)
		}
		return s, err
	})
	select {
	case res := <-ch:
		return res.Val.(secret), res.Err
	case <-ctx.Done():
		return secret{}, ctx.Err()
	}
}

func (r *secretReader) fetch(ctx context.Context) (secret, error) {
	if !r.warm.Load() {
		select {
		case r.warming <- struct{}{}:
			defer func() { <-r.warming }()
		case <-ctx.Done():
			return secret{}, ctx.Err()
		}
	}
	resp, err := r.client.GetSecret(ctx, r.name, "", nil)
	if err != nil {
		if respErr := (*azcore.ResponseError)(nil); errors.As(err, &respErr) && respErr.StatusCode != http.StatusUnauthorized {
			r.warm.Store(true) // the challenge is done; Key Vault judged the token
		}
		return secret{}, err
	}
	r.warm.Store(true)
	s := secret{Name: r.name, Vault: r.vault, FetchedAt: time.Now()}
	if resp.Value != nil {
		s.Value = *resp.Value
	}
	if resp.ID != nil {
		s.Version = resp.ID.Version()
	}
	return s, nil
}
