package reachability

import (
	"github.com/netreach/netreach/internal/bridge"
	ireach "github.com/netreach/netreach/internal/reachability"
)

// Matrix is the computed reachability of a snapshot: for every pair of
// endpoints (pods, host endpoints, external ranges) the connections
// (protocol and port) allowed. It is safe for concurrent use.
type Matrix struct {
	m *ireach.Matrix
}

func wrap(m *ireach.Matrix) *Matrix {
	if m == nil {
		return nil
	}
	return &Matrix{m: m}
}

func init() {
	bridge.Matrix = func(x any) *ireach.Matrix {
		if m, _ := x.(*Matrix); m != nil {
			return m.m
		}
		return nil
	}
	bridge.WrapMatrix = func(m *ireach.Matrix) any { return wrap(m) }
}
