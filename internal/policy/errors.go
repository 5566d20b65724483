package policy

import "fmt"

// InvalidInputError reports an argument a library call cannot use: a nil
// object, a zero reference, a Snapshot that was not built by a [Loader].
// Test for it with errors.As.
type InvalidInputError struct {
	// Op is the call that refused the input, such as "policy.FromObjects".
	Op string
	// Reason says what is wrong with the input.
	Reason string
}

// Error returns "Op: Reason".
func (e *InvalidInputError) Error() string { return e.Op + ": " + e.Reason }

// UnknownObjectError reports a reference to an object a snapshot does not
// have, such as a [Snapshot.Without] of an object that was never added.
// Test for it with errors.As.
type UnknownObjectError struct {
	Op  string
	Ref ObjectRef
}

// Error returns "Op: no Kind ns/name in the snapshot".
func (e *UnknownObjectError) Error() string {
	return fmt.Sprintf("%s: no %s in the snapshot", e.Op, e.Ref)
}

// invalidInput returns an *InvalidInputError.
func invalidInput(op, format string, args ...any) error {
	return &InvalidInputError{Op: op, Reason: fmt.Sprintf(format, args...)}
}
