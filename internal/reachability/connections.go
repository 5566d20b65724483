package reachability

import (
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/netreach/netreach/internal/policy"
)

// PortRange is an inclusive range of destination ports of one protocol
// that carries ports (TCP, UDP, SCTP).
type PortRange struct {
	Protocol policy.Protocol
	Lo, Hi   uint16
}

// String returns "80/TCP" or "8000-8100/TCP".
func (r PortRange) String() string {
	if r.Lo == r.Hi {
		return strconv.Itoa(int(r.Lo)) + "/" + r.Protocol.String()
	}
	return strconv.Itoa(int(r.Lo)) + "-" + strconv.Itoa(int(r.Hi)) + "/" + r.Protocol.String()
}

// Scope is the set of connections a [Connections] value speaks about.
type Scope uint8

const (
	// ScopeKubernetes covers TCP, UDP and SCTP, the protocols Kubernetes
	// NetworkPolicy and the cluster-wide policies restrict: in Kubernetes
	// mode no policy restricts any other protocol (docs/semantics.md
	// §2.7), so a matrix computed in that mode says nothing about them.
	ScopeKubernetes Scope = iota
	// ScopeAllProtocols covers every IP protocol (1-255): Calico policies
	// restrict every protocol through the end-of-tier drop.
	ScopeAllProtocols
)

// portedProtocols are the protocols that carry ports, in output order.
var portedProtocols = [3]policy.Protocol{policy.TCP, policy.UDP, policy.SCTP}

// protocolMask is a set of protocol numbers 0-255.
type protocolMask [4]uint64

func (m *protocolMask) add(p policy.Protocol)     { m[p>>6] |= 1 << (p & 63) }
func (m protocolMask) has(p policy.Protocol) bool { return m[p>>6]&(1<<(p&63)) != 0 }
func (m protocolMask) or(o protocolMask) protocolMask {
	return protocolMask{m[0] | o[0], m[1] | o[1], m[2] | o[2], m[3] | o[3]}
}
func (m protocolMask) and(o protocolMask) protocolMask {
	return protocolMask{m[0] & o[0], m[1] & o[1], m[2] & o[2], m[3] & o[3]}
}
func (m protocolMask) andNot(o protocolMask) protocolMask {
	return protocolMask{m[0] &^ o[0], m[1] &^ o[1], m[2] &^ o[2], m[3] &^ o[3]}
}
func (m protocolMask) count() int {
	return bits.OnesCount64(m[0]) + bits.OnesCount64(m[1]) + bits.OnesCount64(m[2]) + bits.OnesCount64(m[3])
}

// portlessProtocols is every protocol number 1-255 except TCP, UDP and
// SCTP: the protocols a connection set holds whole or not at all.
var portlessProtocols = func() protocolMask {
	var m protocolMask
	for n := 1; n <= 255; n++ {
		if p := policy.Protocol(n); !p.HasPorts() {
			m.add(p)
		}
	}
	return m
}()

// Connections is a set of connections by protocol and destination port:
// what a source may open to a destination, or what a group of sources may
// open to a group of destinations. Ports of TCP, UDP and SCTP are kept as
// merged ranges; every other protocol is in the set whole or not at all.
//
// A Connections has a [Scope]: with ScopeKubernetes it speaks only of TCP,
// UDP and SCTP. The zero value is the empty set in ScopeKubernetes.
// Connections values are immutable; the methods return new values, so a
// Connections is safe for concurrent use.
type Connections struct {
	scope  Scope
	ranges []PortRange  // ported protocols, by protocol order then Lo; disjoint, never adjacent
	whole  protocolMask // portless protocols (ScopeAllProtocols only)
	// text, when not empty, is String's result, computed once for sets
	// that outputs print many times (grouped views).
	text string
}

// NoConnections returns the empty set of the scope.
func NoConnections(s Scope) Connections { return Connections{scope: s} }

// AllConnections returns every connection of the scope.
func AllConnections(s Scope) Connections {
	c := Connections{scope: s}
	for _, p := range portedProtocols {
		c.ranges = append(c.ranges, PortRange{p, 1, 65535})
	}
	if s == ScopeAllProtocols {
		c.whole = portlessProtocols
	}
	return c
}

