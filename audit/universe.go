package audit

import (
	"slices"
	"sort"
	"strings"

	"go4.org/netipx"

	"github.com/netreach/netreach/graph"
	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
	"github.com/netreach/netreach/selector"
)

// analysis holds what every finding reads: the matrix's universe (endpoint
// classes, then external atoms, numbered as in
// [reachability.Matrix.ClassGraph]), the lowered policy program, and the
// selectors, subjects and peers compiled to bitsets over that universe.
// It mirrors the engine's compiler, on the engine's own classes, so that
// its sets agree with the matrix.
type analysis struct {
	orig *policy.Snapshot // as loaded: diagnostics, staged policies
	snap *policy.Snapshot // the view the matrix evaluated
	m    *reachability.Matrix
	opts Options
	prog *policy.Program

	calico     bool
	nE, nC, nU int
	atoms      []reachability.ExternalAtom
	ports      []reachability.PortAtom

	classOf  []int   // entry -> universe index
	members  [][]int // class -> its endpoint entries, in order
	rep      []*policy.Endpoint
	labels   []map[string]string // per class: labels selectors see
	nsLabels []map[string]string
	saLabels []map[string]string
	v4       []bool    // per class: can use IPv4 (has an IPv4 address, or none at all)
	podNet   graph.Set // classes on the pod network
	famCols  [2][2]graph.Set
	cg       *graph.Matrix // all ports, allowed for sure

	namespaces []string       // names, sorted
	nsIndex    map[string]int // name -> index in namespaces
	nsOfClass  []int          // class -> namespace index

	sets   map[string]graph.Set
	peers  map[string][2]graph.Set
	subjOf map[*policy.Lowered]graph.Set
	ev     *reachability.Evaluator // built on first use, for evidence

	walked     bool
	restricted [2]graph.Set // per direction: classes whose side denies something
	shadowed   []Finding
}

