// Package public turns the values of the internal packages into the
// public packages' types, for the public facades that return them
// (expect, audit, live): typed wrappers around the conversions of package
// bridge, which the public policy package sets in its init function.
package public

import (
	"github.com/netreach/netreach/internal/bridge"
	ipolicy "github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/policy"
)

// Error returns the public form of an internal typed error
// (*InvalidInputError, *UnknownObjectError, Diagnostics); other errors
// and nil are returned as they are.
func Error(err error) error {
	if err == nil {
		return nil
	}
	return bridge.PolicyError(err)
}

// Location returns the public form of l.
func Location(l ipolicy.Location) policy.Location {
	return bridge.Location(l).(policy.Location)
}

// ObjectRef returns the public form of r.
func ObjectRef(r ipolicy.ObjectRef) policy.ObjectRef {
	return bridge.ObjectRef(r).(policy.ObjectRef)
}

// LoadOptions returns the internal form of o.
func LoadOptions(o policy.LoadOptions) ipolicy.LoadOptions {
	return bridge.LoadOptions(o)
}
