package exposure

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/bdd"
)

// This file turns a set of hypothetical pods (a BDD) into terms people
// read: "any pod in namespaces matching {team=x} except a", "pods matching
// {app=web} in namespace shop". The description is exact: the union of
// the terms is the set, which describe checks before returning.
//
// A set splits by namespace: the part in new namespaces depends on the
// predicates on a new namespace's name and labels; the part in each input
// namespace on the rest. The new-namespace part is covered by prime
// cubes; each cube's namespace condition also reads the input's
// namespaces (by their labels), which join the term when the set holds the
// cube's pods there, and are listed as exceptions otherwise. What the
// input namespaces hold beyond that is described per namespace.

// maxTerms bounds the terms of one description.
const maxTerms = 256

// errTooManyTerms reports a set that needs more than maxTerms terms.
var errTooManyTerms = errors.New("more than 256 terms")

// varRole says what a BDD variable stands for.
type varRole struct {
	kind   uint8 // roleNsBit, roleAtom, roleAddrBit, roleDecl
	v      *strVar
	atom   int
	family int // for address bits: index 0 or 1
}

const (
	roleNsBit uint8 = iota
	roleAtom
	roleAddrBit
	roleDecl
)

// describer holds what describing needs: the role of each variable and
// the constraint per namespace.
type describer struct {
	a        *analyzer
	roles    []varRole
	validNew bdd.Node
	validIn  []bdd.Node // per input namespace, new-namespace variables quantified away
	newNsVar map[int]bool
	newNsSet bdd.VarSet
}

func (a *analyzer) newDescriber() *describer {
	s := a.space
	d := &describer{a: a, roles: make([]varRole, s.nvars), newNsVar: map[int]bool{}}
	for _, b := range s.ns.bits {
		d.roles[b] = varRole{kind: roleNsBit}
	}
	vars := []*strVar{s.nsName, s.sa, s.node}
	vars = append(vars, sortedVars(s.nsLabel)...)
	vars = append(vars, sortedVars(s.saLabel)...)
	vars = append(vars, sortedVars(s.pod)...)
	for _, v := range vars {
		if v == nil {
			continue
		}
		for i, x := range v.vars {
			d.roles[x] = varRole{kind: roleAtom, v: v, atom: i}
			if v.kind == dimNsName || v.kind == dimNsLabel {
				d.newNsVar[x] = true
			}
		}
	}
	for f, ad := range s.addr {
		if ad == nil {
			continue
		}
		for _, b := range ad.bits {
			d.roles[b] = varRole{kind: roleAddrBit, family: f}
		}
	}
	for _, x := range s.decl {
		d.roles[x] = varRole{kind: roleDecl}
	}
	var newNs []int
	for v := range d.newNsVar {
		newNs = append(newNs, v)
	}
	d.newNsSet = a.m.NewVarSet(newNs)
	d.validNew = d.inNamespace(s.valid, len(s.nsNames))
	for i := range s.nsNames {
		d.validIn = append(d.validIn, d.inNamespace(s.valid, i))
	}
	return d
}

// inNamespace returns n restricted to namespace index i; for an input
// namespace the new-namespace variables are quantified away (the
// constraint fixes them).
func (d *describer) inNamespace(n bdd.Node, i int) bdd.Node {
	s := d.a.space
	for k, b := range s.ns.bits {
		n = d.a.m.Restrict(n, b, i>>(len(s.ns.bits)-1-k)&1 == 1)
	}
	if i < len(s.nsNames) {
		n = d.a.m.Exists(n, d.newNsSet)
	}
	return n
}

// primes returns cubes that cover must and stay inside may (both within
// care): each is a path of what is left to cover, widened by dropping
// every literal it can without leaving may.
func (d *describer) primes(must, may, care bdd.Node) ([][]bdd.Literal, error) {
	m := d.a.m
	var out [][]bdd.Literal
	rem := m.And(must, care)
	outside := m.AndNot(care, may) // a cube may not meet it
	support := map[int]bool{}
	for _, n := range []bdd.Node{must, may} {
		for _, v := range m.Support(n) {
			support[v] = true
		}
	}
	for rem != bdd.False {
		if len(out) == maxTerms {
			return nil, errTooManyTerms
		}
		var lits []bdd.Literal
		for p := range m.Paths(rem) {
			lits = slices.Clone(p)
			break
		}
		// Literals on variables neither set reads usually go at once.
		var relevant []bdd.Literal
		for _, l := range lits {
			if support[l.Var] {
				relevant = append(relevant, l)
			}
		}
		if len(relevant) < len(lits) && !m.Meets(outside, relevant) {
			lits = relevant
		}
		for j := 0; j < len(lits); j++ {
			try := slices.Delete(slices.Clone(lits), j, j+1)
			if !m.Meets(outside, try) {
				lits = try
				j--
			}
		}
		out = append(out, lits)
		rem = m.AndNot(rem, m.Cube(lits))
	}
	// Drop cubes the others cover.
	need := m.And(must, care)
	for k := 0; k < len(out); k++ {
		others := bdd.False
		for j, c := range out {
			if j != k {
				others = m.Or(others, m.Cube(c))
			}
		}
		if m.Implies(need, others) {
			out = slices.Delete(out, k, k+1)
			k--
		}
	}
	return out, nil
}

