package main

import (
	"cmp"
	"fmt"
	"image/png"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// Example is the pattern this sample shows, as README's "At a glance"
// quotes it (TestREADMEAtAGlance keeps the two the same): one credential
// and one Key Vault client per process, one GetSecret per view. It
// compiles with the tests; it has no Output, so it never runs.
func Example() {
	// Once per process: the credential caches and refreshes its token, and
	// the client meets Key Vault's authentication challenge once. Set
	// AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential in production and dev
	// on your machine, as Microsoft advises: no probe for what is not there.
	cred, err := azidentity.NewDefaultAzureCredential(nil) // or this sample's chain, credential.go
	if err != nil {
		log.Fatal(err)
	}
	client, err := azsecrets.NewClient(os.Getenv("KEY_VAULT_URL"), cred, nil)
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		// Per view: one Key Vault request, ended if the client goes away.
		resp, err := client.GetSecret(r.Context(), "secret", "", nil)
		if err != nil {
			http.Error(w, "reading the secret failed", http.StatusBadGateway)
			return
		}
		// Plain text, said so: Go would sniff a secret like <script> as HTML.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, *resp.Value)
	})
	// The port the host gives (App Service's PORT; Functions gives a custom
	// handler FUNCTIONS_CUSTOMHANDLER_PORT), on every interface for its front
	// end; on a laptop, main.go listens on loopback only.
	port := cmp.Or(os.Getenv("PORT"), os.Getenv("FUNCTIONS_CUSTOMHANDLER_PORT"), "8080")
	srv := &http.Server{Addr: ":" + port, ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// TestREADMEAtAGlance checks that README's "At a glance" block is
// Example's body, so that the README's code compiles.
func TestREADMEAtAGlance(t *testing.T) {
	t.Parallel()
	_, block, _ := strings.Cut(readmeSection(t, "## At a glance"), "```go\n")
	block, _, _ = strings.Cut(block, "```")
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(src), "func Example() {\n")
	body, _, _ = strings.Cut(body, "\n}\n")
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	if got, want := strings.TrimSpace(block), strings.TrimSpace(strings.Join(lines, "\n")); got != want || want == "" {
		t.Errorf("README's At a glance block differs from Example:\n--- README\n%s\n--- Example\n%s", got, want)
	}
	// What a reader copies must not take the site down (a fixed port where
	// the platform sets PORT) or let a browser run the secret as HTML.
	for _, want := range []string{`os.Getenv("PORT")`, `w.Header().Set("Content-Type", "text/plain; charset=utf-8")`} {
		if !strings.Contains(block, want) {
			t.Errorf("README's At a glance block has no %s", want)
		}
	}
}

// readmeSection is README's text from heading to the next heading of the
// same or a higher level.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	return docSection(t, "README.md", heading)
}

// docSection is the section of the Markdown file at path under heading,
// up to the next heading of its level or above.
func docSection(t *testing.T, path, heading string) string {
	t.Helper()
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), heading+"\n")
	if !ok {
		t.Fatalf("%s has no %q", path, heading)
	}
	level := heading[:strings.IndexByte(heading, ' ')+1] // "## "
	for _, end := range []string{"\n# ", "\n## ", "\n### "} {
		if len(end)-1 <= len(level) {
			section, _, _ = strings.Cut(section, end)
		}
	}
	return section
}

// TestREADMEFirstScreen: the README's first screen says how to try the
// sample (make demo, then a curl that prints the secret and the principal)
// and shows the page, a picture that is there.
func TestREADMEFirstScreen(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	first := strings.Join(strings.SplitN(string(readme), "\n", 41)[:40], "\n")
	for _, want := range []string{"make demo", "curl -s -H 'Accept: application/json' localhost:8080/", "](docs/page.png)"} {
		if !strings.Contains(first, want) {
			t.Errorf("README's first 40 lines have no %q", want)
		}
	}
	f, err := os.Open("docs/page.png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if cfg, err := png.DecodeConfig(f); err != nil || cfg.Width < 300 || cfg.Height < 300 {
		t.Errorf("docs/page.png: %+v, %v; want a PNG of the page", cfg, err)
	}
}

// TestREADMEPowerShell: where the README's Quickstart sets a variable with
// export, a PowerShell block beside it sets the same one ($env:NAME = '…'),
// and nothing in a PowerShell block is POSIX shell that PowerShell would
// read otherwise: export, a $(…) substitution, or curl, which in Windows
// PowerShell 5.1 names Invoke-WebRequest.
func TestREADMEPowerShell(t *testing.T) {
	t.Parallel()
	quickstart := readmeSection(t, "### Quickstart")
	var sh, ps []string
	for _, m := range regexp.MustCompile("(?s)```(sh|powershell)\n(.*?)```").FindAllStringSubmatch(quickstart, -1) {
		if m[1] == "sh" {
			sh = append(sh, m[2])
		} else {
			ps = append(ps, m[2])
		}
	}
	powershell := strings.Join(ps, "\n")
	exports := regexp.MustCompile(`(?m)^export (\w+)=`).FindAllStringSubmatch(strings.Join(sh, "\n"), -1)
	if len(exports) == 0 {
		t.Fatal("the Quickstart exports no variable; this test reads nothing")
	}
	for _, m := range exports {
		if !regexp.MustCompile(`(?m)^\$env:` + m[1] + ` = '`).MatchString(powershell) {
			t.Errorf("the Quickstart exports %s but no PowerShell block sets $env:%s = '…'", m[1], m[1])
		}
	}
	for _, line := range strings.Split(powershell, "\n") {
		line, _, _ = strings.Cut(line, "#") // a comment, in PowerShell too
		if regexp.MustCompile(`^export |\$\(|(^|\s)curl\s`).MatchString(line) {
			t.Errorf("a PowerShell block has POSIX shell: %s", line)
		}
	}
}

// TestDocShellBlocks: every shell block in the README and docs/ parses
// (bash -n), and names no <placeholder> outside quotes, where a shell
// would read it as a redirection and create files named after the words
// around it.
func TestDocShellBlocks(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	docs, _ := filepath.Glob("docs/*.md")
	blocks := 0
	for _, doc := range append([]string{"README.md"}, docs...) {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile("(?s)```(?:sh|bash)\n(.*?)```").FindAllStringSubmatch(string(text), -1) {
			blocks++
			check := exec.Command(bash, "-n")
			check.Stdin = strings.NewReader(m[1])
			if out, err := check.CombinedOutput(); err != nil {
				t.Errorf("%s: a shell block does not parse: %v\n%s\n%s", doc, err, out, m[1])
			}
			quoted := false // a single-quoted string may span lines
			for _, line := range strings.Split(m[1], "\n") {
				if strings.HasPrefix(strings.TrimSpace(line), "#") {
					continue
				}
				for i, r := range line {
					switch {
					case r == '\'':
						quoted = !quoted
					case r == '<' && !quoted && i+1 < len(line) && (line[i+1] >= 'a' && line[i+1] <= 'z' || line[i+1] >= 'A' && line[i+1] <= 'Z'):
						t.Errorf("%s: a placeholder outside quotes, which a shell reads as a redirection: %s", doc, line)
					}
				}
			}
		}
	}
	if blocks < 10 {
		t.Errorf("%d shell blocks read; want the README's and docs'", blocks)
	}
}
