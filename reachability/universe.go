package reachability

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go4.org/netipx"

	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/selector"
)

// ExternalAtom is a range of addresses outside the cluster's endpoints that
// every policy treats alike: the address space is cut at every CIDR
// boundary that any policy, network set or node address mentions, so each
// atom lies wholly inside or wholly outside every such CIDR.
type ExternalAtom struct {
	Range netipx.IPRange
}

// String returns the atom as a CIDR when it is one, else "first-last".
func (a ExternalAtom) String() string {
	if p, ok := a.Range.Prefix(); ok {
		return p.String()
	}
	return a.Range.From().String() + "-" + a.Range.To().String()
}

// ParseExternalAtom reads an address range as [ExternalAtom.String]
// writes it: a CIDR ("10.0.0.0/8") or "first-last".
func ParseExternalAtom(s string) (ExternalAtom, error) {
	if p, err := netip.ParsePrefix(s); err == nil && p.Masked() == p {
		return ExternalAtom{Range: netipx.RangeOfPrefix(p)}, nil
	}
	a, b, ok := strings.Cut(s, "-")
	if ok {
		x, err1 := netip.ParseAddr(a)
		y, err2 := netip.ParseAddr(b)
		if r := netipx.IPRangeFrom(x, y); err1 == nil && err2 == nil && r.IsValid() {
			return ExternalAtom{Range: r}, nil
		}
	}
	return ExternalAtom{}, fmt.Errorf("ParseExternalAtom(%q): expected a CIDR or first-last addresses", s)
}

// Family returns 4 or 6.
func (a ExternalAtom) Family() int {
	if a.Range.From().Is4() {
		return 4
	}
	return 6
}

// PortAtom is a protocol with an inclusive range of destination ports that
// every rule treats alike. For protocols without ports Lo and Hi are 0.
type PortAtom struct {
	Protocol policy.Protocol
	Lo, Hi   uint16
	// Others marks the atom of every protocol without ports that no rule
	// names (calico mode): Protocol is one of them, the one evaluated,
	// since rules treat them all alike.
	Others bool
}

// String returns "80/TCP", "1-79/TCP", "ICMP", or "other" for the atom of
// the protocols no rule names.
func (a PortAtom) String() string {
	if a.Others {
		return "other"
	}
	if !a.Protocol.HasPorts() {
		return a.Protocol.String()
	}
	return a.PortString() + "/" + a.Protocol.String()
}

// PortString returns "80", "1-79", or "" for protocols without ports.
func (a PortAtom) PortString() string {
	if !a.Protocol.HasPorts() {
		return ""
	}
	if a.Lo == a.Hi {
		return strconv.Itoa(int(a.Lo))
	}
	return strconv.Itoa(int(a.Lo)) + "-" + strconv.Itoa(int(a.Hi))
}

// Contains reports whether the atom covers protocol proto and port. The
// atom of the other protocols only contains its own representative: use
// [Matrix.PortAtomIndex], which knows the named ones, to find any.
func (a PortAtom) Contains(proto policy.Protocol, port uint16) bool {
	if a.Protocol != proto {
		return false
	}
	return !proto.HasPorts() || (port >= a.Lo && port <= a.Hi)
}

