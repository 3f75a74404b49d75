// Package harden holds what the app's server does against a hostile or
// careless client, whatever the route: security headers and a request
// with a body refused at once (this file); a local run kept to the machine
// it runs on (loopback.go); the connections it holds bounded (conncap.go).
package harden

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// Headers sets the headers every response carries: no sniffing, csp as
// the Content-Security-Policy, no referrer, no framing. A response
// to a request that arrived over HTTPS also tells browsers to use nothing
// else (HSTS): the request's own TLS, or on an Azure host (onAzure) its
// front end's X-Forwarded-Proto, since App Service ends TLS at its load
// balancers and marks the forwarded request so (App Service docs,
// "Configure a Linux Node.js app": detect HTTPS session). A laptop's plain
// HTTP gets none: there X-Forwarded-Proto is whatever the client sent.
func Headers(csp string, onAzure bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", csp)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if r.TLS != nil || onAzure && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
			h.Set("Strict-Transport-Security", "max-age=31536000") // a year (RFC 6797)
		}
		next.ServeHTTP(w, r)
	})
}

// RefuseBodies answers 413 to a request with a body, and closes its
// connection at once: no route reads a body, and net/http would otherwise
// wait to drain it, until the server's ReadTimeout, before closing.
func RefuseBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 {
			w.Header().Set("Connection", "close")
			// Reading is over for this connection: the drain fails at once.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now())
			http.Error(w, "no route of this app takes a request body", http.StatusRequestEntityTooLarge)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// CSP is the Content-Security-Policy of a page whose one inline style is
// css and one inline script js: nothing else loads, each allowed by its
// hash (CSP Level 3, hash-source).
func CSP(css, js []byte) string {
	hash := func(b []byte) string {
		sum := sha256.Sum256(b)
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	return "default-src 'none'; style-src " + hash(css) + "; script-src " + hash(js) + "; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}
