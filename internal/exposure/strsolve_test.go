package exposure

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestSolveStringsBruteForce compares the solver with every string up to
// a length over a small alphabet: every truth vector a string realises is
// found, and every vector found has a witness that realises it.
func TestSolveStringsBruteForce(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 7))
	const alpha = "ab-.0"
	var all []string
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		all = append(all, prefix)
		if n == 0 {
			return
		}
		for i := 0; i < len(alpha); i++ {
			gen(prefix+alpha[i:i+1], n-1)
		}
	}
	gen("", 6)
	lit := func() string {
		n := 1 + r.IntN(2)
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteByte("ab-0"[r.IntN(4)])
		}
		return b.String()
	}
	for trial := 0; trial < 300; trial++ {
		var atoms []strAtom
		for k := 0; k < 1+r.IntN(4); k++ {
			atoms = append(atoms, strAtom{op: strOp(r.IntN(5)), lit: lit()})
		}
		syn := []syntax{syntaxLabelValue, syntaxDNSLabel, syntaxSubdomain}[r.IntN(3)]
		absentOK := syn == syntaxLabelValue
		sols, err := solveStrings("test", atoms, syn, absentOK, nil)
		if err != nil {
			t.Fatal(err)
		}
		key := func(tr []bool) string {
			b := make([]byte, len(tr))
			for i, x := range tr {
				b[i] = '0'
				if x {
					b[i] = '1'
				}
			}
			return string(b)
		}
		found := map[string]bool{}
		for _, s := range sols {
			found[key(s.truth)] = true
			if s.present && !syn.valid(s.value) {
				t.Fatalf("atoms %v: witness %q is not a valid value", atoms, s.value)
			}
			for i, a := range atoms {
				if got := a.eval(s.present, s.value); got != s.truth[i] {
					t.Fatalf("atoms %v: witness %q (present %v) gives %v for %v, solution says %v", atoms, s.value, s.present, got, a, s.truth[i])
				}
			}
		}
		for _, v := range all {
			if !syn.valid(v) {
				continue
			}
			tr := make([]bool, len(atoms))
			for i, a := range atoms {
				tr[i] = a.eval(true, v)
			}
			if !found[key(tr)] {
				t.Fatalf("atoms %v (syntax %d): %q realises %s, which the solver misses", atoms, syn, v, key(tr))
			}
		}
	}
}
