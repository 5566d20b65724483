package selector

import (
	"slices"
	"strconv"
	"strings"
)

// Selector is a parsed label selector: a boolean expression over a label
// set. The zero value is `all()` and matches everything. Selectors are
// immutable and safe for concurrent use.
type Selector struct {
	root node // nil means all()
}

// All returns the selector that matches every label set, `all()`.
func All() Selector { return Selector{} }

// Nothing returns the selector that matches no label set, `!all()`.
func Nothing() Selector { return Selector{root: notNode{allNode{}}} }

// Matches reports whether the label set satisfies the selector. A nil map
// is an empty label set. Matches is O(size of the expression).
func (s Selector) Matches(labels map[string]string) bool {
	if s.root == nil {
		return true
	}
	return s.root.eval(labels)
}

// String returns the selector in the Calico selector syntax. [Parse] reads
// the result back to an equal selector, so String is a stable cache key.
func (s Selector) String() string {
	if s.root == nil {
		return "all()"
	}
	return string(s.root.appendTo(nil, precOr))
}

// IsAll reports whether the selector is exactly `all()` (or empty).
// Calico gives `all()` a meaning of its own in namespace selectors: "any
// namespaced entity".
func (s Selector) IsAll() bool {
	if s.root == nil {
		return true
	}
	_, ok := s.root.(allNode)
	return ok
}

// IsGlobal reports whether the selector is exactly `global()`, which in a
// Calico rule's namespaceSelector picks the entities that live in no
// namespace (GlobalNetworkSets, host endpoints).
func (s Selector) IsGlobal() bool {
	_, ok := s.root.(globalNode)
	return ok
}

// IsNothing reports whether the selector is literally `!all()`, the value
// [Nothing] returns. It does not try to prove that an arbitrary expression
// is unsatisfiable.
func (s Selector) IsNothing() bool {
	n, ok := s.root.(notNode)
	if !ok {
		return false
	}
	_, ok = n.x.(allNode)
	return ok
}

// HasGlobal reports whether `global()` occurs anywhere in the selector.
func (s Selector) HasGlobal() bool {
	return s.root != nil && s.root.hasGlobal()
}

// And returns the conjunction of the selectors. An `all()` operand is
// dropped, so And(All(), x) is x.
func And(sels ...Selector) Selector {
	var parts []node
	for _, s := range sels {
		switch n := s.root.(type) {
		case nil, allNode:
			continue
		case andNode:
			parts = append(parts, n.xs...)
		default:
			parts = append(parts, n)
		}
	}
	switch len(parts) {
	case 0:
		return Selector{}
	case 1:
		return Selector{root: parts[0]}
	}
	return Selector{root: andNode{parts}}
}

// Compile evaluates s on every label set and sets bit i of dst when
// sets[i] matches. dst must hold at least (len(sets)+63)/64 words; bits
// that do not match are left as they were, so callers pass a cleared row.
// Compile is O(len(sets) × size of the expression).
func (s Selector) Compile(sets []map[string]string, dst []uint64) {
	for i, l := range sets {
		if s.Matches(l) {
			dst[i>>6] |= 1 << (uint(i) & 63)
		}
	}
}

// Precedence levels used when printing, lowest first.
const (
	precOr = iota
	precAnd
	precUnary
)

// node is one operation of the expression tree.
type node interface {
	keys(*[]string)
	eval(labels map[string]string) bool
	appendTo(b []byte, prec int) []byte
	hasGlobal() bool
}

// allNode is `all()`: true for every label set.
type allNode struct{}

// globalNode is `global()`. As a plain label expression it is false; its
// meaning ("not namespaced") is applied by the policy layer, see
// [Selector.IsGlobal].
type globalNode struct{}

// hasNode is `has(key)`.
type hasNode struct{ key string }

// cmpOp is a binary label comparison.
type cmpOp uint8

const (
	opEq cmpOp = iota
	opNe
	opContains
	opStartsWith
	opEndsWith
)

// cmpNode is `key <op> "value"`.
type cmpNode struct {
	key   string
	op    cmpOp
	value string
}

// setNode is `key in {…}` or, with neg, `key not in {…}`.
type setNode struct {
	key    string
	neg    bool
	values []string
}

// notNode is `!x`.
type notNode struct{ x node }

// andNode is `x && y && …`.
type andNode struct{ xs []node }

// orNode is `x || y || …`.
type orNode struct{ xs []node }

func (allNode) eval(map[string]string) bool    { return true }
func (globalNode) eval(map[string]string) bool { return false }

func (n hasNode) eval(l map[string]string) bool {
	_, ok := l[n.key]
	return ok
}

// eval follows Calico's AST semantics: every operator but != needs the key
// to be present; != is also true when the key is absent.
func (n cmpNode) eval(l map[string]string) bool {
	v, ok := l[n.key]
	switch n.op {
	case opEq:
		return ok && v == n.value
	case opNe:
		return !ok || v != n.value
	case opContains:
		return ok && strings.Contains(v, n.value)
	case opStartsWith:
		return ok && strings.HasPrefix(v, n.value)
	case opEndsWith:
		return ok && strings.HasSuffix(v, n.value)
	}
	return false
}

