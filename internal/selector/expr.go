package selector

import "slices"

// Op is the operation of one node of a selector's expression tree, as
// [Selector.Expr] reports it.
type Op uint8

// Operations. Every comparison but OpNe and OpNotIn needs the key to be
// present; OpNe and OpNotIn are also true when it is absent (Calico's
// `!=` and `not in`, Kubernetes' NotIn and DoesNotExist).
const (
	// OpAll is `all()`: true for every label set.
	OpAll Op = iota
	// OpGlobal is `global()`: false as a label expression (the policy
	// layer gives the whole selector `global()` its own meaning, see
	// [Selector.IsGlobal]).
	OpGlobal
	// OpHas is `has(Key)`.
	OpHas
	// OpEq is `Key == Values[0]`.
	OpEq
	// OpNe is `Key != Values[0]`.
	OpNe
	// OpContains is `Key contains Values[0]`.
	OpContains
	// OpStartsWith is `Key starts with Values[0]`.
	OpStartsWith
	// OpEndsWith is `Key ends with Values[0]`.
	OpEndsWith
	// OpIn is `Key in {Values…}`; an empty set is never true.
	OpIn
	// OpNotIn is `Key not in {Values…}`.
	OpNotIn
	// OpNot is `!Args[0]`.
	OpNot
	// OpAnd is the conjunction of Args.
	OpAnd
	// OpOr is the disjunction of Args.
	OpOr
)

// Expr is one node of a selector's expression tree: a read-only copy, for
// analyses that reason about selectors rather than evaluate them (the
// exposure analysis turns every comparison into a predicate over the
// label space). Values of OpIn and OpNotIn are sorted and unique.
type Expr struct {
	Op     Op
	Key    string
	Values []string
	Args   []Expr
}

// Expr returns the selector's expression tree. The zero Selector is
// OpAll. Expr is O(size of the expression) and returns a fresh copy.
func (s Selector) Expr() Expr {
	if s.root == nil {
		return Expr{Op: OpAll}
	}
	return exprOf(s.root)
}

func exprOf(n node) Expr {
	switch n := n.(type) {
	case allNode:
		return Expr{Op: OpAll}
	case globalNode:
		return Expr{Op: OpGlobal}
	case hasNode:
		return Expr{Op: OpHas, Key: n.key}
	case cmpNode:
		op := [...]Op{opEq: OpEq, opNe: OpNe, opContains: OpContains, opStartsWith: OpStartsWith, opEndsWith: OpEndsWith}[n.op]
		return Expr{Op: op, Key: n.key, Values: []string{n.value}}
	case setNode:
		op := OpIn
		if n.neg {
			op = OpNotIn
		}
		return Expr{Op: op, Key: n.key, Values: slices.Clone(n.values)}
	case notNode:
		return Expr{Op: OpNot, Args: []Expr{exprOf(n.x)}}
	case andNode:
		return Expr{Op: OpAnd, Args: exprsOf(n.xs)}
	case orNode:
		return Expr{Op: OpOr, Args: exprsOf(n.xs)}
	}
	panic("selector: unknown node")
}

func exprsOf(xs []node) []Expr {
	out := make([]Expr, len(xs))
	for i, x := range xs {
		out[i] = exprOf(x)
	}
	return out
}
