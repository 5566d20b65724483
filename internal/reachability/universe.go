package reachability

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/policy"
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

// externalAtoms cuts the address space of each family in use at the
// given cuts (each the first address of an atom). IPv4 is always present;
// IPv6 only when a cut or an endpoint address is IPv6.
func externalAtoms(cuts []netip.Addr, v6 bool) []ExternalAtom {
	var cuts4, cuts6 []netip.Addr
	cuts4 = append(cuts4, netip.IPv4Unspecified())
	for _, c := range cuts {
		if c.Is6() {
			cuts6 = append(cuts6, c)
			v6 = true
		} else {
			cuts4 = append(cuts4, c)
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

// class is a set of endpoints that no policy can tell apart.
type class struct {
	rep  *policy.Endpoint // the first member, by name
	atom [2]int           // external atom of the IPv4 / IPv6 address, -1 if none
	v4   bool             // can take part in IPv4 flows
	host bool             // host-network: not a policy subject, matched only by address
	// variants lists, for a pod without an address whose pool ranges span
	// several atoms, the (IPv4, IPv6) atoms its address may fall in; nil
	// otherwise (see pool.go).
	variants [][2]int
	// hole marks a slot no endpoint is in: [Update] keeps class numbers
	// stable, so a class that loses its last member leaves a hole (rep is
	// then its last representative, gone from the snapshot) and a new
	// class fills one. Nothing reads a hole's rows or column (see
	// holes.go); Compute makes none.
	hole bool
	// blank marks a hole whose column was never evaluated (appended by
	// an update, see holes.go); gen is the engine's portsGen when the hole
	// was made.
	blank bool
	gen   int
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

// buildClasses groups endpoints by everything a policy can look at (see
// [classKeyer]); classes are numbered in the order of their first member.
// It returns the key of each class too, or ctx's error when ctx is
// cancelled.
func buildClasses(ctx context.Context, eps []*policy.Endpoint, atoms []ExternalAtom, sig classSig) (classes []class, classOf []int, keys []string, err error) {
	index := map[string]int{}
	classOf = make([]int, len(eps))
	kr := newClassKeyer(atoms, sig)
	for i, e := range eps {
		if err := cancelledAt(ctx, i); err != nil {
			return nil, nil, nil, err
		}
		key, a4, a6, variants := kr.key(e)
		c, ok := index[string(key)]
		if !ok {
			c = len(classes)
			k := string(key)
			index[k] = c
			keys = append(keys, k)
			classes = append(classes, class{rep: e, atom: [2]int{a4, a6}, v4: v4Capable(e), host: e.HostNetwork, variants: variants})
		}
		classOf[i] = c
	}
	return classes, classOf, keys, nil
}

// classKeyer computes the class key of endpoints: their namespace, the
// label keys selectors read, the service account when it matters, host
// networking, the named ports rules use, the external atom of each address
// (by its first address, so that cutting other atoms leaves the key alone)
// and, when host endpoints exist, the node. Endpoints of equal keys are
// equivalent. A classKeyer reuses its buffers: not safe for concurrent use.
type classKeyer struct {
	sig    classSig
	keys   []string // sig.keys, sorted
	atoms  []ExternalAtom
	buf    []byte
	ports  []policy.ContainerPort
	picked []string
}

func newClassKeyer(atoms []ExternalAtom, sig classSig) *classKeyer {
	kr := &classKeyer{sig: sig, atoms: atoms}
	for k := range sig.keys {
		kr.keys = append(kr.keys, k)
	}
	sort.Strings(kr.keys)
	return kr
}

// key returns e's key (valid until the next call), the external atoms
// of its IPv4 and IPv6 addresses (-1 for none) and, for a pod without an
// address whose pool ranges span several atoms, its variants (see
// pool.go); a pod with one variant gets that variant's atoms.
func (kr *classKeyer) key(e *policy.Endpoint) (key []byte, a4, a6 int, variants [][2]int) {
	a4, a6 = -1, -1
	variants, _ = poolVariants(e, kr.atoms)
	b := kr.buf[:0]
	b = append(b, e.Namespace...)
	b = append(b, 0)
	if kr.sig.sa {
		b = append(b, e.ServiceAccount...)
	}
	b = append(b, 0)
	if e.HostNetwork {
		b = append(b, 'h')
	}
	b = append(b, 0)
	if kr.sig.node {
		b = append(b, e.Node...)
	}
	if e.Host != nil {
		b = append(b, "\x00hep\x00"...) // one class per host endpoint
		b = append(b, e.Name...)
	}
	b = append(b, 0)
	// A pod's pool variants, by their atoms' first addresses (as its
	// addresses below).
	appendAtom := func(a int) {
		if a >= 0 {
			b = kr.atoms[a].Range.From().AppendTo(b)
		}
		b = append(b, ',')
	}
	if len(variants) > 0 {
		b = append(b, "pool"...)
		for _, v := range variants {
			b = append(b, ':')
			appendAtom(v[0])
			appendAtom(v[1])
		}
		if len(variants) == 1 {
			a4, a6, variants = variants[0][0], variants[0][1], nil
		}
	}
	b = append(b, 0)
	for f, fam := range []int{4, 6} {
		if ip, ok := e.IP(fam); ok {
			a := atomOf(kr.atoms, ip)
			if f == 0 {
				a4 = a
			} else {
				a6 = a
			}
			if a >= 0 {
				b = kr.atoms[a].Range.From().AppendTo(b)
			}
		}
		b = append(b, ',')
	}
	if v4Capable(e) {
		b = append(b, '4')
	}
	b = append(b, 0)
	// The labels selectors read, in key order: picked from the endpoint's
	// labels when it has fewer than selectors read keys.
	picked := kr.picked[:0]
	if len(e.Labels) < len(kr.keys) {
		for k := range e.Labels {
			if kr.sig.keys[k] {
				picked = append(picked, k)
			}
		}
		slices.Sort(picked)
	} else {
		for _, k := range kr.keys {
			if _, ok := e.Labels[k]; ok {
				picked = append(picked, k)
			}
		}
	}
	kr.picked = picked
	for _, k := range picked {
		b = append(b, k...)
		b = append(b, '=')
		b = append(b, e.Labels[k]...)
		b = append(b, 0)
	}
	b = append(b, 1)
	if kr.sig.mesh != nil {
		b = append(b, kr.sig.mesh(e)...)
		b = append(b, 1)
	}
	kr.ports = kr.ports[:0]
	for _, cp := range e.Ports {
		if cp.Name != "" && kr.sig.names[cp.Name] {
			kr.ports = append(kr.ports, policy.ContainerPort{Name: cp.Name, Protocol: cp.Protocol, Port: cp.Port})
		}
	}
	slices.SortFunc(kr.ports, func(x, y policy.ContainerPort) int {
		if c := strings.Compare(x.Name, y.Name); c != 0 {
			return c
		}
		if x.Protocol != y.Protocol {
			return int(x.Protocol) - int(y.Protocol)
		}
		return int(x.Port) - int(y.Port)
	})
	for i, p := range kr.ports {
		if i > 0 && p == kr.ports[i-1] {
			continue // the same name, protocol and port twice
		}
		b = append(b, p.Name...)
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(p.Protocol), 10)
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(p.Port), 10)
		b = append(b, 0)
	}
	kr.buf = b
	return b, a4, a6, variants
}

// netipRange is an inclusive address range.
type netipRange = netipx.IPRange

func newRange(from, to netip.Addr) netipRange { return netipx.IPRangeFrom(from, to) }

// equal reports whether two signatures read the same attributes.
func (s classSig) equal(t classSig) bool {
	return s.sa == t.sa && s.node == t.node && (s.mesh == nil) == (t.mesh == nil) &&
		maps.Equal(s.keys, t.keys) && maps.Equal(s.names, t.names)
}
