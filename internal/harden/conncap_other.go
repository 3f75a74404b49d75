//go:build !unix

package harden

// ConnLimit is the cap on Windows, which has no per-process limit on
// sockets that a server meets first: one generous enough for any load the
// sample sees, and still a bound.
func ConnLimit() int { return 1 << 14 }
