package exposure

import (
	"github.com/netreach/netreach/internal/bdd"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/selector"
)

// This file turns selectors into functions of the hypothetical pod: a
// selector over one of its label sets becomes a BDD over the variables of
// the space.

func boolNode(b bool) bdd.Node {
	if b {
		return bdd.True
	}
	return bdd.False
}

type atomKey struct {
	ls  labelSpace
	key string
	a   strAtom
}

type selKey struct {
	ls  labelSpace
	sel string
}

// compiler caches the BDD of every predicate and selector.
type compiler struct {
	s     *space
	atoms map[atomKey]bdd.Node
	sels  map[selKey]bdd.Node
}

func newCompiler(s *space) *compiler {
	return &compiler{s: s, atoms: map[atomKey]bdd.Node{}, sels: map[selKey]bdd.Node{}}
}

// nsLabelsOf returns the labels namespace selectors see on an input
// namespace (with projectcalico.org/name in calico mode).
func (s *space) nsLabelsOf(name string) map[string]string {
	ns := s.snap.Namespace(name)
	if ns == nil {
		ns = &policy.Namespace{ObjectRef: policy.ObjectRef{Name: name}, Labels: map[string]string{"kubernetes.io/metadata.name": name}}
	}
	if s.calico {
		return ns.CalicoLabels()
	}
	return ns.Labels
}

// atom returns the predicate a on attribute key of label space ls.
func (c *compiler) atom(ls labelSpace, key string, a strAtom) bdd.Node {
	k := atomKey{ls, key, a}
	if n, ok := c.atoms[k]; ok {
		return n
	}
	s := c.s
	t := s.resolve(ls, key, false)
	var n bdd.Node
	switch {
	case t.konst:
		n = boolNode(a.eval(t.present, t.value))
	case t.v == nil:
		n = boolNode(a.eval(false, "")) // nothing reads it: absent
	case t.v.kind == dimNsName:
		n = c.nsAttr(t.v, a, func(name string) (bool, string) { return true, name })
	case t.v.kind == dimNsLabel:
		n = c.nsAttr(t.v, a, func(name string) (bool, string) {
			v, ok := s.nsLabelsOf(name)[key]
			return ok, v
		})
	default:
		n = c.varAtom(t.v, a)
	}
	c.atoms[k] = n
	return n
}

// varAtom returns the BDD variable of a registered atom.
func (c *compiler) varAtom(v *strVar, a strAtom) bdd.Node {
	i, ok := v.index[a]
	if !ok {
		panic("exposure: predicate " + v.what() + " was not registered")
	}
	return c.s.m.Var(v.vars[i])
}

// nsAttr returns a predicate on a namespace attribute: true for the input
// namespaces where it holds, and for a new namespace when its variable is.
func (c *compiler) nsAttr(v *strVar, a strAtom, get func(name string) (bool, string)) bdd.Node {
	s := c.s
	var in []int
	for i, name := range s.nsNames {
		if a.eval(get(name)) {
			in = append(in, i)
		}
	}
	n := s.idxIn(s.ns.bits, in)
	if i, ok := v.index[a]; ok {
		n = s.m.Or(n, s.m.And(s.newNs, s.m.Var(v.vars[i])))
	}
	return n
}

// selector returns the selector over label space ls; nil means every
// label set.
func (c *compiler) selector(sel *selector.Selector, ls labelSpace) bdd.Node {
	if sel == nil {
		return bdd.True
	}
	k := selKey{ls, sel.String()}
	if n, ok := c.sels[k]; ok {
		return n
	}
	n := c.expr(sel.Expr(), ls)
	c.sels[k] = n
	return n
}

func (c *compiler) expr(e selector.Expr, ls labelSpace) bdd.Node {
	return exprBDD(c.s.m, e, func(key string, a strAtom) bdd.Node { return c.atom(ls, key, a) })
}

// exprBDD compiles a selector expression whose comparisons atom resolves:
// != and not in are the negations of == and in, so they also hold when the
// key is absent [docs/semantics.md §2.5, §3.2].
func exprBDD(m *bdd.Manager, e selector.Expr, atom func(key string, a strAtom) bdd.Node) bdd.Node {
	switch e.Op {
	case selector.OpAll:
		return bdd.True
	case selector.OpGlobal:
		return bdd.False
	case selector.OpHas:
		return atom(e.Key, strAtom{op: strHas})
	case selector.OpEq:
		return atom(e.Key, strAtom{op: strEq, lit: e.Values[0]})
	case selector.OpNe:
		return m.Not(atom(e.Key, strAtom{op: strEq, lit: e.Values[0]}))
	case selector.OpContains:
		return atom(e.Key, strAtom{op: strContains, lit: e.Values[0]})
	case selector.OpStartsWith:
		return atom(e.Key, strAtom{op: strStarts, lit: e.Values[0]})
	case selector.OpEndsWith:
		return atom(e.Key, strAtom{op: strEnds, lit: e.Values[0]})
	case selector.OpIn, selector.OpNotIn:
		r := bdd.False
		for _, v := range e.Values {
			r = m.Or(r, atom(e.Key, strAtom{op: strEq, lit: v}))
		}
		if e.Op == selector.OpNotIn {
			r = m.Not(r)
		}
		return r
	case selector.OpNot:
		return m.Not(exprBDD(m, e.Args[0], atom))
	case selector.OpAnd:
		r := bdd.True
		for _, x := range e.Args {
			if r = m.And(r, exprBDD(m, x, atom)); r == bdd.False {
				break
			}
		}
		return r
	case selector.OpOr:
		r := bdd.False
		for _, x := range e.Args {
			if r = m.Or(r, exprBDD(m, x, atom)); r == bdd.True {
				break
			}
		}
		return r
	}
	panic("exposure: unknown selector operation")
}

// namespaceSelector applies a namespace selector with Calico's special
// cases: all() is any namespaced entity (every pod), global() none of
// them [docs/semantics.md §3.5].
func (c *compiler) namespaceSelector(sel *selector.Selector) bdd.Node {
	switch {
	case sel == nil, sel.IsAll():
		return bdd.True
	case sel.IsGlobal():
		return bdd.False
	}
	return c.selector(sel, nsLabels)
}

// namespaceIs returns "the pod's namespace is name".
func (c *compiler) namespaceIs(name string) bdd.Node {
	if name == "" {
		return bdd.True
	}
	return c.atom(nsLabels, "kubernetes.io/metadata.name", strAtom{op: strEq, lit: name})
}

// serviceAccountNamed returns "the pod's service account is one of names".
func (c *compiler) serviceAccountNamed(names []string) bdd.Node {
	if len(names) == 0 {
		return bdd.True
	}
	r := bdd.False
	for _, n := range names {
		r = c.s.m.Or(r, c.varAtom(c.s.sa, strAtom{op: strEq, lit: n}))
	}
	return r
}

// nodeIs returns "the pod runs on node name".
func (c *compiler) nodeIs(name string) bdd.Node {
	if c.s.node == nil || name == "" {
		return bdd.False
	}
	return c.varAtom(c.s.node, strAtom{op: strEq, lit: name})
}
