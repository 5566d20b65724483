package policy

import (
	"errors"

	ipolicy "github.com/netreach/netreach/internal/policy"
)

// InvalidInputError reports an argument a call cannot use: a nil object,
// a value that is not a Kubernetes object, a zero reference, a nil or
// zero Snapshot. Test for it with errors.As.
type InvalidInputError struct {
	// Op is the call that refused the input, such as "policy: AddObject".
	Op string
	// Reason says what is wrong with the input.
	Reason string
}

// Error returns "Op: Reason".
func (e *InvalidInputError) Error() string { return e.Op + ": " + e.Reason }

// UnknownObjectError reports a reference to an object a snapshot does not
// have, such as [Snapshot.Without] of an object that was never added.
// Test for it with errors.As.
type UnknownObjectError struct {
	// Op is the call that failed.
	Op string
	// Ref is the reference that names no object.
	Ref ObjectRef
}

// Error returns "Op: no Kind ns/name in the snapshot".
func (e *UnknownObjectError) Error() string {
	return e.Op + ": no " + e.Ref.String() + " in the snapshot"
}

func invalid(op, reason string) error { return &InvalidInputError{Op: op, Reason: reason} }

// publicError turns the internal packages' typed errors into this
// package's; other errors (context errors, I/O) are returned as they are.
func publicError(err error) error {
	if err == nil {
		return nil
	}
	var ie *ipolicy.InvalidInputError
	if errors.As(err, &ie) {
		return &InvalidInputError{Op: ie.Op, Reason: ie.Reason}
	}
	var ue *ipolicy.UnknownObjectError
	if errors.As(err, &ue) {
		return &UnknownObjectError{Op: ue.Op, Ref: refFrom(ue.Ref)}
	}
	var ds ipolicy.Diagnostics
	if errors.As(err, &ds) {
		return diagsFrom(ds)
	}
	return err
}
