package bridge

import "github.com/netreach/netreach/internal/policy"

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
)