// Scope returns the scope of the set.
func (c Connections) Scope() Scope { return c.scope }

// WithPorts returns c plus ports lo..hi of a protocol that carries ports.
// It panics for another protocol, or lo > hi, or lo == 0: those are
// programming errors.
func (c Connections) WithPorts(p policy.Protocol, lo, hi uint16) Connections {
	if !p.HasPorts() || lo == 0 || lo > hi {
		panic(fmt.Sprintf("reachability: Connections.WithPorts(%v, %d, %d): invalid range", p, lo, hi))
	}
	return c.Union(Connections{scope: c.scope, ranges: []PortRange{{p, lo, hi}}})
}

// WithProtocol returns c plus every port of protocol p. A protocol other
// than TCP, UDP and SCTP widens a ScopeKubernetes set to
// ScopeAllProtocols (see [Connections.Union]).
func (c Connections) WithProtocol(p policy.Protocol) Connections {
	if p.HasPorts() {
		return c.WithPorts(p, 1, 65535)
	}
	if p == policy.AnyProtocol {
		panic("reachability: Connections.WithProtocol(any)")
	}
	var m protocolMask
	m.add(p)
	return c.Union(Connections{scope: ScopeAllProtocols, whole: m})
}

// IsEmpty reports whether the set holds no connection.
func (c Connections) IsEmpty() bool { return len(c.ranges) == 0 && c.whole == (protocolMask{}) }

// IsAll reports whether the set holds every connection of its scope.
func (c Connections) IsAll() bool {
	if len(c.ranges) != 3 {
		return false
	}
	for i, p := range portedProtocols {
		if c.ranges[i] != (PortRange{p, 1, 65535}) {
			return false
		}
	}
	return c.scope == ScopeKubernetes || c.whole == portlessProtocols
}

// Contains reports whether the set holds protocol p on port (port is
// ignored for protocols without ports). A ScopeKubernetes set holds no
// protocol other than TCP, UDP and SCTP.
func (c Connections) Contains(p policy.Protocol, port uint16) bool {
	if !p.HasPorts() {
		return c.whole.has(p)
	}
	for _, r := range c.ranges {
		if r.Protocol == p && r.Lo <= port && port <= r.Hi {
			return true
		}
	}
	return false
}

// Ranges returns the port ranges of TCP, UDP and SCTP in output order: by
// protocol, then port. The slice is a copy.
func (c Connections) Ranges() []PortRange { return slices.Clone(c.ranges) }

// Protocols returns the protocols other than TCP, UDP and SCTP that the
// set holds, by number.
func (c Connections) Protocols() []policy.Protocol {
	var out []policy.Protocol
	for n := 1; n <= 255; n++ {
		if p := policy.Protocol(n); c.whole.has(p) {
			out = append(out, p)
		}
	}
	return out
}

// Equal reports whether c and d hold the same connections. Sets of
// different scopes are equal when they hold the same connections of TCP,
// UDP and SCTP and neither holds another protocol.
func (c Connections) Equal(d Connections) bool {
	return c.whole == d.whole && slices.Equal(c.ranges, d.ranges)
}

// widen returns the scope of a result of c and d: the wider of the two.
func widen(c, d Connections) Scope { return max(c.scope, d.scope) }

// Union returns the connections in c or d. The result has the wider scope
// of the two.
func (c Connections) Union(d Connections) Connections {
	out := Connections{scope: widen(c, d), whole: c.whole.or(d.whole)}
	out.ranges = mergeRanges(append(slices.Clone(c.ranges), d.ranges...))
	return out
}

// Intersect returns the connections in both c and d, with the wider scope
// of the two.
func (c Connections) Intersect(d Connections) Connections {
	out := Connections{scope: widen(c, d), whole: c.whole.and(d.whole)}
	for _, a := range c.ranges {
		for _, b := range d.ranges {
			if a.Protocol == b.Protocol && a.Lo <= b.Hi && b.Lo <= a.Hi {
				out.ranges = append(out.ranges, PortRange{a.Protocol, max(a.Lo, b.Lo), min(a.Hi, b.Hi)})
			}
		}
	}
	out.ranges = mergeRanges(out.ranges)
	return out
}

