package egress

import (
	"iter"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// Via says how traffic leaves the cluster.
type Via string

// The ways traffic leaves the cluster [docs/calico-ipam.md §5].
const (
	// ViaPod: the pool does not masquerade; the outside sees the pod's
	// address.
	ViaPod Via = "pod"
	// ViaNode: the pool has natOutgoing and the destination is outside
	// every pool; the outside sees the node's address.
	ViaNode Via = "node"
	// ViaGateway: an egress gateway forwards the traffic; the outside sees
	// the gateway's address.
	ViaGateway Via = "gateway"
	// ViaUnknown: no IP pool of the input holds the pod's address, so
	// whether Calico masquerades it is not known.
	ViaUnknown Via = "unknown"
)

// Options restrict an analysis. The zero value analyses every external
// destination.
type Options struct {
	// To, when set, keeps only destinations inside these ranges.
	To []netip.Prefix
	// Focus, when set, keeps only the pods these select (see
	// [reachability.Selection.MatchesEndpoint]).
	Focus []reachability.Selection
}

// Flow is one row of a [Report]: the connections a workload may open to a
// set of destination ranges, and the source addresses they leave with.
type Flow struct {
	// Workload is "namespace/Kind/name" for a workload's pods, or
	// "namespace/pod" for a pod without one.
	Workload  string   `json:"workload"`
	Namespace string   `json:"namespace"`
	Endpoints []string `json:"endpoints"`
	// Destinations are the destination ranges, as CIDRs.
	Destinations []netip.Prefix `json:"destinations"`
	// Allowed are the connections allowed for sure; Conditional those
	// allowed only under a condition netreach cannot decide (an HTTP
	// rule, a pod address not known within its pool).
	Allowed     reachability.Connections `json:"-"`
	Conditional reachability.Connections `json:"-"`
	Via         Via                      `json:"via"`
	// Sources are the addresses the outside sees.
	Sources []netip.Prefix `json:"sources"`
	// Notes explain what the sources rest on ("the pod's node is not
	// known: every node").
	Notes []string `json:"notes,omitempty"`
	// SharedWith names (at most maxShared of) the workloads of other
	// namespaces that leave with some of the same node addresses (ViaNode
	// only): a firewall cannot tell them apart. SharedCount counts them
	// all.
	SharedWith  []string `json:"sharedWith,omitempty"`
	SharedCount int      `json:"sharedCount,omitempty"`

	share *shareSet
}

// maxShared bounds Flow.SharedWith: every flow of a large cluster may
// share node addresses with every other workload.
const maxShared = 5

// SharedNamespaces returns the other namespaces whose workloads leave with
// some of the flow's node addresses, sorted.
func (f *Flow) SharedNamespaces() []string {
	if f.share == nil {
		return nil
	}
	var out []string
	for ns := range f.share.perNS {
		if ns != f.Namespace {
			out = append(out, ns)
		}
	}
	sort.Strings(out)
	return out
}

// Report is the result of [Analyze].
type Report struct {
	// Describe is the matrix's options line.
	Describe string `json:"options"`
	Flows    []Flow `json:"flows"`
}

// identity is one way a pod's traffic to a destination piece leaves.
type identity struct {
	via     Via
	sources []netip.Prefix
	notes   []string
}

// Analyze computes, for every pod on the pod network and every external
// destination it may reach (per the matrix), how the traffic leaves the
// cluster and with which source addresses; rows of the same workload with
// the same connections and identity are merged. It holds every row in
// memory: [New] and [Analysis.Flows] produce them workload by workload.
func Analyze(m *reachability.Matrix, opts Options) *Report {
	a := New(m, opts)
	r := &Report{Describe: a.Describe()}
	for f := range a.Flows() {
		r.Flows = append(r.Flows, *f)
	}
	return r
}

// Analysis is an egress analysis whose flows are produced on demand,
// workload by workload, so that an output can be written without holding
// every row: [New] computes what each class of endpoints may open to
// each destination piece, once, and the node addresses workloads share;
// [Analysis.Flows] builds the rows of one workload at a time. It is not
// safe for concurrent use.
type Analysis struct {
	m      *reachability.Matrix
	an     *analyzer
	pieces []piece
	// conns are the distinct pairs of connections, reach[c] the pieces
	// class c may open some connection to, in increasing order.
	conns []connPair
	reach [][]classPiece
	// workloads are the endpoints to report, grouped by workload in the
	// report's order (endpoints in index order within a workload).
	workloads [][]int
	// ids interns identities by via and sources.
	ids    map[string]int
	users  map[netip.Prefix]map[string]bool // node source → "ns\x00workload"
	shares map[string]*shareSet
	sizes  [numFormats]size
}

// connPair is one distinct pair of connections.
type connPair struct{ allowed, conditional reachability.Connections }

// classPiece is a destination piece a class may open connections to.
type classPiece struct{ piece, conns int32 }

// New prepares the analysis of m: the classes' connections to every
// destination piece (one pass over the matrix's external rows, see
// [reachability.Matrix.ExternalReach]), which workloads leave with which
// node addresses, and every reported workload's rows once, to learn how
// large each output is (see [Analysis.Size]); the rows are then
// dropped. It costs O(classes × external atoms + pods × pieces they
// reach).
func New(m *reachability.Matrix, opts Options) *Analysis {
	a := &Analysis{m: m, an: &analyzer{snap: m.Snapshot(), opts: opts, gateways: map[string]identity{}},
		ids: map[string]int{}, users: map[netip.Prefix]map[string]bool{}, shares: map[string]*shareSet{}}
	a.pieces = a.an.destinationPieces(m.ExternalAtoms())
	a.classReach()
	a.groupWorkloads()
	a.nodeUsers()
	var flows []Flow
	for _, eps := range a.workloads {
		flows = a.workloadFlows(eps, flows[:0])
		for i := range flows {
			a.measure(&flows[i])
		}
	}
	return a
}

// nodeUsers records, for every node address, the workloads whose traffic
// to some destination they reach leaves with it (focused or not): the
// identities of each pod towards the pieces its class reaches, without
// building rows.
func (a *Analysis) nodeUsers() {
	m := a.m
	for i := range m.NumEndpoints() {
		e := m.Endpoint(i)
		if e.HostNetwork {
			continue
		}
		var user string
		seen := map[idKey]bool{}
		for _, cp := range a.reach[m.ClassOf(i)] {
			r := a.pieces[cp.piece].r
			ik := a.an.identityKey(e, r)
			if seen[ik] {
				continue
			}
			seen[ik] = true
			for _, id := range a.an.identities(e, r) {
				if id.via != ViaNode {
					continue
				}
				if user == "" {
					user = e.Namespace + "\x00" + workloadName(e)
				}
				for _, s := range id.sources {
					if a.users[s] == nil {
						a.users[s] = map[string]bool{}
					}
					a.users[s][user] = true
				}
			}
		}
	}
}

// classReach fills conns and reach from the matrix's external rows: the
// pieces of each atom a class reaches get the atom's connections, pairs
// of equal connections one index.
func (a *Analysis) classReach() {
	m := a.m
	atomPieces := make([][2]int32, len(m.ExternalAtoms())) // first piece, end
	for k := range a.pieces {
		at := a.pieces[k].atom
		if atomPieces[at][1] == 0 {
			atomPieces[at][0] = int32(k)
		}
		atomPieces[at][1] = int32(k + 1)
	}
	a.reach = make([][]classPiece, m.NumClasses())
	byText := map[string]int32{}
	var setConns []int32 // Set → index in conns, -1 unknown
	for x := range m.ExternalReach() {
		ps := atomPieces[x.Atom]
		if ps[1] == 0 {
			continue
		}
		for len(setConns) <= x.Set {
			setConns = append(setConns, -1)
		}
		if setConns[x.Set] < 0 {
			// Distinct sets of port atoms may still print alike: rows are
			// merged by the connections' text, as they read.
			k := x.Allowed.String() + "\x00" + x.Conditional.String()
			id, ok := byText[k]
			if !ok {
				id = int32(len(a.conns))
				byText[k] = id
				a.conns = append(a.conns, connPair{x.Allowed, x.Conditional})
			}
			setConns[x.Set] = id
		}
		for k := ps[0]; k < ps[1]; k++ {
			a.reach[x.Class] = append(a.reach[x.Class], classPiece{k, setConns[x.Set]})
		}
	}
}

// groupWorkloads lists the endpoints to report (on the pod network,
// picked by the focus), grouped by workload in name order.
func (a *Analysis) groupWorkloads() {
	m := a.m
	type ep struct {
		w string
		i int
	}
	var eps []ep
	for i := range m.NumEndpoints() {
		e := m.Endpoint(i)
		if e.HostNetwork || !a.an.focused(e) || len(a.reach[m.ClassOf(i)]) == 0 {
			continue
		}
		eps = append(eps, ep{workloadName(e), i})
	}
	slices.SortStableFunc(eps, func(x, y ep) int { return strings.Compare(x.w, y.w) })
	for k, x := range eps {
		if k == 0 || eps[k-1].w != x.w {
			a.workloads = append(a.workloads, nil)
		}
		a.workloads[len(a.workloads)-1] = append(a.workloads[len(a.workloads)-1], x.i)
	}
}

// Describe returns the matrix's options line.
func (a *Analysis) Describe() string { return a.m.Describe() }

// Flows returns the flows, workload by workload in name order, each
// workload's in the order of their first destination; only one
// workload's rows are held at a time. The *Flow is valid until the next
// iteration.
func (a *Analysis) Flows() iter.Seq[*Flow] {
	return func(yield func(*Flow) bool) {
		var flows []Flow
		for _, eps := range a.workloads {
			flows = a.workloadFlows(eps, flows[:0])
			for i := range flows {
				a.markShared(&flows[i])
				if !yield(&flows[i]) {
					return
				}
			}
		}
	}
}

// rowKey identifies a row of one workload: its connections and identity.
type rowKey struct{ conns, id int32 }

type rowAcc struct {
	flow         Flow
	dst          netipx.IPSetBuilder
	pieces       map[int32]bool // destination pieces added to dst
	lastEndpoint int
}

// internedIdentity is an identity and its number in Analysis.ids.
type internedIdentity struct {
	identity
	n int32
}

// workloadFlows appends the rows of one workload's endpoints to flows,
// sorted by their first destination (stable: in the order the endpoints,
// pieces and identities produce them).
func (a *Analysis) workloadFlows(eps []int, flows []Flow) []Flow {
	m := a.m
	rows := map[rowKey]*rowAcc{}
	var order []*rowAcc
	for _, i := range eps {
		e := m.Endpoint(i)
		w := workloadName(e)
		ids := map[idKey][]internedIdentity{}
		for _, cp := range a.reach[m.ClassOf(i)] {
			pc := &a.pieces[cp.piece]
			ik := a.an.identityKey(e, pc.r)
			idl, ok := ids[ik]
			if !ok {
				idl = a.intern(a.an.identities(e, pc.r))
				ids[ik] = idl
			}
			c := &a.conns[cp.conns]
			for _, id := range idl {
				k := rowKey{cp.conns, id.n}
				acc := rows[k]
				if acc == nil {
					acc = &rowAcc{flow: Flow{Workload: w, Namespace: e.Namespace, Allowed: c.allowed, Conditional: c.conditional,
						Via: id.via, Sources: id.sources}, lastEndpoint: -1, pieces: map[int32]bool{}}
					rows[k] = acc
					order = append(order, acc)
				}
				if acc.lastEndpoint != i {
					// Endpoints come in index order: each is listed once.
					acc.lastEndpoint = i
					acc.flow.Endpoints = append(acc.flow.Endpoints, e.ID())
				}
				for _, n := range id.notes {
					if !slices.Contains(acc.flow.Notes, n) {
						acc.flow.Notes = append(acc.flow.Notes, n)
					}
				}
				if !acc.pieces[cp.piece] {
					acc.pieces[cp.piece] = true
					acc.dst.AddRange(pc.r)
				}
			}
		}
	}
	start := len(flows)
	for _, acc := range order {
		set, _ := acc.dst.IPSet()
		acc.flow.Destinations = set.Prefixes()
		flows = append(flows, acc.flow)
	}
	slices.SortStableFunc(flows[start:], func(x, y Flow) int {
		return x.Destinations[0].Addr().Compare(y.Destinations[0].Addr())
	})
	return flows
}

// intern numbers identities by how they leave and their sources.
func (a *Analysis) intern(ids []identity) []internedIdentity {
	out := make([]internedIdentity, len(ids))
	for k, id := range ids {
		key := string(id.via) + "\x00" + prefixesString(id.sources)
		n, ok := a.ids[key]
		if !ok {
			n = len(a.ids)
			a.ids[key] = n
		}
		out[k] = internedIdentity{id, int32(n)}
	}
	return out
}

// shareSet is the union of the workloads that leave with a set of node
// addresses: sorted "namespace\x00workload" keys and a count per
// namespace.
type shareSet struct {
	keys  []string
	perNS map[string]int
}

// markShared fills SharedWith and SharedCount of a flow that leaves with
// node addresses: the workloads of other namespaces that leave with some
// of them. Flows with the same sources share one union, so the cost is
// O(sources) per flow plus O(workloads) per distinct set of sources.
func (a *Analysis) markShared(f *Flow) {
	markShared(f, a.users, a.shares)
}

// markShared fills f's SharedWith and SharedCount from the users of each
// node address (source → "ns\x00workload"); shares caches the unions by
// sources.
func markShared(f *Flow, users map[netip.Prefix]map[string]bool, shares map[string]*shareSet) {
	if f.Via != ViaNode || len(f.Sources) == 0 {
		return
	}
	sig := prefixesString(f.Sources)
	set := shares[sig]
	if set == nil {
		set = &shareSet{perNS: map[string]int{}}
		seen := map[string]bool{}
		for _, src := range f.Sources {
			for u := range users[src] {
				if !seen[u] {
					seen[u] = true
					set.keys = append(set.keys, u)
					ns, _, _ := strings.Cut(u, "\x00")
					set.perNS[ns]++
				}
			}
		}
		sort.Strings(set.keys)
		shares[sig] = set
	}
	f.share = set
	f.SharedCount = len(set.keys) - set.perNS[f.Namespace]
	for _, u := range set.keys {
		if len(f.SharedWith) == maxShared {
			break
		}
		if ns, w, _ := strings.Cut(u, "\x00"); ns != f.Namespace {
			f.SharedWith = append(f.SharedWith, w)
		}
	}
}

// workloadName returns "namespace/Kind/name" or "namespace/pod".
func workloadName(e *policy.Endpoint) string {
	if e.Workload != "" {
		return e.Namespace + "/" + e.Workload
	}
	return e.ID()
}

func prefixesString(ps []netip.Prefix) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String())
		b.WriteByte(',')
	}
	return b.String()
}

