package reachability

import (
	ireach "github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/policy"
)

// Change is one connection whose verdict differs between two matrices:
// from From to To on the ports of Ports.
type Change struct {
	From, To      string
	Ports         PortRange
	Before, After Verdict
}

// Delta is the difference between two matrices. Gained connections are
// more open after than before (Deny → Allow, Deny → Conditional,
// Conditional → Allow), Lost ones less open; both hold only connections
// between entries present in both matrices. Added and Removed are the
// endpoints ("namespace/name") only the second, or only the first, has.
type Delta struct {
	Gained, Lost   []Change
	Added, Removed []string
}

// Diff compares two matrices, of two versions of a cluster, connection by
// connection. Endpoints are matched by namespace/name; external ranges and
// ports are compared on the common refinement of both matrices' ranges,
// so matrices cut differently still compare exactly. Changes are sorted
// by source, destination, protocol and port. Diff costs O(entries² ×
// port atoms); a nil or zero matrix is an *policy.InvalidInputError.
func Diff(a, b *Matrix) (Delta, error) {
	ia, err := a.get("Diff")
	if err != nil {
		return Delta{}, err
	}
	ib, err := b.get("Diff")
	if err != nil {
		return Delta{}, err
	}
	d := ireach.Diff(ia, ib)
	changes := func(cs []ireach.Change) []Change {
		out := make([]Change, len(cs))
		for i, c := range cs {
			out[i] = Change{From: c.Src, To: c.Dst, Before: Verdict(c.Before), After: Verdict(c.After),
				Ports: PortRange{Protocol: policy.Protocol(c.Protocol), First: c.Lo, Last: c.Hi}}
		}
		return out
	}
	names := func(es []ireach.EndpointDelta) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	return Delta{Gained: changes(d.Gained), Lost: changes(d.Lost), Added: names(d.Added), Removed: names(d.Removed)}, nil
}

// IsEmpty reports whether nothing changed.
func (d Delta) IsEmpty() bool {
	return len(d.Gained)+len(d.Lost)+len(d.Added)+len(d.Removed) == 0
}
