package pipeline

// A slot carries a value up from deep in a request's call chain to where
// the request began, past layers that keep only an error's text or
// replace the error: azidentity flattens a token request's transport
// failure into text, and azcore's retry policy returns the context's own
// error once the context is done.

import (
	"context"
	"sync/atomic"
)

// seenKey keys the slot for values of type T.
type seenKey[T any] struct{}

// Slot returns a context with an empty slot for a T, and a function
// that reads the last value stored in it (nil when none).
func Slot[T any](ctx context.Context) (context.Context, func() *T) {
	slot := new(atomic.Pointer[T])
	return context.WithValue(ctx, seenKey[T]{}, slot), slot.Load
}

// Store stores v in ctx's slot for a T, if ctx has one.
func Store[T any](ctx context.Context, v *T) {
	if slot, ok := ctx.Value(seenKey[T]{}).(*atomic.Pointer[T]); ok {
		slot.Store(v)
	}
}
