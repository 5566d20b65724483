package exposure

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/bdd"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// Entry is one finding of the report: endpoints, a direction, a set of
// peers beyond the input's endpoints, and the connections between them.
type Entry struct {
	// Endpoints are the input endpoints ("namespace/name") the entry is
	// about; no policy tells them apart.
	Endpoints []string `json:"endpoints"`
	// Direction is Ingress when the peers connect to the endpoints, Egress
	// when the endpoints connect to the peers.
	Direction policy.Direction `json:"direction"`
	// Terms describe hypothetical pods (their union); Addresses, for an
	// address entry, ranges outside the cluster's endpoints. Exactly one
	// of them is set.
	Terms     []Term           `json:"terms,omitempty"`
	Addresses []netipx.IPRange `json:"addresses,omitempty"`
	// Allowed and Conditional are the connections, for every peer of the
	// entry, on ports the peer does not declare under a name that a rule
	// uses.
	Allowed     reachability.Connections `json:"-"`
	Conditional reachability.Connections `json:"-"`
	// NamedPorts are the port names the connections depend on (egress
	// entries: named ports resolve on the destination); Named gives, for
	// each set of them that a port can be declared under, the connections
	// on such ports when they differ from Allowed and Conditional.
	NamedPorts []string    `json:"namedPorts,omitempty"`
	Named      []NamedConn `json:"named,omitempty"`
}

// NamedConn is the connections on the ports a peer declares under exactly
// the given names (among the names rules use).
type NamedConn struct {
	Names       []string                 `json:"names"`
	Allowed     reachability.Connections `json:"-"`
	Conditional reachability.Connections `json:"-"`
}

// IsEntireCluster reports whether every hypothetical pod is a peer of the
// entry.
func (e *Entry) IsEntireCluster() bool {
	return len(e.Terms) == 1 && e.Terms[0].IsAll()
}

// Peer describes the entry's peers: the terms joined by " or ", or the
// address ranges.
func (e *Entry) Peer() string {
	if e.Addresses != nil {
		s := make([]string, len(e.Addresses))
		for i, r := range e.Addresses {
			s[i] = rangeString(r)
		}
		return strings.Join(s, ", ")
	}
	s := make([]string, len(e.Terms))
	for i := range e.Terms {
		s[i] = e.Terms[i].String()
	}
	return strings.Join(s, " or ")
}

// ConnectionsText writes the connections: "TCP 80; UDP 53", then what
// changes on ports the peer declares by name ("; TCP ports named http",
// " except TCP ports named metrics"), then "(conditional: …)". A port
// declared under several names gets what each of them gives, unless a
// part for those names together says otherwise.
func (e *Entry) ConnectionsText() string {
	var parts []string
	if !e.Allowed.IsEmpty() {
		parts = append(parts, e.Allowed.String())
	}
	var excepts []string
	cond := []string{}
	if !e.Conditional.IsEmpty() {
		cond = append(cond, e.Conditional.String())
	}
	single := map[string]NamedConn{}
	for _, n := range e.Named {
		if len(n.Names) == 1 {
			single[n.Names[0]] = n
		}
	}
	for _, n := range e.Named {
		// What the names give one by one, which a port named by all of
		// them gets unless this part differs.
		expAllowed, expCond := e.Allowed, e.Conditional
		if len(n.Names) > 1 {
			for _, name := range n.Names {
				if sn, ok := single[name]; ok {
					expAllowed = expAllowed.Union(sn.Allowed)
					expCond = expCond.Union(sn.Conditional)
				}
			}
			expCond = expCond.Subtract(expAllowed)
			if n.Allowed.Equal(expAllowed) && n.Conditional.Equal(expCond) {
				continue
			}
		}
		names := " named " + strings.Join(n.Names, " and ")
		if add := n.Allowed.Subtract(expAllowed); !add.IsEmpty() {
			parts = append(parts, portsOf(add)+names)
		}
		if drop := expAllowed.Subtract(n.Allowed); !drop.IsEmpty() {
			excepts = append(excepts, portsOf(drop)+names)
		}
		if add := n.Conditional.Subtract(expCond); !add.IsEmpty() {
			cond = append(cond, portsOf(add)+names)
		}
		if drop := expCond.Subtract(n.Conditional); !drop.IsEmpty() {
			cond = append(cond, "except "+portsOf(drop)+names)
		}
	}
	s := strings.Join(parts, "; ")
	if len(excepts) > 0 {
		s += " except " + strings.Join(excepts, ", ")
	}
	if len(cond) > 0 {
		c := "conditional: " + strings.Join(cond, "; ")
		if s == "" {
			return c
		}
		s += " (" + c + ")"
	}
	if s == "" {
		return e.Allowed.String() // "No Connections"
	}
	return s
}

