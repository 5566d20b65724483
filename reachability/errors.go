package reachability

import (
	"errors"

	"github.com/netreach/netreach/internal/bridge"
	ireach "github.com/netreach/netreach/internal/reachability"
)

// UnknownEndpointError reports a name a matrix does not have: no
// endpoint, address or derived entry of that name. [Matrix.Query] and the
// other questions never answer for a name they cannot resolve. Test for
// it with errors.As.
type UnknownEndpointError struct {
	// Name is the name as given ("namespace/name", an address).
	Name string
}

// Error returns "reachability: unknown endpoint "name"".
func (e *UnknownEndpointError) Error() string {
	return (&ireach.UnknownEndpointError{Name: e.Name}).Error()
}

// publicError turns internal typed errors into public ones: this
// package's *UnknownEndpointError and package policy's errors.
func publicError(err error) error {
	if err == nil {
		return nil
	}
	var ue *ireach.UnknownEndpointError
	if errors.As(err, &ue) {
		return &UnknownEndpointError{Name: ue.Name}
	}
	return bridge.PolicyError(err)
}
