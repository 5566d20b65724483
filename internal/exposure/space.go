package exposure

import (
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
	"sort"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/bdd"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/selector"
)

// This file builds the space of hypothetical pods: the boolean variables
// that describe one, and the constraint Valid that a combination must meet
// to be a pod that could be created (docs/exposure.md, "The model").
//
// A hypothetical pod is described by:
//
//   - its namespace: one of the input's namespaces (a binary index over
//     them), or a new one, whose name and labels are free and described
//     by the predicates the policies apply to them;
//   - its service account (calico mode, when some rule reads it): the
//     predicates on its name and labels; a service account the input
//     declares in the pod's namespace has fixed labels;
//   - its labels: the predicates selectors apply to each label key;
//   - its node (only when host-network endpoints or Nodes exist): which
//     known node, if any, it runs on;
//   - its address per family: which address atom it lies in (atoms are
//     cut at every CIDR a rule or network set mentions), or none;
//   - its named ports: whether the connection's port is one the pod
//     declares under each port name a rule uses (evaluated per port).
//
// Each predicate on a string (a label value, a name) is one variable;
// which combinations of a variable's predicates some valid value satisfies
// is decided exactly by solveStrings. Everything a policy can observe of
// a pod is a function of these variables, so the analysis is exact over
// the space.

// labelSpace says which label set a selector reads.
type labelSpace uint8

const (
	podLabels labelSpace = iota
	nsLabels
	saLabels
)

// dimKind names the attribute a string variable describes.
type dimKind uint8

const (
	dimNsName dimKind = iota
	dimNsLabel
	dimSAName
	dimSALabel
	dimNode
	dimPodLabel
)

// strVar is one string attribute of the hypothetical pod with the
// predicates on it.
type strVar struct {
	kind     dimKind
	key      string
	syn      syntax
	absentOK bool
	atoms    []strAtom
	index    map[strAtom]int
	vars     []int // BDD variable of each atom
	sols     []solution
}

func (v *strVar) add(a strAtom) {
	if _, ok := v.index[a]; ok {
		return
	}
	v.index[a] = len(v.atoms)
	v.atoms = append(v.atoms, a)
}

// what names the attribute for messages.
func (v *strVar) what() string {
	switch v.kind {
	case dimNsName:
		return "the namespace name"
	case dimNsLabel:
		return "namespace label " + v.key
	case dimSAName:
		return "the service account name"
	case dimSALabel:
		return "service account label " + v.key
	case dimNode:
		return "the node name"
	}
	return "pod label " + v.key
}

// addrDim is the address of one family: an index over the feasible
// address atoms, plus one value for "no address of this family".
type addrDim struct {
	family int
	atoms  []netipx.IPRange // feasible atoms, in address order
	free   []netip.Addr     // a free address in each atom (the witness)
	bits   []int            // BDD variables, most significant first
}

func (d *addrDim) none() int { return len(d.atoms) }

// indexDim is a choice among n+1 values (n known ones and "other") kept as
// a binary number.
type indexDim struct {
	bits []int
}

// space is the set of hypothetical pods of one analysis.
type space struct {
	m      *bdd.Manager
	calico bool
	snap   *policy.Snapshot
	prog   *policy.Program
	nvars  int

	nsNames []string // existing namespaces, sorted
	nsIndex map[string]int
	ns      indexDim // values 0..len(nsNames)-1 existing, len(nsNames) new
	nsName  *strVar  // predicates on a new namespace's name
	nsLabel map[string]*strVar

	sa      *strVar // nil when no rule reads service accounts
	saLabel map[string]*strVar

	node      *strVar // nil when the node cannot matter
	nodeAddrs map[netip.Addr]string

	addr [2]*addrDim // IPv4, IPv6 (nil when the input uses no IPv6)

	pod map[string]*strVar

	declNames []string
	decl      map[string]int // BDD variable per port name

	valid bdd.Node
	newNs bdd.Node // the namespace is new
}

