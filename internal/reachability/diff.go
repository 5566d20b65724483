package reachability

import (
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/netreach/netreach/internal/policy"
)

// Change is one flow whose verdict differs between two matrices: from Src
// to Dst on Protocol, destination ports Lo..Hi (0..0 for protocols without
// ports).
type Change struct {
	Src, Dst string
	// SrcNamespace and DstNamespace are empty for external address ranges.
	SrcNamespace, DstNamespace string
	Protocol                   policy.Protocol
	Lo, Hi                     uint16
	Before, After              Verdict
}

// Ports returns "80", "1-79" or "" for protocols without ports.
func (c Change) Ports() string {
	return PortAtom{Protocol: c.Protocol, Lo: c.Lo, Hi: c.Hi}.PortString()
}

// Delta is the difference between two matrices. Gained flows are more
// open after than before (Deny → Allow, Deny → Conditional, Conditional →
// Allow); lost flows are less open. Both hold only flows between entries
// present on both sides; the flows of an endpoint that exists on one side
// only are under Added or Removed.
type Delta struct {
	Gained, Lost []Change
	// Added are the endpoints only the second matrix has, Removed those
	// only the first has, each with its flows on the side it exists.
	Added, Removed []EndpointDelta
}

// EndpointDelta is an endpoint that exists on one side of a diff only, and
// the flows it takes part in there that are not denied (to and from every
// other entry; never itself). Before and After of these flows say Deny for
// the side where the endpoint is absent.
type EndpointDelta struct {
	ID, Namespace string
	// Out are the flows from the endpoint, In the flows to it; a flow
	// between two endpoints added together is in both.
	Out, In []Change
}

// IsEmpty reports whether nothing changed.
func (d Delta) IsEmpty() bool {
	return len(d.Gained) == 0 && len(d.Lost) == 0 && len(d.Added) == 0 && len(d.Removed) == 0
}

// Openness orders verdicts: Deny (0) < Conditional (1) < Allow (2).
func (v Verdict) Openness() int {
	switch v {
	case Allow:
		return 2
	case Conditional:
		return 1
	}
	return 0
}

// Record adds a change to Gained when its verdict became more open, else
// to Lost. A change that continues the previous one of its list (same
// flow and verdicts, next port) extends it instead, so callers that walk
// ports in ascending order get merged ranges.
func (d *Delta) Record(c Change) {
	if c.After.Openness() > c.Before.Openness() {
		d.Gained = appendMerged(d.Gained, c)
	} else {
		d.Lost = appendMerged(d.Lost, c)
	}
}

// Sort orders Gained and Lost by source, destination, protocol (as port
// atoms are ordered) and port.
func (d *Delta) Sort() {
	sortChanges(d.Gained)
	sortChanges(d.Lost)
}