func newAnalysis(orig *policy.Snapshot, m *reachability.Matrix, opts Options) *analysis {
	a := &analysis{orig: orig, snap: m.Snapshot(), m: m, opts: opts,
		sets: map[string]graph.Set{}, peers: map[string][2]graph.Set{}, subjOf: map[*policy.Lowered]graph.Set{}}
	mo := m.Options()
	a.prog, _ = policy.Lower(a.snap, policy.LowerOptions{Mode: m.Mode(), IPBlockIgnoresPodIPs: mo.IPBlockIgnoresPodIPs, CalicoVersion: mo.CalicoVersion})
	a.calico = a.prog.Mode == policy.ModeCalico
	a.nE = m.NumEndpoints()
	a.nC = m.NumClasses()
	a.atoms = m.ExternalAtoms()
	a.ports = m.PortAtoms()
	a.nU = a.nC + len(a.atoms)
	a.cg, a.classOf = m.ClassGraph(nil, false)

	a.members = make([][]int, a.nC)
	for i := 0; i < a.nE; i++ {
		c := a.classOf[i]
		a.members[c] = append(a.members[c], i)
	}
	a.rep = make([]*policy.Endpoint, a.nC)
	a.labels = make([]map[string]string, a.nC)
	a.nsLabels = make([]map[string]string, a.nC)
	a.saLabels = make([]map[string]string, a.nC)
	a.v4 = make([]bool, a.nC)
	a.podNet = graph.NewSet(a.nU)
	for c := range a.nC {
		if len(a.members[c]) == 0 {
			continue
		}
		e := m.Endpoint(a.members[c][0])
		a.rep[c] = e
		ns := a.snap.Namespace(e.Namespace)
		if a.calico {
			a.labels[c] = e.CalicoLabels()
			if ns != nil {
				a.nsLabels[c] = ns.CalicoLabels()
			}
			a.saLabels[c] = a.snap.CalicoServiceAccountLabels(e.Namespace, e.ServiceAccount)
		} else {
			a.labels[c] = e.Labels
			if ns != nil {
				a.nsLabels[c] = ns.Labels
			}
			a.saLabels[c] = a.snap.ServiceAccountLabels(e.Namespace, e.ServiceAccount)
		}
		_, has4 := e.IP(4)
		a.v4[c] = len(e.IPs) == 0 || has4
		if !e.HostNetwork {
			a.podNet.Add(c)
		}
	}
	a.buildFamilyColumns()

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

// buildFamilyColumns computes, for rows that can or cannot use IPv4, the
// columns whose flow with the row uses each family: a pod-to-pod flow uses
// IPv4 unless one side has only IPv6 addresses; a flow to an atom uses the
// atom's family (as the engine does).
func (a *analysis) buildFamilyColumns() {
	v4 := graph.NewSet(a.nU)
	for c := range a.nC {
		if a.v4[c] {
			v4.Add(c)
		}
	}
	for capable := range 2 {
		for f := range 2 {
			s := graph.NewSet(a.nU)
			switch {
			case f == 0 && capable == 1:
				s.CopyFrom(v4)
			case f == 1 && capable == 1:
				s.Fill(a.nC)
				s.AndNot(v4)
			case f == 1 && capable == 0:
				s.Fill(a.nC)
			}
			for i, at := range a.atoms {
				if at.Family() == famOf(f) {
					s.Add(a.nC + i)
				}
			}
			a.famCols[capable][f] = s
		}
	}
}

// familyMask returns the universe entries whose flow with class c uses
// family f.
func (a *analysis) familyMask(c, f int) graph.Set {
	capable := 0
	if a.v4[c] {
		capable = 1
	}
	return a.famCols[capable][f]
}

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

func (a *analysis) selectorSet(kind string, sel selector.Selector, labels []map[string]string) graph.Set {
	return a.classSet(kind+"\x00"+sel.String(), func(c int) bool { return sel.Matches(labels[c]) })
}

func (a *analysis) namespaceSet(ns string) graph.Set {
	return a.classSet("ns\x00"+ns, func(c int) bool { return a.rep[c].Namespace == ns })
}

func (a *analysis) nsSelectorSet(sel selector.Selector) graph.Set {
	return a.classSet("nssel\x00"+sel.String(), func(c int) bool { return namespaceSelectorMatches(sel, true, a.nsLabels[c]) })
}

// namespaceSelectorMatches applies a namespace selector with Calico's
// rules: all() is "any namespaced entity", global() "any entity outside
// namespaces"; otherwise the namespace's labels are matched [SEMANTICS
// 3.5].
func namespaceSelectorMatches(sel selector.Selector, namespaced bool, nsLabels map[string]string) bool {
	switch {
	case sel.IsAll():
		return namespaced
	case sel.IsGlobal():
		return !namespaced
	}
	return sel.Matches(nsLabels)
}

// subject returns the classes a policy applies to: pods on the pod
// network satisfying every condition of its subject.
func (a *analysis) subject(l *policy.Lowered) graph.Set {
	if s, ok := a.subjOf[l]; ok {
		return s
	}
	sub := &l.Subject
	s := graph.NewSet(a.nU)
	s.CopyFrom(a.podNet)
	if sub.Namespace != "" {
		s.And(a.namespaceSet(sub.Namespace))
	}
	if sub.NamespaceSelector != nil {
		s.And(a.nsSelectorSet(*sub.NamespaceSelector))
	}
	s.And(a.selectorSet("sel", sub.Selector, a.labels))
	if sub.ServiceAccountSelector != nil {
		s.And(a.selectorSet("sasel", *sub.ServiceAccountSelector, a.saLabels))
	}
	a.subjOf[l] = s
	return s
}

// identityClasses returns the pod classes that satisfy id by their own
// attributes.
func (a *analysis) identityClasses(id *policy.Identity) graph.Set {
	s := graph.NewSet(a.nU)
	if id.Kinds&policy.KindPod == 0 {
		return s
	}
	s.CopyFrom(a.podNet)
	if id.Namespace != "" {
		s.And(a.namespaceSet(id.Namespace))
	}
	if id.NamespaceSelector != nil {
		s.And(a.nsSelectorSet(*id.NamespaceSelector))
	}
	if id.Selector != nil {
		s.And(a.selectorSet("sel", *id.Selector, a.labels))
	}
	if len(id.ServiceAccountNames) > 0 {
		names := id.ServiceAccountNames
		s.And(a.classSet("sanames\x00"+strings.Join(names, ","), func(c int) bool {
			return slices.Contains(names, a.rep[c].ServiceAccount)
		}))
	}
	if id.ServiceAccountSelector != nil {
		s.And(a.selectorSet("sasel", *id.ServiceAccountSelector, a.saLabels))
	}
	return s
}

// identityNetworkSets returns the network sets that satisfy id.
func (a *analysis) identityNetworkSets(id *policy.Identity) []*policy.NetworkSetIR {
	var out []*policy.NetworkSetIR
	for _, ns := range a.prog.NetworkSets {
		if a.networkSetMatches(ns, id) {
			out = append(out, ns)
		}
	}
	return out
}

// networkSetMatches reports whether a network set is a known entity that
// satisfies id. Network sets inherit their namespace's labels but no
// service-account labels [SEMANTICS 3.5].
func (a *analysis) networkSetMatches(ns *policy.NetworkSetIR, id *policy.Identity) bool {
	namespaced := ns.Namespace != ""
	if namespaced && id.Kinds&policy.KindNetworkSet == 0 || !namespaced && id.Kinds&policy.KindGlobalNetworkSet == 0 {
		return false
	}
	if id.Namespace != "" && ns.Namespace != id.Namespace {
		return false
	}
	if id.NamespaceSelector != nil {
		var nsl map[string]string
		if namespaced {
			if n := a.snap.Namespace(ns.Namespace); n != nil {
				nsl = n.Labels
				if a.calico {
					nsl = n.CalicoLabels()
				}
			}
		}
		if !namespaceSelectorMatches(*id.NamespaceSelector, namespaced, nsl) {
			return false
		}
	}
	if id.Selector != nil && !id.Selector.Matches(ns.Labels) {
		return false
	}
	if len(id.ServiceAccountNames) > 0 {
		return false
	}
	return id.ServiceAccountSelector == nil || id.ServiceAccountSelector.Matches(nil)
}

// identity returns, per family, the universe entries that are known
// entities satisfying id.
func (a *analysis) identity(id *policy.Identity) [2]graph.Set {
	pods := a.identityClasses(id)
	var out [2]graph.Set
	var nets *netipx.IPSet
	if sets := a.identityNetworkSets(id); len(sets) > 0 {
		var b netipx.IPSetBuilder
		for _, s := range sets {
			b.AddSet(s.Nets)
		}
		nets, _ = b.IPSet()
	}
	for f := range 2 {
		s := graph.NewSet(a.nU)
		s.CopyFrom(pods)
		if nets != nil {
			a.addAddressesIn(s, nets, famOf(f))
		}
		out[f] = s
	}
	return out
}

// addAddressesIn sets the classes whose address of the family is in set
// and the family's atoms inside set.
func (a *analysis) addAddressesIn(dst graph.Set, set *netipx.IPSet, fam int) {
	for c := range a.nC {
		if a.rep[c] == nil {
			continue
		}
		if ip, ok := a.rep[c].IP(fam); ok && set.Contains(ip) {
			dst.Add(c)
		}
	}
	for i, at := range a.atoms {
		if at.Family() == fam && set.Contains(at.Range.From()) {
			dst.Add(a.nC + i)
		}
	}
}

// familyAll returns every class plus the atoms of the family.
func (a *analysis) familyAll(f int) graph.Set {
	key := "all\x00" + string(rune('0'+f))
	if s, ok := a.sets[key]; ok {
		return s
	}
	s := graph.NewSet(a.nU)
	s.Fill(a.nC)
	for i, at := range a.atoms {
		if at.Family() == famOf(f) {
			s.Add(a.nC + i)
		}
	}
	a.sets[key] = s
	return s
}

// peer compiles one peer, per family.
func (a *analysis) peer(p *policy.Peer) [2]graph.Set {
	key := peerKey(p)
	if s, ok := a.peers[key]; ok {
		return s
	}
	var out [2]graph.Set
	var id, notID [2]graph.Set
	if p.Identity != nil {
		id = a.identity(p.Identity)
	}
	if p.NotIdentity != nil {
		notID = a.identity(p.NotIdentity)
	}
	for f := range 2 {
		s := graph.NewSet(a.nU)
		if !p.Nothing {
			if p.Nets != nil {
				a.addAddressesIn(s, p.Nets, famOf(f))
				if p.NetsSkipPods {
					s.AndNot(a.podNet)
				}
			} else {
				s.CopyFrom(a.familyAll(f))
			}
			if p.NotNets != nil {
				not := graph.NewSet(a.nU)
				a.addAddressesIn(not, p.NotNets, famOf(f))
				s.AndNot(not)
			}
			if p.Identity != nil {
				s.And(id[f])
			}
			if p.NotIdentity != nil {
				s.AndNot(notID[f])
			}
		}
		out[f] = s
	}
	a.peers[key] = out
	return out
}

// entity compiles the peers of an entity match (OR); nil peers mean every
// entity.
func (a *analysis) entity(e *policy.EntityMatch) [2]graph.Set {
	if e.Peers == nil {
		return [2]graph.Set{a.familyAll(0), a.familyAll(1)}
	}
	var sets [2]graph.Set
	for f := range 2 {
		sets[f] = graph.NewSet(a.nU)
	}
	for i := range e.Peers {
		ps := a.peer(&e.Peers[i])
		sets[0].Or(ps[0])
		sets[1].Or(ps[1])
	}
	return sets
}

// peerKey is a canonical text for a peer, the compile cache's key.
func peerKey(p *policy.Peer) string {
	if p.Nothing {
		return "nothing"
	}
	var b strings.Builder
	writeSet := func(tag string, s *netipx.IPSet) {
		if s == nil {
			return
		}
		b.WriteString(tag)
		for _, r := range s.Ranges() {
			b.WriteString(r.String())
			b.WriteByte(',')
		}
	}
	writeSet("nets:", p.Nets)
	writeSet("notnets:", p.NotNets)
	if p.NetsSkipPods {
		b.WriteString("skippods;")
	}
	writeID := func(tag string, id *policy.Identity) {
		if id == nil {
			return
		}
		b.WriteString(tag)
		b.WriteByte(byte('0' + id.Kinds))
		b.WriteString("|" + id.Namespace + "|")
		for _, s := range []*selector.Selector{id.NamespaceSelector, id.Selector, id.ServiceAccountSelector} {
			if s != nil {
				b.WriteString(s.String())
			} else {
				b.WriteString("<nil>")
			}
			b.WriteByte('|')
		}
		b.WriteString(strings.Join(id.ServiceAccountNames, ","))
		b.WriteByte(';')
	}
	writeID("id:", p.Identity)
	writeID("notid:", p.NotIdentity)
	return b.String()
}

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
