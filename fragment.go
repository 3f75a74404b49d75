package main

import (
	"bytes"
	"html/template"
	"sync/atomic"
)

// successParts caches the success page around its one part that changes
// on every view, the fetch time: the top (the secret) and the bottom (the
// reference, the principal, the sources) change only on a rotation, once
// per token lifetime, or with the reference's state, yet executing them
// on every view was most of the page's own cost (BENCHMARKS.md). One
// entry, behind an atomic pointer: views never wait, and two that miss
// together both render, harmlessly.
type successParts struct{ last atomic.Pointer[renderedParts] }

type renderedParts struct {
	key         partsKey
	top, bottom []byte // never written to once stored
}

// partsKey is everything the cached parts show: the secret but for its
// fetch time, the principal (a new pointer with each token), the sources
// (their list's first element) and the reference's check (one of a few,
// built at start-up).
type partsKey struct {
	name, vault, value, version string
	principal                   *principal
	sources                     *sourceStatus
	reference                   *referenceCheck
}

func keyOf(v view) partsKey {
	k := partsKey{name: v.Secret.Name, vault: v.Secret.Vault, value: v.Secret.Value, version: v.Secret.Version,
		principal: v.Principal, reference: v.Reference}
	if len(v.Sources) > 0 {
		k.sources = &v.Sources[0]
	}
	return k
}

// get returns the top and bottom parts for v, a success view, rendering
// them with tmpl when v shows anything the cached ones do not.
func (c *successParts) get(tmpl *template.Template, v view) (top, bottom []byte, err error) {
	key := keyOf(v)
	if r := c.last.Load(); r != nil && r.key == key {
		return r.top, r.bottom, nil
	}
	var t, b bytes.Buffer
	if err := tmpl.ExecuteTemplate(&t, "top", v); err != nil {
		return nil, nil, err
	}
	if err := tmpl.ExecuteTemplate(&b, "bottom", v); err != nil {
		return nil, nil, err
	}
	c.last.Store(&renderedParts{key: key, top: t.Bytes(), bottom: b.Bytes()})
	return t.Bytes(), b.Bytes(), nil
}
