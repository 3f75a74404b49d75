package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/diagnose"
	"github.com/Azure-Samples/keyvault-msi-go/internal/harden"
	"github.com/Azure-Samples/keyvault-msi-go/internal/refcheck"
)

//go:embed web/page.html web/page.css web/copy.js
var webFiles embed.FS

// page renders / as HTML. Its stylesheet and its one script are inline,
// each allowed by its hash in the Content-Security-Policy, so the page
// needs no other request. The script adds a Copy button beside each fix
// command; the page is whole without it. It has no comments: html/template
// drops a script's comments, which would change its hash.
type page struct {
	tmpl *template.Template
	csp  string
}

func newPage() (*page, error) {
	css, err := webFiles.ReadFile("web/page.css")
	if err != nil {
		return nil, err
	}
	js, err := webFiles.ReadFile("web/copy.js")
	if err != nil {
		return nil, err
	}
	// The stylesheet and the script join the template as static text,
	// written as is on every view rather than passed through the escaper
	// as data.
	tmpl, err := template.New("css").Parse(string(css))
	if err != nil {
		return nil, err
	}
	if tmpl, err = tmpl.New("js").Parse(string(js)); err != nil {
		return nil, err
	}
	if tmpl, err = tmpl.ParseFS(webFiles, "web/page.html"); err != nil {
		return nil, err
	}
	return &page{
		tmpl: tmpl.Lookup("page.html"),
		csp:  harden.CSP(css, js),
	}, nil
}

// view is what / shows, as HTML or JSON.
type view struct {
	Secret    *secret           `json:"secret,omitempty"`
	Problem   *diagnose.Problem `json:"problem,omitempty"`
	Principal *principal        `json:"principal,omitempty"`
	Sources   []sourceStatus    `json:"sources,omitempty"`
	Reference *refcheck.Check   `json:"reference,omitempty"`
}

// newHandler builds the app's handler: every route, its headers and its
// log; a local one answers only to local names.
func newHandler(logger *slog.Logger, cfg config, local bool, creds *chain, reader *secretReader, pg *page) http.Handler {
	mux := http.NewServeMux()
	addRoutes(mux, logger, cfg, creds, reader, pg)
	var h http.Handler = harden.RefuseBodies(mux)
	if local {
		h = harden.OnlyLocalNames(h, cfg.localNames()...)
	}
	return logRequests(logger, harden.Headers(pg.csp, cfg.Host.Name != "", h))
}

// addRoutes lists every route. GET patterns also answer HEAD; ServeMux
// answers 405 to other methods and 404 to other paths.
func addRoutes(mux *http.ServeMux, logger *slog.Logger, cfg config, creds *chain, reader *secretReader, pg *page) {
	mux.Handle("GET /ping", handlePing())
	mux.Handle("GET /{$}", handleSecret(logger, cfg, creds, reader, pg))
}

// handlePing is the smoke test: no Azure call, ever.
func handlePing() http.Handler {
	body := []byte("Hello World!")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(body) // a client that hung up needs no answer
	})
}

// handleSecret reads the secret and shows it with the principal that read
// it, or shows what failed and how to fix it.
func handleSecret(logger *slog.Logger, cfg config, creds *chain, reader *secretReader, pg *page) http.Handler {
	var references *refcheck.Checks // only with App Service's Key Vault reference set
	if cfg.Reference != "" {
		references = refcheck.New(referenceSetting, cfg.Reference, cfg.SecretName, cfg.VaultURL, cfg.facts(nil))
	}
	// What start-up already knows needs no call to Azure: invalid settings,
	// or no identity to authenticate with.
	var known view
	switch {
	case len(cfg.Problems) > 0 || reader == nil:
		known.Problem = diagnose.Configuration(cfg.Problems, cfg.facts(nil))
	case creds.active == nil:
		known = view{Problem: diagnose.NoIdentity(cfg.facts(nil)), Sources: creds.statuses(nil, diagnose.SourceDetail)}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Vary", "Accept")
		if known.Problem != nil {
			pg.render(w, r, logger, known)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), cfg.RequestTimeout)
		defer cancel()
		s, failed := reader.Read(ctx)
		v := view{Principal: creds.Principal(), Sources: creds.statuses(nil, diagnose.SourceDetail)}
		if failed != nil {
			v.Problem, v.Sources = failed.problem, failed.sources
			if errors.Is(context.Cause(ctx), errStopping) {
				v.Problem = diagnose.Stopping()
			}
			logger.LogAttrs(r.Context(), slog.LevelWarn, "reading the secret failed",
				slog.Int("status", v.Problem.Status), slog.String("problem", v.Problem.Title), slog.String("error", failed.log))
		} else {
			v.Secret = &s
		}
		if references != nil {
			var read *string
			if v.Secret != nil {
				read = &v.Secret.Value
			}
			v.Reference = references.Against(read)
		}
		pg.render(w, r, logger, v)
	})
}

// render writes v as JSON when the client asks for it, else as HTML, with
// the problem's status when there is one.
func (pg *page) render(w http.ResponseWriter, r *http.Request, logger *slog.Logger, v view) {
	status := http.StatusOK
	if v.Problem != nil {
		status = v.Problem.Status
	}
	// The whole page, rendered before a byte is sent: a failed render sends
	// no half page, and the length spares it chunked encoding.
	var buf bytes.Buffer
	if prefersJSON(r.Header.Get("Accept")) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if err := json.NewEncoder(&buf).Encode(v); err != nil {
			logger.Error("encoding JSON", "error", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
	} else {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := pg.tmpl.Execute(&buf, v); err != nil {
			logger.Error("rendering the page", "error", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // a client that hung up needs no answer
}

// prefersJSON reports whether an Accept header prefers JSON to HTML, read as
// RFC 9110 section 12.5.1 says: each media range carries a weight (q,
// default 1; q=0 means "not this"), and the most specific range that
// matches a type sets its weight. HTML wins a tie and serves a client
// that accepts neither.
func prefersJSON(accept string) bool {
	if accept == "" {
		return false
	}
	jsonWeight, htmlWeight := acceptWeight(accept, "application", "json"), acceptWeight(accept, "text", "html")
	return jsonWeight > htmlWeight
}

// acceptWeight is the weight accept gives to typ/sub.
func acceptWeight(accept, typ, sub string) float64 {
	best, weight := -1, 0.0 // best: the specificity of the range that set weight
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		t, s, _ := strings.Cut(mt, "/")
		specificity := -1
		switch {
		case t == typ && s == sub:
			specificity = 2
		case t == typ && s == "*":
			specificity = 1
		case t == "*" && s == "*":
			specificity = 0
		}
		if specificity <= best {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(v, 64); err != nil || q < 0 || q > 1 {
				continue
			}
		}
		best, weight = specificity, q
	}
	return weight
}

// logRequests logs one line per request: method, path, status, duration.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
