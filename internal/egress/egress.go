package egress

import (
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
// the same connections and identity are merged. It costs O(pods × external
// atoms × port atoms).
func Analyze(m *reachability.Matrix, opts Options) *Report {
	snap := m.Snapshot()
	an := &analyzer{snap: snap, opts: opts, gateways: map[string]identity{}}
	pieces := an.destinationPieces(m.ExternalAtoms())
	nE := m.NumEndpoints()
	type key struct{ workload, allowed, cond, via, sources string }
	rows := map[key]*rowAcc{}
	var order []key
	// Verdicts depend on the class only: query each class and atom once.
	type conns struct{ allowed, cond reachability.Connections }
	cache := map[[2]int]conns{}
	for i := 0; i < nE; i++ {
		e := m.Endpoint(i)
		if e.HostNetwork {
			continue
		}
		w := workloadName(e)
		ids := map[idKey][]identity{}
		for k2, pc := range pieces {
			ck := [2]int{m.ClassOf(i), pc.atom}
			c, ok := cache[ck]
			if !ok {
				c.allowed, c.cond = m.Connections(i, nE+pc.atom)
				cache[ck] = c
			}
			allowed, cond := c.allowed, c.cond
			if allowed.IsEmpty() && cond.IsEmpty() {
				continue
			}
			ik := an.identityKey(e, pc.r)
			idl, ok := ids[ik]
			if !ok {
				idl = an.identities(e, pc.r)
				ids[ik] = idl
			}
			for _, id := range idl {
				k := key{w, allowed.String(), cond.String(), string(id.via), prefixesString(id.sources)}
				acc := rows[k]
				if acc == nil {
					acc = &rowAcc{flow: Flow{Workload: w, Namespace: e.Namespace, Allowed: allowed, Conditional: cond,
						Via: id.via, Sources: id.sources}, lastEndpoint: -1, endpoints: map[int]bool{}, pieces: map[int]bool{}}
					rows[k] = acc
					order = append(order, k)
				}
				if acc.lastEndpoint != i {
					acc.lastEndpoint = i
					if !acc.endpoints[i] {
						acc.endpoints[i] = true
						acc.flow.Endpoints = append(acc.flow.Endpoints, e.ID())
					}
				}
				for _, n := range id.notes {
					if !slices.Contains(acc.flow.Notes, n) {
						acc.flow.Notes = append(acc.flow.Notes, n)
					}
				}
				if !acc.pieces[k2] {
					acc.pieces[k2] = true
					acc.dst.AddRange(pc.r)
				}
			}
		}
	}
	r := &Report{Describe: m.Describe()}
	for _, k := range order {
		acc := rows[k]
		set, _ := acc.dst.IPSet()
		acc.flow.Destinations = set.Prefixes()
		r.Flows = append(r.Flows, acc.flow)
	}
	sort.SliceStable(r.Flows, func(i, j int) bool {
		a, b := &r.Flows[i], &r.Flows[j]
		if a.Workload != b.Workload {
			return a.Workload < b.Workload
		}
		return a.Destinations[0].Addr().Less(b.Destinations[0].Addr())
	})
	markShared(r.Flows)
	return r
}

type rowAcc struct {
	flow         Flow
	dst          netipx.IPSetBuilder
	pieces       map[int]bool // destination pieces added to dst
	endpoints    map[int]bool // entries listed in flow.Endpoints
	lastEndpoint int
}

// shareSet is the union of the workloads that leave with a set of node
// addresses: sorted "namespace\x00workload" keys and a count per
// namespace.
type shareSet struct {
	keys  []string
	perNS map[string]int
}

// markShared fills SharedWith and SharedCount: node addresses used by
// workloads of more than one namespace. Flows with the same sources share
// one union, so the cost is O(flows × sources + distinct source sets ×
// workloads).
func markShared(flows []Flow) {
	users := map[netip.Prefix]map[string]bool{} // source → "ns\x00workload"
	for _, f := range flows {
		if f.Via != ViaNode {
			continue
		}
		for _, s := range f.Sources {
			if users[s] == nil {
				users[s] = map[string]bool{}
			}
			users[s][f.Namespace+"\x00"+f.Workload] = true
		}
	}
	sets := map[string]*shareSet{}
	for i := range flows {
		f := &flows[i]
		if f.Via != ViaNode || len(f.Sources) == 0 {
			continue
		}
		sig := prefixesString(f.Sources)
		set := sets[sig]
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
			sets[sig] = set
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