// portsOf writes ported connections as "TCP ports" (a whole protocol) or
// "TCP ports 80-90".
func portsOf(c reachability.Connections) string {
	var parts []string
	for _, p := range []policy.Protocol{policy.TCP, policy.UDP, policy.SCTP} {
		var rs []string
		whole := false
		for _, r := range c.Ranges() {
			if r.Protocol != p {
				continue
			}
			if r.Lo == 1 && r.Hi == 65535 {
				whole = true
			}
			rs = append(rs, strings.TrimSuffix(r.String(), "/"+p.String()))
		}
		switch {
		case whole:
			parts = append(parts, p.String()+" ports")
		case len(rs) > 0:
			parts = append(parts, p.String()+" ports "+strings.Join(rs, ","))
		}
	}
	return strings.Join(parts, ", ")
}

// Report is the exposure of the input's endpoints, for people and tools.
type Report struct {
	// Options describes the mode and switches of the analysis.
	Options string
	// Entries are sorted by endpoint, direction, then peers.
	Entries []Entry
}

// ReportOptions select what [Analysis.Report] includes.
type ReportOptions struct {
	// Namespaces keeps only the endpoints of these namespaces (nil: all).
	Namespaces []string
	// NoHypothetical leaves out the hypothetical pods; NoAddresses the
	// address ranges.
	NoHypothetical, NoAddresses bool
}

// Report describes, for each class of endpoints and direction, the sets
// of hypothetical pods that get some connection, each with every
// connection its pods get (a pod may be in several entries: its
// connections are their union), and the address ranges with theirs.
func (an *Analysis) Report(ctx context.Context, opts ReportOptions) (*Report, error) {
	a := an.a
	rep := &Report{Options: an.Describe()}
	var m *reachability.Matrix
	var err error
	if !opts.NoAddresses {
		if m, err = reachability.Compute(ctx, an.orig, an.opts.Reach); err != nil {
			return nil, err
		}
	}
	guard := bdd.Guard(func() {
		d := a.newDescriber()
		for _, c := range a.classes {
			var names []string
			for _, i := range c.members {
				e := a.snap.Endpoints[i]
				if opts.Namespaces == nil || slices.Contains(opts.Namespaces, e.Namespace) {
					names = append(names, e.ID())
				}
			}
			if len(names) == 0 {
				continue
			}
			for _, dir := range []policy.Direction{policy.Ingress, policy.Egress} {
				if !opts.NoHypothetical {
					v := c.res.in
					if dir == policy.Egress {
						v = c.res.out
					}
					var es []Entry
					if es, err = an.hypotheticalEntries(d, v, dir == policy.Egress); err != nil {
						err = fmt.Errorf("exposure: %s %s: %w", names[0], dir, err)
						return
					}
					for _, e := range es {
						e.Endpoints, e.Direction = names, dir
						rep.Entries = append(rep.Entries, e)
					}
				}
				if m != nil {
					j, _ := m.Lookup(c.rep.ep.ID())
					for _, e := range addressEntries(m, j, dir) {
						e.Endpoints, e.Direction = names, dir
						rep.Entries = append(rep.Entries, e)
					}
				}
			}
		}
	})
	if guard != nil {
		return nil, fmt.Errorf("exposure: describing the sets needs %w", guard)
	}
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(rep.Entries, func(x, y Entry) int {
		if c := strings.Compare(x.Endpoints[0], y.Endpoints[0]); c != 0 {
			return c
		}
		if x.Direction != y.Direction {
			return int(x.Direction) - int(y.Direction)
		}
		if (x.Addresses == nil) != (y.Addresses == nil) {
			if x.Addresses == nil {
				return -1
			}
			return 1
		}
		return strings.Compare(x.Peer(), y.Peer())
	})
	return rep, nil
}

// maxNamedPorts bounds the port names one entry's connections can depend
// on: every set of them is described.
const maxNamedPorts = 8

// patterns returns the port names some group's verdicts depend on (only
// where the pod is the destination: named ports resolve there), and every
// set of them.
func (a *analyzer) patterns(v verdicts, podIsDst bool) (names []string, sets [][]string, err error) {
	if podIsDst {
		for _, name := range a.space.declNames {
			x := a.space.decl[name]
			for gi := range a.groups {
				if a.tests(v.cert[gi], x) || a.tests(v.pos[gi], x) {
					names = append(names, name)
					break
				}
			}
		}
	}
	if len(names) > maxNamedPorts {
		return nil, nil, fmt.Errorf("the connections depend on %d port names (%s); at most %d are described", len(names), strings.Join(names, ", "), maxNamedPorts)
	}
	sets = [][]string{nil}
	for _, n := range names {
		for _, p := range sets {
			sets = append(sets, append(slices.Clone(p), n))
		}
	}
	return names, sets, nil
}