// eval: `in` needs the key present with a listed value; `not in` is true
// when the key is absent or its value is not listed (as apimachinery's
// NotIn and Calico's `not in`).
func (n setNode) eval(l map[string]string) bool {
	v, ok := l[n.key]
	in := false
	if ok {
		_, in = slices.BinarySearch(n.values, v) // values are sorted and unique
	}
	return in != n.neg
}

func (n notNode) eval(l map[string]string) bool { return !n.x.eval(l) }

func (n andNode) eval(l map[string]string) bool {
	for _, x := range n.xs {
		if !x.eval(l) {
			return false
		}
	}
	return true
}

func (n orNode) eval(l map[string]string) bool {
	for _, x := range n.xs {
		if x.eval(l) {
			return true
		}
	}
	return false
}

func (allNode) hasGlobal() bool    { return false }
func (globalNode) hasGlobal() bool { return true }
func (hasNode) hasGlobal() bool    { return false }
func (cmpNode) hasGlobal() bool    { return false }
func (setNode) hasGlobal() bool    { return false }
func (n notNode) hasGlobal() bool  { return n.x.hasGlobal() }
func (n andNode) hasGlobal() bool  { return anyGlobal(n.xs) }
func (n orNode) hasGlobal() bool   { return anyGlobal(n.xs) }

func anyGlobal(xs []node) bool {
	for _, x := range xs {
		if x.hasGlobal() {
			return true
		}
	}
	return false
}

func (allNode) appendTo(b []byte, _ int) []byte    { return append(b, "all()"...) }
func (globalNode) appendTo(b []byte, _ int) []byte { return append(b, "global()"...) }

func (n hasNode) appendTo(b []byte, _ int) []byte {
	b = append(b, "has("...)
	b = append(b, n.key...)
	return append(b, ')')
}

var cmpText = [...]string{
	opEq:         " == ",
	opNe:         " != ",
	opContains:   " contains ",
	opStartsWith: " starts with ",
	opEndsWith:   " ends with ",
}

func (n cmpNode) appendTo(b []byte, _ int) []byte {
	b = append(b, n.key...)
	b = append(b, cmpText[n.op]...)
	return appendQuoted(b, n.value)
}

func (n setNode) appendTo(b []byte, _ int) []byte {
	b = append(b, n.key...)
	if n.neg {
		b = append(b, " not in {"...)
	} else {
		b = append(b, " in {"...)
	}
	for i, v := range n.values {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendQuoted(b, v)
	}
	return append(b, '}')
}

func (n notNode) appendTo(b []byte, _ int) []byte {
	b = append(b, '!')
	return n.x.appendTo(b, precUnary)
}

func (n andNode) appendTo(b []byte, prec int) []byte {
	return appendList(b, n.xs, " && ", precAnd, prec)
}

func (n orNode) appendTo(b []byte, prec int) []byte {
	return appendList(b, n.xs, " || ", precOr, prec)
}

// appendList prints a chain of operands joined by sep, in parentheses when
// the surrounding context binds tighter than the chain.
func appendList(b []byte, xs []node, sep string, own, outer int) []byte {
	paren := outer > own
	if paren {
		b = append(b, '(')
	}
	for i, x := range xs {
		if i > 0 {
			b = append(b, sep...)
		}
		b = x.appendTo(b, own+1)
	}
	if paren {
		b = append(b, ')')
	}
	return b
}

// appendQuoted quotes v with double quotes, or with single quotes when v
// holds a double quote. The Calico grammar has no escapes, so a value with
// both quote characters cannot be written; Parse never produces one and
// Kubernetes label values cannot hold quotes at all.
func appendQuoted(b []byte, v string) []byte {
	q := byte('"')
	if strings.IndexByte(v, '"') >= 0 {
		q = '\''
	}
	b = append(b, q)
	b = append(b, v...)
	return append(b, q)
}

// GoString returns a Go-syntax description, useful in test failures.
func (s Selector) GoString() string { return "selector.MustParse(" + strconv.Quote(s.String()) + ")" }

// Keys returns the label keys the selector reads, sorted and without
// duplicates. Labels outside Keys cannot change whether it matches.
func (s Selector) Keys() []string {
	if s.root == nil {
		return nil
	}
	var keys []string
	s.root.keys(&keys)
	slices.Sort(keys)
	return slices.Compact(keys)
}

func (allNode) keys(*[]string)     {}
func (globalNode) keys(*[]string)  {}
func (n hasNode) keys(k *[]string) { *k = append(*k, n.key) }
func (n cmpNode) keys(k *[]string) { *k = append(*k, n.key) }
func (n setNode) keys(k *[]string) { *k = append(*k, n.key) }
func (n notNode) keys(k *[]string) { n.x.keys(k) }
func (n andNode) keys(k *[]string) {
	for _, x := range n.xs {
		x.keys(k)
	}
}
func (n orNode) keys(k *[]string) {
	for _, x := range n.xs {
		x.keys(k)
	}
}
