package reachability

import (
	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
)

// Sets compiles the parts of a matrix's policies — subjects, peers,
// identities — into bit sets over the matrix's universe (its endpoint
// classes, then its external atoms, numbered as in [Matrix.ClassGraph]),
// exactly as the engine does. It is for analyses of a matrix, such as the
// audit, that need to reason about rules rather than flows. Results are
// cached; a Sets is not safe for concurrent use, and callers must not
// modify the sets it returns. Family index 0 is IPv4, 1 is IPv6.
type Sets struct {
	c       *compiler
	m       *Matrix
	famCols [2][2]graph.Set
	empty   graph.Set
}

// Sets returns a compiler of policy parts over m's universe.
func (m *Matrix) Sets() *Sets {
	s := &Sets{c: newCompiler(&m.u, m.snap, m.prog), m: m, empty: graph.NewSet(m.u.nU)}
	s.famCols = familyColumns(&m.u)
	return s
}

// Program returns the lowered program the matrix was computed from.
func (s *Sets) Program() *policy.Program { return s.m.prog }

// Subject returns the classes a policy subject selects.
func (s *Sets) Subject(sub *policy.Subject) graph.Set { return s.c.subject(sub) }

// Peer returns, per family, the entries a peer matches.
func (s *Sets) Peer(p *policy.Peer) [2]graph.Set { return s.both(s.c.peer(p)) }

// Entity returns, per family, the entries an entity match's peers match
// (every entry of the family when it has none).
func (s *Sets) Entity(e *policy.EntityMatch) [2]graph.Set {
	_, sets := s.c.entity(e)
	return s.both(sets)
}

// IdentityClasses returns the pod classes that satisfy an identity by
// their own attributes (not through network sets).
func (s *Sets) IdentityClasses(id *policy.Identity) graph.Set { return s.c.identityClasses(id) }

// NetworkSetsOf returns the network sets that satisfy an identity.
func (s *Sets) NetworkSetsOf(id *policy.Identity) []*policy.NetworkSetIR {
	var out []*policy.NetworkSetIR
	for _, ns := range s.c.prog.NetworkSets {
		if networkSetMatches(s.c.snap, ns, id, s.c.calico) {
			out = append(out, ns)
		}
	}
	return out
}

// Namespace returns the classes of a namespace.
func (s *Sets) Namespace(ns string) graph.Set { return s.c.namespaceSet(ns) }

// FamilyAll returns every class plus the external atoms of the family.
func (s *Sets) FamilyAll(f int) graph.Set { return s.c.familyAll(famOf(f)) }

// FamilyColumns returns the entries whose flow with a class that can (or
// cannot) use IPv4 uses family f.
func (s *Sets) FamilyColumns(v4Capable bool, f int) graph.Set {
	k := 0
	if v4Capable {
		k = 1
	}
	return s.famCols[k][f]
}

// PodNetwork returns the classes of pods on the pod network (not host
// networked): the only possible policy subjects.
func (s *Sets) PodNetwork() graph.Set { return s.c.podNet }

// V4Capable reports whether class c can take part in IPv4 flows (it has an
// IPv4 address, or no address at all).
func (s *Sets) V4Capable(c int) bool { return s.m.u.classes[c].v4 }

// both fills a missing IPv6 set (left out when no flow can be IPv6) with
// the empty set.
func (s *Sets) both(sets [2]graph.Set) [2]graph.Set {
	for f := range sets {
		if sets[f] == nil {
			sets[f] = s.empty
		}
	}
	return sets
}