// tests reports whether n depends on variable x.
func (a *analyzer) tests(n bdd.Node, x int) bool {
	return a.m.Restrict(n, x, false) != a.m.Restrict(n, x, true)
}

// restrictDecl fixes every named-port variable: true for names in p.
func (a *analyzer) restrictDecl(n bdd.Node, p []string) bdd.Node {
	for _, name := range a.space.declNames {
		n = a.m.Restrict(n, a.space.decl[name], slices.Contains(p, name))
	}
	return n
}

// patternFn is the pods allowed on one port group for ports declared
// under exactly the names of a pattern ("" for none).
type patternFn struct {
	gi        int
	pattern   string
	names     []string
	cert, pos bdd.Node
}

// hypotheticalEntries describes, for one class and direction, every
// distinct set of hypothetical pods that is allowed on some port group:
// one entry per set, with every connection all its pods get. Entries may
// overlap: a pod's connections are the union of those of the entries that
// hold it. An entry's pods all get its connections; an entry leaves out
// (when that reads simpler) pods that an entry with more connections
// holds (docs/exposure.md, "Reading the report").
func (an *Analysis) hypotheticalEntries(d *describer, v verdicts, podIsDst bool) ([]Entry, error) {
	a, m := an.a, an.a.m
	var fns []patternFn
	var sets []bdd.Node
	seen := map[bdd.Node]bool{bdd.False: true}
	portNames, patterns, err := a.patterns(v, podIsDst)
	if err != nil {
		return nil, err
	}
	for gi := range a.groups {
		for _, p := range patterns {
			f := patternFn{gi: gi, pattern: strings.Join(p, ","), names: p,
				cert: m.And(a.restrictDecl(v.cert[gi], p), a.space.valid),
				pos:  m.And(a.restrictDecl(v.pos[gi], p), a.space.valid)}
			fns = append(fns, f)
			for _, n := range []bdd.Node{f.cert, f.pos} {
				if !seen[n] {
					seen[n] = true
					sets = append(sets, n)
				}
			}
		}
	}
	// The profile of a set: which functions hold all of its pods. A set
	// whose profile another set's includes needs describing only where that
	// other set does not reach: its pods there get its connections anyway.
	type profile struct{ cert, pos []bool }
	profiles := make([]profile, len(sets))
	for k, set := range sets {
		for _, f := range fns {
			profiles[k].cert = append(profiles[k].cert, m.Implies(set, f.cert))
			profiles[k].pos = append(profiles[k].pos, m.Implies(set, f.pos))
		}
	}
	covers := func(big, small profile) bool {
		for i := range big.cert {
			if small.cert[i] && !big.cert[i] || small.pos[i] && !big.pos[i] {
				return false
			}
		}
		return true
	}
	var out []Entry
	for k, set := range sets {
		e := Entry{Allowed: reachability.NoConnections(an.scope), Conditional: reachability.NoConnections(an.scope)}
		named := map[string]*NamedConn{}
		var patternOrder []string
		for fi, f := range fns {
			var allowed, cond *reachability.Connections
			if f.pattern == "" {
				allowed, cond = &e.Allowed, &e.Conditional
			} else {
				nc := named[f.pattern]
				if nc == nil {
					nc = &NamedConn{Names: f.names, Allowed: reachability.NoConnections(an.scope), Conditional: reachability.NoConnections(an.scope)}
					named[f.pattern] = nc
					patternOrder = append(patternOrder, f.pattern)
				}
				allowed, cond = &nc.Allowed, &nc.Conditional
			}
			var dst *reachability.Connections
			switch {
			case profiles[k].cert[fi]:
				dst = allowed
			case profiles[k].pos[fi]:
				dst = cond
			default:
				continue
			}
			*dst = dst.Union(a.groups[f.gi].conn)
		}
		e.NamedPorts = portNames
		for _, p := range patternOrder {
			if nc := named[p]; !nc.Allowed.Equal(e.Allowed) || !nc.Conditional.Equal(e.Conditional) {
				e.Named = append(e.Named, *nc)
			}
		}
		must := set
		for j, other := range sets {
			if j != k && covers(profiles[j], profiles[k]) {
				must = m.AndNot(must, other)
			}
		}
		if must == bdd.False {
			continue // every pod gets these connections from a wider entry
		}
		terms, err := d.describe(must, set)
		if err != nil {
			return nil, err
		}
		e.Terms = terms
		out = append(out, e)
	}
	return out, nil
}

