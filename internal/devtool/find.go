package devtool

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Find is the executable named name in the first of path's directories
// that has one, or "". A directory that is not absolute is passed over,
// as exec.LookPath refuses one: a tool in whatever directory the app was
// started from is not the developer's. On Windows the name may end in
// any of PATHEXT's default extensions (executableNames).
func Find(name, path string) string { return find(runtime.GOOS, name, path) }

// find is Find as it looks on goos, so that every OS's lookup is tested
// on every OS.
func find(goos, name, path string) string {
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) {
			continue
		}
		for _, file := range executableNames(goos, name) {
			p := filepath.Join(dir, file)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && runnable(goos, fi) {
				return p
			}
		}
	}
	return ""
}

// executableNames are the names a tool called name may have on PATH: on
// Windows, with each of PATHEXT's default extensions, in its order, as
// cmd.exe looks (the Azure CLI is az.cmd; azd and pwsh are .exe).
func executableNames(goos, name string) []string {
	if goos != "windows" || filepath.Ext(name) != "" {
		return []string{name}
	}
	return []string{name + ".com", name + ".exe", name + ".bat", name + ".cmd"}
}

// runnable reports whether a file may be run: its mode says so, but on
// Windows, which has no mode bit for it, the extension does.
func runnable(goos string, fi fs.FileInfo) bool {
	return goos == "windows" || fi.Mode()&0o111 != 0
}
