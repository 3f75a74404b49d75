package standin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
)

// ToolAnswer is what a stand-in for a developer's command-line tool (the
// program in ./tool) answers: it appends its arguments to Log, refuses a
// command that does not start with Want, and otherwise writes Stdout and
// Stderr and exits with Exit.
type ToolAnswer struct {
	Log    string
	Want   []string
	Stdout string
	Stderr string
	Exit   int
	// Hang: the tool never answers. It starts a child that holds its
	// output (as Microsoft's az launcher runs Python), writes both their
	// process IDs to Log+".pids", and both wait until they are killed.
	Hang bool
}

// WriteTool writes a stand-in named name into dir, answering a; its
// arguments go to dir/<name>.log unless a.Log names another file. On
// Windows, az is a shim, az.cmd, that runs the program, as the real
// Azure CLI is az.cmd; every other tool is <name>.exe, as the real azd and
// pwsh are.
func WriteTool(dir, name string, a ToolAnswer) error {
	if a.Log == "" {
		a.Log = filepath.Join(dir, name+".log")
	}
	program, err := toolProgram()
	if err != nil {
		return err
	}
	exe := filepath.Join(dir, name)
	if runtime.GOOS == "windows" {
		exe += ".exe"
		if name == "az" {
			exe = filepath.Join(dir, "az-standin.exe")
			// The real az.cmd runs python with %* likewise (Azure/azure-cli, build_scripts/windows/scripts/az.cmd).
			if err := os.WriteFile(filepath.Join(dir, "az.cmd"), []byte("@\"%~dp0az-standin.exe\" %*\r\n"), 0o755); err != nil {
				return err
			}
		}
	}
	data, err := json.Marshal(a)
	if err != nil {
		return err
	}
	if err := os.WriteFile(exe[:len(exe)-len(filepath.Ext(exe))]+".json", data, 0o600); err != nil {
		return err
	}
	// A link, where it can be, rather than a copy: a file just written
	// may still be open in a child another test forked meanwhile, and
	// Linux refuses to run it (ETXTBSY, golang/go#22315). A stand-in
	// written before is removed first: writing through its link would
	// change every stand-in.
	if err := os.Remove(exe); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if os.Link(program, exe) == nil {
		return nil
	}
	return copyFile(program, exe)
}

var built struct {
	once sync.Once
	dir  string
	err  error
}

// goTool is the go command as the process found it when it started,
// before any test narrowed PATH to its stand-ins.
var goTool, _ = exec.LookPath("go")

// toolProgram builds ./tool once for the process, the first time a
// stand-in tool is written, and returns the program's path.
func toolProgram() (string, error) {
	built.once.Do(func() {
		_, self, _, _ := runtime.Caller(0)
		if built.dir, built.err = os.MkdirTemp("", "standin-tool-"); built.err != nil {
			return
		}
		build := exec.Command(goTool, "build", "-o", filepath.Join(built.dir, "tool.exe"), ".")
		build.Dir = filepath.Join(filepath.Dir(self), "tool")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("building the stand-in tool (go is %q): %v\n%s", goTool, err, out)
		}
	})
	return filepath.Join(built.dir, "tool.exe"), built.err
}

// RemoveToolProgram removes what toolProgram built; a process that wrote
// a stand-in tool calls it before it exits.
func RemoveToolProgram() {
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
