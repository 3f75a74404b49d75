// Command mutants applies the hand-written semantic mutants in this
// folder, one at a time, each in its own copy of the repository, runs the
// suite there and reports which the suite killed. Each mutant is a small,
// realistic bug in a file the project ships, with the line that says what
// a user would feel (make mutate; BENCHMARKS.md has the score).
//
//	cd mutants && go run . [-run regexp] [-test 'go test -race -count=1 ./...']
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mutants:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("mutants", flag.ContinueOnError)
	only := fs.String("run", "", "apply only the mutants whose file name matches this regexp")
	test := fs.String("test", "go test -race -count=1 -failfast ./... && cd deploy && go test -count=1 -failfast ./...", "the suite a mutant must fail")
	timeout := fs.Duration("timeout", 10*time.Minute, "longest one mutant's suite may run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	repo, err := repoRoot()
	if err != nil {
		return err
	}
	all, err := load(filepath.Join(repo, "mutants"))
	if err != nil {
		return err
	}
	match, err := regexp.Compile(*only)
	if err != nil {
		return err
	}
	// The suite must pass as the repository stands, or every mutant would
	// look killed.
	if verdict, err := try(repo, mutant{}, *test, *timeout); err != nil || verdict != "SURVIVED" {
		return fmt.Errorf("the suite does not pass on the unmutated repository (%s, %v): fix it first", verdict, err)
	}
	var killed, broken, total int
	var survivors []mutant
	for _, m := range all {
		if !match.MatchString(m.Name) {
			continue
		}
		total++
		start := time.Now()
		verdict, err := try(repo, m, *test, *timeout)
		if err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
		switch verdict {
		case "killed":
			killed++
		case "BROKEN":
			broken++
		default:
			survivors = append(survivors, m)
		}
		fmt.Fprintf(out, "%-8s %5.0fs  %s: %s\n", verdict, time.Since(start).Seconds(), m.Name, m.Feel)
	}
	if total == 0 {
		return fmt.Errorf("no mutant matches %q", *only)
	}
	if broken > 0 {
		return fmt.Errorf("%d mutants do not build or vet: a mutant must be a bug, not a compile error", broken)
	}
	fmt.Fprintf(out, "\nkilled %d of %d hand-written mutants (%.1f%%)\n", killed, total, 100*float64(killed)/float64(total))
	for _, m := range survivors {
		fmt.Fprintf(out, "  survived: %s (%s)\n", m.Name, m.File)
	}
	return nil
}

// try applies m in a fresh copy of repo and runs test there: "killed"
// when it fails, "SURVIVED" when it passes, "BROKEN" when the mutant does
// not even build or vet (a compile error is not a bug a user could meet).
func try(repo string, m mutant, test string, timeout time.Duration) (string, error) {
	dir, err := os.MkdirTemp("", "mutant-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	if err := copyTracked(repo, dir); err != nil {
		return "", err
	}
	if m.File != "" { // the zero mutant is the repository as it stands
		if err := m.apply(dir); err != nil {
			return "", err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if m.File == "" || strings.HasSuffix(m.File, ".go") {
		vet := exec.CommandContext(ctx, "go", "vet", "./...")
		vet.Dir = dir
		if err := vet.Run(); err != nil {
			return "BROKEN", nil
		}
	}
	cmd := exec.CommandContext(ctx, "sh", "-c", test)
	cmd.Dir = dir
	// TestMutantsApply would fail on any mutant: its old text is gone.
	cmd.Env = append(os.Environ(), mutantEnv+"="+m.Name)
	if err := cmd.Run(); err != nil { // its output is the suite's; the verdict is its status
		return "killed", nil
	}
	return "SURVIVED", nil
}

// copyTracked copies the files git tracks (and new ones it does not
// ignore) from repo into dir.
func copyTracked(repo, dir string) error {
	list, err := exec.Command("git", "-C", repo, "ls-files", "--cached", "--others", "--exclude-standard", "-z").Output()
	if err != nil {
		return fmt.Errorf("git ls-files: %w", err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		src := filepath.Join(repo, name)
		fi, err := os.Lstat(src)
		if err != nil {
			continue // deleted in the work tree
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, data, fi.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}

// mutantEnv names the mutant under test in the suite's environment.
const mutantEnv = "KEYVAULT_MSI_MUTANT"

func repoRoot() (string, error) {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return "", fmt.Errorf("not in a git repository: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}
