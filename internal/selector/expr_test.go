package selector

import (
	"slices"
	"strings"
	"testing"
)

// evalExpr evaluates an Expr as its documentation says, independently of
// the node types' own eval methods.
func evalExpr(e Expr, l map[string]string) bool {
	v, ok := l[e.Key]
	switch e.Op {
	case OpAll:
		return true
	case OpGlobal:
		return false
	case OpHas:
		return ok
	case OpEq:
		return ok && v == e.Values[0]
	case OpNe:
		return !ok || v != e.Values[0]
	case OpContains:
		return ok && strings.Contains(v, e.Values[0])
	case OpStartsWith:
		return ok && strings.HasPrefix(v, e.Values[0])
	case OpEndsWith:
		return ok && strings.HasSuffix(v, e.Values[0])
	case OpIn:
		return ok && slices.Contains(e.Values, v)
	case OpNotIn:
		return !ok || !slices.Contains(e.Values, v)
	case OpNot:
		return !evalExpr(e.Args[0], l)
	case OpAnd:
		for _, a := range e.Args {
			if !evalExpr(a, l) {
				return false
			}
		}
		return true
	case OpOr:
		for _, a := range e.Args {
			if evalExpr(a, l) {
				return true
			}
		}
		return false
	}
	panic("unknown op")
}

// FuzzExpr checks that the expression tree Expr reports means what the
// selector matches.
func FuzzExpr(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		sel, err := Parse(in)
		if err != nil {
			return
		}
		e := sel.Expr()
		for _, l := range append(derivedLabelSets(sel.root), fuzzLabelSets...) {
			if got, want := evalExpr(e, l), sel.Matches(l); got != want {
				t.Fatalf("Parse(%q).Expr() on %v = %v, Matches = %v", in, l, got, want)
			}
		}
	})
}

func TestExprZero(t *testing.T) {
	t.Parallel()
	if got := (Selector{}).Expr(); got.Op != OpAll {
		t.Errorf("Selector{}.Expr().Op = %v, want OpAll", got.Op)
	}
	if got := Nothing().Expr(); got.Op != OpNot || got.Args[0].Op != OpAll {
		t.Errorf("Nothing().Expr() = %+v, want !all()", got)
	}
}
