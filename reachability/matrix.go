package reachability

import (
	"context"
	"iter"
	"time"

	"github.com/netreach/netreach/internal/bridge"
	ipolicy "github.com/netreach/netreach/internal/policy"
	ireach "github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/policy"
)

// Matrix is the computed reachability of a snapshot: for every ordered
// pair of endpoints (pods, or workloads standing for their pods) and
// external address ranges, the connections (protocol and port) that can
// be opened. A Matrix never changes; Update returns a new one. It is safe
// for concurrent use. The zero Matrix answers nothing: its methods return
// an *policy.InvalidInputError.
//
// Names: the questions take endpoints by "namespace/name", or by address
// (the endpoint that owns it, else the external range holding it).
type Matrix struct {
	m *ireach.Matrix
	// s is the snapshot as given to Compute or Update: m's own is the
	// view the computation used (staged policies applied, host endpoints
	// added), which cannot be changed with With and Without. Nil for a
	// matrix from another public package (see bridge.WrapMatrix).
	s *ipolicy.Snapshot
}

func wrap(m *ireach.Matrix) *Matrix { return wrapWith(m, nil) }

func wrapWith(m *ireach.Matrix, s *ipolicy.Snapshot) *Matrix {
	if m == nil {
		return nil
	}
	return &Matrix{m: m, s: s}
}

// snapshot returns the snapshot m was computed from, as given.
func (m *Matrix) snapshot() *ipolicy.Snapshot {
	if m.s != nil {
		return m.s
	}
	return m.m.Snapshot()
}

func init() {
	bridge.Matrix = func(x any) *ireach.Matrix {
		if m, _ := x.(*Matrix); m != nil {
			return m.m
		}
		return nil
	}
	bridge.WrapMatrix = func(m *ireach.Matrix) any { return wrap(m) }
	bridge.WrapConnections = func(c ireach.Connections) any { return Connections{c} }
	bridge.ConnectionsOf = func(x any) (ireach.Connections, bool) { c, ok := x.(Connections); return c.c, ok }
	bridge.WrapSelection = func(s ireach.Selection) any { return Selection{s} }
	bridge.SelectionOf = func(x any) (ireach.Selection, bool) { s, ok := x.(Selection); return s.s, ok }
}

// get returns the internal matrix, or an error for a nil or zero Matrix.
func (m *Matrix) get(op string) (*ireach.Matrix, error) {
	if m == nil || m.m == nil {
		return nil, &policy.InvalidInputError{Op: "reachability: " + op, Reason: "nil or zero Matrix: build one with Compute"}
	}
	return m.m, nil
}

// Compute builds the reachability matrix of a snapshot. The work is done
// on classes of endpoints that every policy treats alike, so it grows
// with the number of distinct label sets rather than of pods. Compute
// looks at ctx every 64 endpoints or policies and every 256 rows: once
// ctx is done it returns ctx's error (not wrapped) and no matrix. A nil
// or zero snapshot, and invalid options, fail with an
// *policy.InvalidInputError.
func Compute(ctx context.Context, s *policy.Snapshot, opts Options) (*Matrix, error) {
	const op = "reachability: Compute"
	if ctx == nil {
		return nil, &policy.InvalidInputError{Op: op, Reason: "nil context"}
	}
	is := bridge.Snapshot(s)
	if is == nil {
		return nil, &policy.InvalidInputError{Op: op, Reason: "nil or zero Snapshot: build one with policy.Load, policy.FromObjects or a policy.Loader"}
	}
	in, err := opts.internal()
	if err != nil {
		return nil, err
	}
	m, err := ireach.Compute(ctx, is, in)
	return wrapWith(m, is), publicError(err)
}