func newStrVar(kind dimKind, key string, syn syntax, absentOK bool) *strVar {
	return &strVar{kind: kind, key: key, syn: syn, absentOK: absentOK, index: map[strAtom]int{}}
}

// target is where a selector's key leads: a variable, or a constant value.
type target struct {
	v       *strVar
	konst   bool
	present bool
	value   string
}

// resolve maps a key of a label space to the attribute it reads. Names
// appear as labels: every namespace carries kubernetes.io/metadata.name;
// in calico mode namespaces also carry projectcalico.org/name, pods
// projectcalico.org/namespace, projectcalico.org/orchestrator=k8s and
// projectcalico.org/serviceaccount, and service accounts
// projectcalico.org/name [docs/semantics.md §1.3, §3.1].
func (s *space) resolve(ls labelSpace, key string, create bool) target {
	switch ls {
	case nsLabels:
		if key == "kubernetes.io/metadata.name" || s.calico && key == policy.CalicoNameLabel {
			return target{v: s.nsName}
		}
		return target{v: s.labelVar(s.nsLabel, dimNsLabel, key, create)}
	case saLabels:
		if s.calico && key == policy.CalicoNameLabel {
			return target{v: s.saVar(create)}
		}
		if s.saLabel == nil {
			s.saLabel = map[string]*strVar{}
		}
		return target{v: s.labelVar(s.saLabel, dimSALabel, key, create)}
	}
	if s.calico {
		switch key {
		case policy.CalicoNamespaceLabel:
			return target{v: s.nsName}
		case policy.CalicoOrchestratorLabel:
			return target{konst: true, present: true, value: "k8s"}
		case policy.CalicoServiceAccountLabel:
			return target{v: s.saVar(create)}
		}
	}
	return target{v: s.labelVar(s.pod, dimPodLabel, key, create)}
}

func (s *space) labelVar(m map[string]*strVar, kind dimKind, key string, create bool) *strVar {
	v := m[key]
	if v == nil && create {
		v = newStrVar(kind, key, syntaxLabelValue, true)
		m[key] = v
	}
	return v
}

func (s *space) saVar(create bool) *strVar {
	if s.sa == nil && create {
		s.sa = newStrVar(dimSAName, "", syntaxSubdomain, false)
		if s.saLabel == nil {
			s.saLabel = map[string]*strVar{}
		}
	}
	return s.sa
}

// exprAtoms calls fn for every comparison of a selector expression.
func exprAtoms(e selector.Expr, fn func(key string, a strAtom)) {
	switch e.Op {
	case selector.OpHas:
		fn(e.Key, strAtom{op: strHas})
	case selector.OpEq, selector.OpNe:
		fn(e.Key, strAtom{op: strEq, lit: e.Values[0]})
	case selector.OpContains:
		fn(e.Key, strAtom{op: strContains, lit: e.Values[0]})
	case selector.OpStartsWith:
		fn(e.Key, strAtom{op: strStarts, lit: e.Values[0]})
	case selector.OpEndsWith:
		fn(e.Key, strAtom{op: strEnds, lit: e.Values[0]})
	case selector.OpIn, selector.OpNotIn:
		for _, v := range e.Values {
			fn(e.Key, strAtom{op: strEq, lit: v})
		}
	case selector.OpNot, selector.OpAnd, selector.OpOr:
		for _, a := range e.Args {
			exprAtoms(a, fn)
		}
	}
}

// registerSelector records the predicates a selector applies.
func (s *space) registerSelector(sel *selector.Selector, ls labelSpace) {
	if sel == nil {
		return
	}
	exprAtoms(sel.Expr(), func(key string, a strAtom) {
		t := s.resolve(ls, key, true)
		if t.v != nil {
			t.v.add(a)
		}
	})
}

