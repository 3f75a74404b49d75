// Package deploy holds the tests of the deployment files: the ARM
// template (through a model of how Resource Manager deploys it), the
// Dockerfile, the Functions files, the workflows, and the build and
// startup scripts beside this file, run as Kudu and Oryx run them.
package deploy

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/standin"
)

// repoFile is a file of the repository, seen from this folder.
func repoFile(name string) string { return filepath.Join("..", name) }

// readRepoFile is the text of the repository's file name.
func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(repoFile(name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func freePort(t *testing.T) string {
	t.Helper()
	port, err := standin.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// listeningURL waits for the app's listening line in the log at path and
// returns the URL of port, the port the test gave it; the line must name it.
func listeningURL(t *testing.T, path, port string) string {
	t.Helper()
	url, err := standin.ListeningURL(path, port, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return url
}

func waitForPing(t *testing.T, url string, timeout time.Duration) {
	t.Helper()
	if _, err := standin.WaitForPing(url, timeout); err != nil {
		t.Fatal(err)
	}
}

// get sends GET url and returns the status.
func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// catches reports whether the violations bad include one of rule's: each
// violation starts with its rule's name.
func catches(bad []string, rule string) bool {
	return slices.ContainsFunc(bad, func(s string) bool { return strings.HasPrefix(s, rule+":") })
}

// breakCleanly runs a test's breakage of a file, and reports a file whose
// shape the breakage does not find (a key renamed, a resource gone) as a
// failure that names the rule, where a bare type assertion would panic
// and end every other test with it.
func breakCleanly(t *testing.T, rule string, breakage func()) (ok bool) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("breaking the file for rule %s: its shape is not what the breakage expects (%v): fix the file, or the breakage", rule, r)
			ok = false
		}
	}()
	breakage()
	return true
}
