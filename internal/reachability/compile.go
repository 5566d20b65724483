package reachability

import (
	"maps"
	"slices"
	"strings"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/selector"
)

// universe numbers the matrix's rows and columns: endpoint classes first,
// then external atoms.
type universe struct {
	classes []class
	atoms   []ExternalAtom
	nC, nU  int
}

func (u *universe) atomIndex(a int) int { return u.nC + a }

// compiler turns selectors, peers and subjects into bitsets over the
// universe, evaluating each distinct selector once.
type compiler struct {
	u      *universe
	snap   *policy.Snapshot
	prog   *policy.Program
	calico bool

	labels   []map[string]string // per class: the labels selectors see
	nsLabels []map[string]string // per class: its namespace's labels
	saLabels []map[string]string // per class: its service account's labels
	podNet   graph.Set           // classes on the pod network

	sets  map[string]graph.Set // cache by key
	peers map[string][2]graph.Set

	// nsClasses lists the classes of each namespace, so namespace scoping
	// never scans the whole universe; nsLabelsOf has each namespace's
	// labels as selectors see them.
	nsClasses  map[string][]int
	nsNames    []string
	nsLabelsOf map[string]map[string]string
	// nsLabelList has the labels of nsNames in order, and nsByLabel the
	// indexes in nsNames of the namespaces by "key\x00value" of their
	// labels; both built on first use, dropped by relabel.
	nsLabelList []map[string]string
	nsByLabel   map[string][]int32
	// byAtom lists the classes per family and external atom.
	byAtom [2][][]int
	// v6 is false when no flow can be IPv6 (no IPv6 atom, no IPv6-only
	// pod): family sets of IPv6 are then left nil.
	v6 bool
	// variant places every class with pool variants at this one (see
	// pool.go).
	variant int
	// hosts are the snapshot's host endpoints with addresses, listed on
	// first use (non-nil once listed).
	hosts []*policy.Endpoint
}

func newCompiler(u *universe, s *policy.Snapshot, p *policy.Program) *compiler {
	c := &compiler{u: u, snap: s, prog: p, calico: p.Mode == policy.ModeCalico,
		sets: map[string]graph.Set{}, peers: map[string][2]graph.Set{}}
	c.labels = make([]map[string]string, u.nC)
	c.nsLabels = make([]map[string]string, u.nC)
	c.saLabels = make([]map[string]string, u.nC)
	c.podNet = graph.NewSet(u.nU)
	c.nsClasses = map[string][]int{}
	c.nsLabelsOf = map[string]map[string]string{}
	for _, a := range u.atoms {
		if a.Family() == 6 {
			c.v6 = true
		}
	}
	for i, cl := range u.classes {
		e := cl.rep
		if !cl.v4 {
			c.v6 = true
		}
		if e.Host != nil {
			// A host endpoint: its own labels, in no namespace, no
			// service account, not on the pod network.
			c.labels[i] = e.CalicoLabels()
			continue
		}
		if _, ok := c.nsClasses[e.Namespace]; !ok {
			c.nsNames = append(c.nsNames, e.Namespace)
		}
		c.nsClasses[e.Namespace] = append(c.nsClasses[e.Namespace], i)
		c.readPod(i)
	}
	return c
}

// readPod reads the labels of class i, a pod, those of its namespace and
// service account, and whether it is on the pod network.
func (c *compiler) readPod(i int) {
	cl := &c.u.classes[i]
	if c.calico {
		c.labels[i] = cl.rep.CalicoLabels()
	} else {
		c.labels[i] = cl.rep.Labels
	}
	c.setLabels(i)
	if !cl.host {
		c.podNet.Add(i)
	}
}

// fork returns a compiler over a universe whose classes read exactly as
// c's (same classes, same labels), for another program: it shares c's
// per-class data and starts with empty caches.
func (c *compiler) fork(u *universe, s *policy.Snapshot, p *policy.Program) *compiler {
	f := *c
	f.u, f.snap, f.prog = u, s, p
	f.sets, f.peers = map[string]graph.Set{}, map[string][2]graph.Set{}
	f.hosts = nil
	return &f
}

// relabel reads again the namespace and service-account labels of the
// given classes (on copies: the per-class data is shared with the compiler
// c was forked from).
func (c *compiler) relabel(classes graph.Set) {
	if classes.IsEmpty() {
		return
	}
	c.nsLabels, c.saLabels, c.nsLabelsOf = slices.Clone(c.nsLabels), slices.Clone(c.saLabels), maps.Clone(c.nsLabelsOf)
	c.nsLabelList, c.nsByLabel = nil, nil
	for i := range classes.All() {
		if i < c.u.nC {
			delete(c.nsLabelsOf, c.u.classes[i].rep.Namespace)
		}
	}
	for i := range classes.All() {
		if i < c.u.nC {
			c.setLabels(i)
		}
	}
}