// externalAtoms cuts the address space of each family in use at every
// boundary of the given ranges. IPv4 is always present; IPv6 only when a
// range or an endpoint address is IPv6.
func externalAtoms(ranges []netipx.IPRange, v6 bool) []ExternalAtom {
	var cuts4, cuts6 []netip.Addr
	cuts4 = append(cuts4, netip.IPv4Unspecified())
	for _, r := range ranges {
		cuts := &cuts4
		if r.From().Is6() {
			cuts = &cuts6
			v6 = true
		}
		*cuts = append(*cuts, r.From())
		if next := r.To().Next(); next.IsValid() {
			*cuts = append(*cuts, next)
		}
	}
	var atoms []ExternalAtom
	atoms = appendAtoms(atoms, cuts4, netip.MustParseAddr("255.255.255.255"))
	if v6 {
		cuts6 = append(cuts6, netip.IPv6Unspecified())
		atoms = appendAtoms(atoms, cuts6, netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
	}
	return atoms
}

func appendAtoms(atoms []ExternalAtom, cuts []netip.Addr, last netip.Addr) []ExternalAtom {
	slices.SortFunc(cuts, netip.Addr.Compare)
	cuts = slices.Compact(cuts)
	for i, c := range cuts {
		end := last
		if i+1 < len(cuts) {
			end = cuts[i+1].Prev()
		}
		atoms = append(atoms, ExternalAtom{Range: netipx.IPRangeFrom(c, end)})
	}
	return atoms
}

// atomOf returns the index of the atom holding ip, or -1.
func atomOf(atoms []ExternalAtom, ip netip.Addr) int {
	i := sort.Search(len(atoms), func(i int) bool {
		r := atoms[i].Range
		if r.From().Is4() != ip.Is4() {
			return r.From().Is6() // IPv4 atoms come first
		}
		return r.To().Compare(ip) >= 0
	})
	if i < len(atoms) && atoms[i].Range.Contains(ip) {
		return i
	}
	return -1
}

// collectRanges returns every address range the program can test
// addresses against, plus node addresses (so that "from the pod's own
// node" can be told apart).
func collectRanges(p *policy.Program, s *policy.Snapshot) []netipx.IPRange {
	var out []netipx.IPRange
	addSet := func(set *netipx.IPSet) {
		if set != nil {
			out = append(out, set.Ranges()...)
		}
	}
	for _, t := range p.Tiers {
		for _, pol := range t.Policies {
			for d := range pol.Rules {
				for _, r := range pol.Rules[d] {
					for _, e := range []*policy.EntityMatch{&r.Src, &r.Dst} {
						for _, peer := range e.Peers {
							addSet(peer.Nets)
							addSet(peer.NotNets)
						}
					}
				}
			}
		}
	}
	for _, ns := range p.NetworkSets {
		addSet(ns.Nets)
	}
	for _, n := range s.Nodes {
		for _, a := range n.Addresses {
			out = append(out, netipx.IPRangeFrom(a, a))
		}
	}
	return out
}

// portAtoms cuts each port protocol's 1–65535 range at every boundary a
// port match mentions, and at every container port whose name a rule
// uses, so that every named-port resolution is a single-port atom, and at
// the ends of every extra range (a DerivedLayer's PortCuts). In
// Calico mode, other protocols a rule names get one atom each.
func portAtoms(p *policy.Program, eps []*policy.Endpoint, extra []PortRange) []PortAtom {
	cuts := map[policy.Protocol][]int{policy.TCP: {1, 65536}, policy.UDP: {1, 65536}, policy.SCTP: {1, 65536}}
	for _, r := range extra {
		if r.Protocol.HasPorts() {
			cuts[r.Protocol] = append(cuts[r.Protocol], int(r.Lo), int(r.Hi)+1)
		}
	}
	names := map[string]bool{}
	other := map[policy.Protocol]bool{}
	addMatch := func(m policy.PortMatch) {
		if m.Name != "" {
			names[m.Name] = true
			return
		}
		for _, proto := range []policy.Protocol{policy.TCP, policy.UDP, policy.SCTP} {
			if m.Protocol == policy.AnyProtocol || m.Protocol == proto {
				cuts[proto] = append(cuts[proto], int(m.Lo), int(m.Hi)+1)
			}
		}
	}
	for _, t := range p.Tiers {
		for _, pol := range t.Policies {
			for d := range pol.Rules {
				for _, r := range pol.Rules[d] {
					for _, pr := range []policy.Protocol{r.Protocol, r.NotProtocol} {
						if pr != policy.AnyProtocol && !pr.HasPorts() {
							other[pr] = true
						}
					}
					for _, e := range []*policy.EntityMatch{&r.Src, &r.Dst} {
						for _, m := range e.Ports {
							addMatch(m)
						}
						for _, m := range e.NotPorts {
							addMatch(m)
						}
					}
				}
			}
		}
	}
	for _, e := range eps {
		for _, cp := range e.Ports {
			if names[cp.Name] && cp.Protocol.HasPorts() {
				cuts[cp.Protocol] = append(cuts[cp.Protocol], int(cp.Port), int(cp.Port)+1)
			}
		}
	}
	var atoms []PortAtom
	for _, proto := range []policy.Protocol{policy.TCP, policy.UDP, policy.SCTP} {
		c := cuts[proto]
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
	var others []policy.Protocol
	for pr := range other {
		others = append(others, pr)
	}
	slices.Sort(others)
	for _, pr := range others {
		atoms = append(atoms, PortAtom{Protocol: pr})
	}
	if p.Mode == policy.ModeCalico {
		// Calico policies restrict every protocol (a selected endpoint
		// meets the end-of-tier drop whatever the protocol), so the
		// protocols no rule names need an atom too; any of them stands
		// for all.
		for n := 1; n <= 255; n++ {
			if pr := policy.Protocol(n); !pr.HasPorts() && !other[pr] {
				atoms = append(atoms, PortAtom{Protocol: pr, Others: true}) // last, out of protocol order
				break
			}
		}
	}
	return atoms
}

// class is a set of endpoints that no policy can tell apart.
type class struct {
	rep     *policy.Endpoint // the first member, by name
	members []int            // indexes into Snapshot.Endpoints
	atom    [2]int           // external atom of the IPv4 / IPv6 address, -1 if none
	v4      bool             // can take part in IPv4 flows
	host    bool             // host-network: not a policy subject, matched only by address
}

// classSig says which attributes of an endpoint the program can look at.
// Endpoints equal in all of them are equivalent.
type classSig struct {
	keys  map[string]bool // pod label keys some selector reads
	names map[string]bool // container port names some rule names
	sa    bool            // the service account matters
	node  bool            // the node matters (host-network endpoints exist)
	// mesh, when the mesh layer is on, gives what it reads of an endpoint
	// beyond labels, namespace, service account and addresses.
	mesh func(*policy.Endpoint) string
}

// classSignature collects what the program's selectors and rules read of
// an endpoint: label keys, port names, whether service accounts matter.
func classSignature(p *policy.Program) classSig {
	sig := classSig{keys: map[string]bool{}, names: map[string]bool{}}
	addSel := func(s *selector.Selector) {
		if s == nil {
			return
		}
		for _, k := range s.Keys() {
			sig.keys[k] = true
			if k == policy.CalicoServiceAccountLabel {
				sig.sa = true
			}
		}
	}
	addID := func(id *policy.Identity) {
		if id == nil {
			return
		}
		addSel(id.Selector)
		if len(id.ServiceAccountNames) > 0 || id.ServiceAccountSelector != nil {
			sig.sa = true
		}
	}
	for _, t := range p.Tiers {
		for _, pol := range t.Policies {
			addSel(&pol.Subject.Selector)
			if pol.Subject.ServiceAccountSelector != nil {
				sig.sa = true
			}
			for d := range pol.Rules {
				for _, r := range pol.Rules[d] {
					for _, e := range []*policy.EntityMatch{&r.Src, &r.Dst} {
						for i := range e.Peers {
							addID(e.Peers[i].Identity)
							addID(e.Peers[i].NotIdentity)
						}
						for _, m := range e.Ports {
							sig.names[m.Name] = true
						}
						for _, m := range e.NotPorts {
							sig.names[m.Name] = true
						}
					}
				}
			}
		}
	}
	return sig
}

// buildClasses groups endpoints by everything a policy can look at:
// namespace, the label keys selectors read, the service account when it
// matters, host networking, the named ports rules use, the external atom
// of each address and, when host endpoints exist, the node.
func buildClasses(eps []*policy.Endpoint, atoms []ExternalAtom, sig classSig) (classes []class, classOf []int) {
	index := map[string]int{}
	classOf = make([]int, len(eps))
	var b strings.Builder
	keys := make([]string, 0, len(sig.keys))
	for k := range sig.keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, e := range eps {
		a4, a6 := -1, -1
		if ip, ok := e.IP(4); ok {
			a4 = atomOf(atoms, ip)
		}
		if ip, ok := e.IP(6); ok {
			a6 = atomOf(atoms, ip)
		}
		b.Reset()
		b.WriteString(e.Namespace)
		b.WriteByte(0)
		if sig.sa {
			b.WriteString(e.ServiceAccount)
		}
		b.WriteByte(0)
		if e.HostNetwork {
			b.WriteString("host")
		}
		b.WriteByte(0)
		if sig.node {
			b.WriteString(e.Node)
		}
		b.WriteByte(0)
		b.WriteString(strconv.Itoa(a4))
		b.WriteByte(',')
		b.WriteString(strconv.Itoa(a6))
		b.WriteByte(',')
		b.WriteString(strconv.FormatBool(v4Capable(e)))
		b.WriteByte(0)
		for _, k := range keys {
			if v, ok := e.Labels[k]; ok {
				b.WriteString(k)
				b.WriteByte('=')
				b.WriteString(v)
				b.WriteByte(0)
			}
		}
		b.WriteByte(1)
		if sig.mesh != nil {
			b.WriteString(sig.mesh(e))
			b.WriteByte(1)
		}
		var ports []string
		for _, cp := range e.Ports {
			if cp.Name != "" && sig.names[cp.Name] {
				ports = append(ports, cp.Name+"/"+cp.Protocol.String()+"/"+strconv.Itoa(int(cp.Port)))
			}
		}
		sort.Strings(ports)
		for _, p := range ports {
			b.WriteString(p)
			b.WriteByte(0)
		}
		key := b.String()
		c, ok := index[key]
		if !ok {
			c = len(classes)
			index[key] = c
			classes = append(classes, class{rep: e, atom: [2]int{a4, a6}, v4: v4Capable(e), host: e.HostNetwork})
		}
		classes[c].members = append(classes[c].members, i)
		classOf[i] = c
	}
	return classes, classOf
}

// netipRange is an inclusive address range.
type netipRange = netipx.IPRange

func newRange(from, to netip.Addr) netipRange { return netipx.IPRangeFrom(from, to) }

// equal reports whether two signatures read the same attributes.
func (s classSig) equal(t classSig) bool {
	return s.sa == t.sa && s.node == t.node && (s.mesh == nil) == (t.mesh == nil) &&
		maps.Equal(s.keys, t.keys) && maps.Equal(s.names, t.names)
}