// Update computes the matrix of next, a new version of m's snapshot (from
// [policy.Snapshot.With] and [policy.Snapshot.Without], or a new load):
// the result equals what Compute(ctx, next, m.Options()) returns. It
// compares next with m's snapshot object by object and recomputes only
// what the differences reach: the rows of the endpoint classes a changed
// policy selects, the class of an added or relabelled pod, the classes of
// a relabelled namespace. Some changes are computed from scratch (Calico
// tiers, network sets and host endpoints, node addresses, the mode, the
// service mesh, or a matrix computed with Options.Incremental Off);
// [Matrix.Stats] says which happened, and why. m stays valid, and several
// updates of one matrix may run at once. Update honours ctx as Compute
// does.
func (m *Matrix) Update(ctx context.Context, next *policy.Snapshot) (*Matrix, error) {
	const op = "Matrix.Update"
	im, err := m.get(op)
	if err != nil {
		return nil, err
	}
	if ctx == nil {
		return nil, &policy.InvalidInputError{Op: "reachability: " + op, Reason: "nil context"}
	}
	is := bridge.Snapshot(next)
	if is == nil {
		return nil, &policy.InvalidInputError{Op: "reachability: " + op, Reason: "nil or zero Snapshot"}
	}
	n, err := ireach.Update(ctx, im, is)
	return wrapWith(n, is), publicError(err)
}

// Snapshot returns the snapshot the matrix was computed from; nil for a
// nil or zero Matrix.
func (m *Matrix) Snapshot() *policy.Snapshot {
	if m == nil || m.m == nil {
		return nil
	}
	s, _ := bridge.WrapSnapshot(m.snapshot()).(*policy.Snapshot)
	return s
}

// Options returns the options the matrix was computed with, with every
// default filled in.
func (m *Matrix) Options() Options {
	if m == nil || m.m == nil {
		return Options{}
	}
	return optionsFrom(m.m.Options())
}

// Mode returns the mode the verdicts used: ModeKubernetes or ModeCalico
// (ModeAuto resolved).
func (m *Matrix) Mode() Mode {
	if m == nil || m.m == nil {
		return ModeAuto
	}
	return Mode(m.m.Mode())
}

// Diagnostics returns what reading the policies for the computation
// reported (rules left out or approximated), besides the snapshot's own
// diagnostics.
func (m *Matrix) Diagnostics() policy.Diagnostics {
	if m == nil || m.m == nil {
		return nil
	}
	ds, _ := bridge.Diagnostics(m.m.Diagnostics()).(policy.Diagnostics)
	return ds
}

// Query returns the verdict of a connection from the endpoint named from
// to the one named to, on port. A name is "namespace/name" of an endpoint
// or an address (the endpoint that owns it, else the external range
// holding it), or the name of an external range as [Matrix.Reachers] and
// [Matrix.Group] give it ("203.0.113.0/24", "0.0.0.0-10.0.0.255"). An
// unknown name is an [*UnknownEndpointError]: Query never
// answers for an endpoint it cannot resolve. An endpoint always reaches
// itself. In Kubernetes mode, a protocol other than TCP, UDP and SCTP is
// Allow (no Kubernetes policy restricts it). Query costs O(log endpoints)
// for names and O(endpoints) for addresses.
func (m *Matrix) Query(from, to string, port Port) (Verdict, error) {
	im, err := m.get("Matrix.Query")
	if err != nil {
		return Deny, err
	}
	if err := port.check("Matrix.Query"); err != nil {
		return Deny, err
	}
	src, err := entry(im, from)
	if err != nil {
		return Deny, err
	}
	dst, err := entry(im, to)
	if err != nil {
		return Deny, err
	}
	p := im.PortAtomIndex(ipolicy.Protocol(port.Protocol), port.Port)
	if p < 0 {
		return Allow, nil // a protocol no policy of the mode restricts
	}
	return Verdict(im.At(src, dst, p)), nil
}

// entry resolves a name: as the internal matrix's Lookup does ("namespace/name",
// an address), and also the name of an external range ("10.0.0.0/8",
// "10.0.0.0-10.0.0.9"), as Reachers and Group give it, even when an
// endpoint owns the range's first address.
func entry(im *ireach.Matrix, name string) (int, error) {
	if i, ok := im.Lookup(name); ok && i >= 0 {
		return i, nil
	}
	if a, err := ireach.ParseExternalAtom(name); err == nil {
		if i := im.ExternalEntry(a.Range.From()); i >= 0 && im.Name(i) == name {
			return i, nil
		}
	}
	return -1, &UnknownEndpointError{Name: name}
}

