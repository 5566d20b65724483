// Package bdd is a small reduced ordered binary decision diagram (ROBDD)
// package: boolean functions over numbered variables, kept canonical so
// that two equal functions are the same [Node]. The exposure analysis
// uses it to represent sets of hypothetical pods exactly.
//
// Variables are numbered 0, 1, …; lower numbers are tested first (the
// variable order is the numbering). A [Manager] owns the nodes; it is not
// safe for concurrent use. Its size is bounded: an operation that would
// make it hold more than the limit's nodes panics with [*LimitError],
// which callers recover at their API boundary (see [Manager.Guard]).
package bdd

import (
	"fmt"
	"iter"
	"slices"
)

// Node is a boolean function owned by a [Manager]. [False] and [True]
// are the constants; any other value is meaningful only to the Manager
// that made it.
type Node int32

// The constant functions.
const (
	False Node = 0
	True  Node = 1
)

// node is an internal decision node: if variable v then hi else lo.
type node struct {
	v      int32
	lo, hi Node
}

// terminalVar orders the constants after every variable.
const terminalVar = int32(1<<31 - 1)

// LimitError is the panic value of an operation that would exceed the
// manager's node limit.
type LimitError struct{ Limit int }

// Error says how large the diagram would have grown.
func (e *LimitError) Error() string {
	return fmt.Sprintf("more than %d decision-diagram nodes", e.Limit)
}

// Manager owns nodes and caches. The zero value is not usable: use [New].
type Manager struct {
	nodes  []node
	unique map[node]Node
	cache  []cacheEntry
	mask   uint32
	limit  int
	sets   int32
	// Scratch of Meets: per node and per variable, valid for one epoch.
	mark    []uint32
	varMark []uint32
	varVal  []bool
	epoch   uint32
}

type cacheEntry struct {
	op   uint8
	a, b Node
	r    Node
}

const (
	opAnd uint8 = iota + 1
	opOr
	opNot
	opRestrict
	opExists
)

// New returns a manager that holds at most limit nodes (0 means a
// default of 4 million, about 300 MB).
func New(limit int) *Manager {
	if limit <= 0 {
		limit = 4 << 20
	}
	m := &Manager{limit: limit, unique: map[node]Node{}}
	m.nodes = append(m.nodes, node{v: terminalVar}, node{v: terminalVar})
	m.cache = make([]cacheEntry, 1<<16)
	m.mask = 1<<16 - 1
	return m
}

// Guard runs fn and turns a [*LimitError] panic into an error; other
// panics propagate.
func Guard(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if le, ok := r.(*LimitError); ok {
				err = le
				return
			}
			panic(r)
		}
	}()
	fn()
	return nil
}

// Size returns the number of nodes the manager holds.
func (m *Manager) Size() int { return len(m.nodes) }

// mk returns the node (v ? hi : lo), reduced and shared.
func (m *Manager) mk(v int32, lo, hi Node) Node {
	if lo == hi {
		return lo
	}
	k := node{v, lo, hi}
	if n, ok := m.unique[k]; ok {
		return n
	}
	if len(m.nodes) >= m.limit {
		panic(&LimitError{Limit: m.limit})
	}
	n := Node(len(m.nodes))
	m.nodes = append(m.nodes, k)
	m.unique[k] = n
	if len(m.nodes) > 4*len(m.cache) && len(m.cache) < 1<<22 {
		m.cache = make([]cacheEntry, 2*len(m.cache))
		m.mask = uint32(len(m.cache) - 1)
	}
	return n
}

// Var returns the function "variable v is true".
func (m *Manager) Var(v int) Node { return m.mk(int32(v), False, True) }

// NVar returns the function "variable v is false".
func (m *Manager) NVar(v int) Node { return m.mk(int32(v), True, False) }

func (m *Manager) top(n Node) int32 { return m.nodes[n].v }

func (m *Manager) lookup(op uint8, a, b Node) (Node, bool) {
	h := (uint32(a)*0x9e3779b1 ^ uint32(b)*0x85ebca77 ^ uint32(op)*0xc2b2ae3d) & m.mask
	e := &m.cache[h]
	if e.op == op && e.a == a && e.b == b {
		return e.r, true
	}
	return 0, false
}

func (m *Manager) store(op uint8, a, b, r Node) {
	h := (uint32(a)*0x9e3779b1 ^ uint32(b)*0x85ebca77 ^ uint32(op)*0xc2b2ae3d) & m.mask
	m.cache[h] = cacheEntry{op, a, b, r}
}

