// Package countdown provides a context for tests of cancellation: it
// reports itself cancelled from its n-th look at Err on, so a test can
// cancel a call at each of its checks in turn without timing anything.
package countdown

import (
	"context"
	"sync/atomic"
)

// Context is a context.Context whose Err returns nil for its first n
// calls and context.Canceled from then on. Done never closes: the calls
// under test look at Err.
type Context struct {
	context.Context
	n    int
	left atomic.Int64
}

// New returns a Context that is cancelled from the n-th look at Err on
// (n = 0: cancelled at the first look).
func New(n int) *Context {
	c := &Context{Context: context.Background(), n: n}
	c.left.Store(int64(n))
	return c
}

// Err reports context.Canceled once the first n looks are spent.
func (c *Context) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// Looks returns how many times Err was called.
func (c *Context) Looks() int { return c.n - int(c.left.Load()) }
