package exposure

import (
	"strconv"
	"strings"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// portGroup is a set of port atoms that every rule, and every input
// endpoint's named ports, treat alike: one evaluation covers them.
type portGroup struct {
	proto policy.Protocol
	port  uint16 // a port of the first atom, the one evaluated
	atoms []reachability.PortAtom
	conn  reachability.Connections // the union of the atoms
}

// portGroups takes the port atoms the engine cuts (every boundary a rule
// mentions, every named container port of the input a rule's name
// resolves to) and groups those with the same signature: the numeric port
// matches that contain them and the input's named ports inside them.
func portGroups(p *policy.Program, eps []*policy.Endpoint, scope reachability.Scope) []*portGroup {
	names := map[string]bool{}
	var numeric []policy.PortMatch
	for _, t := range p.Tiers {
		for _, pol := range t.Policies {
			for d := range pol.Rules {
				for _, r := range pol.Rules[d] {
					for _, ms := range [][]policy.PortMatch{r.Src.Ports, r.Src.NotPorts, r.Dst.Ports, r.Dst.NotPorts} {
						for _, m := range ms {
							if m.Name != "" {
								names[m.Name] = true
							} else {
								numeric = append(numeric, m)
							}
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
				declared = append(declared, named{cp.Name, cp.Protocol, cp.Port})
			}
		}
	}
	atoms := reachability.CutPortAtoms(p, eps)
	others := othersConnections(atoms, scope)
	index := map[string]*portGroup{}
	var groups []*portGroup
	for _, at := range atoms {
		var b strings.Builder
		b.WriteString(at.Protocol.String())
		if at.Others {
			b.WriteString("/others")
		}
		if at.Protocol.HasPorts() {
			for i, m := range numeric {
				if (m.Protocol == policy.AnyProtocol || m.Protocol == at.Protocol) && at.Lo >= m.Lo && at.Lo <= m.Hi {
					b.WriteString("," + strconv.Itoa(i))
				}
			}
			b.WriteByte(';')
			for _, d := range declared {
				if d.proto == at.Protocol && d.port >= at.Lo && d.port <= at.Hi {
					b.WriteString(d.name + "/" + strconv.Itoa(int(d.port)) + ",")
				}
			}
		}
		k := b.String()
		g, ok := index[k]
		if !ok {
			g = &portGroup{proto: at.Protocol, port: at.Lo, conn: reachability.NoConnections(scope)}
			index[k] = g
			groups = append(groups, g)
		}
		g.atoms = append(g.atoms, at)
		g.conn = g.conn.Union(atomConnections(at, others, scope))
	}
	return groups
}

// othersConnections returns the connections of the atom of "other"
// protocols: every protocol without ports that no other atom names.
func othersConnections(atoms []reachability.PortAtom, scope reachability.Scope) reachability.Connections {
	named := map[policy.Protocol]bool{}
	for _, at := range atoms {
		if !at.Others && !at.Protocol.HasPorts() {
			named[at.Protocol] = true
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
func atomConnections(at reachability.PortAtom, others reachability.Connections, scope reachability.Scope) reachability.Connections {
	switch {
	case at.Others:
		return others
	case at.Protocol.HasPorts():
		return reachability.NoConnections(scope).WithPorts(at.Protocol, at.Lo, at.Hi)
	}
	return reachability.NoConnections(scope).WithProtocol(at.Protocol)
}
