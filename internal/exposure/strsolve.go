package exposure

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// This file decides which combinations of string predicates one value can
// satisfy. A selector compares a label value (or a namespace or service
// account name) with literals: equality, prefix, suffix, substring, and
// presence. The hypothetical pod's value is free, so the analysis needs the
// exact set of truth vectors over a variable's predicates that some valid
// value realises, each with a witness value. Values must also be valid for
// their field: a label value is at most 63 characters of [A-Za-z0-9._-]
// beginning and ending with an alphanumeric (or empty); a namespace name
// is a DNS label; a service account name a DNS subdomain (kept under 63
// characters, see docs/exposure.md).

// strOp is a predicate on a string value that may be absent.
type strOp uint8

const (
	strHas      strOp = iota // the value is present
	strEq                    // present and equal to lit
	strContains              // present and containing lit
	strStarts                // present and beginning with lit
	strEnds                  // present and ending with lit
)

// strAtom is one predicate.
type strAtom struct {
	op  strOp
	lit string
}

func (a strAtom) eval(present bool, v string) bool {
	if !present {
		return false
	}
	switch a.op {
	case strHas:
		return true
	case strEq:
		return v == a.lit
	case strContains:
		return strings.Contains(v, a.lit)
	case strStarts:
		return strings.HasPrefix(v, a.lit)
	case strEnds:
		return strings.HasSuffix(v, a.lit)
	}
	return false
}

// syntax is the grammar a value must follow.
type syntax uint8

const (
	syntaxLabelValue syntax = iota // Kubernetes label value
	syntaxDNSLabel                 // namespace name
	syntaxSubdomain                // service account or node name, under 63 characters
)

// maxLen is the longest value of each syntax the analysis considers.
func (s syntax) maxLen() int {
	if s == syntaxSubdomain {
		return 62
	}
	return 63
}

const (
	lower  = "abcdefghijklmnopqrstuvwxyz"
	upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits = "0123456789"
)

