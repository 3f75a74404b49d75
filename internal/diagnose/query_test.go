package diagnose

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

func TestMain(m *testing.M) {
	code := m.Run()
	standin.RemoveToolProgram() // what the stand-in az was built into
	os.Exit(code)
}

// TestFixQueriesFindTheirValue runs each az command with a --query that a
// fix carries, whole or inside $(…), against a stand-in az that answers as
// az prints that command's result (testdata/README.md), in sh: each must
// print a value. A query whose case differs from az's property names
// (issuerURL for issuerUrl) prints nothing, as the real az does, and the
// fix built on it fails when pasted.
func TestFixQueriesFindTheirValue(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("runs the commands in sh")
	}
	problems := append(explainedProblems(),
		// Entra ID's answer names no issuer (AADSTS700213, as users pasted it in
		// Azure/azure-workload-identity#1053): the cluster's is looked up.
		explainer{cfg: Facts{VaultURL: "https://kv.vault.azure.net/", ClientID: "c"}}.workloadProblem(
			&Source{Name: "AKS workload identity", Kind: "WorkloadIdentityCredential"}, "",
			federationAnswer("AADSTS700213: No matching federated identity record found for presented assertion subject 'system:serviceaccount:default:app'. "+
				"Please note that the matching is done using a case-sensitive comparison. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.")))
	ran := 0
	for _, p := range problems {
		for _, f := range p.Fixes {
			for _, c := range azCommands(f.Command) {
				words, query := azWords(c)
				if query == "" || strings.ContainsAny(query, "[]?=()'") {
					continue // no query, or a filter the stand-in does not judge
				}
				ran++
				answer, err := os.ReadFile(filepath.Join("testdata", "az-"+strings.Join(words, "-")+".json"))
				if err != nil {
					t.Errorf("%s: no testdata of what az %s prints: %v", c, strings.Join(words, " "), err)
					continue
				}
				dir := t.TempDir()
				if err := standin.WriteTool(dir, "az", standin.ToolAnswer{Want: words, Stdout: string(answer)}); err != nil {
					t.Fatal(err)
				}
				sh := exec.Command("/bin/sh", "-c", c)
				sh.Env = []string{"PATH=" + dir}
				out, err := sh.Output()
				if err != nil || strings.TrimSpace(string(out)) == "" {
					t.Errorf("%s printed %q (%v); want the value its --query names, from %s", c, out, err, p.Title)
				}
			}
		}
	}
	t.Logf("ran %d queries", ran)
	if ran < 6 {
		t.Errorf("ran %d queries; the fixes hold more: the collection lost them", ran)
	}
}

// azCommands are the az commands in a fix's command: itself when it is one,
// and each $(…) substitution in it.
func azCommands(command string) []string {
	var out []string
	if strings.HasPrefix(command, "az ") && !strings.Contains(command, "$(") {
		out = append(out, command)
	}
	for rest := command; ; {
		i := strings.Index(rest, "$(az ")
		if i < 0 {
			return out
		}
		rest = rest[i+2:]
		end := strings.Index(rest, ")")
		out = append(out, rest[:end])
		rest = rest[end:]
	}
}

// azWords are an az command's group and verb (the words before its first
// option) and its --query.
func azWords(c string) (words []string, query string) {
	fields := strings.Fields(c)[1:]
	for i, w := range fields {
		if strings.HasPrefix(w, "-") {
			if words == nil {
				words = fields[:i]
			}
			if w == "--query" && i+1 < len(fields) {
				query = fields[i+1]
			}
		}
	}
	return words, query
}

// federationAnswer is Entra ID's 400 answer to a workload identity's
// token exchange with desc as its description.
func federationAnswer(desc string) error {
	body := `{"error":"invalid_request","error_description":"` + desc + `","error_codes":[700213]}`
	return &azidentity.AuthenticationFailedError{RawResponse: &http.Response{StatusCode: 400, Body: io.NopCloser(strings.NewReader(body))}}
}