func (s *space) registerNamespaceSelector(sel *selector.Selector) {
	if sel == nil || sel.IsAll() || sel.IsGlobal() {
		return
	}
	s.registerSelector(sel, nsLabels)
}

func (s *space) registerIdentity(id *policy.Identity) {
	if id == nil || id.Kinds&policy.KindPod == 0 {
		return
	}
	if id.Namespace != "" {
		s.nsName.add(strAtom{op: strEq, lit: id.Namespace})
	}
	s.registerNamespaceSelector(id.NamespaceSelector)
	s.registerSelector(id.Selector, podLabels)
	if len(id.ServiceAccountNames) > 0 {
		sa := s.saVar(true)
		for _, n := range id.ServiceAccountNames {
			sa.add(strAtom{op: strEq, lit: n})
		}
	}
	if id.ServiceAccountSelector != nil {
		s.saVar(true)
		s.registerSelector(id.ServiceAccountSelector, saLabels)
	}
}

// newSpace collects every predicate the program applies to a pod, then
// allocates the variables and builds Valid.
func newSpace(m *bdd.Manager, snap *policy.Snapshot, prog *policy.Program, atoms []netipx.IPRange, queries []Query) (*space, error) {
	s := &space{m: m, calico: prog.Mode == policy.ModeCalico, snap: snap, prog: prog,
		nsIndex: map[string]int{}, nsLabel: map[string]*strVar{}, pod: map[string]*strVar{}, decl: map[string]int{}}
	for _, ns := range snap.Namespaces {
		s.nsIndex[ns.Name] = len(s.nsNames)
		s.nsNames = append(s.nsNames, ns.Name)
	}
	s.nsName = newStrVar(dimNsName, "", syntaxDNSLabel, false)
	names := map[string]bool{}
	for _, t := range prog.Tiers {
		for _, pol := range t.Policies {
			sub := &pol.Subject
			if sub.Namespace != "" {
				s.nsName.add(strAtom{op: strEq, lit: sub.Namespace})
			}
			s.registerNamespaceSelector(sub.NamespaceSelector)
			s.registerSelector(&sub.Selector, podLabels)
			if sub.ServiceAccountSelector != nil {
				s.saVar(true)
				s.registerSelector(sub.ServiceAccountSelector, saLabels)
			}
			for d := range pol.Rules {
				for _, r := range pol.Rules[d] {
					for _, e := range []*policy.EntityMatch{&r.Src, &r.Dst} {
						for i := range e.Peers {
							p := &e.Peers[i]
							s.registerIdentity(p.Identity)
							s.registerIdentity(p.NotIdentity)
						}
						for _, pm := range append(slices.Clone(e.Ports), e.NotPorts...) {
							if pm.Name != "" {
								names[pm.Name] = true
							}
						}
					}
				}
			}
		}
	}
	for _, q := range queries {
		s.registerQuery(q)
	}
	if s.sa != nil {
		// Identify the known service accounts, whose labels are fixed.
		for _, sa := range s.knownServiceAccounts() {
			s.sa.add(strAtom{op: strEq, lit: sa.name})
		}
	}
	// The node matters when something is its node: host-network
	// endpoints and the addresses of Node objects.
	var nodes []string
	s.nodeAddrs = map[netip.Addr]string{}
	for _, e := range snap.Endpoints {
		if e.HostNetwork && e.Node != "" {
			nodes = append(nodes, e.Node)
		}
	}
	for _, n := range snap.Nodes {
		for _, a := range n.Addresses {
			s.nodeAddrs[a] = n.Name
			nodes = append(nodes, n.Name)
		}
	}
	if len(nodes) > 0 {
		s.node = newStrVar(dimNode, "", syntaxSubdomain, false)
		slices.Sort(nodes)
		for _, n := range slices.Compact(nodes) {
			s.node.add(strAtom{op: strEq, lit: n})
		}
	}
	for n := range names {
		s.declNames = append(s.declNames, n)
	}
	slices.Sort(s.declNames)
	if err := s.allocate(atoms); err != nil {
		return nil, err
	}
	return s, nil
}

