// Package devtool gets tokens from the developer's own sign-in to a
// command-line tool: the Azure CLI, the Azure Developer CLI and Azure
// PowerShell, as azidentity's credentials for them do, with three
// differences, each a reason of this sample's: the tool is the one on the
// PATH the app read through its getenv (Find), not the process's; what the
// tool writes is kept to pipeline.MaxAnswer bytes, so that a tool that
// writes without end costs the app 64 KiB; and a timed-out tool is ended
// with every process it started, as is a child it leaves holding its
// output (package proctree).
package devtool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"
	"github.com/Azure-Samples/keyvault-msi-go/internal/proctree"
)

// cliTimeout bounds a tool when the caller set no deadline, as azidentity's does.
const cliTimeout = 10 * time.Second

// run runs a developer tool and returns its stdout, or an
// error that is its stderr; each is kept to pipeline.MaxAnswer bytes, and
// the tool is given cliTimeout when ctx has no deadline.
func run(ctx context.Context, tool string, args ...string) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cliTimeout)
		defer cancel()
	}
	name := filepath.Base(tool)
	run, err := command(ctx, tool, args)
	if err != nil {
		return nil, err
	}
	stdout, stderr := &cappedBuffer{}, &cappedBuffer{}
	// Read to the end, however busy the machine; a timed-out tool leaves
	// no process behind, nor one that holds its output open.
	if err := proctree.Run(ctx, run, stdout, stderr); err != nil {
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

// cliSafe reports whether s is letters, digits and the given punctuation.
func cliSafe(s, punct string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(punct, r)) {
			return false
		}
	}
	return s != ""
}

// cappedBuffer keeps the first pipeline.MaxAnswer bytes written to it and drops
// the rest, so that az runs to its end without the app holding it all. It
// holds its buffer in a field, not embedded: an embedded bytes.Buffer's
// ReadFrom would let io.Copy, which os/exec uses, write past the cap.
type cappedBuffer struct{ buf bytes.Buffer }

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := pipeline.MaxAnswer - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *cappedBuffer) String() string { return b.buf.String() }
func (b *cappedBuffer) Bytes() []byte  { return b.buf.Bytes() }
