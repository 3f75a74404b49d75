package diagnose

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// psModel is a model of PowerShell 7 reading the commands powerShell
// writes (about_Parsing's argument mode, about_Quoting_Rules): it returns
// each native command the line runs, inner ones first, as its words, and
// the environment variable it sets. A substitution's value is "SUBST",
// what the stand-ins print. It refuses what powerShell must never write:
// a variable, a bare word with a character PowerShell reads as syntax, a
// word that is two quoted pieces, an unbalanced quote.
type psModel struct {
	calls    [][]string
	variable string // set by $env:NAME = '…'
	value    string
}

func (m *psModel) run(line string) error {
	if v, ok := strings.CutPrefix(line, "Remove-Item Env:"); ok && !strings.ContainsAny(v, " '\"$") {
		m.variable, m.value = v, ""
		return nil
	}
	if v, ok := strings.CutPrefix(line, "$env:"); ok {
		name, value, ok := strings.Cut(v, " = ")
		if !ok {
			return errors.New("an assignment without ' = '")
		}
		words, rest, err := m.words(value, false)
		if err != nil || rest != "" || len(words) != 1 || value[0] != '\'' && value[0] != '"' {
			return errors.New("an assignment's value is not one quoted string")
		}
		m.variable, m.value = name, words[0]
		return nil
	}
	words, rest, err := m.words(line, false)
	if err == nil && rest != "" {
		err = errors.New("text after the command: " + rest)
	}
	if err == nil {
		m.calls = append(m.calls, words)
	}
	return err
}

// words reads words up to the end of s, or in a substitution up to its ")".
func (m *psModel) words(s string, inSub bool) (words []string, rest string, err error) {
	for s != "" {
		if s[0] == ' ' {
			s = s[1:]
			continue
		}
		if s[0] == ')' {
			if !inSub {
				return nil, "", errors.New("a ) outside $(…)")
			}
			return words, s[1:], nil
		}
		var w string
		switch {
		case strings.HasPrefix(s, "$("):
			w, s, err = m.sub(s[2:])
		case s[0] == '\'':
			w, s, err = single(s[1:])
		case s[0] == '"':
			w, s, err = m.double(s[1:])
		default:
			end := strings.IndexAny(s, " )")
			if end < 0 {
				end = len(s)
			}
			w, s = s[:end], s[end:]
			if strings.ContainsAny(w, "`$'\"(){};,|&<>@#\u2018\u2019\u201a\u201b\u201c\u201d\u201e") || w == "--%" || w[0] >= '0' && w[0] <= '9' {
				err = errors.New("a bare word PowerShell reads as syntax or a number: " + w)
			}
		}
		if err != nil {
			return nil, "", err
		}
		if s != "" && s[0] != ' ' && s[0] != ')' {
			return nil, "", errors.New("a word that goes on after its quote: " + s)
		}
		words = append(words, w)
	}
	if inSub {
		return nil, "", errors.New("an unclosed $(")
	}
	return words, "", nil
}

func (m *psModel) sub(s string) (string, string, error) {
	words, rest, err := m.words(s, true)
	if err == nil {
		m.calls = append(m.calls, words)
	}
	return "SUBST", rest, err
}

func isSingleQuote(r rune) bool { return strings.ContainsRune("'\u2018\u2019\u201a\u201b", r) }

func single(s string) (string, string, error) {
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		if isSingleQuote(rs[i]) {
			if i+1 < len(rs) && isSingleQuote(rs[i+1]) {
				b.WriteRune(rs[i])
				i++
				continue
			}
			return b.String(), string(rs[i+1:]), nil
		}
		b.WriteRune(rs[i])
	}
	return "", "", errors.New("an unclosed single quote")
}

func (m *psModel) double(s string) (string, string, error) {
	var b strings.Builder
	for s != "" {
		switch {
		case s[0] == '`' && len(s) > 1:
			r := []rune(s[1:])[0]
			if !strings.ContainsRune("`$\"\u201c\u201d\u201e", r) {
				return "", "", errors.New("an escape that means more than the character: `" + string(r))
			}
			b.WriteRune(r)
			s = s[1+len(string(r)):]
		case strings.HasPrefix(s, "$("):
			v, rest, err := m.sub(s[2:])
			if err != nil {
				return "", "", err
			}
			b.WriteString(v)
			s = rest
		case s[0] == '$':
			return "", "", errors.New("a variable in a double-quoted string: " + s)
		case strings.ContainsRune("\"\u201c\u201d\u201e", []rune(s)[0]):
			return b.String(), s[len(string([]rune(s)[0])):], nil
		default:
			r := []rune(s)[0]
			b.WriteRune(r)
			s = s[len(string(r)):]
		}
	}
	return "", "", errors.New("an unclosed double quote")
}