// Diff compares two matrices (of two versions of a cluster) flow by flow.
// Endpoints are matched by namespace/name, derived entries by name; external ranges and ports are
// compared on the common refinement of both matrices' atoms, so two
// matrices cut differently still compare exactly. An endpoint present on
// one side only is listed in Added or Removed with its open flows, not as
// gained or lost flows. Changes are sorted by source, destination,
// protocol and port; Added and Removed by endpoint.
func Diff(a, b *Matrix) Delta {
	// Entries: endpoints by name, then refined external ranges, then
	// derived entries by name.
	type entry struct {
		name, ns string
		ia, ib   int // entries in a and b, -1 when absent
	}
	var entries []entry
	index := map[string]int{}
	add := func(name, ns string, ia, ib int) {
		if k, ok := index[name]; ok {
			if ia >= 0 {
				entries[k].ia = ia
			}
			if ib >= 0 {
				entries[k].ib = ib
			}
			return
		}
		index[name] = len(entries)
		entries = append(entries, entry{name, ns, ia, ib})
	}
	for i := 0; i < a.NumEndpoints(); i++ {
		e := a.Endpoint(i)
		add(e.ID(), e.Namespace, i, -1)
	}
	for i := 0; i < b.NumEndpoints(); i++ {
		e := b.Endpoint(i)
		add(e.ID(), e.Namespace, -1, i)
	}
	nEndpoints := len(entries)
	for _, r := range refineAtoms(a.u.atoms, b.u.atoms) {
		name := ExternalAtom{Range: r}.String()
		entries = append(entries, entry{name: name, ia: a.ExternalEntry(r.From()), ib: b.ExternalEntry(r.From())})
	}
	nBase := len(entries)
	for k, e := range a.derived.Entries {
		add(e.Name, e.Namespace, a.numBase()+k, -1)
	}
	for k, e := range b.derived.Entries {
		add(e.Name, e.Namespace, -1, b.numBase()+k)
	}
	isPair := func(m *Matrix, i, j int) bool { return i >= 0 && j >= 0 && m.IsPair(i, j) }
	ports := RefinePorts(a.ports, b.ports)
	pa := make([]int, len(ports))
	pb := make([]int, len(ports))
	for k, p := range ports {
		pa[k] = a.PortAtomIndex(p.Protocol, p.Lo)
		pb[k] = b.PortAtomIndex(p.Protocol, p.Lo)
	}
	verdict := func(m *Matrix, i, j, p int) Verdict {
		if i < 0 || j < 0 || !m.IsPair(i, j) {
			return Deny
		}
		if p < 0 {
			return Allow // no policy of that matrix can restrict the protocol
		}
		return m.At(i, j, p)
	}
	var d Delta
	// one is the endpoint delta of entries that exist on one side only.
	one := make([]*EndpointDelta, len(entries))
	for x, e := range entries[:nEndpoints] {
		if e.ia < 0 || e.ib < 0 {
			one[x] = &EndpointDelta{ID: e.name, Namespace: e.ns}
		}
	}
	for x := range entries {
		for y := range entries {
			ex, ey := entries[x], entries[y]
			if x >= nBase || y >= nBase {
				if !isPair(a, ex.ia, ey.ia) && !isPair(b, ex.ib, ey.ib) {
					continue
				}
			} else if x >= nEndpoints && y >= nEndpoints {
				continue
			}
			if one[x] != nil && x == y {
				continue // itself: always allowed, not a flow worth listing
			}
			for k, p := range ports {
				before := verdict(a, ex.ia, ey.ia, pa[k])
				after := verdict(b, ex.ib, ey.ib, pb[k])
				if before == after {
					continue
				}
				c := Change{Src: ex.name, Dst: ey.name, SrcNamespace: ex.ns, DstNamespace: ey.ns,
					Protocol: p.Protocol, Lo: p.Lo, Hi: p.Hi, Before: before, After: after}
				if one[x] == nil && one[y] == nil {
					d.Record(c)
					continue
				}
				if one[x] != nil {
					one[x].Out = appendMerged(one[x].Out, c)
				}
				if one[y] != nil {
					one[y].In = appendMerged(one[y].In, c)
				}
			}
		}
	}
	for x, ed := range one {
		if ed == nil {
			continue
		}
		sortChanges(ed.Out)
		sortChanges(ed.In)
		if entries[x].ia < 0 {
			d.Added = append(d.Added, *ed)
		} else {
			d.Removed = append(d.Removed, *ed)
		}
	}
	for _, list := range [][]EndpointDelta{d.Added, d.Removed} {
		sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	}
	d.Sort()
	return d
}

// appendMerged appends c, merging it into the previous change when it
// continues the same flow's port range with the same verdicts.
func appendMerged(cs []Change, c Change) []Change {
	if n := len(cs); n > 0 {
		p := &cs[n-1]
		if p.Src == c.Src && p.Dst == c.Dst && p.Protocol == c.Protocol && p.Before == c.Before && p.After == c.After &&
			c.Protocol.HasPorts() && uint32(p.Hi)+1 == uint32(c.Lo) {
			p.Hi = c.Hi
			return cs
		}
	}
	return append(cs, c)
}

