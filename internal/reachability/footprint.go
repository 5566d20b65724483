package reachability

import (
	"maps"
	"net/netip"
	"slices"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/selector"
)

// footprint is what one lowered policy contributes to the structures the
// engine shares between policies: the address and port boundaries it
// cuts, the label keys and port names it reads. An engine tallies the
// footprints of its program, so that an update adds and removes those of
// the policies that changed instead of reading the whole program again.
type footprint struct {
	cuts      []netip.Addr      // address cuts: first address and one past the last of every range of its nets
	keys      []string          // pod label keys its selectors read
	sa        bool              // it reads service accounts
	sigNames  []string          // port names its port matches use ("" included)
	portCuts  [3][]int          // per TCP, UDP, SCTP: Lo and Hi+1 of its numeric port matches
	portNames []string          // the names of its named port matches
	others    []policy.Protocol // protocols without ports it names
	dstNames  []string          // the names of its destination named port matches
	cond      bool              // some rule is conditional
}

// portProtocols are the protocols with ports, in atom order.
var portProtocols = [3]policy.Protocol{policy.TCP, policy.UDP, policy.SCTP}

// footprintOf computes the footprint of a lowered policy.
func footprintOf(p *policy.Lowered) *footprint {
	f := &footprint{}
	addSet := func(set *netipx.IPSet) {
		if set == nil {
			return
		}
		for _, r := range set.Ranges() {
			f.cuts = append(f.cuts, r.From())
			if next := r.To().Next(); next.IsValid() {
				f.cuts = append(f.cuts, next)
			}
		}
	}
	addSel := func(s *selector.Selector) {
		if s == nil {
			return
		}
		for _, k := range s.Keys() {
			f.keys = append(f.keys, k)
			if k == policy.CalicoServiceAccountLabel {
				f.sa = true
			}
		}
	}
	addID := func(id *policy.Identity) {
		if id == nil {
			return
		}
		addSel(id.Selector)
		if len(id.ServiceAccountNames) > 0 || id.ServiceAccountSelector != nil {
			f.sa = true
		}
	}
	addPort := func(m policy.PortMatch, dst bool) {
		f.sigNames = append(f.sigNames, m.Name)
		if m.Name != "" {
			f.portNames = append(f.portNames, m.Name)
			if dst {
				f.dstNames = append(f.dstNames, m.Name)
			}
			return
		}
		for i, proto := range portProtocols {
			if m.Protocol == policy.AnyProtocol || m.Protocol == proto {
				f.portCuts[i] = append(f.portCuts[i], int(m.Lo), int(m.Hi)+1)
			}
		}
	}
	addSel(&p.Subject.Selector)
	if p.Subject.ServiceAccountSelector != nil {
		f.sa = true
	}
	for d := range p.Rules {
		for _, r := range p.Rules[d] {
			if r.Conditional != "" {
				f.cond = true
			}
			for _, pr := range []policy.Protocol{r.Protocol, r.NotProtocol} {
				if pr != policy.AnyProtocol && !pr.HasPorts() {
					f.others = append(f.others, pr)
				}
			}
			for _, e := range []*policy.EntityMatch{&r.Src, &r.Dst} {
				for i := range e.Peers {
					addSet(e.Peers[i].Nets)
					addSet(e.Peers[i].NotNets)
					addID(e.Peers[i].Identity)
					addID(e.Peers[i].NotIdentity)
				}
				for _, m := range e.Ports {
					addPort(m, e == &r.Dst)
				}
				for _, m := range e.NotPorts {
					addPort(m, e == &r.Dst)
				}
			}
		}
	}
	return f
}

// tally counts the footprints of a program's policies: how many policies
// contribute each cut, key and name. A tally is immutable once built; an
// update clones it (it is small: one entry per distinct value) and adds
// and removes the footprints of the policies that changed.
type tally struct {
	cuts      map[netip.Addr]int32
	keys      map[string]int32
	sigNames  map[string]int32
	portCuts  [3]map[int]int32
	portNames map[string]int32
	others    map[policy.Protocol]int32
	dstNames  map[string]int32
	sa, cond  int32
}

func newTally() *tally {
	t := &tally{cuts: map[netip.Addr]int32{}, keys: map[string]int32{}, sigNames: map[string]int32{},
		portNames: map[string]int32{}, others: map[policy.Protocol]int32{}, dstNames: map[string]int32{}}
	for i := range t.portCuts {
		t.portCuts[i] = map[int]int32{}
	}
	return t
}

func (t *tally) clone() *tally {
	c := &tally{cuts: maps.Clone(t.cuts), keys: maps.Clone(t.keys), sigNames: maps.Clone(t.sigNames),
		portNames: maps.Clone(t.portNames), others: maps.Clone(t.others), dstNames: maps.Clone(t.dstNames),
		sa: t.sa, cond: t.cond}
	for i := range t.portCuts {
		c.portCuts[i] = maps.Clone(t.portCuts[i])
	}
	return c
}

// add adds a footprint (sign 1) or removes it (sign -1).
func (t *tally) add(f *footprint, sign int32) {
	count(t.cuts, f.cuts, sign)
	count(t.keys, f.keys, sign)
	count(t.sigNames, f.sigNames, sign)
	for i := range f.portCuts {
		count(t.portCuts[i], f.portCuts[i], sign)
	}
	count(t.portNames, f.portNames, sign)
	count(t.others, f.others, sign)
	count(t.dstNames, f.dstNames, sign)
	if f.sa {
		t.sa += sign
	}
	if f.cond {
		t.cond += sign
	}
}

