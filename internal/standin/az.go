package standin

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// AzState is the state of the developer's Azure CLI login that an az
// stand-in plays.
type AzState string

// The Azure CLI states an az stand-in can play.
const (
	AzLoggedIn  AzState = "loggedin"
	AzLoggedOut AzState = "loggedout"
	AzExpired   AzState = "expired"
)

// WriteAzCLI writes an `az` stand-in into dir, to be put first on PATH.
// Logged in, `az account get-access-token` prints a token for the
// developer (UserClaims) that this stand-in's vault accepts; otherwise it
// fails as az does, with az's own stderr. Each call's arguments are
// appended to dir/az.log.
func (s *Server) WriteAzCLI(dir string, state AzState) error {
	script := toolScript(dir, "az", "account get-access-token")
	switch state {
	case AzLoggedIn:
		token, exp := s.MintToken(UserClaims())
		body := fmt.Sprintf(`{"accessToken": %q, "expiresOn": %q, "expires_on": %d, "subscription": "00000000-0000-4000-8000-000000000000", "tenant": %q, "tokenType": "Bearer"}`,
			token, exp.Local().Format("2006-01-02 15:04:05.000000"), exp.Unix(), Tenant)
		script += printf(body+"\n", "")
	case AzLoggedOut:
		// Azure/sap-automation#588: stderr "ERROR: Please run 'az login' to
		// setup account.", exit 1; Debian's azure-cli 2.45, signed out, wrote
		// exactly this line here (TestRealAzureCLISignedOut).
		script += `echo "ERROR: Please run 'az login' to setup account." >&2` + "\nexit 1\n"
	case AzExpired:
		// MicrosoftDocs/executable-docs#667: the refresh token failed a
		// sign-in frequency check; az asks for an interactive login.
		issued := time.Now().Add(-13 * time.Hour).UTC().Format("2006-01-02T15:04:05.0000000Z")
		script += printf("ERROR: AADSTS70043: The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on "+issued+
			" and the maximum allowed lifetime for this request is 43200. Trace ID: "+newUUID()+" Correlation ID: "+newUUID()+" Timestamp: "+time.Now().UTC().Format("2006-01-02 15:04:05Z")+"\n"+
			"Interactive authentication is needed. Please run:\naz login --scope https://vault.azure.net/.default\n", ">&2") + "exit 1\n"
	default:
		return fmt.Errorf("unknown az state %q", state)
	}
	return os.WriteFile(filepath.Join(dir, "az"), []byte(script), 0o755)
}

// printf is a shell line that writes text exactly, to redirect (">&2" for
// stderr, "" for stdout), with the shell's builtin printf: a stand-in
// needs nothing on PATH, so a test's PATH holds only what it chose.
func printf(text, redirect string) string {
	return "printf '%s' '" + strings.ReplaceAll(text, "'", `'\''`) + "' " + redirect + "\n"
}

// toolScript starts a stand-in for the command-line tool named tool: it
// appends its arguments to dir/<tool>.log and refuses any command but
// want (its first two words), as the real tool would not answer it so.
func toolScript(dir, tool, want string) string {
	return strings.Join([]string{
		"#!/bin/sh",
		`echo "$@" >> "` + filepath.Join(dir, tool+".log") + `"`,
		`case "$1 $2" in "` + want + `") ;; *) echo "` + tool + ` stand-in: unsupported command: $*" >&2; exit 2;; esac`,
	}, "\n") + "\n"
}
