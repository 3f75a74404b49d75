package standin

import (
	"fmt"
	"time"
)

// WriteAzd writes an `azd` stand-in into dir, to be put first on PATH.
// Logged in, `azd auth token --output=json --no-prompt --scope=…` prints a
// token for the developer (UserClaims) that this stand-in's vault accepts;
// otherwise it fails as azd does. Each answer is azd 1.31.2's, byte for
// byte, read from its source (Azure/azure-dev, cli/azd) and, where a
// signed-out azd built from that source could show it, run here. Each
// call's arguments are appended to dir/azd.log. The states are AzState's:
// an azd login is a login as az's is.
func (s *Server) WriteAzd(dir string, state AzState) error {
	a := ToolAnswer{Want: []string{"auth", "token"}}
	switch state {
	case AzLoggedIn:
		// cmd/auth_token.go formats contracts.AuthTokenResult with
		// pkg/output/json.go: json.MarshalIndent(…, "", "  ") and a newline;
		// expiresOn is RFC 3339 (pkg/contracts/auth_token.go).
		token, exp := s.MintToken(UserClaims())
		a.Stdout = fmt.Sprintf("{\n  \"token\": %q,\n  \"expiresOn\": %q\n}\n", token, exp.UTC().Format(time.RFC3339))
	case AzLoggedOut:
		// pkg/auth/errors.go's ErrNoCurrentUser, written by
		// cmd/middleware/ux.go as "\nERROR: %s" in a consoleMessage line
		// (pkg/input/console.go: Message). A signed-out azd 1.31.2 built
		// here wrote exactly this, exit code 1.
		a.Stderr = `{"type":"consoleMessage","timestamp":"` + time.Now().UTC().Format(time.RFC3339Nano) +
			`","data":{"message":"\nERROR: not logged in, run ` + "`azd auth login`" + ` to login\n"}}` + "\n"
		a.Exit = 1
	case AzExpired:
		// An expired refresh token (AADSTS700082, invalid_grant) is
		// pkg/auth/errors.go's ReLoginRequiredError, wrapped in an
		// ErrorWithSuggestion whose scenario is "login expired" and whose
		// login command names --tenant-id and each scope that is not ARM's;
		// cmd/middleware/ux.go writes it with MessageUxItem, one JSON line
		// (pkg/output/ux/error_with_suggestion.go: MarshalJSON). The
		// description is Entra ID's (Azure/azure-cli#14244), here for a
		// refresh token that expired from inactivity, which azd users meet
		// (Azure/azure-dev#2675, #7541). The suggestion is azd's for the
		// app's command without --tenant-id (with one, azd names it too);
		// the app reads only "error", as azidentity does.
		a.Stderr = `{"error":"AADSTS700082: The refresh token has expired due to inactivity. The token was issued on 2026-08-01T09:12:44.5811650Z and was inactive for 90.00:00:00. Trace ID: ` +
			newUUID() + ` Correlation ID: ` + newUUID() + ` Timestamp: 2026-11-02 09:12:44Z","message":"Login expired.","suggestion":"login expired, run ` + "`azd auth login --scope https://vault.azure.net/.default`" + ` to acquire a new token."}` + "\n"
		a.Exit = 1
	default:
		return fmt.Errorf("unknown azd state %q", state)
	}
	return WriteTool(dir, "azd", a)
}