// count adds sign to the count of each value (once per value), deleting
// the values whose count drops to zero.
func count[K comparable](m map[K]int32, xs []K, sign int32) {
	for i, x := range xs {
		if slices.Contains(xs[:i], x) {
			continue
		}
		if m[x] += sign; m[x] == 0 {
			delete(m, x)
		}
	}
}

// tallyOf tallies the footprints of every policy of a program; with
// keep, each footprint is stored there.
func tallyOf(p *policy.Program, keep map[*policy.Lowered]*footprint) *tally {
	t := newTally()
	for _, tier := range p.Tiers {
		for _, l := range tier.Policies {
			f := footprintOf(l)
			if keep != nil {
				keep[l] = f
			}
			t.add(f, 1)
		}
	}
	return t
}

// signature is the class signature of the tallied program: what its
// selectors and rules read of an endpoint (see classSig).
func (t *tally) signature() classSig {
	sig := classSig{keys: map[string]bool{}, names: map[string]bool{}, sa: t.sa > 0}
	for k := range t.keys {
		sig.keys[k] = true
	}
	for n := range t.sigNames {
		sig.names[n] = true
	}
	return sig
}

// atoms cuts the address space at the tallied cuts, at the addresses of
// network sets, nodes and host endpoints, at pool boundaries, and at the
// extra ranges (see externalAtoms).
func (t *tally) atoms(p *policy.Program, s *policy.Snapshot, extra []netipx.IPRange, f *endpointFacts) []ExternalAtom {
	cuts := slices.Collect(maps.Keys(t.cuts))
	for _, r := range extra {
		cuts = append(cuts, r.From())
		if next := r.To().Next(); next.IsValid() {
			cuts = append(cuts, next)
		}
	}
	for _, ns := range p.NetworkSets {
		if ns.Nets != nil {
			for _, r := range ns.Nets.Ranges() {
				cuts = append(cuts, r.From())
				if next := r.To().Next(); next.IsValid() {
					cuts = append(cuts, next)
				}
			}
		}
	}
	addAddr := func(a netip.Addr) {
		cuts = append(cuts, a)
		if next := a.Next(); next.IsValid() {
			cuts = append(cuts, next)
		}
	}
	for _, n := range s.Nodes {
		for _, a := range n.Addresses {
			addAddr(a)
		}
	}
	// Host endpoints' addresses (docs/calico-host-endpoints.md) and the
	// pool ranges of pods without an address (see pool.go).
	if f.host > 0 {
		for _, e := range s.Endpoints {
			if e.Host != nil {
				for _, a := range e.IPs {
					addAddr(a)
				}
			}
		}
	}
	if f.ranged > 0 {
		for _, r := range poolRanges(s) {
			cuts = append(cuts, r.From())
			if next := r.To().Next(); next.IsValid() {
				cuts = append(cuts, next)
			}
		}
	}
	return externalAtoms(cuts, f.v6 > 0)
}

// portAtoms cuts each port protocol's 1–65535 range at every tallied
// boundary, at every container port of a class whose name a rule uses, so
// that every named-port resolution is a single-port atom, and at the ends
// of every extra range (a DerivedLayer's PortCuts). In Calico mode, other
// protocols a rule names get one atom each, and the protocols no rule
// names one atom together.
func (t *tally) portAtoms(mode policy.Mode, classes []class, extra []PortRange) []PortAtom {
	var atoms []PortAtom
	for i, proto := range portProtocols {
		c := []int{1, 65536}
		for x := range t.portCuts[i] {
			c = append(c, x)
		}
		for _, r := range extra {
			if r.Protocol == proto {
				c = append(c, int(r.Lo), int(r.Hi)+1)
			}
		}
		for _, cl := range classes {
			if cl.hole {
				continue // no endpoint (see holes.go)
			}
			for _, cp := range cl.rep.Ports {
				if cp.Protocol == proto && t.portNames[cp.Name] > 0 {
					c = append(c, int(cp.Port), int(cp.Port)+1)
				}
			}
		}
		slices.Sort(c)
		c = slices.Compact(c)
		for i := 0; i+1 < len(c); i++ {
			lo, hi := c[i], c[i+1]-1
			if lo < 1 {
				lo = 1
			}
			if lo > hi || lo > 65535 {
				continue
			}
			if hi > 65535 {
				hi = 65535
			}
			atoms = append(atoms, PortAtom{Protocol: proto, Lo: uint16(lo), Hi: uint16(hi)})
		}
	}
	others := slices.Sorted(maps.Keys(t.others))
	for _, pr := range others {
		atoms = append(atoms, PortAtom{Protocol: pr})
	}
	if mode == policy.ModeCalico {
		// Calico policies restrict every protocol (a selected endpoint
		// meets the end-of-tier drop whatever the protocol), so the
		// protocols no rule names need an atom too; any of them stands
		// for all.
		for n := 1; n <= 255; n++ {
			if pr := policy.Protocol(n); !pr.HasPorts() && t.others[pr] == 0 {
				atoms = append(atoms, PortAtom{Protocol: pr, Others: true}) // last, out of protocol order
				break
			}
		}
	}
	return atoms
}

// samePorts reports whether two tallies cut the port atoms alike.
func (t *tally) samePorts(o *tally) bool {
	for i := range t.portCuts {
		if !sameKeys(t.portCuts[i], o.portCuts[i]) {
			return false
		}
	}
	return sameKeys(t.portNames, o.portNames) && sameKeys(t.others, o.others)
}

// sameKeys reports whether two counts have the same keys.
func sameKeys[K comparable](a, b map[K]int32) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}
