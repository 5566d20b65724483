package exposure

import (
	"slices"
	"strconv"
	"strings"

	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
)

// portAtom is a protocol with an inclusive range of destination ports
// that every rule treats alike (Lo = Hi = 0 for protocols without ports);
// others marks the atom standing for every protocol without ports that no
// rule names (calico mode).
type portAtom struct {
	proto  policy.Protocol
	lo, hi uint16
	others bool
}

// portGroup is a set of port atoms that every rule, and every input
// endpoint's named ports, treat alike: one evaluation covers them.
type portGroup struct {
	proto policy.Protocol
	port  uint16 // a port of the first atom, the one evaluated
	atoms []portAtom
	conn  reachability.Connections // the union of the atoms
}

// portGroups cuts each protocol's ports at every boundary a rule mentions
// and at every named container port of the input whose name a rule uses
// (as the engine does), then groups atoms with the same signature: the
// numeric port matches that contain them and the input's named ports
// inside them.
func portGroups(p *policy.Program, eps []*policy.Endpoint) []*portGroup {
	cuts := map[policy.Protocol][]int{policy.TCP: {1, 65536}, policy.UDP: {1, 65536}, policy.SCTP: {1, 65536}}
	names := map[string]bool{}
	other := map[policy.Protocol]bool{}
	var numeric []policy.PortMatch
	addMatch := func(m policy.PortMatch) {
		if m.Name != "" {
			names[m.Name] = true
			return
		}
		numeric = append(numeric, m)
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
	type named struct {
		name  string
		proto policy.Protocol
		port  uint16
	}
	var declared []named
	for _, e := range eps {
		for _, cp := range e.Ports {
			if names[cp.Name] && cp.Protocol.HasPorts() {
				cuts[cp.Protocol] = append(cuts[cp.Protocol], int(cp.Port), int(cp.Port)+1)
				declared = append(declared, named{cp.Name, cp.Protocol, cp.Port})
			}
		}
	}
	var atoms []portAtom
	for _, proto := range []policy.Protocol{policy.TCP, policy.UDP, policy.SCTP} {
		c := cuts[proto]
		slices.Sort(c)
		c = slices.Compact(c)
		for i := 0; i+1 < len(c); i++ {
			lo, hi := max(c[i], 1), min(c[i+1]-1, 65535)
			if lo <= hi {
				atoms = append(atoms, portAtom{proto: proto, lo: uint16(lo), hi: uint16(hi)})
			}
		}
	}
	var others []policy.Protocol
	for pr := range other {
		others = append(others, pr)
	}
	slices.Sort(others)
	for _, pr := range others {
		atoms = append(atoms, portAtom{proto: pr})
	}
	if p.Mode == policy.ModeCalico {
		for n := 1; n <= 255; n++ {
			if pr := policy.Protocol(n); !pr.HasPorts() && !other[pr] {
				atoms = append(atoms, portAtom{proto: pr, others: true})
				break
			}
		}
	}
	index := map[string]*portGroup{}
	var groups []*portGroup
	for _, at := range atoms {
		var b strings.Builder
		b.WriteString(at.proto.String())
		if at.others {
			b.WriteString("/others")
		}
		if at.proto.HasPorts() {
			for i, m := range numeric {
				if (m.Protocol == policy.AnyProtocol || m.Protocol == at.proto) && at.lo >= m.Lo && at.lo <= m.Hi {
					b.WriteString("," + strconv.Itoa(i))
				}
			}
			b.WriteByte(';')
			for _, d := range declared {
				if d.proto == at.proto && d.port >= at.lo && d.port <= at.hi {
					b.WriteString(d.name + "/" + strconv.Itoa(int(d.port)) + ",")
				}
			}
		}
		k := b.String()
		g, ok := index[k]
		if !ok {
			g = &portGroup{proto: at.proto, port: at.lo}
			index[k] = g
			groups = append(groups, g)
		}
		g.atoms = append(g.atoms, at)
	}
	return groups
}

// setConnections fills each group's connections.
func setConnections(groups []*portGroup, scope reachability.Scope) {
	others := othersConnections(groups, scope)
	for _, g := range groups {
		g.conn = reachability.NoConnections(scope)
		for _, at := range g.atoms {
			g.conn = g.conn.Union(atomConnections(at, others, scope))
		}
	}
}

// othersConnections returns the connections of the atom of "other" protocols:
// every protocol without ports that no other atom names.
func othersConnections(groups []*portGroup, scope reachability.Scope) reachability.Connections {
	named := map[policy.Protocol]bool{}
	for _, g := range groups {
		for _, at := range g.atoms {
			if !at.others && !at.proto.HasPorts() {
				named[at.proto] = true
			}
		}
	}
	c := reachability.NoConnections(scope)
	for n := 1; n <= 255; n++ {
		if pr := policy.Protocol(n); !pr.HasPorts() && !named[pr] {
			c = c.WithProtocol(pr)
		}
	}
	return c
}

// atomConnections returns the connections of one atom.
func atomConnections(at portAtom, others reachability.Connections, scope reachability.Scope) reachability.Connections {
	switch {
	case at.others:
		return others
	case at.proto.HasPorts():
		return reachability.NoConnections(scope).WithPorts(at.proto, at.lo, at.hi)
	}
	return reachability.NoConnections(scope).WithProtocol(at.proto)
}
