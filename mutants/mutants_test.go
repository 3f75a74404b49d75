package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMutantsApply: every mutant still applies to the repository as it
// stands (its old text occurs exactly once in its file), so that none
// rots unseen when the code moves.
func TestMutantsApply(t *testing.T) {
	all, err := load(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 60 {
		t.Errorf("%d mutants; want at least 60", len(all))
	}
	dir, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	if err := copyTracked(dir, tmp); err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		original, err := os.ReadFile(filepath.Join(tmp, m.File))
		if err != nil {
			t.Errorf("%s: %v", m.Name, err)
			continue
		}
		if err := m.apply(tmp); err != nil {
			t.Errorf("%s: %v", m.Name, err)
		}
		// Undo, so that the next mutant of the same file sees the original.
		if err := os.WriteFile(filepath.Join(tmp, m.File), original, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
