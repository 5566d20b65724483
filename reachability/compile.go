package reachability

import (
	"slices"
	"strings"

	"go4.org/netipx"

	"github.com/netreach/netreach/graph"
	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/selector"
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
}

func newCompiler(u *universe, s *policy.Snapshot, p *policy.Program) *compiler {
	c := &compiler{u: u, snap: s, prog: p, calico: p.Mode == policy.ModeCalico,
		sets: map[string]graph.Set{}, peers: map[string][2]graph.Set{}}
	c.labels = make([]map[string]string, u.nC)
	c.nsLabels = make([]map[string]string, u.nC)
	c.saLabels = make([]map[string]string, u.nC)
	c.podNet = graph.NewSet(u.nU)
	for i, cl := range u.classes {
		e := cl.rep
		ns := s.Namespace(e.Namespace)
		if c.calico {
			c.labels[i] = e.CalicoLabels()
			c.nsLabels[i] = ns.CalicoLabels()
			c.saLabels[i] = s.CalicoServiceAccountLabels(e.Namespace, e.ServiceAccount)
		} else {
			c.labels[i] = e.Labels
			c.nsLabels[i] = ns.Labels
			c.saLabels[i] = s.ServiceAccountLabels(e.Namespace, e.ServiceAccount)
		}
		if !cl.host {
			c.podNet.Add(i)
		}
	}
	return c
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

func (c *compiler) selectorSet(kind string, sel selector.Selector, labels []map[string]string) graph.Set {
	return c.classSet(kind+"\x00"+sel.String(), func(i int) bool { return sel.Matches(labels[i]) })
}

// namespaceSelectorMatches applies a namespace selector to an entity with
// Calico's rules: all() is "any namespaced entity", global() "any entity
// outside namespaces"; otherwise the namespace's labels (none outside
// namespaces) are matched [SEMANTICS 3.5].
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
// network satisfying every condition of the subject.
func (c *compiler) subject(sub *policy.Subject) graph.Set {
	s := graph.NewSet(c.u.nU)
	s.CopyFrom(c.podNet)
	if sub.Namespace != "" {
		s.And(c.namespaceSet(sub.Namespace))
	}
	if sub.NamespaceSelector != nil {
		sel := *sub.NamespaceSelector
		s.And(c.classSet("nssel\x00"+sel.String(), func(i int) bool { return namespaceSelectorMatches(sel, true, c.nsLabels[i]) }))
	}
	s.And(c.selectorSet("sel", sub.Selector, c.labels))
	if sub.ServiceAccountSelector != nil {
		s.And(c.selectorSet("sasel", *sub.ServiceAccountSelector, c.saLabels))
	}
	return s
}

func (c *compiler) namespaceSet(ns string) graph.Set {
	return c.classSet("ns\x00"+ns, func(i int) bool { return c.u.classes[i].rep.Namespace == ns })
}

// identityClasses returns the pod classes that satisfy id by their own
// attributes.
func (c *compiler) identityClasses(id *policy.Identity) graph.Set {
	s := graph.NewSet(c.u.nU)
	if id.Kinds&policy.KindPod == 0 {
		return s
	}
	s.CopyFrom(c.podNet)
	if id.Namespace != "" {
		s.And(c.namespaceSet(id.Namespace))
	}
	if id.NamespaceSelector != nil {
		sel := *id.NamespaceSelector
		s.And(c.classSet("nssel\x00"+sel.String(), func(i int) bool { return namespaceSelectorMatches(sel, true, c.nsLabels[i]) }))
	}
	if id.Selector != nil {
		s.And(c.selectorSet("sel", *id.Selector, c.labels))
	}
	if len(id.ServiceAccountNames) > 0 {
		names := id.ServiceAccountNames
		s.And(c.classSet("sanames\x00"+strings.Join(names, ","), func(i int) bool {
			return slices.Contains(names, c.u.classes[i].rep.ServiceAccount)
		}))
	}
	if id.ServiceAccountSelector != nil {
		s.And(c.selectorSet("sasel", *id.ServiceAccountSelector, c.saLabels))
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
// service-account labels [SEMANTICS 3.5, observed behaviour].
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
	for f := 0; f < 2; f++ {
		s := graph.NewSet(c.u.nU)
		s.CopyFrom(pods)
		if nets != nil {
			c.addAddressesIn(s, nets, famOf(f), false)
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
// in set (skipping pods on the pod network when skipPods) and of the
// family's atoms inside set.
func (c *compiler) addAddressesIn(dst graph.Set, set *netipx.IPSet, fam int, skipPods bool) {
	for i, cl := range c.u.classes {
		if skipPods && !cl.host {
			continue
		}
		if ip, ok := cl.rep.IP(fam); ok && set.Contains(ip) {
			dst.Add(i)
		}
	}
	for a, at := range c.u.atoms {
		if at.Family() == fam && set.Contains(at.Range.From()) {
			dst.Add(c.u.atomIndex(a))
		}
	}
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
		fam := famOf(f)
		s := graph.NewSet(c.u.nU)
		if !p.Nothing {
			if p.Nets != nil {
				c.addAddressesIn(s, p.Nets, fam, false)
				if p.NetsSkipPods {
					s.AndNot(c.podNet)
				}
			} else {
				s.CopyFrom(c.familyAll(fam))
			}
			if p.NotNets != nil {
				not := graph.NewSet(c.u.nU)
				c.addAddressesIn(not, p.NotNets, fam, false)
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
	for f := 0; f < 2; f++ {
		sets[f] = graph.NewSet(c.u.nU)
	}
	for i := range e.Peers {
		ps := c.peer(&e.Peers[i])
		sets[0].Or(ps[0])
		sets[1].Or(ps[1])
	}
	return false, sets
}

// peerKey is a canonical text for a peer, the compile cache's key.
func peerKey(p *policy.Peer) string {
	var b strings.Builder
	if p.Nothing {
		return "nothing"
	}
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
