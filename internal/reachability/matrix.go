package reachability

import (
	"iter"
	"net/netip"
	"sort"
	"strings"
	"sync"

	"github.com/netreach/netreach/internal/mesh"
	"github.com/netreach/netreach/internal/policy"
)

// Matrix is the computed reachability of a snapshot: for every ordered
// pair of entries and every port atom, a [Verdict]. Entries are numbered
// 0..Len()-1: the snapshot's endpoints first (in Snapshot.Endpoints order,
// sorted by namespace/name), then the external atoms. Internally verdicts
// are stored per endpoint class; they are expanded on demand. A Matrix is
// immutable and safe for concurrent use.
type Matrix struct {
	snap    *policy.Snapshot
	opts    Options
	mode    policy.Mode
	u       universe
	classOf []int
	ports   []PortAtom
	t       *tensor // the verdicts
	diags   policy.Diagnostics
	stats   Stats
	prog    *policy.Program
	engine  *engine // with Options.KeepSides, for Update
	pairs   pairCounter
	derived Derived      // entries a DerivedLayer added (ComputeWith)
	layer   DerivedLayer // the layer that added them, for ComputeLayers

	membersOnce  sync.Once
	classMembers [][]int32

	// meshMode is the resolved mesh mode; meshModel the mesh when on.
	meshMode  MeshMode
	meshModel *mesh.Model
	// input is the snapshot as given (before the staged view), for
	// computing the layers.
	input *policy.Snapshot
}

// Snapshot returns the snapshot the matrix was computed from.
func (m *Matrix) Snapshot() *policy.Snapshot { return m.snap }

// Mode returns the resolved mode.
func (m *Matrix) Mode() policy.Mode { return m.mode }

// Options returns the options the matrix was computed with.
func (m *Matrix) Options() Options { return m.opts }

// Describe returns the mode and the implementation-defined switches, as
// "key=value" pairs, to echo with every result.
func (m *Matrix) Describe() string {
	d := describeWith(describeResolved(m.opts, m.mode, m.meshMode), m.snap)
	if m.derived.Describe != "" {
		d += " " + m.derived.Describe
	}
	return d
}

// describeWith appends the switches of the snapshot's loading (Kyverno
// simulation) to the options line d.
func describeWith(d string, s *policy.Snapshot) string {
	if k := s.Kyverno.Describe(); k != "" {
		return d + " " + k
	}
	return d
}

// MeshMode returns the resolved mesh mode: MeshIstio when the mesh layer
// took part in the verdicts.
func (m *Matrix) MeshMode() MeshMode { return m.meshMode }

// Mesh returns the mesh model the verdicts used, or nil when the mesh
// layer is off.
func (m *Matrix) Mesh() *mesh.Model { return m.meshModel }

// Stats returns sizes and phase timings of the computation.
func (m *Matrix) Stats() Stats { return m.stats }

// Diagnostics returns what lowering the policies reported.
func (m *Matrix) Diagnostics() policy.Diagnostics { return append(policy.Diagnostics(nil), m.diags...) }

// Len returns the number of entries: endpoints, then external atoms, then
// derived entries (see [ComputeWith]).
func (m *Matrix) Len() int { return m.numBase() + len(m.derived.Entries) }

// NumEndpoints returns the number of endpoints (the first entries).
func (m *Matrix) NumEndpoints() int { return len(m.snap.Endpoints) }

// Endpoint returns the endpoint of entry i, or nil for an external atom.
func (m *Matrix) Endpoint(i int) *policy.Endpoint {
	if i < len(m.snap.Endpoints) {
		return m.snap.Endpoints[i]
	}
	return nil
}

// ExternalAtom returns the atom of entry i; ok is false for endpoints.
func (m *Matrix) ExternalAtom(i int) (a ExternalAtom, ok bool) {
	if i < len(m.snap.Endpoints) || i >= m.numBase() {
		return ExternalAtom{}, false
	}
	return m.u.atoms[i-len(m.snap.Endpoints)], true
}

// Name returns "namespace/name" for an endpoint entry, the CIDR or
// "first-last" range for an external atom, and the derived entry's name.
func (m *Matrix) Name(i int) string {
	if e := m.Endpoint(i); e != nil {
		return e.ID()
	}
	if d, ok := m.Derived(i); ok {
		return d.Name
	}
	a, _ := m.ExternalAtom(i)
	return a.String()
}

