package bridge

import (
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// Conversions from internal policy values to the public policy package's,
// set by package policy (public) in its init function, for the other
// public packages: each returns the public value as any (assert it to the
// public type).
var (
	// PolicyError turns the internal typed errors (*InvalidInputError,
	// *UnknownObjectError, Diagnostics) into the public ones; other
	// errors are returned as they are.
	PolicyError func(err error) error
	// ObjectRef returns a policy.ObjectRef (public).
	ObjectRef func(r policy.ObjectRef) any
	// RuleRef returns a policy.RuleRef (public).
	RuleRef func(r policy.RuleRef) any
	// Location returns a policy.Location (public).
	Location func(l policy.Location) any
	// Diagnostics returns a policy.Diagnostics (public).
	Diagnostics func(ds policy.Diagnostics) any
	// LoadOptions returns the internal form of a policy.LoadOptions
	// (public).
	LoadOptions func(public any) policy.LoadOptions
)

// Conversions between the opaque values of the public reachability
// package and the internal ones, set by package reachability (public) in
// its init function.
var (
	// WrapConnections returns a reachability.Connections (public)
	// holding c; ConnectionsOf the reverse (ok false for another type).
	WrapConnections func(c reachability.Connections) any
	ConnectionsOf   func(public any) (c reachability.Connections, ok bool)
	// WrapSelection returns a reachability.Selection (public) holding s;
	// SelectionOf the reverse (ok false for another type).
	WrapSelection func(s reachability.Selection) any
	SelectionOf   func(public any) (s reachability.Selection, ok bool)
)
