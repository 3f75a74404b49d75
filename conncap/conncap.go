// Package conncap bounds the connections a server holds, so that clients
// who open connections and keep them idle (about 19 KB each, held for the
// server's IdleTimeout) cannot use up the process's file descriptors:
// at that limit the server stops accepting, and every new client hangs.
package conncap

import (
	"net"
	"net/http"
	"slices"
	"sync"
)

// Cap tracks a server's connections through its ConnState hook. When a
// new connection would take the count past Max, it closes the connection
// that has been idle longest, or, with none idle, the new one; and it
// keeps at most Max/2 connections idle, closing the longest idle first.
type Cap struct {
	Max int

	mu   sync.Mutex
	open int
	idle []net.Conn // in the order they went idle
}

// New caps a server's connections at limit (at least 2).
func New(limit int) *Cap { return &Cap{Max: max(limit, 2)} }

// Track is an http.Server's ConnState hook.
func (c *Cap) Track(conn net.Conn, state http.ConnState) {
	var closing []net.Conn
	c.mu.Lock()
	switch state {
	case http.StateNew:
		c.open++
		if c.open > c.Max {
			if len(c.idle) > 0 {
				closing = append(closing, c.idle[0])
				c.idle = c.idle[1:]
			} else {
				closing = append(closing, conn) // every other one is busy
			}
		}
	case http.StateIdle:
		c.idle = append(c.idle, conn)
		if len(c.idle) > c.Max/2 {
			closing = append(closing, c.idle[0])
			c.idle = c.idle[1:]
		}
	case http.StateActive:
		c.idle = slices.DeleteFunc(c.idle, func(x net.Conn) bool { return x == conn })
	case http.StateClosed, http.StateHijacked:
		c.open--
		c.idle = slices.DeleteFunc(c.idle, func(x net.Conn) bool { return x == conn })
	}
	c.mu.Unlock()
	for _, x := range closing {
		_ = x.Close() // the server then reports StateClosed, which counts it out
	}
}