// cofactors returns the low and high branches of n for variable v.
func (m *Manager) cofactors(n Node, v int32) (lo, hi Node) {
	if m.nodes[n].v != v {
		return n, n
	}
	return m.nodes[n].lo, m.nodes[n].hi
}

// And returns a ∧ b.
func (m *Manager) And(a, b Node) Node {
	switch {
	case a == False || b == False:
		return False
	case a == True:
		return b
	case b == True || a == b:
		return a
	}
	if a > b {
		a, b = b, a
	}
	if r, ok := m.lookup(opAnd, a, b); ok {
		return r
	}
	v := min(m.top(a), m.top(b))
	alo, ahi := m.cofactors(a, v)
	blo, bhi := m.cofactors(b, v)
	r := m.mk(v, m.And(alo, blo), m.And(ahi, bhi))
	m.store(opAnd, a, b, r)
	return r
}

// Or returns a ∨ b.
func (m *Manager) Or(a, b Node) Node {
	switch {
	case a == True || b == True:
		return True
	case a == False:
		return b
	case b == False || a == b:
		return a
	}
	if a > b {
		a, b = b, a
	}
	if r, ok := m.lookup(opOr, a, b); ok {
		return r
	}
	v := min(m.top(a), m.top(b))
	alo, ahi := m.cofactors(a, v)
	blo, bhi := m.cofactors(b, v)
	r := m.mk(v, m.Or(alo, blo), m.Or(ahi, bhi))
	m.store(opOr, a, b, r)
	return r
}

// Not returns ¬a.
func (m *Manager) Not(a Node) Node {
	switch a {
	case False:
		return True
	case True:
		return False
	}
	if r, ok := m.lookup(opNot, a, 0); ok {
		return r
	}
	n := m.nodes[a]
	r := m.mk(n.v, m.Not(n.lo), m.Not(n.hi))
	m.store(opNot, a, 0, r)
	return r
}

// AndNot returns a ∧ ¬b.
func (m *Manager) AndNot(a, b Node) Node { return m.And(a, m.Not(b)) }

// Implies reports whether a ⊆ b (every assignment satisfying a satisfies
// b).
func (m *Manager) Implies(a, b Node) bool { return m.AndNot(a, b) == False }

// AndAll returns the conjunction of ns (True when empty).
func (m *Manager) AndAll(ns ...Node) Node {
	r := True
	for _, n := range ns {
		r = m.And(r, n)
	}
	return r
}

// OrAll returns the disjunction of ns (False when empty).
func (m *Manager) OrAll(ns ...Node) Node {
	r := False
	for _, n := range ns {
		r = m.Or(r, n)
	}
	return r
}

// Eval returns the value of n under the assignment value(v) of every
// variable it tests. Eval is O(number of variables).
func (m *Manager) Eval(n Node, value func(v int) bool) bool {
	for n != False && n != True {
		k := m.nodes[n]
		if value(int(k.v)) {
			n = k.hi
		} else {
			n = k.lo
		}
	}
	return n == True
}

// Restrict returns n with variable v fixed to val. Results are cached.
func (m *Manager) Restrict(n Node, v int, val bool) Node {
	k := m.nodes[n]
	if k.v > int32(v) {
		return n // n does not test v (or is a constant)
	}
	if k.v == int32(v) {
		if val {
			return k.hi
		}
		return k.lo
	}
	key := Node(2 * v)
	if val {
		key++
	}
	if r, ok := m.lookup(opRestrict, n, key); ok {
		return r
	}
	r := m.mk(k.v, m.Restrict(k.lo, v, val), m.Restrict(k.hi, v, val))
	m.store(opRestrict, n, key, r)
	return r
}

// Literal is a variable with the value a cube requires of it.
type Literal struct {
	Var   int
	Value bool
}

// Cube returns the conjunction of the literals. It is O(len(lits)) when
// they are in ascending variable order, as Paths yields them.
func (m *Manager) Cube(lits []Literal) Node {
	sorted := true
	for i := 1; i < len(lits); i++ {
		if lits[i].Var <= lits[i-1].Var {
			sorted = false
			break
		}
	}
	r := True
	for i := len(lits) - 1; i >= 0; i-- {
		l := lits[i]
		switch {
		case !sorted && l.Value:
			r = m.And(m.Var(l.Var), r)
		case !sorted:
			r = m.And(m.NVar(l.Var), r)
		case l.Value:
			r = m.mk(int32(l.Var), False, r)
		default:
			r = m.mk(int32(l.Var), r, False)
		}
	}
	return r
}

