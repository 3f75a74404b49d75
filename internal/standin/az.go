package standin

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WriteAzCLI writes an `az` stand-in into dir, to be put first on PATH. When
// loggedIn, `az account get-access-token` prints a token for the developer
// (UserClaims) that this stand-in's vault accepts; otherwise it fails as az
// does before `az login`. Each call's arguments are appended to dir/az.log.
func (s *Server) WriteAzCLI(dir string, loggedIn bool) error {
	token, exp := s.MintToken(UserClaims())
	body := fmt.Sprintf(`{"accessToken": %q, "expiresOn": %q, "expires_on": %d, "subscription": "00000000-0000-4000-8000-000000000000", "tenant": %q, "tokenType": "Bearer"}`,
		token, exp.Local().Format("2006-01-02 15:04:05.000000"), exp.Unix(), Tenant)
	script := strings.Join([]string{
		"#!/bin/sh",
		`echo "$@" >> "` + filepath.Join(dir, "az.log") + `"`,
		`case "$1 $2" in "account get-access-token") ;; *) echo "az stand-in: unsupported command: $*" >&2; exit 2;; esac`,
	}, "\n") + "\n"
	if loggedIn {
		script += "cat <<'JSON'\n" + body + "\nJSON\n"
	} else {
		script += `echo "ERROR: Please run 'az login' to setup account." >&2` + "\nexit 1\n"
	}
	return os.WriteFile(filepath.Join(dir, "az"), []byte(script), 0o755)
}