// describe returns terms whose union holds every pod of must and no pod
// outside may (subsets of Valid without named-port variables).
func (d *describer) describe(must, may bdd.Node) ([]Term, error) {
	a, s, m := d.a, d.a.space, d.a.m
	if m.Implies(s.valid, may) {
		return []Term{{}}, nil // the entire cluster
	}
	nNs := len(s.nsNames)
	mustIn, mayIn := make([]bdd.Node, nNs), make([]bdd.Node, nNs)
	covered := make([]bdd.Node, nNs)
	for i := range mustIn {
		mustIn[i], mayIn[i] = d.inNamespace(must, i), d.inNamespace(may, i)
		covered[i] = bdd.False
	}
	var terms []Term
	cubes, err := d.primes(d.inNamespace(must, nNs), d.inNamespace(may, nNs), d.validNew)
	if err != nil {
		return nil, err
	}
	for _, cube := range cubes {
		var nsLits, rest []bdd.Literal
		for _, l := range cube {
			if d.newNsVar[l.Var] {
				nsLits = append(nsLits, l)
			} else {
				rest = append(rest, l)
			}
		}
		p := m.Cube(rest)
		var except []string
		for i, name := range s.nsNames {
			if !d.nsHolds(nsLits, name) {
				continue
			}
			if m.Implies(m.And(p, d.validIn[i]), mayIn[i]) {
				covered[i] = m.Or(covered[i], p)
			} else {
				except = append(except, name)
			}
		}
		t := d.term(rest)
		if len(nsLits) > 0 || len(except) > 0 {
			t.Namespaces = &NamespaceMatch{Selector: d.requirements(nsLits), Except: except}
		}
		terms = append(terms, t)
	}
	// What the input's namespaces must hold beyond the terms above,
	// grouped by namespaces alike.
	type key struct{ left, may, valid bdd.Node }
	groups := map[key][]string{}
	var order []key
	for i, name := range s.nsNames {
		left := m.AndNot(mustIn[i], covered[i])
		if m.And(left, d.validIn[i]) == bdd.False {
			continue
		}
		k := key{left, mayIn[i], d.validIn[i]}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], name)
	}
	for _, k := range order {
		cubes, err := d.primes(k.left, k.may, k.valid)
		if err != nil {
			return nil, err
		}
		for _, cube := range cubes {
			t := d.term(cube)
			t.Namespaces = &NamespaceMatch{Names: groups[k]}
			terms = append(terms, t)
		}
	}
	if len(terms) > maxTerms {
		return nil, errTooManyTerms
	}
	terms = mergeTerms(terms)
	// The description must lie between must and may: check it.
	union := bdd.False
	for i := range terms {
		union = m.Or(union, a.termBDD(&terms[i]))
	}
	union = m.And(union, s.valid)
	if !m.Implies(m.And(must, s.valid), union) || !m.Implies(union, may) {
		return nil, fmt.Errorf("exposure: internal error: the description %v does not describe the set", terms)
	}
	return terms, nil
}

// nsHolds evaluates namespace literals on an input namespace.
func (d *describer) nsHolds(lits []bdd.Literal, name string) bool {
	labels := d.a.space.nsLabelsOf(name)
	for _, l := range lits {
		role := d.roles[l.Var]
		at := role.v.atoms[role.atom]
		var got bool
		if role.v.kind == dimNsName {
			got = at.eval(true, name)
		} else {
			v, ok := labels[role.v.key]
			got = at.eval(ok, v)
		}
		if got != l.Value {
			return false
		}
	}
	return true
}

// term builds a term from literals on everything but the namespace.
func (d *describer) term(lits []bdd.Literal) Term {
	var t Term
	var pod, sa, node []bdd.Literal
	var addr [2][]bdd.Literal
	for _, l := range lits {
		role := d.roles[l.Var]
		switch role.kind {
		case roleAddrBit:
			addr[role.family] = append(addr[role.family], l)
		case roleAtom:
			switch role.v.kind {
			case dimPodLabel:
				pod = append(pod, l)
			case dimSAName, dimSALabel:
				sa = append(sa, l)
			case dimNode:
				node = append(node, l)
			}
		}
	}
	t.Labels = d.requirements(pod)
	t.ServiceAccount = d.requirements(sa)
	t.Node = d.requirements(node)
	t.IPv4 = d.addresses(0, addr[0])
	t.IPv6 = d.addresses(1, addr[1])
	return t
}