// Meets reports whether some assignment that agrees with the literals
// satisfies n, that is whether n and the literals' cube intersect. It
// builds no node; it is O(nodes of n).
func (m *Manager) Meets(n Node, lits []Literal) bool {
	m.epoch++
	if len(m.mark) < len(m.nodes) {
		m.mark = append(m.mark, make([]uint32, len(m.nodes)-len(m.mark))...)
	}
	for _, l := range lits {
		if l.Var >= len(m.varMark) {
			m.varMark = append(m.varMark, make([]uint32, l.Var+1-len(m.varMark))...)
			m.varVal = append(m.varVal, make([]bool, l.Var+1-len(m.varVal))...)
		}
		m.varMark[l.Var], m.varVal[l.Var] = m.epoch, l.Value
	}
	var rec func(Node) bool
	rec = func(n Node) bool {
		switch {
		case n == True:
			return true
		case n == False || m.mark[n] == m.epoch:
			return false
		}
		k := m.nodes[n]
		var ok bool
		if int(k.v) < len(m.varMark) && m.varMark[k.v] == m.epoch {
			if m.varVal[k.v] {
				ok = rec(k.hi)
			} else {
				ok = rec(k.lo)
			}
		} else {
			ok = rec(k.lo) || rec(k.hi)
		}
		if !ok {
			m.mark[n] = m.epoch // no path from here agrees
		}
		return ok
	}
	return rec(n)
}

// Paths yields the paths of n to True, each as the literals it tests in
// variable order: disjoint cubes whose union is n. The slice is reused
// between iterations.
func (m *Manager) Paths(n Node) iter.Seq[[]Literal] {
	return func(yield func([]Literal) bool) {
		var path []Literal
		var rec func(Node) bool
		rec = func(n Node) bool {
			switch n {
			case False:
				return true
			case True:
				return yield(path)
			}
			k := m.nodes[n]
			path = append(path, Literal{int(k.v), false})
			if !rec(k.lo) {
				return false
			}
			path[len(path)-1].Value = true
			if !rec(k.hi) {
				return false
			}
			path = path[:len(path)-1]
			return true
		}
		rec(n)
	}
}

// Support returns the variables n tests, ascending.
func (m *Manager) Support(n Node) []int {
	m.epoch++
	if len(m.mark) < len(m.nodes) {
		m.mark = append(m.mark, make([]uint32, len(m.nodes)-len(m.mark))...)
	}
	var vars []int
	var rec func(Node)
	rec = func(n Node) {
		if n == False || n == True || m.mark[n] == m.epoch {
			return
		}
		m.mark[n] = m.epoch
		k := m.nodes[n]
		if int(k.v) >= len(m.varMark) {
			m.varMark = append(m.varMark, make([]uint32, int(k.v)+1-len(m.varMark))...)
			m.varVal = append(m.varVal, make([]bool, int(k.v)+1-len(m.varVal))...)
		}
		if m.varMark[k.v] != m.epoch {
			m.varMark[k.v] = m.epoch
			vars = append(vars, int(k.v))
		}
		rec(k.lo)
		rec(k.hi)
	}
	rec(n)
	slices.Sort(vars)
	return vars
}

// VarSet is a set of variables registered with [Manager.NewVarSet], for
// quantification.
type VarSet struct {
	id   Node
	vars map[int32]bool
}

// NewVarSet registers a set of variables.
func (m *Manager) NewVarSet(vars []int) VarSet {
	m.sets++
	s := VarSet{id: Node(m.sets), vars: map[int32]bool{}}
	for _, v := range vars {
		s.vars[int32(v)] = true
	}
	return s
}

// Exists returns n with the variables of s quantified away (∃s. n).
// Results are cached.
func (m *Manager) Exists(n Node, s VarSet) Node {
	if n == False || n == True {
		return n
	}
	if r, ok := m.lookup(opExists, n, s.id); ok {
		return r
	}
	k := m.nodes[n]
	lo, hi := m.Exists(k.lo, s), m.Exists(k.hi, s)
	var r Node
	if s.vars[k.v] {
		r = m.Or(lo, hi)
	} else {
		r = m.mk(k.v, lo, hi)
	}
	m.store(opExists, n, s.id, r)
	return r
}

// NodeCount returns the number of decision nodes reachable from n.
func (m *Manager) NodeCount(n Node) int {
	seen := map[Node]bool{}
	var rec func(Node)
	rec = func(n Node) {
		if n == False || n == True || seen[n] {
			return
		}
		seen[n] = true
		rec(m.nodes[n].lo)
		rec(m.nodes[n].hi)
	}
	rec(n)
	return len(seen)
}
