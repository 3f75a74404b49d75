package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// TestDockerfile parses the Dockerfile with BuildKit's own parser (no
// Docker engine runs here) and checks the container route: a build stage
// on go.mod's Go with deploy/build.sh's build flags, a final stage that is
// distroless or scratch, runs as a non-root user, and starts the binary in
// exec form, so that the app itself receives SIGTERM.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	f, err := os.Open(repoFile("Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	type stage struct {
		from  string
		lines []*parser.Node
	}
	var stages []stage
	for _, n := range res.AST.Children {
		if strings.EqualFold(n.Value, "from") {
			stages = append(stages, stage{from: n.Next.Value})
			continue
		}
		if len(stages) > 0 {
			stages[len(stages)-1].lines = append(stages[len(stages)-1].lines, n)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("%d stages; want a build stage and a run stage", len(stages))
	}
	build, run := stages[0], stages[len(stages)-1]

	gomod, err := os.ReadFile(repoFile("go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)`).FindSubmatch(gomod)
	// Each image by digest: a tag can be moved to other bytes, a digest cannot.
	for _, st := range stages {
		if !regexp.MustCompile(`^[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}$`).MatchString(st.from) {
			t.Errorf("FROM %s is not pinned by digest (image:tag@sha256:…)", st.from)
		}
	}
	if tag, _, _ := strings.Cut(build.from, "@"); goVersion == nil || tag != "golang:"+string(goVersion[1]) {
		t.Errorf("build stage FROM %s; want golang:%s, go.mod's Go", build.from, goVersion)
	}
	script, err := os.ReadFile("build.sh")
	if err != nil {
		t.Fatal(err)
	}
	want := buildFlags(string(regexp.MustCompile(`(?m)^CGO_ENABLED=.* build .*$`).Find(script)))
	var got []string
	for _, n := range build.lines {
		if strings.EqualFold(n.Value, "run") && strings.Contains(n.Next.Value, " build ") {
			got = buildFlags(n.Next.Value)
		}
	}
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("Dockerfile builds with %q; deploy/build.sh with %q: want the same", got, want)
	}

	if !strings.HasPrefix(run.from, "gcr.io/distroless/static") && run.from != "scratch" {
		t.Errorf("run stage FROM %s; want distroless static (CA certificates, nothing else) or scratch", run.from)
	}
	var user string
	var entrypoint *parser.Node
	env := map[string]string{}
	for _, n := range run.lines {
		switch strings.ToLower(n.Value) {
		case "env": // BuildKit's ENV node: key, value and separator, per variable
			for kv := n.Next; kv != nil && kv.Next != nil; kv = kv.Next.Next.Next {
				env[kv.Value] = kv.Next.Value
				if kv.Next.Next == nil {
					break
				}
			}
		case "user":
			user = n.Next.Value
		case "entrypoint":
			entrypoint = n
		}
	}
	if name, _, _ := strings.Cut(user, ":"); name == "" || name == "root" || name == "0" {
		t.Errorf("run stage USER %q; want a non-root user", user)
	}
	// A local run listens on loopback only; in a container that is the
	// container's own, which docker run -p does not reach.
	if env["LISTEN_ADDR"] != "0.0.0.0" {
		t.Errorf("run stage ENV LISTEN_ADDR=%q; want 0.0.0.0, or docker run -p reaches nothing", env["LISTEN_ADDR"])
	}
	if entrypoint == nil || entrypoint.Attributes["json"] != true {
		t.Errorf("ENTRYPOINT is not in exec (JSON) form: a shell would receive SIGTERM, not the app")
	}
}

// buildFlags are the settings and flags of a go build command line:
// CGO_ENABLED=…, GOTOOLCHAIN=… and the -flags, in order.
func buildFlags(line string) []string {
	var out []string
	for _, w := range strings.Fields(line) {
		if strings.HasPrefix(w, "-o") {
			continue
		}
		if strings.HasPrefix(w, "-") || strings.HasPrefix(w, "CGO_ENABLED=") || strings.HasPrefix(w, "GOTOOLCHAIN=") {
			out = append(out, w)
		}
	}
	return out
}

// TestDockerIgnore checks .dockerignore, read as Docker reads it (the last
// pattern that matches a path decides; a "!" pattern lets it in), against
// what go build . reads, from go list: every Go and embedded file of the
// module's packages the app imports is in the build context; azd's
// environment, .env, build outputs and the repository's history are not.
func TestDockerIgnore(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(repoFile(".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(raw), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	inContext := func(path string) bool {
		in := true
		for _, p := range patterns {
			include := strings.HasPrefix(p, "!")
			p = strings.TrimPrefix(p, "!")
			// A pattern that matches a directory matches what it holds.
			parts := strings.Split(path, "/")
			for i := range parts {
				if matched, _ := filepath.Match(p, strings.Join(parts[:i+1], "/")); matched {
					in = include
					break
				}
			}
		}
		return in
	}
	list := exec.Command("go", "list", "-deps", "-f", `{{if .Module}}{{if .Module.Main}}{{range .GoFiles}}{{$.Dir}}/{{.}}{{"\n"}}{{end}}{{range .EmbedFiles}}{{$.Dir}}/{{.}}{{"\n"}}{{end}}{{end}}{{end}}`, ".")
	list.Dir = ".."
	out, err := list.Output()
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	needed := []string{"go.mod", "go.sum"}
	for _, f := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, f)
		if err != nil {
			t.Fatal(err)
		}
		needed = append(needed, filepath.ToSlash(rel))
	}
	for _, f := range needed {
		if !inContext(f) {
			t.Errorf(".dockerignore leaves out %s, which go build . reads", f)
		}
	}
	for _, f := range []string{".azure/dev/.env", ".env", "dist/keyvault-msi-go", "wwwroot/startup.sh", ".git/config", "bin/demo", "internal/standin/standin.go", "mutants/main.go", "README.md"} {
		if inContext(f) {
			t.Errorf(".dockerignore sends %s into the build context", f)
		}
	}
}