// requirements turns literals on string predicates into requirements,
// grouped by attribute in a stable order.
func (d *describer) requirements(lits []bdd.Literal) []Requirement {
	type group struct {
		key  string
		lits []bdd.Literal
	}
	byVar := map[*strVar]*group{}
	var vars []*strVar
	for _, l := range lits {
		v := d.roles[l.Var].v
		if byVar[v] == nil {
			key := v.key
			if v.kind == dimNsName {
				key = "kubernetes.io/metadata.name"
			}
			byVar[v] = &group{key: key}
			vars = append(vars, v)
		}
		byVar[v].lits = append(byVar[v].lits, l)
	}
	sort.Slice(vars, func(i, j int) bool { return byVar[vars[i]].key < byVar[vars[j]].key })
	var out []Requirement
	for _, v := range vars {
		g := byVar[v]
		var eq, neq []string
		var rest []Requirement
		for _, l := range g.lits {
			at := v.atoms[d.roles[l.Var].atom]
			switch at.op {
			case strEq:
				if l.Value {
					eq = append(eq, at.lit)
				} else {
					neq = append(neq, at.lit)
				}
			case strHas:
				op := Exists
				if !l.Value {
					op = DoesNotExist
				}
				rest = append(rest, Requirement{Key: g.key, Operator: op})
			default:
				op := map[strOp]Operator{strContains: Contains, strStarts: StartsWith, strEnds: EndsWith}[at.op]
				if !l.Value {
					op++ // the negated operator follows its positive one
				}
				rest = append(rest, Requirement{Key: g.key, Operator: op, Values: []string{at.lit}})
			}
		}
		if len(eq) > 0 {
			// A value fixed by equality decides every other predicate.
			for _, e := range eq {
				out = append(out, Requirement{Key: g.key, Operator: In, Values: []string{e}})
			}
			continue
		}
		out = append(out, rest...)
		if len(neq) > 0 {
			slices.Sort(neq)
			out = append(out, Requirement{Key: g.key, Operator: NotIn, Values: neq})
		}
	}
	return out
}

