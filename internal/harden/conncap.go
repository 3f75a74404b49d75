package harden

// The connections a server holds are bounded, so that clients who open
// connections and keep them idle (about 19 KB each, held for the server's
// IdleTimeout) or send no whole request (held until ReadHeaderTimeout,
// and opened again) cannot use up the process's file descriptors: at that
// limit the server stops accepting, and every new client hangs.

import (
	"net"
	"net/http"
	"slices"
	"sync"
)

// ConnCap tracks a server's connections through its ConnState hook. When a
// new connection would take the count past Max, it closes the connection
// that has been idle longest; with none idle, the oldest that has not
// sent a whole request yet, so that a real client always gets in; with
// every other one busy, the new one. (net/http reports a connection
// active only once it has read a request's headers.) It keeps at most Max/2 connections idle, closing the
// longest idle first.
type ConnCap struct {
	Max int

	mu    sync.Mutex
	open  int
	idle  []net.Conn // in the order they went idle
	fresh []net.Conn // new, no whole request read yet, in the order they came
}

// NewConnCap caps a server's connections at limit (at least 2).
func NewConnCap(limit int) *ConnCap { return &ConnCap{Max: max(limit, 2)} }

// Track is an http.Server's ConnState hook.
func (c *ConnCap) Track(conn net.Conn, state http.ConnState) {
	var closing net.Conn
	c.mu.Lock()
	switch state {
	case http.StateNew:
		c.open++
		c.fresh = append(c.fresh, conn)
		if c.open > c.Max {
			closing = c.evict()
		}
	case http.StateIdle:
		c.idle = append(c.idle, conn)
		if len(c.idle) > c.Max/2 {
			closing, c.idle = c.idle[0], c.idle[1:]
		}
	case http.StateActive:
		c.forget(conn)
	case http.StateClosed, http.StateHijacked:
		c.open--
		c.forget(conn)
	}
	c.mu.Unlock()
	if closing != nil {
		_ = closing.Close() // the server then reports StateClosed, which counts it out
	}
}

// evict chooses the connection to close when one too many are open: the
// longest idle, else the oldest fresh one (the one that just came, when
// it is the only one).
func (c *ConnCap) evict() net.Conn {
	var x net.Conn
	if len(c.idle) > 0 {
		x, c.idle = c.idle[0], c.idle[1:]
	} else {
		x, c.fresh = c.fresh[0], c.fresh[1:]
	}
	return x
}

// forget drops conn from the idle and fresh lists.
func (c *ConnCap) forget(conn net.Conn) {
	is := func(x net.Conn) bool { return x == conn }
	c.idle = slices.DeleteFunc(c.idle, is)
	c.fresh = slices.DeleteFunc(c.fresh, is)
}