// setLabels reads the labels of class i's namespace (once per namespace)
// and service account.
func (c *compiler) setLabels(i int) {
	e := c.u.classes[i].rep
	if e.Host != nil {
		return // no namespace, no service account
	}
	nsl, ok := c.nsLabelsOf[e.Namespace]
	if !ok {
		ns := c.snap.Namespace(e.Namespace)
		nsl = ns.Labels
		if c.calico {
			nsl = ns.CalicoLabels()
		}
		c.nsLabelsOf[e.Namespace] = nsl
	}
	c.nsLabels[i] = nsl
	if c.calico {
		c.saLabels[i] = c.snap.CalicoServiceAccountLabels(e.Namespace, e.ServiceAccount)
	} else {
		c.saLabels[i] = c.snap.ServiceAccountLabels(e.Namespace, e.ServiceAccount)
	}
}

// reset drops the caches (the compiled rules keep what they use).
func (c *compiler) reset() {
	c.sets = map[string]graph.Set{}
	c.peers = map[string][2]graph.Set{}
}

// classSet returns (cached) the classes for which pred holds.
func (c *compiler) classSet(key string, pred func(i int) bool) graph.Set {
	if s, ok := c.sets[key]; ok {
		return s
	}
	s := graph.NewSet(c.u.nU)
	for i := 0; i < c.u.nC; i++ {
		if pred(i) {
			s.Add(i)
		}
	}
	c.sets[key] = s
	return s
}

// subject returns the classes a policy applies to: pods on the pod
// network satisfying every condition of the subject.
func (c *compiler) subject(sub *policy.Subject) graph.Set {
	s := graph.NewSet(c.u.nU)
	if sub.Hosts.TakesPods() && sub.HostIDs == nil {
		scope, key := c.scope(sub.Namespace, sub.NamespaceSelector)
		s.CopyFrom(c.selectorWithin(scope, key, &sub.Selector, c.labels, "sel"))
		s.And(c.podNet)
		if sub.ServiceAccountSelector != nil {
			s.And(c.selectorWithin(scope, key, sub.ServiceAccountSelector, c.saLabels, "sasel"))
		}
	}
	if sub.Hosts != policy.PodsOnly {
		s.Or(c.hostClasses(sub))
	}
	return s
}

// scope returns the classes of one namespace, of the namespaces a
// namespace selector picks (Calico's all() and global() rules), or of every
// namespace; key names the scope for caching.
func (c *compiler) scope(ns string, nsSel *selector.Selector) (graph.Set, string) {
	switch {
	case ns != "":
		return c.namespaceSet(ns), "ns=" + ns
	case nsSel != nil:
		sel := *nsSel
		key := "nssel=" + sel.String()
		if s, ok := c.sets[key]; ok {
			return s, key
		}
		s := graph.NewSet(c.u.nU)
		labels := c.namespaceLabels()
		match := func(k int) {
			if policy.MatchNamespaceSelector(sel, true, labels[k]) {
				for _, i := range c.nsClasses[c.nsNames[k]] {
					s.Add(i)
				}
			}
		}
		if cand, ok := c.nsCandidates(sel); ok {
			for _, k := range cand {
				match(int(k))
			}
		} else {
			for k := range c.nsNames {
				match(k)
			}
		}
		c.sets[key] = s
		return s, key
	}
	return c.allClasses(), "all"
}

// namespaceLabels returns the labels of the namespaces of nsNames, in
// that order, as selectors see them.
func (c *compiler) namespaceLabels() []map[string]string {
	if c.nsLabelList == nil {
		c.nsLabelList = make([]map[string]string, len(c.nsNames))
		for k, name := range c.nsNames {
			c.nsLabelList[k] = c.nsLabelsOf[name]
		}
	}
	return c.nsLabelList
}

// nsCandidates returns, when sel requires a label to have one of a few
// values (`key == value`, `key in {…}`, alone or in a conjunction), the
// indexes in nsNames of the namespaces with such a label: a superset of
// those sel matches, found without testing every namespace. ok is false
// when sel has no such requirement.
func (c *compiler) nsCandidates(sel selector.Selector) (cand []int32, ok bool) {
	e := sel.Expr()
	req := e
	if e.Op == selector.OpAnd {
		for _, a := range e.Args {
			if a.Op == selector.OpEq || a.Op == selector.OpIn {
				req = a
				break
			}
		}
	}
	if req.Op != selector.OpEq && req.Op != selector.OpIn {
		return nil, false
	}
	if c.nsByLabel == nil {
		c.nsByLabel = map[string][]int32{}
		for k, l := range c.namespaceLabels() {
			for key, v := range l {
				kv := key + "\x00" + v
				c.nsByLabel[kv] = append(c.nsByLabel[kv], int32(k))
			}
		}
	}
	for _, v := range req.Values {
		cand = append(cand, c.nsByLabel[req.Key+"\x00"+v]...)
	}
	return cand, true
}

