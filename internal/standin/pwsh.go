package standin

import (
	"fmt"
)

// WritePwsh writes a `pwsh` stand-in into dir, to be put first on PATH,
// for Azure PowerShell's Get-AzAccessToken run as -EncodedCommand. Signed
// in, it prints {"Token":…,"ExpiresOn":…}, what ConvertTo-Json -Compress
// makes of the token, for the developer (UserClaims); signed out, Az.Accounts'
// own message, "Run Connect-AzAccount to login." (azure-powershell docs,
// Resolve-AzError's example; the .NET and JavaScript SDKs' Azure PowerShell
// credentials match this text), after the cmdlet's name as PowerShell 7's
// concise error view writes it. No pwsh runs here to check that framing
// byte for byte: GitHub's runners have pwsh. Each call's arguments are
// appended to dir/pwsh.log.
func (s *Server) WritePwsh(dir string, state AzState) error {
	a := ToolAnswer{Want: []string{"-NoProfile", "-NonInteractive"}}
	switch state {
	case AzLoggedIn:
		token, exp := s.MintToken(UserClaims())
		a.Stdout = fmt.Sprintf(`{"Token":%q,"ExpiresOn":%d}`+"\n", token, exp.Unix())
	case AzLoggedOut:
		a.Stderr, a.Exit = "Get-AzAccessToken: Run Connect-AzAccount to login.\n", 1
	default:
		return fmt.Errorf("no pwsh stand-in for the state %q", state)
	}
	return WriteTool(dir, "pwsh", a)
}