// alphabet returns the characters the syntax allows.
func (s syntax) alphabet() string {
	switch s {
	case syntaxLabelValue:
		return lower + upper + digits + "-_."
	case syntaxDNSLabel:
		return lower + digits + "-"
	}
	return lower + digits + "-."
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Syntax automaton states: 0 empty, 1 ends with an alphanumeric, 2 ends
// with '-' or '_', 3 ends with '.', -1 dead.
func (s syntax) step(st int, c byte) int {
	if strings.IndexByte(s.alphabet(), c) < 0 {
		return -1
	}
	switch {
	case isAlnum(c):
		return 1
	case st == 0:
		return -1 // must begin with an alphanumeric
	case s == syntaxSubdomain && c == '.':
		if st != 1 {
			return -1 // each dot-separated part begins and ends with an alphanumeric
		}
		return 3
	case s == syntaxSubdomain && st == 3:
		return -1
	case c == '.':
		return 2 // a label value may hold dots anywhere inside
	}
	return 2
}

func (s syntax) accepts(st int) bool {
	return st == 1 || st == 0 && s == syntaxLabelValue
}

// valid reports whether v follows the syntax.
func (s syntax) valid(v string) bool {
	if len(v) > s.maxLen() {
		return false
	}
	st := 0
	for i := 0; i < len(v); i++ {
		if st = s.step(st, v[i]); st < 0 {
			return false
		}
	}
	return s.accepts(st)
}

// solution is one realisable truth vector with a witness value.
type solution struct {
	truth   []bool
	present bool
	value   string
}

// errStringSpace reports that a variable's predicates are too many to
// decide; the analysis refuses rather than guess.
type errStringSpace struct {
	what   string
	states int
}

// Error says which attribute's predicates are too many.
func (e *errStringSpace) Error() string {
	return fmt.Sprintf("the string predicates on %s combine into more than %d automaton states; exposure cannot decide them exactly", e.what, e.states)
}

// maxSolverStates bounds the product automaton of one variable.
const maxSolverStates = 200000

// solveStrings returns every truth vector over atoms that a value of the
// syntax (or, with absentOK, an absent value) realises, each with a
// shortest witness, in a deterministic order. avoid lists values the
// witness of a vector that allows several values should not be (names
// already taken); a vector whose only values are in avoid is still
// returned, with one of them.
func solveStrings(what string, atoms []strAtom, syn syntax, absentOK bool, avoid []string) ([]solution, error) {
	var out []solution
	if absentOK {
		out = append(out, solution{truth: make([]bool, len(atoms))})
	}
	patterns := false
	for _, a := range atoms {
		if a.op != strEq && a.op != strHas {
			patterns = true
		}
	}
	if !patterns {
		return append(out, solveEqualities(atoms, syn, avoid)...), nil
	}
	sols, err := solveAutomaton(what, atoms, syn, avoid)
	return append(out, sols...), err
}

// solveEqualities handles variables compared only for equality and
// presence: each literal that is a valid value, and one fresh value.
func solveEqualities(atoms []strAtom, syn syntax, avoid []string) []solution {
	var out []solution
	seen := map[string]bool{}
	lits := []string{}
	for _, a := range atoms {
		if a.op == strEq && !seen[a.lit] {
			seen[a.lit] = true
			lits = append(lits, a.lit)
		}
	}
	slices.Sort(lits)
	vec := func(v string) []bool {
		t := make([]bool, len(atoms))
		for i, a := range atoms {
			t[i] = a.eval(true, v)
		}
		return t
	}
	for _, l := range lits {
		if syn.valid(l) {
			out = append(out, solution{truth: vec(l), present: true, value: l})
		}
	}
	taken := map[string]bool{}
	for _, l := range lits {
		taken[l] = true
	}
	for _, v := range avoid {
		taken[v] = true
	}
	fresh := freshValue(syn, taken)
	return append(out, solution{truth: vec(fresh), present: true, value: fresh})
}

// freshValue returns a short valid value not in taken.
func freshValue(syn syntax, taken map[string]bool) string {
	for i := 0; ; i++ {
		v := "x" + strconv.Itoa(i)
		if syn == syntaxLabelValue && i == 0 {
			v = "x"
		}
		if !taken[v] {
			return v
		}
	}
}

// atomDFA is the automaton of one pattern atom over bytes: states
// 0..len(lit), with -1 dead (for equality and prefix).
type atomDFA struct {
	a    strAtom
	fail []int // KMP failure function of lit
}

func newAtomDFA(a strAtom) atomDFA {
	d := atomDFA{a: a}
	p := a.lit
	d.fail = make([]int, len(p))
	for i, k := 1, 0; i < len(p); i++ {
		for k > 0 && p[i] != p[k] {
			k = d.fail[k-1]
		}
		if p[i] == p[k] {
			k++
		}
		d.fail[i] = k
	}
	return d
}

// kmp advances a KMP state by c.
func (d atomDFA) kmp(st int, c byte) int {
	p := d.a.lit
	if st == len(p) {
		if len(p) == 0 {
			return 0
		}
		st = d.fail[st-1]
	}
	for st > 0 && p[st] != c {
		st = d.fail[st-1]
	}
	if p[st] == c {
		st++
	}
	return st
}

func (d atomDFA) step(st int, c byte) int {
	p := d.a.lit
	switch d.a.op {
	case strEq:
		if st < 0 || st >= len(p) || p[st] != c {
			return -1
		}
		return st + 1
	case strStarts:
		if st < 0 {
			return -1
		}
		if st == len(p) {
			return st
		}
		if p[st] != c {
			return -1
		}
		return st + 1
	case strContains:
		if st == len(p) {
			return st
		}
		if len(p) == 0 {
			return 0
		}
		return d.kmp(st, c)
	case strEnds:
		if len(p) == 0 {
			return 0
		}
		return d.kmp(st, c)
	}
	return st // strHas
}

func (d atomDFA) accepts(st int) bool {
	if d.a.op == strHas {
		return true
	}
	return st == len(d.a.lit)
}

// solveAutomaton explores the product of the syntax automaton and every
// atom's automaton breadth-first, so each product state is first reached
// by a shortest string; a state reached within the length limit in an
// accepting syntax state realises its truth vector. For vectors that
// several values realise, avoided values are skipped when another value
// is found.
func solveAutomaton(what string, atoms []strAtom, syn syntax, avoid []string) ([]solution, error) {
	dfas := make([]atomDFA, len(atoms))
	for i, a := range atoms {
		dfas[i] = newAtomDFA(a)
	}
	// The alphabet: every character of a literal that the syntax allows,
	// plus one representative of each class of other characters (they
	// behave alike in every atom automaton).
	alpha := []byte{}
	inLit := map[byte]bool{}
	for _, a := range atoms {
		for i := 0; i < len(a.lit); i++ {
			inLit[a.lit[i]] = true
		}
	}
	var repAlnum, repOther bool
	allowed := syn.alphabet()
	for i := 0; i < len(allowed); i++ {
		c := allowed[i]
		switch {
		case inLit[c]:
			alpha = append(alpha, c)
		case isAlnum(c) && !repAlnum:
			repAlnum = true
			alpha = append(alpha, c)
		case !isAlnum(c) && (c == '.' || !repOther):
			// '.' is its own class in subdomains; '-' and '_' alike.
			if c != '.' {
				repOther = true
			}
			alpha = append(alpha, c)
		}
	}
	type state struct {
		syn    int
		atoms  []int
		parent int
		char   byte
		depth  int
	}
	key := func(s int, as []int) string {
		var b strings.Builder
		b.WriteString(strconv.Itoa(s))
		for _, a := range as {
			b.WriteByte(',')
			b.WriteString(strconv.Itoa(a))
		}
		return b.String()
	}
	start := state{syn: 0, atoms: make([]int, len(atoms)), parent: -1}
	states := []state{start}
	seen := map[string]bool{key(0, start.atoms): true}
	avoidSet := map[string]bool{}
	for _, v := range avoid {
		avoidSet[v] = true
	}
	word := func(i int) string {
		var b []byte
		for ; states[i].parent >= 0; i = states[i].parent {
			b = append(b, states[i].char)
		}
		slices.Reverse(b)
		return string(b)
	}
	found := map[string]int{} // truth key → index into out
	var out []solution
	for i := 0; i < len(states); i++ {
		st := states[i]
		if syn.accepts(st.syn) {
			truth := make([]bool, len(atoms))
			tk := make([]byte, len(atoms))
			for j, d := range dfas {
				truth[j] = d.accepts(st.atoms[j])
				tk[j] = '0'
				if truth[j] {
					tk[j] = '1'
				}
			}
			w := word(i)
			if k, ok := found[string(tk)]; !ok {
				found[string(tk)] = len(out)
				out = append(out, solution{truth: truth, present: true, value: w})
			} else if avoidSet[out[k].value] && !avoidSet[w] {
				out[k].value = w
			}
		}
		if st.depth == syn.maxLen() {
			continue
		}
		for _, c := range alpha {
			ns := syn.step(st.syn, c)
			if ns < 0 {
				continue
			}
			next := make([]int, len(atoms))
			for j, d := range dfas {
				next[j] = d.step(st.atoms[j], c)
			}
			k := key(ns, next)
			if seen[k] {
				continue
			}
			seen[k] = true
			if len(states) >= maxSolverStates {
				return nil, &errStringSpace{what: what, states: maxSolverStates}
			}
			states = append(states, state{syn: ns, atoms: next, parent: i, char: c, depth: st.depth + 1})
		}
	}
	// Values to avoid that are the only witness found: look for another
	// value with the same vector among the literals and fresh values.
	return out, nil
}
