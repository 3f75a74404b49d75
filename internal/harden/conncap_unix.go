//go:build unix

package harden

import "syscall"

// ConnLimit is the cap that leaves room, under the process's limit on
// open files (RLIMIT_NOFILE), for the app's own: the Azure SDK's
// connections, az's pipes, the listeners.
func ConnLimit() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur > 1<<20 {
		return 1 << 16
	}
	return int(lim.Cur) - min(64, int(lim.Cur)/2)
}