// Subtract returns the connections in c and not in d, in c's scope.
func (c Connections) Subtract(d Connections) Connections {
	out := Connections{scope: c.scope, whole: c.whole.andNot(d.whole)}
	for _, a := range c.ranges {
		lo := int(a.Lo)
		for _, b := range d.ranges {
			if b.Protocol != a.Protocol || int(b.Hi) < lo || b.Lo > a.Hi {
				continue
			}
			if int(b.Lo) > lo {
				out.ranges = append(out.ranges, PortRange{a.Protocol, uint16(lo), b.Lo - 1})
			}
			lo = int(b.Hi) + 1
		}
		if lo <= int(a.Hi) {
			out.ranges = append(out.ranges, PortRange{a.Protocol, uint16(lo), a.Hi})
		}
	}
	return out
}

// protocolOrder ranks protocols as outputs list them: TCP, UDP, SCTP,
// then the others by number.
func protocolOrder(p policy.Protocol) int {
	for i, q := range portedProtocols {
		if p == q {
			return i
		}
	}
	return 3 + int(p)
}

// mergeRanges sorts ranges by protocol order and port, and merges those
// that overlap or touch.
func mergeRanges(rs []PortRange) []PortRange {
	slices.SortFunc(rs, func(a, b PortRange) int {
		if a.Protocol != b.Protocol {
			return protocolOrder(a.Protocol) - protocolOrder(b.Protocol)
		}
		return int(a.Lo) - int(b.Lo)
	})
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && out[n-1].Protocol == r.Protocol && int(r.Lo) <= int(out[n-1].Hi)+1 {
			out[n-1].Hi = max(out[n-1].Hi, r.Hi)
			continue
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// allConnectionsText is what [Connections.String] prints for every
// connection of the scope.
const allConnectionsText = "All Connections"

// noConnectionsText is what [Connections.String] prints for the empty set.
const noConnectionsText = "No Connections"

// String returns the set as people read it: "All Connections", "No
// Connections", or the protocols in the order TCP, UDP, SCTP, then the
// others by number, separated by "; ", each protocol that carries ports
// with its ascending merged ranges: "TCP 80,443,8000-8100; UDP 53". A
// protocol without ports is its name ("ICMP") or number. When the set
// holds more than half of the protocols without ports, they are written
// as "other protocols", or "other protocols except ICMP,47".
func (c Connections) String() string {
	if c.text != "" {
		return c.text
	}
	switch {
	case c.IsAll():
		return allConnectionsText
	case c.IsEmpty():
		return noConnectionsText
	}
	var parts []string
	for _, p := range portedProtocols {
		var b strings.Builder
		for _, r := range c.ranges {
			if r.Protocol != p {
				continue
			}
			if b.Len() == 0 {
				b.WriteString(p.String() + " ")
			} else {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(int(r.Lo)))
			if r.Hi != r.Lo {
				b.WriteString("-" + strconv.Itoa(int(r.Hi)))
			}
		}
		if b.Len() > 0 {
			parts = append(parts, b.String())
		}
	}
	if n := c.whole.count(); n > portlessProtocols.count()/2 {
		missing := portlessProtocols.andNot(c.whole)
		if missing == (protocolMask{}) {
			parts = append(parts, "other protocols")
		} else {
			parts = append(parts, "other protocols except "+joinProtocols(missing, ","))
		}
	} else if n > 0 {
		parts = append(parts, joinProtocols(c.whole, "; "))
	}
	return strings.Join(parts, "; ")
}

func joinProtocols(m protocolMask, sep string) string {
	var names []string
	for n := 1; n <= 255; n++ {
		if p := policy.Protocol(n); m.has(p) {
			names = append(names, p.String())
		}
	}
	return strings.Join(names, sep)
}

// ParseConnections reads the text [Connections.String] writes, in the
// given scope. Protocol names are case-insensitive; ports may be given
// in any order and may overlap.
func ParseConnections(s string, scope Scope) (Connections, error) {
	c := NoConnections(scope)
	text := strings.TrimSpace(s)
	switch {
	case strings.EqualFold(text, allConnectionsText):
		return AllConnections(scope), nil
	case strings.EqualFold(text, noConnectionsText):
		return c, nil
	case text == "":
		return c, fmt.Errorf("parse connections %q: empty", s)
	}
	for _, part := range strings.Split(text, ";") {
		part = strings.TrimSpace(part)
		if rest, ok := cutPrefixFold(part, "other protocols"); ok {
			others := portlessProtocols
			rest = strings.TrimSpace(rest)
			if rest != "" {
				list, ok := cutPrefixFold(rest, "except ")
				if !ok {
					return c, fmt.Errorf("parse connections %q: %q: expected \"other protocols except P,Q\"", s, part)
				}
				for _, name := range strings.Split(list, ",") {
					p, err := policy.ParseProtocol(strings.TrimSpace(name))
					if err != nil || p.HasPorts() {
						return c, fmt.Errorf("parse connections %q: %q: invalid protocol %q", s, part, name)
					}
					others = others.andNot(maskOf(p))
				}
			}
			c = c.Union(Connections{scope: ScopeAllProtocols, whole: others})
			continue
		}
		name, ports, _ := strings.Cut(part, " ")
		p, err := policy.ParseProtocol(name)
		if err != nil {
			return c, fmt.Errorf("parse connections %q: %v", s, err)
		}
		ports = strings.TrimSpace(ports)
		if !p.HasPorts() {
			if ports != "" {
				return c, fmt.Errorf("parse connections %q: %s has no ports", s, p)
			}
			c = c.WithProtocol(p)
			continue
		}
		if ports == "" {
			c = c.WithProtocol(p)
			continue
		}
		for _, r := range strings.Split(ports, ",") {
			lo, hi, err := parsePortRange(strings.TrimSpace(r))
			if err != nil {
				return c, fmt.Errorf("parse connections %q: %v", s, err)
			}
			c = c.WithPorts(p, lo, hi)
		}
	}
	return c, nil
}

func maskOf(p policy.Protocol) protocolMask {
	var m protocolMask
	m.add(p)
	return m
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func parsePortRange(s string) (lo, hi uint16, err error) {
	a, b, isRange := strings.Cut(s, "-")
	x, err1 := strconv.ParseUint(a, 10, 16)
	y := x
	var err2 error
	if isRange {
		y, err2 = strconv.ParseUint(b, 10, 16)
	}
	if err1 != nil || err2 != nil || x == 0 || y < x {
		return 0, 0, fmt.Errorf("invalid port range %q: expected N or N-M with 1 <= N <= M <= 65535", s)
	}
	return uint16(x), uint16(y), nil
}

// connectionsOf returns the connections covered by the port atoms for
// which in reports true, in the scope of the matrix's mode. The atom of
// the protocols no rule names stands for all of them.
func connectionsOf(atoms []PortAtom, scope Scope, in func(p int) bool) Connections {
	c := NoConnections(scope)
	named := protocolMask{}
	for _, a := range atoms {
		if !a.Others && !a.Protocol.HasPorts() {
			named.add(a.Protocol)
		}
	}
	for i, a := range atoms {
		if !in(i) {
			continue
		}
		switch {
		case a.Others:
			c = c.Union(Connections{scope: ScopeAllProtocols, whole: portlessProtocols.andNot(named)})
		case a.Protocol.HasPorts():
			c.ranges = append(c.ranges, PortRange{a.Protocol, a.Lo, a.Hi})
		default:
			c = c.Union(Connections{scope: ScopeAllProtocols, whole: maskOf(a.Protocol)})
		}
	}
	c.ranges = mergeRanges(c.ranges)
	return c
}

// ConnectionScope returns the scope of the matrix's connections: every
// protocol in calico mode, TCP, UDP and SCTP in Kubernetes mode.
func (m *Matrix) ConnectionScope() Scope {
	if m.mode == policy.ModeCalico {
		return ScopeAllProtocols
	}
	return ScopeKubernetes
}

// Connections returns what entry src may open to entry dst: the
// connections allowed for sure, and those allowed only under a condition
// netreach cannot decide offline (see [Conditional]). It costs O(port
// atoms).
func (m *Matrix) Connections(src, dst int) (allowed, conditional Connections) {
	scope := m.ConnectionScope()
	allowed = connectionsOf(m.ports, scope, func(p int) bool { return m.At(src, dst, p) == Allow })
	conditional = connectionsOf(m.ports, scope, func(p int) bool { return m.At(src, dst, p) == Conditional })
	return allowed, conditional
}