// ExternalAtoms returns a copy of the external atoms.
func (m *Matrix) ExternalAtoms() []ExternalAtom { return append([]ExternalAtom(nil), m.u.atoms...) }

// PortAtoms returns a copy of the port atoms, ordered by protocol (TCP,
// UDP, SCTP, then others by number) and port.
func (m *Matrix) PortAtoms() []PortAtom { return append([]PortAtom(nil), m.ports...) }

// NumClasses returns the number of endpoint equivalence classes: the rows
// of [Matrix.ClassGraph] before the external atoms. A matrix that [Update]
// made may count holes among them, classes no endpoint is in (their rows
// and columns in the class graph are empty); Stats().Classes counts only
// the others.
func (m *Matrix) NumClasses() int { return m.u.nC }

// PortAtomIndex returns the index of the port atom holding proto/port: in
// calico mode a protocol no rule names gets the atom of the other
// protocols. It returns -1 when no atom does (in Kubernetes mode, a
// protocol other than TCP, UDP and SCTP, which no policy restricts).
func (m *Matrix) PortAtomIndex(proto policy.Protocol, port uint16) int {
	named := m.ports
	if n := len(named); n > 0 && named[n-1].Others {
		named = named[:n-1]
	}
	i := sort.Search(len(named), func(i int) bool {
		a := named[i]
		if a.Protocol != proto {
			return protoRank(a.Protocol) >= protoRank(proto)
		}
		return a.Hi >= port
	})
	if i < len(named) && named[i].Contains(proto, port) {
		return i
	}
	if len(named) < len(m.ports) && !proto.HasPorts() {
		return len(named) // a protocol no rule names
	}
	return -1
}

// protoRank orders protocols as the atoms are: TCP, UDP, SCTP, then by
// number.
func protoRank(p policy.Protocol) int {
	switch p {
	case policy.TCP:
		return 0
	case policy.UDP:
		return 1
	case policy.SCTP:
		return 2
	}
	return 3 + int(p)
}

// universeIndex maps an entry to its row in the class matrices.
func (m *Matrix) universeIndex(i int) int {
	if n := len(m.snap.Endpoints); i >= n {
		return m.u.nC + i - n
	}
	return m.classOf[i]
}

// At returns the verdict for entry src to entry dst on port atom p. An
// endpoint can always reach itself; flows between two external atoms are
// not policed and reported as Allow. At is O(1). At does not report
// misuse: an entry or port atom out of range is Deny (never Allow, never a
// panic); [Matrix.Query] and [Matrix.Verdict] check their input and
// return an error instead.
func (m *Matrix) At(src, dst, p int) Verdict {
	if !m.validCell(src, dst, p) {
		return Deny
	}
	n := len(m.snap.Endpoints)
	if src == dst && src < n {
		return Allow
	}
	if pair, isDerived := m.derivedPair(src, dst); isDerived {
		if !pair {
			return Deny
		}
		return m.derived.At(src, dst, p)
	}
	i, j := m.universeIndex(src), m.universeIndex(dst)
	if m.t.has(p, i, j, false) {
		return Allow
	}
	if m.t.pos != nil && m.t.has(p, i, j, true) {
		return Conditional
	}
	return Deny
}

// Verdict returns the verdict for a flow. An address that belongs to an
// endpoint is taken as that endpoint; an endpoint is found by kind,
// namespace and name, so an endpoint of another snapshot of the same
// objects names its counterpart here. Protocols outside every port atom
// are reported as Allow when no policy could restrict them (see
// PortAtomIndex): in Kubernetes mode only TCP, UDP and SCTP are policed.
// A side that names nothing (a zero [Entity]) is an [*policy.InvalidInputError];
// an endpoint this matrix does not have is an [*UnknownEndpointError].
func (m *Matrix) Verdict(f Flow) (Verdict, error) {
	src, err := m.entryOf(f.Src)
	if err != nil {
		return Deny, err
	}
	dst, err := m.entryOf(f.Dst)
	if err != nil {
		return Deny, err
	}
	p := m.PortAtomIndex(f.Protocol, f.Port)
	if p < 0 {
		return Allow, nil
	}
	return m.At(src, dst, p), nil
}

