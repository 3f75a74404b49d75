package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// mutant is one hand-written bug: in File, Old (which must occur exactly
// once) becomes New. Feel is what a user would notice.
//
// A mutant file reads:
//
//	feel: what a user would feel
//	file: path/in/the/repository
//	@@@ old
//	the text as it is
//	@@@ new
//	the text as the bug has it
//	@@@ end
//
// The line break before each @@@ line is not part of the text.
type mutant struct {
	Name, Feel, File, Old, New string
}

// load reads every *.mutant file in dir, sorted by name.
func load(dir string) ([]mutant, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.mutant"))
	if err != nil {
		return nil, err
	}
	slices.Sort(paths)
	var out []mutant
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		m, err := parse(filepath.Base(p), string(raw))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func parse(name, raw string) (mutant, error) {
	m := mutant{Name: strings.TrimSuffix(name, ".mutant")}
	head, rest, ok := strings.Cut(raw, "@@@ old\n")
	if !ok {
		return m, fmt.Errorf("no @@@ old line")
	}
	for _, line := range strings.Split(head, "\n") {
		key, value, _ := strings.Cut(line, ": ")
		switch key {
		case "feel":
			m.Feel = value
		case "file":
			m.File = value
		}
	}
	old, rest, ok := strings.Cut(rest, "@@@ new\n")
	if !ok {
		return m, fmt.Errorf("no @@@ new line")
	}
	nw, _, ok := strings.Cut(rest, "@@@ end")
	if !ok {
		return m, fmt.Errorf("no @@@ end line")
	}
	// The line break before each marker belongs to the marker.
	m.Old, m.New = strings.TrimSuffix(old, "\n"), strings.TrimSuffix(nw, "\n")
	switch {
	case m.Feel == "" || m.File == "":
		return m, fmt.Errorf("want a feel: and a file: line")
	case m.Old == m.New:
		return m, fmt.Errorf("old and new are the same")
	}
	return m, nil
}

// mutated is the mutant's file in the repository at dir, with the change.
func (m mutant) mutated(dir string) ([]byte, error) {
	raw, err := os.ReadFile(filepath.Join(dir, m.File))
	if err != nil {
		return nil, err
	}
	if n := strings.Count(string(raw), m.Old); n != 1 {
		return nil, fmt.Errorf("its old text occurs %d times in %s; want once", n, m.File)
	}
	return []byte(strings.Replace(string(raw), m.Old, m.New, 1)), nil
}

// apply makes the mutant's change in the repository copy at dir.
func (m mutant) apply(dir string) error {
	out, err := m.mutated(dir)
	if err != nil {
		return err
	}
	fi, err := os.Stat(filepath.Join(dir, m.File))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, m.File), out, fi.Mode().Perm())
}
