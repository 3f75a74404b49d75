// Command keyvault-msi-go is a web app that reads a Key Vault secret with
// App Service's managed identity, and the same code on a laptop with a
// service principal or the Azure CLI login. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/harden"
	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "keyvault-msi-go:", err)
		os.Exit(1)
	}
}

// readTimeout bounds reading one request, headers and body.
const readTimeout = 5 * time.Second

// shutdownTimeout is how long in-flight requests get to finish on SIGTERM;
// the last answerTime of it, they are told to stop and answer.
const (
	shutdownTimeout = 20 * time.Second
	answerTime      = 2 * time.Second
)

// run serves the app until ctx is done, then shuts down gracefully.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := loadConfig(getenv)
	logger := slog.New(slog.NewTextHandler(stdout, nil))
	if err := cfg.portNumber(); err != nil {
		return err
	}
	a, err := newApp(logger, cfg, azcore.ClientOptions{})
	if err != nil {
		return err
	}
	lns, err := listen(cfg.ListenAddr, cfg.Port, a.local)
	if err != nil {
		return fmt.Errorf("listening on port %s: %w", cfg.Port, err)
	}
	return serve(ctx, logger, newServer(a, cfg, stderr), lns, shutdownTimeout)
}

// serve serves srv on lns until ctx is done, then shuts it down within grace.
func serve(ctx context.Context, logger *slog.Logger, srv *http.Server, lns []net.Listener, grace time.Duration) error {
	// Every view's context ends with this one, so that shutdown can end
	// what views still wait on (a developer tool, a shared refresh).
	views, endViews := context.WithCancelCause(context.Background())
	defer endViews(nil)
	srv.BaseContext = func(net.Listener) context.Context { return views }
	served := make(chan error, len(lns))
	for _, ln := range lns {
		logger.Info("listening", "addr", ln.Addr().String())
		go func() { served <- srv.Serve(ln) }()
	}
	select {
	case err := <-served:
		srv.Close() // the other listeners, if any
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", "grace", grace.String())
	shutdown(srv, func() { endViews(errStopping) }, grace)
	for range lns {
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	return nil
}

// errStopping ends the views still waiting when the shutdown grace runs
// out; their page says so (diagnose.Stopping).
var errStopping = errors.New("the app is stopping")

// shutdown stops srv within grace. Views in flight get all but answerTime
// of it to finish; then their contexts end (endViews), which ends every
// tool they started, and they answer with what they have; any connection
// still open after that is closed.
func shutdown(srv *http.Server, endViews func(), grace time.Duration) {
	// The signal's context is already done: each wait needs its own.
	finish, cancel := context.WithTimeout(context.Background(), grace-answerTime)
	defer cancel()
	if srv.Shutdown(finish) == nil {
		return
	}
	endViews()
	answer, cancel := context.WithTimeout(context.Background(), answerTime)
	defer cancel()
	if srv.Shutdown(answer) != nil {
		_ = srv.Close() // what is left: connections that will not finish
	}
}

// listen listens on port at addr (LISTEN_ADDR) when it is set; for a
// local run, on loopback only, for the app serves the developer's own
// sign-in; on an Azure host, on every interface, where the platform's
// front end reaches it.
func listen(addr, port string, local bool) ([]net.Listener, error) {
	if addr == "" && local {
		return harden.ListenLoopback(port)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, port))
	return []net.Listener{ln}, err
}

// newServer is the HTTP server, bounding what a slow or hostile client can
// hold: header reading, the whole request with any body it promises (no
// route reads one, so a request that promises a body and never sends it
// is cut off, and cannot hold up a graceful shutdown), the whole
// response, idle keep-alives, their number and header size.
func newServer(handler http.Handler, cfg config, stderr io.Writer) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       readTimeout,
		WriteTimeout:      cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		// Idle keep-alives must not use up the file descriptors: at that
		// limit the server stops accepting and every new client hangs.
		ConnState: harden.NewConnCap(harden.ConnLimit()).Track,
		ErrorLog:  slog.NewLogLogger(slog.NewTextHandler(stderr, nil), slog.LevelWarn),
	}
}

// app is the app's handler, and whether it serves this machine only
// (config.serveLocally): run listens on loopback then.
type app struct {
	http.Handler
	local bool
}

// newApp wires the app for cfg. opts reach every Azure SDK pipeline
// through pipeline.Options; run passes the zero value, so the app's own
// transport applies. Tests pass one that reaches the local stand-in.
func newApp(logger *slog.Logger, cfg config, opts azcore.ClientOptions) (*app, error) {
	pg, err := newPage()
	if err != nil {
		return nil, err
	}
	opts = pipeline.Options(cfg.AuthorityHost, opts)
	creds := newChain(cfg, opts)
	logger.Info("starting", cfg.logAttrs()...)
	for _, w := range cfg.Warnings {
		logger.Warn(w)
	}
	for _, s := range creds.sources {
		if s.Skipped == "" {
			logger.Info("credential source", "source", s.Name, "status", "configured")
		} else {
			logger.Info("credential source", "source", s.Name, "status", "skipped", "why", s.Skipped)
		}
	}
	for _, p := range cfg.Problems {
		logger.Warn("configuration problem: " + p.Error())
	}
	var reader *secretReader
	if cfg.VaultURL != "" {
		client, err := azsecrets.NewClient(cfg.VaultURL, creds, &azsecrets.ClientOptions{ClientOptions: opts})
		if err != nil {
			return nil, fmt.Errorf("creating the Key Vault client: %w", err)
		}
		reader = newSecretReader(client, cfg, explainFailure(cfg, creds))
	}
	local := cfg.serveLocally(creds.developerSignIn())
	return &app{newHandler(logger, cfg, local, creds, reader, pg), local}, nil
}