// focused reports whether the focus keeps e.
func (an *analyzer) focused(e *policy.Endpoint) bool {
	if len(an.opts.Focus) == 0 {
		return true
	}
	for _, s := range an.opts.Focus {
		if s.MatchesEndpoint(e) {
			return true
		}
	}
	return false
}

type analyzer struct {
	snap *policy.Snapshot
	opts Options
	// gateways caches the identity of each set of gateways (gatewayKey
	// and family): finding the gateway pods scans every endpoint.
	gateways map[string]identity
}

// piece is a destination range inside one external atom, which the pools,
// the --to ranges and the egress gateway rules treat alike.
type piece struct {
	atom int
	r    netipx.IPRange
}

// destinationPieces cuts the external atoms at every pool, --to range and
// egress gateway rule boundary, and keeps the pieces outside every pool
// (pool addresses are the cluster's own pods) and inside the --to ranges.
func (an *analyzer) destinationPieces(atoms []reachability.ExternalAtom) []piece {
	var cuts []netip.Addr
	add := func(p netip.Prefix) {
		r := netipx.RangeOfPrefix(p)
		cuts = append(cuts, r.From())
		if n := r.To().Next(); n.IsValid() {
			cuts = append(cuts, n)
		}
	}
	for _, p := range an.snap.IPAM.Pools {
		add(p.CIDR)
	}
	for _, p := range an.opts.To {
		add(p.Masked())
	}
	for _, g := range an.snap.IPAM.EgressGatewayPolicies {
		for _, r := range g.Rules {
			add(r.Destination)
		}
	}
	slices.SortFunc(cuts, netip.Addr.Compare)
	cuts = slices.Compact(cuts)
	var to *netipx.IPSet
	if len(an.opts.To) > 0 {
		var b netipx.IPSetBuilder
		for _, p := range an.opts.To {
			b.AddPrefix(p.Masked())
		}
		to, _ = b.IPSet()
	}
	var out []piece
	for a, at := range atoms {
		from := at.Range.From()
		k, _ := slices.BinarySearchFunc(cuts, from, netip.Addr.Compare)
		for from.IsValid() && at.Range.Contains(from) {
			end := at.Range.To()
			for ; k < len(cuts); k++ {
				if cuts[k].Compare(from) > 0 {
					if cuts[k].Compare(end) <= 0 {
						end = cuts[k].Prev()
					}
					break
				}
			}
			r := netipx.IPRangeFrom(from, end)
			if !an.snap.IPAM.InPools(from) && (to == nil || to.Contains(from)) {
				out = append(out, piece{atom: a, r: r})
			}
			from = end.Next()
		}
	}
	return out
}