// TestPowerShellCommands writes every fix command, with ordinary values and
// with values that shells expand or split, for PowerShell, and checks that
// PowerShell runs the same commands with the same words as bash runs the
// POSIX original, through the stand-in tools that record them: the model
// above always, and pwsh itself where it is installed (GitHub's runners).
// Two words differ on purpose: curl is curl.exe, /dev/null is NUL.
func TestPowerShellCommands(t *testing.T) {
	t.Parallel()
	shells := pasteShells(t)
	bash := ""
	for _, sh := range shells {
		if filepath.Base(sh) == "bash" {
			bash = sh
		}
	}
	if bash == "" {
		t.Skip("no bash to compare with")
	}
	pwsh, err := exec.LookPath("pwsh")
	if err != nil {
		if os.Getenv("GITHUB_ACTIONS") != "" {
			t.Fatal("no pwsh: GitHub's runners have it")
		}
		t.Log("pwsh is not installed: the model alone reads the commands")
	}
	bin := t.TempDir()
	log := filepath.Join(bin, "calls")
	// Every native tool a fix runs. The Azure PowerShell pages' cmdlets are
	// left out: pwsh would run its own Install-Module, not a stand-in.
	for _, name := range []string{"az", "azd", "curl", "curl.exe", "kubectl", "nslookup"} {
		writeScript(t, filepath.Join(bin, name), `{ echo CALL; for a in "$@"; do printf '%s\n' "$a"; done; } >> `+log+"\nprintf SUBST\n")
	}
	runIn := func(variable string, argv ...string) (string, error) {
		os.Remove(log)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = []string{"PATH=" + bin, "HOME=" + bin}
		if variable != "" {
			cmd.Env = append(cmd.Env, variable+"=before") // set, as where a fix unsets it
		}
		out, err := cmd.CombinedOutput()
		calls, _ := os.ReadFile(log)
		// PowerShell may end a native command's output with a newline.
		return string(calls) + "OUT " + strings.TrimRight(string(out), "\r\n"), err
	}
	seen := 0
	imds := explainer{cfg: Facts{ClientID: hostileValues[2]}}
	problems := append(explainedProblems(), hostileProblems()...)
	problems = append(problems, imds.imdsProblem(&Source{Name: "IMDS"}, "timeout", identityAnswer{}),
		imds.imdsProblem(&Source{Name: "IMDS"}, "", identityAnswer{Status: 400}))
	for _, p := range problems {
		for _, f := range p.Fixes {
			if f.Command == "" {
				continue
			}
			seen++
			ps := powerShell(f.Command)
			var m psModel
			if err := m.run(ps); err != nil {
				t.Errorf("%q\nin PowerShell: %q\nthe model refuses it: %v", f.Command, ps, err)
				continue
			}
			posix, model := f.Command+"\n", ""
			for _, call := range m.calls {
				model += "CALL\n" + strings.Join(call[1:], "\n")
				if len(call) > 1 {
					model += "\n"
				}
			}
			if m.variable != "" {
				posix += `printf '%s' "$` + m.variable + `"`
				model += "OUT " + m.value
			} else {
				model += "OUT SUBST"
			}
			want, err := runIn(m.variable, bash, "-c", posix)
			if err != nil {
				t.Errorf("bash -c %q: %v\n%s", posix, err, want)
				continue
			}
			want = strings.ReplaceAll(want, "\n/dev/null\n", "\nNUL\n")
			if m.variable == "" && !strings.HasSuffix(want, "SUBST") {
				t.Errorf("bash ran %q without the stand-ins:\n%s", f.Command, want)
				continue
			}
			if model != want {
				t.Errorf("%q\nin PowerShell: %q\nthe model runs:\n%s\nbash runs:\n%s", f.Command, ps, model, want)
			}
			if pwsh != "" {
				line := ps
				if m.variable != "" {
					line += "; [Console]::Out.Write($env:" + m.variable + ")"
				}
				got, err := runIn(m.variable, pwsh, "-NoProfile", "-NonInteractive", "-Command", line)
				if err != nil || got != want {
					t.Errorf("pwsh -Command %q: %v\npwsh runs:\n%s\nbash runs:\n%s", line, err, got, want)
				}
			}
		}
	}
	t.Logf("%d commands checked", seen)
	if seen < 50 {
		t.Errorf("only %d commands checked; want every fix's", seen)
	}
}

// TestPowerShellModelRefuses: the model fails on what PowerShell would
// read otherwise than the page means, so that TestPowerShellCommands can.
func TestPowerShellModelRefuses(t *testing.T) {
	t.Parallel()
	for _, line := range []string{
		"az login --tenant $tenant", `az login --tenant "$tenant"`, "az --query a,b", "az --cert @file", "az 30s", "az 'a'b",
		"az --% x", "$env:X = 30s", "az 'unclosed", `az "unclosed`, "az $(az x", "az (x)", "az a;b", "az `a",
	} {
		var m psModel
		if err := m.run(line); err == nil {
			t.Errorf("the model runs %q as %q; want it refused", line, m.calls)
		}
	}
}

func TestPowerShellWords(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ posix, want string }{
		{"export SECRET_CACHE_TTL=30s", "$env:SECRET_CACHE_TTL = '30s'"},
		{"unset AZURE_TOKEN_CREDENTIALS", "Remove-Item Env:AZURE_TOKEN_CREDENTIALS"},
		{cmd("az", "login", "--tenant", "72f988bf-0000-4000-8000-00000000c0de"), "az login --tenant '72f988bf-0000-4000-8000-00000000c0de'"},
		{cmd("az", "x", "--name", "it's ‘q’"), "az x --name 'it''s ‘‘q’’'"},
		{cmd("curl", "-sS", "-o", "/dev/null", "--proxy", ""), "curl.exe -sS -o NUL --proxy ''"},
		{cmd("az", "x", "--id", identityByClientID("c'$")), `az x --id $(az identity list --query '[?clientId==''c''$''].id' -o tsv)`},
		{cmd("az", "x", "--set", raw(`k="`+string(identityByClientID("c"))+`"`)), "az x --set \"k=$(az identity list --query '[?clientId==''c''].id' -o tsv)\""},
	} {
		if got := powerShell(tt.posix); got != tt.want {
			t.Errorf("powerShell(%q) =\n%s\nwant\n%s", tt.posix, got, tt.want)
		}
	}
}