// alloc returns the next BDD variable.
func (s *space) alloc() int {
	s.nvars++
	return s.nvars - 1
}

func (s *space) allocIndex(n int) indexDim {
	var d indexDim
	for i := 0; i < bits.Len(uint(n)); i++ {
		d.bits = append(d.bits, s.alloc())
	}
	return d
}

// allocVar gives the variable's atoms BDD variables, in a deterministic
// order. Equality atoms on the namespace name of an existing namespace
// get none: a new namespace cannot have that name.
func (s *space) allocVar(v *strVar) {
	if v == nil {
		return
	}
	if v.kind == dimNsName {
		kept := v.atoms[:0]
		for _, a := range v.atoms {
			if _, exists := s.nsIndex[a.lit]; a.op == strEq && exists {
				continue
			}
			kept = append(kept, a)
		}
		v.atoms = kept
	}
	slices.SortFunc(v.atoms, func(a, b strAtom) int {
		if a.op != b.op {
			return int(a.op) - int(b.op)
		}
		if a.lit < b.lit {
			return -1
		}
		if a.lit > b.lit {
			return 1
		}
		return 0
	})
	v.index = map[strAtom]int{}
	v.vars = make([]int, len(v.atoms))
	for i, a := range v.atoms {
		v.index[a] = i
		v.vars[i] = s.alloc()
	}
}

func sortedVars(m map[string]*strVar) []*strVar {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*strVar, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// allocate numbers the variables (namespace first, then service account,
// node, addresses, pod labels, named ports) and builds Valid.
func (s *space) allocate(atoms []netipx.IPRange) error {
	s.ns = s.allocIndex(len(s.nsNames))
	s.allocVar(s.nsName)
	for _, v := range sortedVars(s.nsLabel) {
		s.allocVar(v)
	}
	s.allocVar(s.sa)
	for _, v := range sortedVars(s.saLabel) {
		s.allocVar(v)
	}
	s.allocVar(s.node)
	s.addr[0] = s.addressDim(4, atoms)
	if n := len(atoms); n > 0 && atoms[n-1].From().Is6() {
		s.addr[1] = s.addressDim(6, atoms)
	}
	for _, v := range sortedVars(s.pod) {
		s.allocVar(v)
	}
	for _, n := range s.declNames {
		s.decl[n] = s.alloc()
	}
	return s.buildValid()
}

// addressDim keeps the address atoms of the family that hold an address
// no endpoint or node has (a new pod gets a free address), and numbers
// them.
func (s *space) addressDim(family int, atoms []netipx.IPRange) *addrDim {
	var taken netipx.IPSetBuilder
	for a := range s.nodeAddrs {
		taken.Add(a)
	}
	for _, e := range s.snap.Endpoints {
		for _, ip := range e.IPs {
			taken.Add(ip)
		}
	}
	takenSet, _ := taken.IPSet()
	d := &addrDim{family: family}
	for _, r := range atoms {
		if r.From().Is4() != (family == 4) {
			continue
		}
		if free, ok := firstFree(r, takenSet); ok {
			d.atoms = append(d.atoms, r)
			d.free = append(d.free, free)
		}
	}
	idx := s.allocIndex(len(d.atoms))
	d.bits = idx.bits
	return d
}

// privateRanges are where a witness address is looked for first, so that
// an example pod gets an address a pod network would give it.
var privateRanges = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("fd00::/8")}