// addressEntries returns the address ranges outside the cluster's
// endpoints that endpoint entry j of the matrix can connect with in
// direction dir, merged by equal connections: the matrix's own row and
// column over its external atoms.
func addressEntries(m *reachability.Matrix, j int, dir policy.Direction) []Entry {
	var out []Entry
	for k := m.NumEndpoints(); k < m.Len(); k++ {
		src, dst := k, j
		if dir == policy.Egress {
			src, dst = j, k
		}
		allowed, cond := m.Connections(src, dst)
		if allowed.IsEmpty() && cond.IsEmpty() {
			continue
		}
		at, _ := m.ExternalAtom(k)
		r := at.Range
		i := slices.IndexFunc(out, func(e Entry) bool { return e.Allowed.Equal(allowed) && e.Conditional.Equal(cond) })
		if i < 0 {
			out = append(out, Entry{Allowed: allowed, Conditional: cond})
			i = len(out) - 1
		}
		e := &out[i]
		if n := len(e.Addresses); n > 0 && e.Addresses[n-1].To().Next() == r.From() {
			e.Addresses[n-1] = netipx.IPRangeFrom(e.Addresses[n-1].From(), r.To())
		} else {
			e.Addresses = append(e.Addresses, r)
		}
	}
	return out
}

// podView is a hypothetical pod as the policies see it.
type podView struct {
	ns       string
	nsLabels map[string]string
	labels   map[string]string
	sa, node map[string]string // the name under key "", labels
	ips      [2]netip.Addr
}

func (an *Analysis) view(p Pod) podView {
	s := an.a.space
	v := podView{ns: p.Namespace, labels: p.Labels}
	if _, ok := s.nsIndex[p.Namespace]; ok {
		v.nsLabels = s.nsLabelsOf(p.Namespace)
	} else {
		v.nsLabels = maps.Clone(p.NamespaceLabels)
		if v.nsLabels == nil {
			v.nsLabels = map[string]string{}
		}
		v.nsLabels["kubernetes.io/metadata.name"] = p.Namespace
		if s.calico {
			v.nsLabels[policy.CalicoNameLabel] = p.Namespace
		}
	}
	sa := p.ServiceAccount
	if sa == "" {
		sa = "default"
	}
	saLabels := p.ServiceAccountLabels
	for _, k := range s.knownServiceAccounts() {
		if k.namespace == p.Namespace && k.name == sa {
			saLabels = k.labels
		}
	}
	v.sa = maps.Clone(saLabels)
	if v.sa == nil {
		v.sa = map[string]string{}
	}
	v.sa[""] = sa
	v.node = map[string]string{"": p.Node}
	for _, ip := range p.IPs {
		v.ips[famIndex(famOfAddr(ip.Unmap()))] = ip.Unmap()
	}
	return v
}

// Covers reports whether the hypothetical pod p is one of the pods the
// term describes, reading the term's conditions directly (not the
// analysis's decision diagrams): namespace labels from the input for one
// of its namespaces, from p for a new one; the service account's labels
// likewise.
func (an *Analysis) Covers(t *Term, p Pod) bool {
	v := an.view(p)
	if !t.Namespaces.Matches(v.ns, v.nsLabels) || !allMatch(t.Labels, v.labels) ||
		!allMatch(t.ServiceAccount, v.sa) || !allMatch(t.Node, v.node) {
		return false
	}
	for f, am := range []*AddressMatch{t.IPv4, t.IPv6} {
		if !am.Matches(v.ips[f], v.ips[f].IsValid()) {
			return false
		}
	}
	return true
}

// ConnectionsFor returns the entry's connections for a peer that declares
// the given container ports: a port declared under some of the entry's
// NamedPorts gets the connections of that set of names.
func (e *Entry) ConnectionsFor(ports []policy.ContainerPort) Conn {
	c := Conn{Allowed: e.Allowed, Conditional: e.Conditional}
	decl := map[reachability.PortRange][]string{}
	for _, cp := range ports {
		if !slices.Contains(e.NamedPorts, cp.Name) || !cp.Protocol.HasPorts() || cp.Port == 0 {
			continue
		}
		k := reachability.PortRange{Protocol: cp.Protocol, Lo: cp.Port, Hi: cp.Port}
		if !slices.Contains(decl[k], cp.Name) {
			decl[k] = append(decl[k], cp.Name)
		}
	}
	for k, names := range decl {
		slices.Sort(names)
		one := reachability.NoConnections(e.Allowed.Scope()).WithPorts(k.Protocol, k.Lo, k.Hi)
		for _, n := range e.Named {
			if !slices.Equal(n.Names, names) {
				continue
			}
			c.Allowed = c.Allowed.Subtract(one).Union(n.Allowed.Intersect(one))
			c.Conditional = c.Conditional.Subtract(one).Union(n.Conditional.Intersect(one))
		}
	}
	return c
}
