package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestGalleryReady: what the azd template gallery's validator requires
// (microsoft/template-validation-action v0.4.4, src/rules.json: the files,
// each in "." or ".github", and README's headings; action.yml: a dev
// container, and AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_SUBSCRIPTION_ID
// or it stops), and what the gallery's checklist asks of the README: a
// diagram GitHub renders, the page's screenshot, the Codespaces and Dev
// Containers badges.
func TestGalleryReady(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"LICENSE", "SECURITY.md", "CODE_OF_CONDUCT.md", "CONTRIBUTING.md", "azure.yaml",
		"infra/main.bicep", ".devcontainer/devcontainer.json", ".github/workflows/azure-dev.yml"} {
		if _, err := os.Stat(repoFile(name)); err != nil {
			t.Errorf("the validator requires %s: %v", name, err)
		}
	}
	// GitHub offers an issue template only with a name and an about in its
	// front matter (GitHub's "Configuring issue templates for your repository").
	templates, _ := filepath.Glob(repoFile(".github/ISSUE_TEMPLATE/*.md"))
	if len(templates) == 0 {
		t.Error("no issue template in .github/ISSUE_TEMPLATE")
	}
	for _, f := range templates {
		front := readRepoFile(t, strings.TrimPrefix(f, repoFile("")+string(filepath.Separator)))
		var meta struct{ Name, About string }
		if parts := strings.SplitN(front, "---\n", 3); len(parts) < 3 || parts[0] != "" || yaml.Unmarshal([]byte(parts[1]), &meta) != nil || meta.Name == "" || meta.About == "" {
			t.Errorf("%s: no front matter with name and about; GitHub would not offer it", f)
		}
	}

	readme := readRepoFile(t, "README.md")
	lines := strings.Split(readme, "\n")
	for _, heading := range []string{"## Features", "## Getting Started", "## Guidance", "## Resources"} {
		if !slices.Contains(lines, heading) {
			t.Errorf("README has no heading %q, which the validator looks for", heading)
		}
	}
	for _, sub := range []string{"### Costs", "### Security", "### Regions", "### Clean up"} {
		if !strings.Contains(guidance(readme), "\n"+sub+"\n") {
			t.Errorf("README's Guidance has no %q", sub)
		}
	}
	for _, badge := range []string{"(https://codespaces.new/Azure-Samples/keyvault-msi-go)",
		"(https://vscode.dev/redirect?url=vscode://ms-vscode-remote.remote-containers/cloneInVolume?url=https://github.com/Azure-Samples/keyvault-msi-go)"} {
		if !strings.Contains(readme, badge) {
			t.Errorf("README has no badge linking %s", badge)
		}
	}
	diagram := regexp.MustCompile("(?s)```mermaid\n(.*?)```").FindStringSubmatch(readme)
	if diagram == nil || !strings.HasPrefix(diagram[1], "flowchart") {
		t.Error("README has no Mermaid flowchart for GitHub to draw")
	} else {
		for _, node := range []string{"App Service", "Identity endpoint", "Microsoft Entra ID", "(Key Vault)", "Azure CLI or azd login"} {
			if !strings.Contains(diagram[1], node) {
				t.Errorf("README's diagram has no %q", node)
			}
		}
	}
	for _, m := range regexp.MustCompile(`!\[[^\]]+\]\(([^)]+\.png)\)`).FindAllStringSubmatch(readme, -1) {
		if _, err := os.Stat(repoFile(m[1])); err != nil {
			t.Errorf("README shows %s, which is not in the repository", m[1])
		}
	}
	if !strings.Contains(readme, "](docs/page.png)") {
		t.Error("README does not show the page's screenshot docs/page.png")
	}
}

// guidance is README's Guidance section.
func guidance(readme string) string {
	_, s, _ := strings.Cut(readme, "\n## Guidance\n")
	s, _, _ = strings.Cut(s, "\n## ")
	return s
}

// TestTemplateValidationWorkflow: the validator's job runs only where it
// can sign in (a branch of this repository, not a fork, whose pull
// requests get no id-token and no variables) and is given the variables
// it stops without; the scan needs no Azure access and runs on every pull
// request.
func TestTemplateValidationWorkflow(t *testing.T) {
	t.Parallel()
	var wf workflow
	if err := yaml.Unmarshal([]byte(readRepoFile(t, ".github/workflows/template-validation.yml")), &wf); err != nil {
		t.Fatal(err)
	}
	if _, ok := wf.On["pull_request"]; !ok {
		t.Error("the workflow does not run on pull requests")
	}
	validated, scanned := false, false
	for name, job := range wf.Jobs {
		for _, step := range job.Steps {
			switch {
			case strings.HasPrefix(step.Uses, "microsoft/template-validation-action@"):
				validated = true
				if !strings.Contains(job.If, "github.event.pull_request.head.repo.full_name == github.repository") {
					t.Errorf("job %s runs the validator on a fork's pull request, which cannot sign in: if %q", name, job.If)
				}
				if job.Permissions["id-token"] != "write" {
					t.Errorf("job %s cannot sign in with OpenID Connect: no id-token: write", name)
				}
				for _, v := range []string{"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"} {
					if step.Env[v] != "${{ vars."+v+" }}" {
						t.Errorf("job %s gives the validator no %s; it stops without it", name, v)
					}
				}
			case strings.HasPrefix(step.Uses, "microsoft/security-devops-action@"):
				scanned = true
				if job.If != "" || job.Permissions["id-token"] != "" {
					t.Errorf("job %s: the scan should run on every pull request, with no Azure access (if %q, id-token %q)", name, job.If, job.Permissions["id-token"])
				}
				if step.With["tools"] != "templateanalyzer" {
					t.Errorf("job %s scans with %q, not the template analyzer", name, step.With["tools"])
				}
			}
		}
	}
	if !validated || !scanned {
		t.Errorf("the workflow runs the validator: %v, the template scan: %v; want both", validated, scanned)
	}
}

// TestAzdSignInSubject: a job that signs in with the federated credential
// `azd pipeline config` created names no environment. In an environment
// GitHub's token has the subject repo:OWNER/REPO:environment:NAME (GitHub's
// "OpenID Connect" docs, example subject claims), and azd creates
// credentials for ref:refs/heads/<branch> and pull_request only
// (Azure/azure-dev, cli/azd/pkg/pipeline/github_provider.go,
// buildAllSubjects): Entra ID would refuse the sign-in with AADSTS70021.
func TestAzdSignInSubject(t *testing.T) {
	t.Parallel()
	for _, file := range []string{".github/workflows/azure-dev.yml", ".github/workflows/template-validation.yml"} {
		var wf workflow
		if err := yaml.Unmarshal([]byte(readRepoFile(t, file)), &wf); err != nil {
			t.Fatal(err)
		}
		signsIn := 0
		for name, job := range wf.Jobs {
			if job.Permissions["id-token"] != "write" {
				continue
			}
			signsIn++
			if job.Environment != nil {
				t.Errorf("%s: job %s signs in from environment %v, a subject azd pipeline config made no credential for", file, name, job.Environment)
			}
		}
		if signsIn == 0 {
			t.Errorf("%s: no job signs in; this test reads nothing", file)
		}
	}
}
