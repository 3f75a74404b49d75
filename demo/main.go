// Command demo runs the sample with no Azure subscription: it starts the
// local stand-in for App Service's identity endpoint, Entra ID and Key Vault,
// then runs the app's own binary against it with nothing but environment
// variables, exactly as App Service would. Run it with `make demo`.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"syscall"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	app := fs.String("app", "bin/keyvault-msi-go", "the app's binary")
	port := fs.String("port", "8080", "port for the app")
	identity := fs.String("identity", "", fmt.Sprintf("identity the stand-in plays: %v (default: the one the fault needs, else %s)", standin.Identities, standin.AppService))
	fault := fs.String("fault", "", "make the stand-in fail; -fault help lists the faults")
	expiresOn := fs.String("expires-on", "linux", "expires_on form for -identity legacy: epoch, linux, windows")
	reference := fs.String("reference", "", fmt.Sprintf("hand the app SECRET_FROM_REFERENCE as App Service would: %v", standin.References))
	if err := fs.Parse(args); err != nil {
		return err
	}
	if ref := standin.Reference(*reference); ref != standin.ReferenceNone && !slices.Contains(standin.References, ref) {
		return fmt.Errorf("-reference %q: want one of %v", ref, standin.References)
	}
	info, ok := standin.Lookup(standin.Fault(*fault))
	switch {
	case *fault == "help":
		printFaults(stdout)
		return nil
	case *fault == string(standin.FaultNXDomain):
		return errors.New("-fault nxdomain needs the stand-in's own resolver, which only the tests' transport uses; see TestFailures")
	case *fault != "" && !ok:
		printFaults(stderr)
		return fmt.Errorf("-fault %q: not one of the faults above", *fault)
	}
	if info.Needs != "" && *identity != "" && standin.Identity(*identity) != info.Needs {
		// The fault would not show: the page would be a 200 and say nothing of it.
		return fmt.Errorf("-fault %s plays on IDENTITY=%s only: with IDENTITY=%s it would not show; leave IDENTITY out, and the demo picks it", *fault, info.Needs, *identity)
	}
	id := standin.Identity(cmp.Or(*identity, string(info.Needs), string(standin.AppService)))
	if !slices.Contains(standin.Identities, id) {
		return fmt.Errorf("-identity %q: want one of %v", id, standin.Identities)
	}

	s, err := standin.Start(standin.Options{LegacyExpiresOn: *expiresOn, IMDS: id == standin.IMDS, Reference: standin.Reference(*reference)})
	if err != nil {
		return err
	}
	defer s.Close()
	s.SetFault(standin.Fault(*fault))
	dir, err := os.MkdirTemp("", "keyvault-msi-go-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	env, err := s.ProcessEnv(id, dir)
	defer standin.RemoveToolProgram() // az's or azd's stand-in, if the identity needed one
	if err != nil {
		return err
	}

	cmd := exec.Command(*app)
	cmd.Env = appEnv(env, id, *port, getenv)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s (run `make demo`, which builds it): %w", *app, err)
	}
	fmt.Fprintf(stdout, "\nDemo: the app talks to a LOCAL STAND-IN for Azure (identity %q, fault %q).\n"+
		"  open   http://localhost:%s/\n  curl   http://localhost:%s/ping\n"+
		"  other identities: IDENTITY=%v; failures: make demo FAULT=help; App Service's Key Vault reference: REFERENCE=%v\n  Ctrl-C stops both.\n\n",
		id, *fault, *port, *port, standin.Identities, standin.References)

	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		return fmt.Errorf("the app exited: %w", err)
	case <-ctx.Done():
	}
	if runtime.GOOS == "windows" {
		// Windows has no signal for one process to send another; the
		// console's Ctrl-C reached the app too. End it if it is still here.
		_ = cmd.Process.Kill()
		<-exited
		return nil
	}
	// The app shuts down gracefully on SIGTERM, as on App Service.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case err := <-exited:
		return err
	case <-time.After(25 * time.Second):
		_ = cmd.Process.Kill()
		return errors.New("the app did not stop within 25s")
	}
}

// appEnv is the app's whole environment: what the host would give it,
// plus the proxy and CA that route its Azure traffic to the stand-in (env),
// the port where that host gives one, loopback to listen on, and the
// reader's SHELL: the page writes its commands for the shell the demo was
// started from (on Windows, PowerShell's unless SHELL names a POSIX shell,
// as Git Bash's does).
func appEnv(env []string, id standin.Identity, port string, getenv func(string) string) []string {
	portVar := "PORT"
	if id == standin.Functions {
		portVar = "FUNCTIONS_CUSTOMHANDLER_PORT" // what the Functions host gives a custom handler
	}
	// The app plays an Azure host, which listens on every interface for the
	// platform's front end; the demo is for this machine's browser only.
	env = append(env, portVar+"="+port, "LISTEN_ADDR=127.0.0.1")
	if shell := getenv("SHELL"); shell != "" {
		env = append(env, "SHELL="+shell)
	}
	return env
}

// printFaults lists the faults with the status of the page each gives.
func printFaults(w io.Writer) {
	fmt.Fprintln(w, "make demo FAULT=<fault>:")
	fmt.Fprintf(w, "  %-14s %-5s %s\n", "FAULT", "page", "the stand-in plays")
	for _, f := range standin.FaultTable {
		if f.Fault == standin.FaultNXDomain {
			continue // the demo cannot play it: see run
		}
		plays := f.Plays
		if f.Needs != "" {
			plays += " (IDENTITY=" + string(f.Needs) + ")"
		}
		fmt.Fprintf(w, "  %-14s %-5d %s\n", f.Fault, f.PageStatus, plays)
	}
}
