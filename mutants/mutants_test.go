package main

import (
	"os"
	"testing"
)

// TestMutantsApply: every mutant still applies to the repository as it
// stands (its old text occurs exactly once in its file), so that none
// rots unseen when the code moves.
func TestMutantsApply(t *testing.T) {
	t.Parallel()
	if name := os.Getenv(mutantEnv); name != "" {
		t.Skipf("mutant %s is applied: this copy is not the repository as it stands", name)
	}
	all, err := load(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 60 {
		t.Errorf("%d mutants; want at least 60", len(all))
	}
	for _, m := range all {
		if _, err := m.mutated(".."); err != nil {
			t.Errorf("%s: %v", m.Name, err)
		}
	}
}
