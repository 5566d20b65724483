package audit

import (
	"slices"
	"sort"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// analysis holds what every finding reads: the matrix's universe (endpoint
// classes, then external atoms, numbered as in
// [reachability.Matrix.ClassGraph]), the lowered policy program, and the
// subjects and peers compiled to bitsets over that universe by the engine's
// own compiler ([reachability.Sets]), so that they agree with the matrix.
type analysis struct {
	orig *policy.Snapshot // as loaded: diagnostics, staged policies
	snap *policy.Snapshot // the view the matrix evaluated
	m    *reachability.Matrix
	opts Options
	prog *policy.Program
	cs   *reachability.Sets

	calico     bool
	nE, nC, nU int
	atoms      []reachability.ExternalAtom
	ports      []reachability.PortAtom

	classOf []int   // entry -> universe index
	members [][]int // class -> its endpoint entries, in order
	rep     []*policy.Endpoint
	v4      []bool        // per class: can use IPv4 (has an IPv4 address, or none at all)
	podNet  graph.Set     // classes on the pod network
	cg      *graph.Matrix // all ports, allowed for sure

	namespaces []string       // names, sorted
	nsIndex    map[string]int // name -> index in namespaces
	nsOfClass  []int          // class -> namespace index

	sets   map[string]graph.Set // classSet cache
	subjOf map[*policy.Lowered]graph.Set
	ev     *reachability.Evaluator // built on first use, for evidence

	walked     bool
	restricted [2]graph.Set // per direction: classes whose side denies something
	shadowed   []Finding

	// openByAllowAll names, per not-isolated finding (kind and
	// namespace, see allowAllKey), the allow-all rules that leave its
	// pods open: for the merged finding's remedy.
	openByAllowAll map[string][]string
}

func newAnalysis(orig *policy.Snapshot, m *reachability.Matrix, opts Options) *analysis {
	a := &analysis{orig: orig, snap: m.Snapshot(), m: m, opts: opts,
		sets: map[string]graph.Set{}, subjOf: map[*policy.Lowered]graph.Set{}}
	a.cs = m.Sets()
	a.prog = a.cs.Program()
	a.calico = a.prog.Mode == policy.ModeCalico
	a.nE = m.NumEndpoints()
	a.nC = m.NumClasses()
	a.atoms = m.ExternalAtoms()
	a.ports = m.PortAtoms()
	a.nU = a.nC + len(a.atoms)
	a.cg, a.classOf = m.ClassGraph(nil, false)
	a.podNet = a.cs.PodNetwork()

	a.members = make([][]int, a.nC)
	for i := 0; i < a.nE; i++ {
		c := a.classOf[i]
		a.members[c] = append(a.members[c], i)
	}
	a.rep = make([]*policy.Endpoint, a.nC)
	a.v4 = make([]bool, a.nC)
	for c := range a.nC {
		if len(a.members[c]) > 0 {
			a.rep[c] = m.Endpoint(a.members[c][0])
		}
		a.v4[c] = a.cs.V4Capable(c)
	}

	seen := map[string]bool{}
	for _, ns := range a.snap.Namespaces {
		seen[ns.Name] = true
	}
	for _, e := range a.snap.Endpoints {
		seen[e.Namespace] = true
	}
	a.namespaces = slices.Sorted(func(yield func(string) bool) {
		for n := range seen {
			if !yield(n) {
				return
			}
		}
	})
	a.nsIndex = make(map[string]int, len(a.namespaces))
	for i, n := range a.namespaces {
		a.nsIndex[n] = i
	}
	a.nsOfClass = make([]int, a.nC)
	for c := range a.nC {
		if a.rep[c] != nil {
			a.nsOfClass[c] = a.nsIndex[a.rep[c].Namespace]
		}
	}
	return a
}

// familyMask returns the universe entries whose flow with class c uses
// family f.
func (a *analysis) familyMask(c, f int) graph.Set { return a.cs.FamilyColumns(a.v4[c], f) }

func famOf(f int) int {
	if f == 0 {
		return 4
	}
	return 6
}

// classSet returns (cached) the classes for which pred holds.
func (a *analysis) classSet(key string, pred func(c int) bool) graph.Set {
	if s, ok := a.sets[key]; ok {
		return s
	}
	s := graph.NewSet(a.nU)
	for c := range a.nC {
		if a.rep[c] != nil && pred(c) {
			s.Add(c)
		}
	}
	a.sets[key] = s
	return s
}

// namespaceSet returns the classes of a namespace.
func (a *analysis) namespaceSet(ns string) graph.Set { return a.cs.Namespace(ns) }

// subject returns the classes a policy applies to: pods on the pod
// network satisfying every condition of its subject.
func (a *analysis) subject(l *policy.Lowered) graph.Set {
	if s, ok := a.subjOf[l]; ok {
		return s
	}
	s := a.cs.Subject(&l.Subject)
	a.subjOf[l] = s
	return s
}

// identityClasses returns the pod classes that satisfy id by their own
// attributes.
func (a *analysis) identityClasses(id *policy.Identity) graph.Set { return a.cs.IdentityClasses(id) }

// identityNetworkSets returns the network sets that satisfy id.
func (a *analysis) identityNetworkSets(id *policy.Identity) []*policy.NetworkSetIR {
	return a.cs.NetworkSetsOf(id)
}

// familyAll returns every class plus the atoms of the family.
func (a *analysis) familyAll(f int) graph.Set { return a.cs.FamilyAll(f) }

// entity compiles the peers of an entity match (OR); nil peers mean every
// entity.
func (a *analysis) entity(e *policy.EntityMatch) [2]graph.Set { return a.cs.Entity(e) }

// endpointsOf expands a set of classes to endpoint entries, in order.
func (a *analysis) endpointsOf(classes graph.Set) []int {
	var out []int
	for c := range classes.All() {
		if c >= a.nC {
			break
		}
		out = append(out, a.members[c]...)
	}
	sort.Ints(out)
	return out
}

// tenant returns the tenant of a namespace: the value of its tenant
// label, "" when it has none.
func (a *analysis) tenant(ns string) string {
	if n := a.snap.Namespace(ns); n != nil {
		return n.Labels[a.opts.TenantLabel]
	}
	return ""
}

// shared reports whether ns is listed as shared.
func (a *analysis) shared(ns string) bool { return slices.Contains(a.opts.Shared, ns) }