// firstFree returns an address of r that is not in taken (none when r
// holds no other): a private one when r has some, else the first, never
// the family's unspecified address.
func firstFree(r netipx.IPRange, taken *netipx.IPSet) (netip.Addr, bool) {
	var b netipx.IPSetBuilder
	b.AddRange(r)
	b.RemoveSet(taken)
	b.Remove(netip.IPv4Unspecified())
	b.Remove(netip.IPv6Unspecified())
	set, _ := b.IPSet()
	rs := set.Ranges()
	if len(rs) == 0 {
		return netip.Addr{}, false
	}
	for _, p := range privateRanges {
		var only netipx.IPSetBuilder
		only.AddPrefix(p)
		pset, _ := only.IPSet()
		var pb netipx.IPSetBuilder
		pb.AddSet(set)
		pb.Intersect(pset)
		if ps, _ := pb.IPSet(); len(ps.Ranges()) > 0 {
			r := ps.Ranges()[0]
			if r.From() != r.To() {
				return r.From().Next(), true // not the network's own address
			}
			return r.From(), true
		}
	}
	return rs[0].From(), true
}

// idxEq returns "the index over bits equals v".
func (s *space) idxEq(bitVars []int, v int) bdd.Node {
	lits := make([]bdd.Literal, len(bitVars))
	for i, b := range bitVars {
		lits[i] = bdd.Literal{Var: b, Value: v>>(len(bitVars)-1-i)&1 == 1}
	}
	return s.m.Cube(lits)
}

// idxIn returns "the index over bits is one of vals" (vals ascending).
func (s *space) idxIn(bitVars []int, vals []int) bdd.Node {
	var rec func(level int, vals []int) bdd.Node
	rec = func(level int, vals []int) bdd.Node {
		if len(vals) == 0 {
			return bdd.False
		}
		if level == len(bitVars) {
			return bdd.True
		}
		if len(vals) == 1<<(len(bitVars)-level) {
			return bdd.True // every value below this prefix
		}
		shift := len(bitVars) - 1 - level
		split := sort.Search(len(vals), func(i int) bool { return vals[i]>>shift&1 == 1 })
		lo := rec(level+1, vals[:split])
		hi := rec(level+1, vals[split:])
		v := bitVars[level]
		return s.m.Or(s.m.And(s.m.NVar(v), lo), s.m.And(s.m.Var(v), hi))
	}
	// Strip the prefix bits shared by construction: rec assumes vals lie
	// within the full range of bitVars.
	return rec(0, vals)
}

// idxLE returns "the index over bits is at most n".
func (s *space) idxLE(bitVars []int, n int) bdd.Node {
	vals := make([]int, n+1)
	for i := range vals {
		vals[i] = i
	}
	return s.idxIn(bitVars, vals)
}

// nsIs returns "the pod's namespace is the input's namespace i".
func (s *space) nsIs(i int) bdd.Node { return s.idxEq(s.ns.bits, i) }

// solutionsBDD returns the feasible vectors of a variable as a BDD.
func (s *space) solutionsBDD(v *strVar) (bdd.Node, error) {
	if v == nil {
		return bdd.True, nil
	}
	var avoid []string
	if v.kind == dimNsName {
		avoid = s.nsNames
	}
	sols, err := solveStrings(v.what(), v.atoms, v.syn, v.absentOK, avoid)
	if err != nil {
		return bdd.False, err
	}
	v.sols = sols
	r := bdd.False
	for _, sol := range sols {
		r = s.m.Or(r, s.truthCube(v, sol.truth))
	}
	return r, nil
}

func (s *space) truthCube(v *strVar, truth []bool) bdd.Node {
	lits := make([]bdd.Literal, len(truth))
	for i, t := range truth {
		lits[i] = bdd.Literal{Var: v.vars[i], Value: t}
	}
	return s.m.Cube(lits)
}

// valueCube returns the cube of a variable's atoms evaluated on a value.
func (s *space) valueCube(v *strVar, present bool, value string) bdd.Node {
	truth := make([]bool, len(v.atoms))
	for i, a := range v.atoms {
		truth[i] = a.eval(present, value)
	}
	return s.truthCube(v, truth)
}