// allClasses returns every class.
func (c *compiler) allClasses() graph.Set {
	if s, ok := c.sets["all"]; ok {
		return s
	}
	s := graph.NewSet(c.u.nU)
	s.Fill(c.u.nC)
	c.sets["all"] = s
	return s
}

// selectorWithin returns the classes of scope whose labels (as given)
// match sel, evaluating the selector only inside the scope. A nil
// selector matches the whole scope.
func (c *compiler) selectorWithin(scope graph.Set, scopeKey string, sel *selector.Selector, labels []map[string]string, kind string) graph.Set {
	if sel == nil || sel.IsAll() {
		return scope
	}
	key := kind + "\x00" + scopeKey + "\x00" + sel.String()
	if s, ok := c.sets[key]; ok {
		return s
	}
	s := graph.NewSet(c.u.nU)
	for i := range scope.All() {
		if i < c.u.nC && sel.Matches(labels[i]) {
			s.Add(i)
		}
	}
	c.sets[key] = s
	return s
}

func (c *compiler) namespaceSet(ns string) graph.Set {
	key := "ns=" + ns
	if s, ok := c.sets[key]; ok {
		return s
	}
	s := graph.NewSet(c.u.nU)
	for _, i := range c.nsClasses[ns] {
		s.Add(i)
	}
	c.sets[key] = s
	return s
}

// identityClasses returns the pod classes that satisfy id by their own
// attributes.
func (c *compiler) identityClasses(id *policy.Identity) graph.Set {
	s := graph.NewSet(c.u.nU)
	if id.Kinds&policy.KindPod == 0 {
		return s
	}
	scope, key := c.scope(id.Namespace, id.NamespaceSelector)
	s.CopyFrom(c.selectorWithin(scope, key, id.Selector, c.labels, "sel"))
	s.And(c.podNet)
	if len(id.ServiceAccountNames) > 0 {
		names := id.ServiceAccountNames
		s.And(c.classSet("sanames\x00"+strings.Join(names, ","), func(i int) bool {
			return slices.Contains(names, c.u.classes[i].rep.ServiceAccount)
		}))
	}
	if id.ServiceAccountSelector != nil {
		s.And(c.selectorWithin(scope, key, id.ServiceAccountSelector, c.saLabels, "sasel"))
	}
	return s
}

// identityNetworkSets returns the addresses of the network sets that
// satisfy id.
func (c *compiler) identityNetworkSets(id *policy.Identity) *netipx.IPSet {
	var b netipx.IPSetBuilder
	for _, ns := range c.prog.NetworkSets {
		if networkSetMatches(c.snap, ns, id, c.calico) {
			b.AddSet(ns.Nets)
		}
	}
	set, _ := b.IPSet()
	return set
}

// networkSetMatches reports whether a network set is a known entity that
// satisfies id. Network sets inherit their namespace's labels but no
// service-account labels [docs/semantics.md §3.5, observed behaviour].
func networkSetMatches(s *policy.Snapshot, ns *policy.NetworkSetIR, id *policy.Identity, calico bool) bool {
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
			if n := s.Namespace(ns.Namespace); n != nil {
				nsl = n.Labels
				if calico {
					nsl = n.CalicoLabels()
				}
			}
		}
		if !policy.MatchNamespaceSelector(*id.NamespaceSelector, namespaced, nsl) {
			return false
		}
	}
	if id.Selector != nil && !id.Selector.Matches(ns.Labels) {
		return false
	}
	if len(id.ServiceAccountNames) > 0 {
		return false
	}
	if id.ServiceAccountSelector != nil && !id.ServiceAccountSelector.Matches(nil) {
		return false
	}
	return true
}