// addresses returns the address condition of literals on one family's
// bits (nil without literals).
func (d *describer) addresses(f int, lits []bdd.Literal) *AddressMatch {
	if len(lits) == 0 {
		return nil
	}
	ad := d.a.space.addr[f]
	val := map[int]bool{}
	for _, l := range lits {
		val[l.Var] = l.Value
	}
	am := &AddressMatch{}
	for idx := 0; idx <= ad.none(); idx++ {
		ok := true
		for k, b := range ad.bits {
			if v, set := val[b]; set && v != (idx>>(len(ad.bits)-1-k)&1 == 1) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		if idx == ad.none() {
			// Without IPv6 in the input every pod has an IPv4 address.
			am.None = f == 1 || d.a.space.addr[1] != nil
			continue
		}
		r := ad.atoms[idx]
		if n := len(am.Ranges); n > 0 && am.Ranges[n-1].To().Next() == r.From() {
			am.Ranges[n-1] = netipx.IPRangeFrom(am.Ranges[n-1].From(), r.To())
		} else {
			am.Ranges = append(am.Ranges, r)
		}
	}
	return am
}

// mergeTerms joins terms that differ only in the value of one In
// requirement of the pod labels or the namespace selector: (k=a ∧ X) ∨
// (k=b ∧ X) is k in (a,b) ∧ X; and terms that differ only in the list of
// namespaces they name.
func mergeTerms(ts []Term) []Term {
	type keys struct{ labels, ns, rest string }
	keyOf := func(t *Term) keys {
		return keys{requirementsString(t.Labels), nsString(t.Namespaces), t.clauses()}
	}
	ks := make([]keys, len(ts))
	for i := range ts {
		ks[i] = keyOf(&ts[i])
	}
	for changed := true; changed; {
		changed = false
		for i := 0; i < len(ts) && !changed; i++ {
			for j := i + 1; j < len(ts) && !changed; j++ {
				if ks[i].rest != ks[j].rest {
					continue
				}
				if m, ok := mergeTwo(ts[i], ts[j], ks[i].labels == ks[j].labels, ks[i].ns == ks[j].ns); ok {
					ts[i] = m
					ks[i] = keyOf(&ts[i])
					ts = slices.Delete(ts, j, j+1)
					ks = slices.Delete(ks, j, j+1)
					changed = true
				}
			}
		}
	}
	return ts
}

// mergeTwo merges two terms with the same service account, node and
// address conditions, when it can.
func mergeTwo(a, b Term, sameLabels, sameNs bool) (Term, bool) {
	if sameNs {
		if reqs, ok := mergeReqs(a.Labels, b.Labels); ok {
			a.Labels = reqs
			return a, true
		}
	}
	if !sameLabels || a.Namespaces == nil || b.Namespaces == nil {
		return a, false
	}
	an, bn := a.Namespaces, b.Namespaces
	switch {
	case len(an.Names) == 0 && len(bn.Names) == 0 && slices.Equal(an.Except, bn.Except):
		if reqs, ok := mergeReqs(an.Selector, bn.Selector); ok {
			ns := *an
			ns.Selector = reqs
			a.Namespaces = &ns
			return a, true
		}
	case len(an.Names) > 0 && len(bn.Names) > 0:
		ns := *an
		ns.Names = append(slices.Clone(an.Names), bn.Names...)
		slices.Sort(ns.Names)
		a.Namespaces = &ns
		return a, true
	}
	return a, false
}

// mergeReqs merges two requirement lists equal but for the values of one
// In requirement.
func mergeReqs(a, b []Requirement) ([]Requirement, bool) {
	if len(a) != len(b) {
		return nil, false
	}
	diff := -1
	for i := range a {
		if a[i].String() == b[i].String() {
			continue
		}
		if diff >= 0 || a[i].Key != b[i].Key || a[i].Operator != In || b[i].Operator != In {
			return nil, false
		}
		diff = i
	}
	if diff < 0 {
		return nil, false
	}
	out := slices.Clone(a)
	vals := append(slices.Clone(a[diff].Values), b[diff].Values...)
	slices.Sort(vals)
	out[diff] = Requirement{Key: a[diff].Key, Operator: In, Values: slices.Compact(vals)}
	return out, true
}

func nsString(n *NamespaceMatch) string {
	if n == nil {
		return ""
	}
	return n.String()
}

// termBDD returns the set of hypothetical pods a term covers.
func (a *analyzer) termBDD(t *Term) bdd.Node {
	s, m, c := a.space, a.m, a.comp
	r := bdd.True
	if ns := t.Namespaces; ns != nil {
		if len(ns.Names) > 0 {
			var idx []int
			for _, n := range ns.Names {
				idx = append(idx, s.nsIndex[n])
			}
			slices.Sort(idx)
			r = s.idxIn(s.ns.bits, idx)
		} else {
			r = a.requirementsBDD(ns.Selector, func(key string, at strAtom) bdd.Node { return c.atom(nsLabels, key, at) })
			for _, n := range ns.Except {
				r = m.AndNot(r, s.nsIs(s.nsIndex[n]))
			}
		}
	}
	r = m.And(r, a.requirementsBDD(t.Labels, func(key string, at strAtom) bdd.Node { return c.atom(podLabels, key, at) }))
	r = m.And(r, a.requirementsBDD(t.ServiceAccount, func(key string, at strAtom) bdd.Node {
		if key == "" {
			return c.varAtom(s.sa, at)
		}
		return c.varAtom(s.saLabel[key], at)
	}))
	r = m.And(r, a.requirementsBDD(t.Node, func(_ string, at strAtom) bdd.Node { return c.varAtom(s.node, at) }))
	for f, am := range []*AddressMatch{t.IPv4, t.IPv6} {
		if am == nil {
			continue
		}
		ad := s.addr[f]
		var idx []int
		for i, at := range ad.atoms {
			if am.Matches(at.From(), true) {
				idx = append(idx, i)
			}
		}
		if am.None {
			idx = append(idx, ad.none())
		}
		r = m.And(r, s.idxIn(ad.bits, idx))
	}
	return r
}

// requirementsBDD returns the conjunction of requirements, each predicate
// given by atom.
func (a *analyzer) requirementsBDD(rs []Requirement, atom func(key string, at strAtom) bdd.Node) bdd.Node {
	m := a.m
	r := bdd.True
	for _, q := range rs {
		var n bdd.Node
		switch q.Operator {
		case Exists, DoesNotExist:
			n = atom(q.Key, strAtom{op: strHas})
		case In, NotIn:
			n = bdd.False
			for _, v := range q.Values {
				n = m.Or(n, atom(q.Key, strAtom{op: strEq, lit: v}))
			}
		case Contains, NotContains:
			n = atom(q.Key, strAtom{op: strContains, lit: q.Values[0]})
		case StartsWith, NotStartsWith:
			n = atom(q.Key, strAtom{op: strStarts, lit: q.Values[0]})
		case EndsWith, NotEndsWith:
			n = atom(q.Key, strAtom{op: strEnds, lit: q.Values[0]})
		}
		switch q.Operator {
		case DoesNotExist, NotIn, NotContains, NotStartsWith, NotEndsWith:
			n = m.Not(n)
		}
		r = m.And(r, n)
	}
	return r
}
