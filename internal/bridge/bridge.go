// Package bridge hands the internals of the public packages' opaque
// values (policy.Snapshot, reachability.Matrix) to the other public
// packages of this module, without exporting them to users.
//
// Each public package sets its functions in an init function; the others
// call them. The values are typed any on the public side because the
// bridge cannot import the public packages (they import it).
package bridge

import (
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

var (
	// Snapshot returns the internal snapshot of a *policy.Snapshot
	// (public), or nil for nil.
	Snapshot func(public any) *policy.Snapshot
	// WrapSnapshot returns a *policy.Snapshot (public) holding s.
	WrapSnapshot func(s *policy.Snapshot) any
	// Matrix returns the internal matrix of a *reachability.Matrix
	// (public), or nil for nil.
	Matrix func(public any) *reachability.Matrix
	// WrapMatrix returns a *reachability.Matrix (public) holding m.
	WrapMatrix func(m *reachability.Matrix) any
)