func sortChanges(cs []Change) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.Src != b.Src {
			return a.Src < b.Src
		}
		if a.Dst != b.Dst {
			return a.Dst < b.Dst
		}
		if a.Protocol != b.Protocol {
			return protoRank(a.Protocol) < protoRank(b.Protocol)
		}
		return a.Lo < b.Lo
	})
}

// refineAtoms cuts the address space at the boundaries of both atom sets.
func refineAtoms(a, b []ExternalAtom) []netipRange {
	var cuts []netip.Addr
	for _, list := range [][]ExternalAtom{a, b} {
		for _, at := range list {
			cuts = append(cuts, at.Range.From())
		}
	}
	slices.SortFunc(cuts, netip.Addr.Compare)
	cuts = slices.Compact(cuts)
	var out []netipRange
	for i, c := range cuts {
		var end netip.Addr
		if i+1 < len(cuts) && cuts[i+1].Is4() == c.Is4() {
			end = cuts[i+1].Prev()
		} else if c.Is4() {
			end = netip.MustParseAddr("255.255.255.255")
		} else {
			end = netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
		}
		out = append(out, newRange(c, end))
	}
	return out
}

// RefinePorts cuts each protocol's ports at the boundaries of both atom
// lists, so every atom of either list is a union of the result's atoms;
// protocols without ports appear once. The result is ordered as a
// matrix's port atoms are.
func RefinePorts(a, b []PortAtom) []PortAtom {
	cuts := map[policy.Protocol][]int{}
	var protos []policy.Protocol
	// others: protocols that stand for the unnamed ones on every side
	// that has them.
	others := map[policy.Protocol]bool{}
	for _, list := range [][]PortAtom{a, b} {
		for _, at := range list {
			if _, ok := cuts[at.Protocol]; !ok {
				protos = append(protos, at.Protocol)
				others[at.Protocol] = at.Others
			}
			others[at.Protocol] = others[at.Protocol] && at.Others
			cuts[at.Protocol] = append(cuts[at.Protocol], int(at.Lo), int(at.Hi)+1)
		}
	}
	slices.SortFunc(protos, func(x, y policy.Protocol) int { return protoRank(x) - protoRank(y) })
	var out []PortAtom
	for _, p := range protos {
		if !p.HasPorts() {
			out = append(out, PortAtom{Protocol: p, Others: others[p]})
			continue
		}
		c := cuts[p]
		slices.Sort(c)
		c = slices.Compact(c)
		for i := 0; i+1 < len(c); i++ {
			out = append(out, PortAtom{Protocol: p, Lo: uint16(c[i]), Hi: uint16(c[i+1] - 1)})
		}
	}
	return out
}

// ChangeGroup is the changes between one pair of namespaces on one
// protocol and port range ("" namespaces stand for external ranges).
type ChangeGroup struct {
	SrcNamespace, DstNamespace string
	Protocol                   policy.Protocol
	Ports                      string
	Changes                    []Change
}

// Group groups changes by namespace pair, protocol and port, in order.
func Group(cs []Change) []ChangeGroup {
	idx := map[string]int{}
	var out []ChangeGroup
	for _, c := range cs {
		key := strings.Join([]string{c.SrcNamespace, c.DstNamespace, c.Protocol.String(), c.Ports()}, "|")
		k, ok := idx[key]
		if !ok {
			k = len(out)
			idx[key] = k
			out = append(out, ChangeGroup{SrcNamespace: c.SrcNamespace, DstNamespace: c.DstNamespace, Protocol: c.Protocol, Ports: c.Ports()})
		}
		out[k].Changes = append(out[k].Changes, c)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.SrcNamespace != b.SrcNamespace {
			return a.SrcNamespace < b.SrcNamespace
		}
		if a.DstNamespace != b.DstNamespace {
			return a.DstNamespace < b.DstNamespace
		}
		if a.Protocol != b.Protocol {
			return protoRank(a.Protocol) < protoRank(b.Protocol)
		}
		return a.Ports < b.Ports
	})
	return out
}