// allFalse returns the conjunction of the negations of a variable's atoms.
func (s *space) allFalse(v *strVar) bdd.Node {
	if v == nil {
		return bdd.True
	}
	return s.truthCube(v, make([]bool, len(v.atoms)))
}

// buildValid builds the constraint every hypothetical pod meets.
func (s *space) buildValid() error {
	m := s.m
	nNs := len(s.nsNames)
	s.newNs = s.nsIs(nNs)
	// Namespace: an existing one, or a new one whose name and labels are
	// any feasible combination.
	newVars := []*strVar{s.nsName}
	newVars = append(newVars, sortedVars(s.nsLabel)...)
	feasNew := bdd.True
	none := bdd.True
	for _, v := range newVars {
		f, err := s.solutionsBDD(v)
		if err != nil {
			return err
		}
		feasNew = m.And(feasNew, f)
		none = m.And(none, s.allFalse(v))
	}
	valid := m.And(s.idxLE(s.ns.bits, nNs), m.Or(m.And(s.newNs, feasNew), m.AndNot(none, s.newNs)))
	// Service account: a name and labels; a declared one keeps its labels.
	if s.sa != nil {
		f, err := s.solutionsBDD(s.sa)
		if err != nil {
			return err
		}
		valid = m.And(valid, f)
		for _, v := range sortedVars(s.saLabel) {
			f, err := s.solutionsBDD(v)
			if err != nil {
				return err
			}
			valid = m.And(valid, f)
		}
		for _, sa := range s.knownServiceAccounts() {
			i, ok := s.nsIndex[sa.namespace]
			if !ok {
				continue
			}
			here := m.And(s.nsIs(i), m.Var(s.sa.vars[s.sa.index[strAtom{op: strEq, lit: sa.name}]]))
			labels := sa.labels
			fixed := bdd.True
			for _, v := range sortedVars(s.saLabel) {
				val, ok := labels[v.key]
				fixed = m.And(fixed, s.valueCube(v, ok, val))
			}
			valid = m.And(valid, m.Or(m.Not(here), fixed))
		}
	}
	if s.node != nil {
		f, err := s.solutionsBDD(s.node)
		if err != nil {
			return err
		}
		valid = m.And(valid, f)
	}
	// Addresses: an atom or none per family, and at least one address.
	some := bdd.False
	for _, d := range s.addr {
		if d == nil {
			continue
		}
		valid = m.And(valid, s.idxLE(d.bits, d.none()))
		some = m.Or(some, m.Not(s.idxEq(d.bits, d.none())))
	}
	valid = m.And(valid, some)
	for _, v := range sortedVars(s.pod) {
		f, err := s.solutionsBDD(v)
		if err != nil {
			return err
		}
		valid = m.And(valid, f)
	}
	s.valid = valid
	if valid == bdd.False {
		return fmt.Errorf("no hypothetical pod is possible (internal error)")
	}
	return nil
}

// knownSA is a service account whose labels the input fixes.
type knownSA struct {
	namespace, name string
	labels          map[string]string
}

// knownServiceAccounts returns the service accounts the input declares,
// and those its endpoints use without a declaration (their labels are
// taken as empty, as for the endpoints), by namespace and name. A new pod
// using one of them sees the same labels; any other service account is
// one the new pod's creator may create, with any labels.
func (s *space) knownServiceAccounts() []knownSA {
	seen := map[[2]string]bool{}
	var out []knownSA
	add := func(ns, name string) {
		if seen[[2]string{ns, name}] {
			return
		}
		seen[[2]string{ns, name}] = true
		out = append(out, knownSA{ns, name, s.snap.ServiceAccountLabels(ns, name)})
	}
	for _, sa := range s.snap.ServiceAccounts {
		add(sa.Namespace, sa.Name)
	}
	for _, e := range s.snap.Endpoints {
		add(e.Namespace, e.ServiceAccount)
	}
	return out
}