// Allowed reports whether the flow is allowed for sure; it fails as
// [Matrix.Verdict] does.
func (m *Matrix) Allowed(f Flow) (bool, error) {
	v, err := m.Verdict(f)
	return v == Allow, err
}

// EntryOf returns the entry of an entity: its endpoint (found by kind,
// namespace and name), the endpoint that owns its address, or the external
// atom holding its address. It returns -1 for an endpoint this matrix does
// not have, and for an entity with neither endpoint nor valid address.
func (m *Matrix) EntryOf(e Entity) int {
	if e.Endpoint != nil {
		i := m.firstNamed(e.Endpoint.Namespace, e.Endpoint.Name)
		for ; i < len(m.snap.Endpoints) && m.snap.Endpoints[i].ID() == e.Endpoint.ID(); i++ {
			if x := m.snap.Endpoints[i]; x == e.Endpoint || x.Kind == e.Endpoint.Kind {
				return i
			}
		}
		return -1
	}
	if !e.IP.IsValid() {
		return -1
	}
	if i, ok := m.endpointByIP(e.IP); ok {
		return i
	}
	return m.ExternalEntry(e.IP)
}

// ExternalEntry returns the entry of the external atom holding ip, or -1.
// Unlike [Matrix.EntryOf] it does not ask which endpoint owns the
// address, so it names the atom's row and column as the outputs print
// them even when the atom starts at a pod's IP.
func (m *Matrix) ExternalEntry(ip netip.Addr) int {
	if a := atomOf(m.u.atoms, ip); a >= 0 {
		return len(m.snap.Endpoints) + a
	}
	return -1
}

// firstNamed returns the index of the first endpoint at or after
// namespace/name in the snapshot's (namespace, name) order.
func (m *Matrix) firstNamed(ns, name string) int {
	return sort.Search(len(m.snap.Endpoints), func(i int) bool {
		x := m.snap.Endpoints[i]
		return x.Namespace > ns || x.Namespace == ns && x.Name >= name
	})
}

func (m *Matrix) endpointByIP(ip netip.Addr) (int, bool) {
	for i, e := range m.snap.Endpoints {
		for _, x := range e.IPs {
			if x == ip {
				return i, true
			}
		}
	}
	return 0, false
}

// Lookup finds an entry by name: "namespace/name" of an endpoint, an
// address (the endpoint that owns it, else its external atom), or the name
// of a derived entry.
func (m *Matrix) Lookup(name string) (int, bool) {
	for k, d := range m.derived.Entries {
		if d.Name == name {
			return m.numBase() + k, true
		}
	}
	if strings.Contains(name, "/") && (!strings.Contains(name, ":") || strings.HasPrefix(name, policy.HostEndpointPrefix)) {
		if ns, n, ok := strings.Cut(name, "/"); ok {
			if i := m.firstNamed(ns, n); i < len(m.snap.Endpoints) && m.snap.Endpoints[i].Namespace == ns && m.snap.Endpoints[i].Name == n {
				return i, true
			}
		}
	}
	if ip, err := netip.ParseAddr(name); err == nil {
		i := m.EntryOf(IPEntity(ip))
		return i, i >= 0
	}
	return -1, false
}

// Targets returns the entries that src can reach on port atom p (Allow
// verdicts), in increasing order, src itself included when it is an
// endpoint.
func (m *Matrix) Targets(src, p int) iter.Seq[int] { return m.Row(src, p).All() }

// Sources returns the entries that can reach dst on port atom p.
func (m *Matrix) Sources(dst, p int) iter.Seq[int] { return m.Column(dst, p).All() }

// isPolicedPair is false for pairs of two external atoms, which the
// matrix does not describe, and for pairs a derived entry cannot be part
// of.
func (m *Matrix) isPolicedPair(i, j int) bool {
	if pair, isDerived := m.derivedPair(i, j); isDerived {
		return pair
	}
	n := len(m.snap.Endpoints)
	return i < n || j < n
}

// IsPair reports whether (i, j) is a pair the matrix describes: at least
// one side is an endpoint, or a derived entry can be on that side (see
// [DerivedEntry]).
func (m *Matrix) IsPair(i, j int) bool { return m.isPolicedPair(i, j) }
