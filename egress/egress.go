package egress

import (
	"net/netip"
	"slices"
	"sort"
	"strings"

	"go4.org/netipx"

	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
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
	// SharedWith lists the workloads of other namespaces that leave with
	// some of the same node addresses (ViaNode only): a firewall cannot
	// tell them apart.
	SharedWith []string `json:"sharedWith,omitempty"`
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
	an := &analyzer{snap: snap, opts: opts}
	pieces := an.destinationPieces(m.ExternalAtoms())
	nE := m.NumEndpoints()
	type key struct{ workload, allowed, cond, via, sources string }
	rows := map[key]*rowAcc{}
	var order []key
	for i := 0; i < nE; i++ {
		e := m.Endpoint(i)
		if e.HostNetwork {
			continue
		}
		w := workloadName(e)
		for _, pc := range pieces {
			allowed, cond := m.Connections(i, nE+pc.atom)
			if allowed.IsEmpty() && cond.IsEmpty() {
				continue
			}
			for _, id := range an.identities(e, pc.r) {
				k := key{w, allowed.String(), cond.String(), string(id.via), prefixesString(id.sources)}
				acc := rows[k]
				if acc == nil {
					acc = &rowAcc{flow: Flow{Workload: w, Namespace: e.Namespace, Allowed: allowed, Conditional: cond,
						Via: id.via, Sources: id.sources}}
					rows[k] = acc
					order = append(order, k)
				}
				if !slices.Contains(acc.flow.Endpoints, e.ID()) {
					acc.flow.Endpoints = append(acc.flow.Endpoints, e.ID())
				}
				for _, n := range id.notes {
					if !slices.Contains(acc.flow.Notes, n) {
						acc.flow.Notes = append(acc.flow.Notes, n)
					}
				}
				acc.dst.AddRange(pc.r)
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
	flow Flow
	dst  netipx.IPSetBuilder
}

// markShared fills SharedWith: node addresses used by workloads of more
// than one namespace.
func markShared(flows []Flow) {
	users := map[netip.Prefix]map[string]bool{} // source → workloads
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
	for i := range flows {
		f := &flows[i]
		if f.Via != ViaNode {
			continue
		}
		seen := map[string]bool{}
		for _, s := range f.Sources {
			for u := range users[s] {
				ns, w, _ := strings.Cut(u, "\x00")
				if ns != f.Namespace && !seen[w] {
					seen[w] = true
					f.SharedWith = append(f.SharedWith, w)
				}
			}
		}
		sort.Strings(f.SharedWith)
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
