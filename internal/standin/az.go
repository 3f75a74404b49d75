package standin

import (
	"cmp"
	"fmt"
	"runtime"
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
	AzHang      AzState = "hang" // never answers, holding a child, as az's launcher runs Python
)

// AzState is the state of the az login the current fault plays.
func (s *Server) AzState() AzState {
	return cmp.Or(map[Fault]AzState{FaultAzLoggedOut: AzLoggedOut, FaultAzExpired: AzExpired, FaultAzHang: AzHang}[s.currentFault()], AzLoggedIn)
}

// WriteAzCLI writes an `az` stand-in into dir, to be put first on PATH.
// Logged in, `az account get-access-token` prints a token for the
// developer (UserClaims) that this stand-in's vault accepts; otherwise it
// fails as az does, with az's own stderr. Each call's arguments are
// appended to dir/az.log.
func (s *Server) WriteAzCLI(dir string, state AzState) error {
	a, err := s.AzAnswer(state)
	if err != nil {
		return err
	}
	return WriteTool(dir, "az", a)
}

// AzAnswer is what az answers in state, as WriteAzCLI writes it: with
// Windows' line endings on Windows.
func (s *Server) AzAnswer(state AzState) (ToolAnswer, error) {
	a := ToolAnswer{Want: []string{"account", "get-access-token"}}
	switch state {
	case AzLoggedIn:
		token, exp := s.MintToken(UserClaims())
		a.Stdout = fmt.Sprintf(`{"accessToken": %q, "expiresOn": %q, "expires_on": %d, "subscription": "00000000-0000-4000-8000-000000000000", "tenant": %q, "tokenType": "Bearer"}`+"\n",
			token, exp.Local().Format("2006-01-02 15:04:05.000000"), exp.Unix(), Tenant)
	case AzLoggedOut:
		// Azure/sap-automation#588: stderr "ERROR: Please run 'az login' to
		// setup account.", exit 1; Debian's azure-cli 2.45, signed out, wrote
		// exactly this line here (TestRealAzureCLISignedOut).
		a.Stderr, a.Exit = "ERROR: Please run 'az login' to setup account.\n", 1
	case AzExpired:
		// MicrosoftDocs/executable-docs#667: the refresh token failed a
		// sign-in frequency check; az asks for an interactive login.
		issued := time.Now().Add(-13 * time.Hour).UTC().Format("2006-01-02T15:04:05.0000000Z")
		a.Stderr = "ERROR: AADSTS70043: The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on " + issued +
			" and the maximum allowed lifetime for this request is 43200. Trace ID: " + newUUID() + " Correlation ID: " + newUUID() + " Timestamp: " + time.Now().UTC().Format("2006-01-02 15:04:05Z") + "\n" +
			"Interactive authentication is needed. Please run:\naz login --scope https://vault.azure.net/.default\n"
		a.Exit = 1
	case AzHang:
		a.Hang = true
	default:
		return a, fmt.Errorf("unknown az state %q", state)
	}
	if runtime.GOOS == "windows" {
		// az is Python, whose text streams write each \n as \r\n on
		// Windows (Python docs, io.TextIOWrapper: newline translation).
		a.Stdout = strings.ReplaceAll(a.Stdout, "\n", "\r\n")
		a.Stderr = strings.ReplaceAll(a.Stderr, "\n", "\r\n")
	}
	return a, nil
}
