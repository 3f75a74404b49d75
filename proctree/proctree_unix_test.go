//go:build unix

package proctree

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEndTogether: a launcher (a shell that starts a long child and waits
// for it, as Microsoft's az script runs Python) whose context ends is
// ended with its child; without EndTogether the child runs on.
func TestEndTogether(t *testing.T) {
	t.Parallel()
	for _, together := range []bool{true, false} {
		t.Run(strconv.FormatBool(together), func(t *testing.T) {
			t.Parallel()
			pidFile := filepath.Join(t.TempDir(), "child")
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			cmd := exec.CommandContext(ctx, "/bin/sh", "-c", `sleep 30 & echo $! > "$1"; wait`, "sh", pidFile)
			cmd.WaitDelay = 100 * time.Millisecond
			if together {
				EndTogether(cmd)
			}
			if err := cmd.Run(); err == nil {
				t.Fatal("the launcher ended by itself; want it ended by its context")
			}
			pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, pidFile)))
			if err != nil {
				t.Fatal(err)
			}
			defer syscall.Kill(pid, syscall.SIGKILL) // whatever the outcome
			wait := time.Second                      // long enough to see a child that runs on
			if together {
				wait = 10 * time.Second // a deadline, not a delay: the child is usually gone at once
			}
			if gone := waitGone(pid, wait); gone != together {
				t.Errorf("EndTogether %v: the child is gone: %v; want %v", together, gone, together)
			}
		})
	}
}

// waitGone reports whether process pid ends (or is a zombie) within d.
func waitGone(pid int, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil && syscall.Kill(pid, 0) != nil {
			return true
		}
		// /proc/<pid>/stat's third field is the state; Z is a zombie.
		if fields := strings.Fields(string(stat)); len(fields) > 2 && fields[2] == "Z" {
			return true
		}
	}
	return false
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile(path)
		if err == nil && len(b) > 0 || time.Now().After(deadline) {
			return string(b)
		}
	}
}