// Reachers iterates over the endpoints and external ranges that can open
// a connection to at least one endpoint sel picks, on some of ports
// ([AllConnections] for any), by name, each with the connections it can
// open to the selection (the union over the selected endpoints). Only
// connections allowed for sure count, not Conditional ones; an endpoint
// reaching only itself does not count. Entries come in the matrix's
// order: endpoints by namespace and name, then external ranges by
// address. An invalid (zero) selection is an *policy.InvalidInputError;
// a selection that picks nothing yields nothing. Reachers costs
// O(port atoms × (selected classes × entries)).
func (m *Matrix) Reachers(sel Selection, ports Connections) (iter.Seq2[string, Connections], error) {
	return m.reach("Matrix.Reachers", sel, ports, (*ireach.Matrix).Reachers)
}

// Reachable iterates over the endpoints and external ranges that at least
// one endpoint sel picks can open a connection to, on some of ports, by
// name, each with the connections the selection can open to it. It is
// the mirror of [Matrix.Reachers] and costs the same.
func (m *Matrix) Reachable(sel Selection, ports Connections) (iter.Seq2[string, Connections], error) {
	return m.reach("Matrix.Reachable", sel, ports, (*ireach.Matrix).Reachable)
}

func (m *Matrix) reach(op string, sel Selection, ports Connections, f func(*ireach.Matrix, ireach.Selection, ireach.Connections) (iter.Seq2[string, ireach.Connections], error)) (iter.Seq2[string, Connections], error) {
	im, err := m.get(op)
	if err != nil {
		return nil, err
	}
	c := ports.c
	if c.IsAll() {
		c = ireach.AllConnections(im.ConnectionScope())
	}
	seq, err := f(im, sel.s, c)
	if err != nil {
		return nil, publicError(err)
	}
	return func(yield func(string, Connections) bool) {
		for name, c := range seq {
			if !yield(name, Connections{c}) {
				return
			}
		}
	}, nil
}

// Stats says how a matrix was made: its size, and for [Matrix.Update]
// whether the update was incremental or computed from scratch, and why.
type Stats struct {
	// Endpoints, Classes, ExternalRanges and PortAtoms are the sizes of
	// the matrix: endpoints, classes of endpoints every policy treats
	// alike, external address ranges and port ranges (atoms) every policy
	// treats alike.
	Endpoints, Classes, ExternalRanges, PortAtoms int
	// Policies and Rules count the policies and rules evaluated.
	Policies, Rules int
	// Updated is true for a matrix made by Update; Full is then true when
	// it was computed from scratch, and Reason says why with a stable
	// string ("no-sides": the previous matrix was computed with
	// Options.Incremental Off; "mode", "tiers", "network-sets", "nodes",
	// "address-family", "mesh", "host-endpoints", "pools") and Detail in
	// words.
	Updated, Full  bool
	Reason, Detail string
	// RowsEvaluated and RowsCopied count the rows evaluated, and taken
	// over from the previous matrix by an update.
	RowsEvaluated, RowsCopied int64
	// Time is the wall time of the computation.
	Time time.Duration
}

// Stats returns how the matrix was made; the zero Stats for a nil or zero
// Matrix.
func (m *Matrix) Stats() Stats {
	if m == nil || m.m == nil {
		return Stats{}
	}
	s := m.m.Stats()
	out := Stats{Endpoints: s.Endpoints, Classes: s.Classes, ExternalRanges: s.ExternalAtoms, PortAtoms: s.PortAtoms,
		Policies: s.Policies, Rules: s.Rules, RowsEvaluated: s.RowsEvaluated, RowsCopied: s.RowsCopied,
		Time: s.Lower + s.Classify + s.Compile + s.Rows + s.Transpose}
	if u := s.Update; u.Time != 0 || u.Full || u.Reason != "" {
		out.Updated, out.Full, out.Reason, out.Detail, out.Time = true, u.Full, string(u.Reason), u.Detail, u.Time
	}
	return out
}
