package expect

import (
	"context"
	"net/netip"
	"path"
	"strings"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/access"
	"github.com/netreach/netreach/internal/exposure"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// item is one selected entry of a matrix: an endpoint, or the part of an
// external atom that a selection covers.
type item struct {
	entry int
	name  string           // "namespace/name", or the (clipped) address range
	ep    *policy.Endpoint // nil for addresses
	addr  netip.Addr       // for addresses: one inside the range that no endpoint owns
	// derived is true for an entry of the access model ({internet},
	// {ingress-controller}, a Service).
	derived bool
}

// entity returns the item as one side of a flow, for the reference
// evaluator.
func (it item) entity() reachability.Entity {
	if it.ep != nil {
		return reachability.EndpointEntity(it.ep)
	}
	return reachability.IPEntity(it.addr)
}

// world is what selections are resolved against: a matrix and its
// snapshot, with lookups built once.
type world struct {
	m        *reachability.Matrix
	snap     *policy.Snapshot
	nsLabels map[string]map[string]string
	owned    map[netip.Addr]bool // addresses that endpoints own
	atoms    []interval          // every port atom, as intervals
	atomIdx  []int               // index of each of atoms in m.PortAtoms()
	// The exposure analysis, for rules about new pods (newpods.go).
	analysis    *exposure.Analysis
	analysisErr error
	// ctx cancels the evaluation (EvaluateContext); nil for none.
	ctx context.Context
}

func newWorld(m *reachability.Matrix) *world {
	w := &world{m: m, snap: m.Snapshot(), nsLabels: map[string]map[string]string{}, owned: map[netip.Addr]bool{}}
	for _, ns := range w.snap.Namespaces {
		w.nsLabels[ns.Name] = ns.Labels
	}
	for _, e := range w.snap.Endpoints {
		for _, ip := range e.IPs {
			w.owned[ip] = true
		}
	}
	for k, a := range m.PortAtoms() {
		w.atoms = append(w.atoms, interval{a.Protocol, a.Lo, a.Hi})
		w.atomIdx = append(w.atomIdx, k)
	}
	return w
}

// endpointItem returns the item of endpoint entry i.
func (w *world) endpointItem(i int) item {
	e := w.m.Endpoint(i)
	return item{entry: i, name: e.ID(), ep: e}
}

// selectItems returns the endpoints and address ranges s selects, in entry
// order.
func (w *world) selectItems(s *Selection) []item {
	if s.selectsDerived() {
		return w.selectDerived(s)
	}
	var out []item
	set := s.addressSet()
	for i := 0; i < w.m.NumEndpoints(); i++ {
		if i%checkEvery == 0 && w.cancelled() != nil {
			return out // the caller looks at the context again
		}
		if w.matches(s, set, w.m.Endpoint(i)) {
			out = append(out, w.endpointItem(i))
		}
	}
	if set == nil || s.selectsEndpointsOnly() {
		return out
	}
	for i := w.m.NumEndpoints(); i < w.m.Len(); i++ {
		a, ok := w.m.ExternalAtom(i)
		if !ok {
			continue // a derived entry
		}
		var b netipx.IPSetBuilder
		b.AddRange(a.Range)
		b.Intersect(set)
		part, _ := b.IPSet()
		for _, r := range part.Ranges() {
			if addr, ok := w.freeAddr(r); ok {
				out = append(out, item{entry: i, name: reachability.ExternalAtom{Range: r}.String(), addr: addr})
			}
		}
	}
	return out
}

// selectDerived returns the entries of the access model s selects.
func (w *world) selectDerived(s *Selection) []item {
	var out []item
	for i := w.m.NumEndpoints(); i < w.m.Len(); i++ {
		d, ok := w.m.Derived(i)
		if !ok {
			continue
		}
		var hit bool
		switch d.Kind {
		case access.KindInternet:
			hit = s.Internet
		case access.KindIngressController:
			hit = s.IngressController
		case access.KindService:
			hit = anyGlob(s.Services, strings.TrimSuffix(d.Name, "[Service]"))
		}
		if hit {
			out = append(out, item{entry: i, name: d.Name, derived: true})
		}
	}
	return out
}

// freeAddr returns an address of r that no endpoint owns, so that a trace
// of a flow to an external range is not taken for a flow to a pod. ok is
// false when every address of r belongs to an endpoint (a cidr naming a
// pod's address selects the pod, not an external address); when only the
// first 4096 addresses were found owned, the first one is returned.
func (w *world) freeAddr(r netipx.IPRange) (addr netip.Addr, ok bool) {
	a := r.From()
	if a.IsUnspecified() && a != r.To() {
		a = a.Next() // 0.0.0.0 reads as "no address" in a trace
	}
	for n := 0; n < 4096; n++ {
		if !w.owned[a] {
			return a, true
		}
		if a == r.To() {
			return r.From(), false
		}
		a = a.Next()
	}
	return r.From(), true
}

// addressSet returns the addresses of s's cidr minus notCIDR, or nil when
// s has no cidr.
func (s *Selection) addressSet() *netipx.IPSet {
	if s == nil || len(s.CIDRs) == 0 {
		return nil
	}
	var b netipx.IPSetBuilder
	for _, p := range s.CIDRs {
		b.AddPrefix(p)
	}
	for _, p := range s.NotCIDRs {
		b.RemovePrefix(p)
	}
	set, _ := b.IPSet()
	return set
}

// matches reports whether endpoint e satisfies every field of s; set is
// s.addressSet().
func (w *world) matches(s *Selection, set *netipx.IPSet, e *policy.Endpoint) bool {
	if len(s.Namespaces) > 0 && !anyGlob(s.Namespaces, e.Namespace) {
		return false
	}
	if s.NamespaceSelector != nil && !s.NamespaceSelector.Matches(w.nsLabels[e.Namespace]) {
		return false
	}
	if s.PodSelector != nil && !s.PodSelector.Matches(e.Labels) {
		return false
	}
	if len(s.Pods) > 0 && !anyGlob(s.Pods, e.Name) {
		return false
	}
	if len(s.Workloads) > 0 && !matchWorkload(s.Workloads, e.Workload) {
		return false
	}
	if s.Selector != nil && !s.Selector.Matches(e.CalicoLabels()) {
		return false
	}
	if set != nil {
		in := false
		for _, ip := range e.IPs {
			if set.Contains(ip) {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	return true
}

func anyGlob(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// matchWorkload matches "Kind/name" globs against the whole workload and
// plain globs against its name.
func matchWorkload(globs []string, workload string) bool {
	if workload == "" {
		return false
	}
	_, name, _ := strings.Cut(workload, "/")
	for _, g := range globs {
		target := name
		if strings.Contains(g, "/") {
			target = workload
		}
		if ok, _ := path.Match(g, target); ok {
			return true
		}
	}
	return false
}

// piece is the part of a checked interval that one port atom covers;
// atom is -1 when no atom holds the protocol (no policy can restrict it:
// always allowed).
type piece struct {
	atom   int
	proto  policy.Protocol
	lo, hi uint16
}

// piecesOf cuts an interval at the matrix's port atoms.
func (w *world) piecesOf(iv interval) []piece {
	var out []piece
	seen := false
	for k, a := range w.atoms {
		if a.proto != iv.proto {
			continue
		}
		seen = true
		if !iv.proto.HasPorts() {
			out = append(out, piece{w.atomIdx[k], iv.proto, 0, 0})
			continue
		}
		lo, hi := max(a.lo, iv.lo), min(a.hi, iv.hi)
		if lo <= hi {
			out = append(out, piece{w.atomIdx[k], iv.proto, lo, hi})
		}
	}
	if !seen {
		out = append(out, piece{-1, iv.proto, iv.lo, iv.hi})
	}
	return out
}

// verdict is the matrix's verdict for a pair on a piece.
func (w *world) verdict(src, dst item, p piece) reachability.Verdict {
	if p.atom < 0 {
		return reachability.Allow
	}
	return w.m.At(src.entry, dst.entry, p.atom)
}
