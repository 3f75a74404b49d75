package deploy

import (
	"context"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// TestCIDemoSmoke runs ci.yml's demo step, the one GitHub runs on macOS
// and Windows, here on Linux as GitHub's bash runs it (bash --noprofile
// --norc -eo pipefail, GitHub's docs, "Workflow syntax": jobs.<id>.steps[*].shell),
// on a free port: the README's demo builds, serves /ping, and shows the
// stand-in's secret on /.
func TestCIDemoSmoke(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the demo")
	}
	var ci struct {
		Jobs map[string]struct {
			Strategy struct {
				Matrix struct {
					Runner []string `yaml:"runner"`
				} `yaml:"matrix"`
			} `yaml:"strategy"`
			Steps []struct {
				Shell string `yaml:"shell"`
				Run   string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal([]byte(readRepoFile(t, ".github/workflows/ci.yml")), &ci); err != nil {
		t.Fatal(err)
	}
	job := ci.Jobs["os"]
	if got := strings.Join(job.Strategy.Matrix.Runner, " "); got != "macos-latest windows-latest" {
		t.Errorf("the os job runs on %q; want macOS and Windows (the test job is Linux)", got)
	}
	var script string
	for _, step := range job.Steps {
		if step.Shell == "bash" && strings.Contains(step.Run, "bin/demo") {
			script = step.Run
		}
	}
	if script == "" {
		t.Fatal("ci.yml's os job has no bash step that runs bin/demo")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", strings.ReplaceAll(script, "8080", freePort(t)))
	cmd.Dir = repoFile(".")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 10 * time.Second // for whatever the script left holding its output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err := cmd.Start()
	if err == nil {
		// The script's trap stops the demo; should it not, end what is left.
		defer syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		err = cmd.Wait()
	}
	if err != nil {
		t.Fatalf("ci.yml's demo step: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Hello from the local Key Vault stand-in!") {
		t.Errorf("ci.yml's demo step showed no secret:\n%s", out.String())
	}
}