// identity returns, per family, the universe entries that are known
// entities satisfying id: pod classes by their attributes, plus pod
// classes and atoms whose address lies in a matching network set.
func (c *compiler) identity(id *policy.Identity) [2]graph.Set {
	pods := c.identityClasses(id)
	var out [2]graph.Set
	var nets *netipx.IPSet
	if len(c.prog.NetworkSets) > 0 {
		nets = c.identityNetworkSets(id)
	}
	if c.hosts == nil {
		c.hosts = hostAddressed(c.snap.Endpoints)
		if c.hosts == nil {
			c.hosts = []*policy.Endpoint{}
		}
	}
	var hosts *netipx.IPSet
	if len(c.hosts) > 0 {
		hosts = hostIdentityAddrs(c.hosts, id)
	}
	for f := 0; f < 2; f++ {
		if f == 1 && !c.v6 {
			break
		}
		s := graph.NewSet(c.u.nU)
		s.CopyFrom(pods)
		if nets != nil {
			c.addAddressesIn(s, nets, famOf(f))
		}
		if hosts != nil {
			c.addAddressesIn(s, hosts, famOf(f))
		}
		out[f] = s
	}
	return out
}

func famOf(f int) int {
	if f == 0 {
		return 4
	}
	return 6
}

// addAddressesIn sets the bits of classes whose address of the family is
// in set and of the family's atoms inside set. Atoms are cut at every boundary of set, so a
// class is in set exactly when its address's atom is: the test runs once
// per atom.
func (c *compiler) addAddressesIn(dst graph.Set, set *netipx.IPSet, fam int) {
	f := 0
	if fam == 6 {
		f = 1
	}
	byAtom := c.classesByAtom()
	for a, at := range c.u.atoms {
		if at.Family() != fam || !set.Contains(at.Range.From()) {
			continue
		}
		dst.Add(c.u.atomIndex(a))
		for _, i := range byAtom[f][a] {
			dst.Add(i)
		}
	}
}

// classesByAtom lists, per family and external atom, the classes whose
// address of that family lies in the atom.
func (c *compiler) classesByAtom() [2][][]int {
	if c.byAtom[0] == nil {
		for f := range c.byAtom {
			c.byAtom[f] = make([][]int, len(c.u.atoms))
		}
		for i := range c.u.classes {
			cl := &c.u.classes[i]
			for f := range cl.atom {
				if a := cl.atomAt(f, c.variant); a >= 0 {
					c.byAtom[f][a] = append(c.byAtom[f][a], i)
				}
			}
		}
	}
	return c.byAtom
}

// familyAll returns every class plus the atoms of the family.
func (c *compiler) familyAll(fam int) graph.Set {
	key := "all\x00" + string(rune('0'+fam))
	if s, ok := c.sets[key]; ok {
		return s
	}
	s := graph.NewSet(c.u.nU)
	s.Fill(c.u.nC)
	for a, at := range c.u.atoms {
		if at.Family() == fam {
			s.Add(c.u.atomIndex(a))
		}
	}
	c.sets[key] = s
	return s
}

// peer compiles one peer, per family.
func (c *compiler) peer(p *policy.Peer) [2]graph.Set {
	key := peerKey(p)
	if s, ok := c.peers[key]; ok {
		return s
	}
	var out [2]graph.Set
	var id, notID [2]graph.Set
	if p.Identity != nil {
		id = c.identity(p.Identity)
	}
	if p.NotIdentity != nil {
		notID = c.identity(p.NotIdentity)
	}
	for f := 0; f < 2; f++ {
		if f == 1 && !c.v6 {
			break // no flow is IPv6
		}
		fam := famOf(f)
		s := graph.NewSet(c.u.nU)
		if !p.Nothing {
			if p.Nets != nil {
				c.addAddressesIn(s, p.Nets, fam)
				if p.NetsSkipPods {
					s.AndNot(c.podNet)
				}
			} else {
				s.CopyFrom(c.familyAll(fam))
			}
			if p.NotNets != nil {
				not := graph.NewSet(c.u.nU)
				c.addAddressesIn(not, p.NotNets, fam)
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
	c.peers[key] = out
	return out
}

// entity compiles the peers of an entity match (OR); nil peers mean every
// entity.
func (c *compiler) entity(e *policy.EntityMatch) (any bool, sets [2]graph.Set) {
	if e.Peers == nil {
		return true, [2]graph.Set{c.familyAll(4), c.familyAll(6)}
	}
	if len(e.Peers) == 1 {
		return false, c.peer(&e.Peers[0])
	}
	nf := 1
	if c.v6 {
		nf = 2
	}
	for f := 0; f < nf; f++ {
		sets[f] = graph.NewSet(c.u.nU)
	}
	for i := range e.Peers {
		ps := c.peer(&e.Peers[i])
		for f := 0; f < nf; f++ {
			sets[f].Or(ps[f])
		}
	}
	return false, sets
}

// peerKey is a canonical text for a peer, the compile cache's key.
func peerKey(p *policy.Peer) string { return p.Key() }
