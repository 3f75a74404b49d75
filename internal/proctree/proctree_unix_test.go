//go:build unix

package proctree

import (
	"context"
	"io"
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

// TestRun: Run reads a command's output to its end, however slowly it is
// read (a busy machine), ends a child left holding it once the command
// has exited, and at the context's end ends the command with its children.
func TestRun(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		script     string // sh -c; $1 is a file for a child's PID
		timeout    time.Duration
		slow       bool // the reader takes 600 ms per write, as on a loaded machine
		wantOut    string
		wantErr    bool
		wantWithin time.Duration
	}{
		{"exits", `echo out; echo err >&2`, 10 * time.Second, false, "out\n", false, 5 * time.Second},
		// 200 KiB, read slowly: the command exits long before its output is read.
		{"busy reader", `head -c 204800 /dev/zero | tr '\\0' x; echo; echo end`, 30 * time.Second, true, "", false, 25 * time.Second},
		{"a child left holding the output", `echo out; sleep 30 & echo $! > "$1"`, 20 * time.Second, false, "out\n", false, 10 * time.Second},
		{"times out", `sleep 30 & echo $! > "$1"; wait`, 300 * time.Millisecond, false, "", true, 10 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pidFile := filepath.Join(t.TempDir(), "child")
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, "/bin/sh", "-c", tt.script, "sh", pidFile)
			var stdout, stderr strings.Builder
			var out io.Writer = &stdout
			if tt.slow {
				out = slowWriter{&stdout}
			}
			start := time.Now()
			err := Run(ctx, cmd, out, &stderr)
			if took := time.Since(start); took > tt.wantWithin {
				t.Errorf("Run took %v; want at most %v", took, tt.wantWithin)
			}
			if (err != nil) != tt.wantErr {
				t.Errorf("Run = %v; want an error: %v", err, tt.wantErr)
			}
			switch {
			case tt.slow:
				if got := stdout.String(); len(got) != 204800+5 || !strings.HasSuffix(got, "\nend\n") {
					t.Errorf("read %d bytes ending %q; want all 204805, ending with end", len(got), got[max(0, len(got)-10):])
				}
			case stdout.String() != tt.wantOut:
				t.Errorf("stdout = %q; want %q", stdout.String(), tt.wantOut)
			}
			if b, err := os.ReadFile(pidFile); err == nil {
				pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
				defer syscall.Kill(pid, syscall.SIGKILL) // whatever the outcome
				if !waitGone(pid, 10*time.Second) {
					t.Errorf("the command's child %d runs on", pid)
				}
			}
		})
	}
}

// slowWriter writes to w after a pause, as a reader on a loaded machine
// gets the processor late.
type slowWriter struct{ w io.Writer }

func (s slowWriter) Write(p []byte) (int, error) {
	time.Sleep(600 * time.Millisecond)
	return s.w.Write(p)
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
