package deploy

import (
	"os"
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
	if goVersion == nil || build.from != "golang:"+string(goVersion[1]) {
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
