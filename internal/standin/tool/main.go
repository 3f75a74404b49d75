// Command tool is the stand-in for a developer's command-line tool (az,
// azd, pwsh) that package standin writes where a test's app finds it. It
// is a Go program, not a shell script, so that the same stand-in runs on
// Linux, macOS and Windows; what it answers is in the JSON file beside it
// that has its name (az.json for az, az-standin.json for az-standin.exe,
// which Windows runs through the shim az.cmd, as the real az is one).
//
// It appends its arguments to the answer's log, refuses any command but
// the one the answer is for (as the real tool would not answer it so),
// then writes the answer's stdout and stderr and exits with its code.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// answer is what package standin writes; see its toolAnswer.
type answer struct {
	Log    string
	Want   []string
	Stdout string
	Stderr string
	Exit   int
	Hang   bool
}

// hangEnv marks the child a hanging tool starts.
const hangEnv = "STANDIN_TOOL_CHILD"

func main() {
	if os.Getenv(hangEnv) != "" {
		time.Sleep(time.Hour) // until killed
		return
	}
	exe, err := os.Executable()
	if err != nil {
		fail(err)
	}
	data, err := os.ReadFile(strings.TrimSuffix(exe, filepath.Ext(exe)) + ".json")
	if err != nil {
		fail(err)
	}
	var a answer
	if err := json.Unmarshal(data, &a); err != nil {
		fail(err)
	}
	name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(exe), filepath.Ext(exe)), "-standin")
	args := os.Args[1:]
	if err := appendLine(a.Log, strings.Join(args, " ")); err != nil {
		fail(err)
	}
	if len(args) < len(a.Want) || !slices.Equal(args[:len(a.Want)], a.Want) {
		fmt.Fprintf(os.Stderr, "%s stand-in: unsupported command: %s\n", name, strings.Join(args, " "))
		os.Exit(2)
	}
	if a.Hang {
		hang(exe, a.Log+".pids")
	}
	stdout := a.Stdout
	if q := flag(args, "--query"); q != "" && a.Exit == 0 {
		if stdout, err = query(stdout, q, flag(args, "-o", "--output")); err != nil {
			fmt.Fprintf(os.Stderr, "%s stand-in: %v\n", name, err)
			os.Exit(2)
		}
	}
	os.Stdout.WriteString(stdout)
	os.Stderr.WriteString(a.Stderr)
	os.Exit(a.Exit)
}

// flag is the value after the first of names in args, or "".
func flag(args []string, names ...string) string {
	for i, a := range args[:max(0, len(args)-1)] {
		if slices.Contains(names, a) {
			return args[i+1]
		}
	}
	return ""
}

// query applies an az --query of dotted names to the JSON az would print
// without it, and prints the result as -o tsv or json does. JMESPath's
// names are case-sensitive (jmespath.org, "Identifiers"), so a query
// whose case differs from az's property names (knack's todict writes the
// SDK's attribute names in camelCase: issuerUrl, tenantId) finds null,
// and az prints nothing for a null result, with exit code 0 (knack,
// cli.py: "if cmd_result and cmd_result.result is not None"). Any other
// query is refused: a test must not pass on a query the stand-in cannot
// judge.
func query(stdout, q, output string) (string, error) {
	var v any
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		return "", fmt.Errorf("--query on an answer that is not JSON: %v", err)
	}
	for _, name := range strings.Split(q, ".") {
		if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != "" {
			return "", fmt.Errorf("unsupported --query %q: only dotted names", q)
		}
		obj, _ := v.(map[string]any)
		v = obj[name] // nil when absent, as JMESPath's null
	}
	switch s, isString := v.(string); {
	case v == nil:
		return "", nil
	case output == "tsv" && isString:
		return s + "\n", nil
	case output == "tsv":
		return "", fmt.Errorf("unsupported -o tsv of %T", v)
	}
	out, err := json.MarshalIndent(v, "", "  ")
	return string(out) + "\n", err
}

// hang starts a child that holds this process's output, writes both
// process IDs to pids, and waits until killed.
func hang(exe, pids string) {
	child := exec.Command(exe)
	child.Env = append(os.Environ(), hangEnv+"=1")
	child.Stdout, child.Stderr = os.Stdout, os.Stderr
	if err := child.Start(); err != nil {
		fail(err)
	}
	if err := os.WriteFile(pids, []byte(fmt.Sprintf("%d %d\n", os.Getpid(), child.Process.Pid)), 0o600); err != nil {
		fail(err)
	}
	time.Sleep(time.Hour)
}

func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(line + "\n")
	return errors.Join(err, f.Close())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "stand-in tool:", err)
	os.Exit(3)
}
