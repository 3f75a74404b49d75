package standin

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteAzd writes an `azd` stand-in into dir, to be put first on PATH.
// Logged in, `azd auth token -o json --no-prompt --scope …` prints a token
// for the developer (UserClaims) that this stand-in's vault accepts, in
// azd's shape {"token", "expiresOn"} (azidentity 1.15,
// azure_developer_cli_credential.go); otherwise it fails as azd does, with
// azd's own stderr. Each call's arguments are appended to dir/azd.log. The
// states are AzState's: an azd login is a login as az's is.
func (s *Server) WriteAzd(dir string, state AzState) error {
	script := toolScript(dir, "azd", "auth token")
	switch state {
	case AzLoggedIn:
		token, exp := s.MintToken(UserClaims())
		body := fmt.Sprintf(`{"token": %q, "expiresOn": %q}`, token, exp.UTC().Format("2006-01-02T15:04:05Z"))
		script += "cat <<'JSON'\n" + body + "\nJSON\n"
	case AzLoggedOut:
		// azd before 1.23.7 writes its error as a consoleMessage line on
		// stderr (azidentity 1.15, developer_credential_util_test.go); the
		// text is azd's ErrNoCurrentUser, which Azure/azure-sdk-for-js's
		// AzureDeveloperCliCredential matches: "not logged in, run `azd auth
		// login` to login".
		script += "cat >&2 <<'ERR'\n" +
			`{"type":"consoleMessage","timestamp":"2026-04-14T22:03:37.687535934Z","data":{"message":"\nERROR: not logged in, run ` + "`azd auth login`" + ` to login\n\n"}}` +
			"\nERR\nexit 1\n"
	case AzExpired:
		// azd 1.23.7 and later: a structured error line (azidentity 1.15,
		// developer_credential_util_test.go), here for a refresh token
		// that expired from inactivity, which azd users meet
		// (Azure/azure-dev#2675, #7541), in Entra ID's words
		// (Azure/azure-cli#14244).
		script += "cat >&2 <<'ERR'\n" +
			`{"type":"consoleMessage","timestamp":"2026-04-14T22:02:36.154700776Z","data":{"message":"\n"}}` + "\n" +
			`{"error":"AADSTS700082: The refresh token has expired due to inactivity. The token was issued on 2026-08-01T09:12:44.5811650Z and was inactive for 90.00:00:00.","message":"Authentication with Azure failed.","suggestion":"Run 'azd auth login' to sign in again."}` +
			"\nERR\nexit 1\n"
	default:
		return fmt.Errorf("unknown azd state %q", state)
	}
	return os.WriteFile(filepath.Join(dir, "azd"), []byte(script), 0o755)
}
