package bdd

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// formula is a random boolean formula over nv variables, evaluated
// directly, to check the diagrams against truth tables.
type formula struct {
	op   byte // 'v' variable, '!' not, '&' and, '|' or, 'T', 'F'
	v    int
	a, b *formula
}

func randFormula(r *rand.Rand, nv, depth int) *formula {
	if depth == 0 || r.IntN(4) == 0 {
		switch r.IntN(10) {
		case 0:
			return &formula{op: 'T'}
		case 1:
			return &formula{op: 'F'}
		}
		return &formula{op: 'v', v: r.IntN(nv)}
	}
	switch r.IntN(3) {
	case 0:
		return &formula{op: '!', a: randFormula(r, nv, depth-1)}
	case 1:
		return &formula{op: '&', a: randFormula(r, nv, depth-1), b: randFormula(r, nv, depth-1)}
	}
	return &formula{op: '|', a: randFormula(r, nv, depth-1), b: randFormula(r, nv, depth-1)}
}

func (f *formula) eval(bits uint) bool {
	switch f.op {
	case 'T':
		return true
	case 'F':
		return false
	case 'v':
		return bits>>f.v&1 == 1
	case '!':
		return !f.a.eval(bits)
	case '&':
		return f.a.eval(bits) && f.b.eval(bits)
	}
	return f.a.eval(bits) || f.b.eval(bits)
}

func (f *formula) build(m *Manager) Node {
	switch f.op {
	case 'T':
		return True
	case 'F':
		return False
	case 'v':
		return m.Var(f.v)
	case '!':
		return m.Not(f.a.build(m))
	case '&':
		return m.And(f.a.build(m), f.b.build(m))
	}
	return m.Or(f.a.build(m), f.b.build(m))
}

func TestTruthTables(t *testing.T) {
	t.Parallel()
	const nv = 6
	r := rand.New(rand.NewPCG(1, 2))
	m := New(0)
	for i := 0; i < 500; i++ {
		f, g := randFormula(r, nv, 5), randFormula(r, nv, 5)
		nf, ng := f.build(m), g.build(m)
		same := true
		for bits := uint(0); bits < 1<<nv; bits++ {
			val := func(v int) bool { return bits>>v&1 == 1 }
			if got, want := m.Eval(nf, val), f.eval(bits); got != want {
				t.Fatalf("formula %d: Eval(%06b) = %v, want %v", i, bits, got, want)
			}
			if f.eval(bits) != g.eval(bits) {
				same = false
			}
			// Restrict and Exists agree with the truth table.
			if got, want := m.Eval(m.Restrict(nf, 2, true), val), f.eval(bits|1<<2); got != want {
				t.Fatalf("formula %d: Restrict(v2=true) at %06b = %v, want %v", i, bits, got, want)
			}
			ex := m.Exists(nf, m.NewVarSet([]int{3}))
			if got, want := m.Eval(ex, val), f.eval(bits|1<<3) || f.eval(bits&^(1<<3)); got != want {
				t.Fatalf("formula %d: Exists(v3) at %06b = %v, want %v", i, bits, got, want)
			}
		}
		// Support is the set of variables the function depends on.
		var dep []int
		for v := 0; v < nv; v++ {
			if m.Restrict(nf, v, false) != m.Restrict(nf, v, true) {
				dep = append(dep, v)
			}
		}
		if got := m.Support(nf); !slices.Equal(got, dep) {
			t.Fatalf("formula %d: Support = %v, want %v", i, got, dep)
		}
		// Meets agrees with the intersection with a cube.
		lits := []Literal{{1, true}, {4, false}}
		if got, want := m.Meets(nf, lits), m.And(nf, m.Cube(lits)) != False; got != want {
			t.Fatalf("formula %d: Meets = %v, want %v", i, got, want)
		}
		// Canonical: equal functions are the same node.
		if same != (nf == ng) {
			t.Fatalf("formulas %d: equal=%v but nodes %d and %d", i, same, nf, ng)
		}
		// Paths are disjoint cubes whose union is the function.
		union := False
		for p := range m.Paths(nf) {
			c := m.Cube(p)
			if m.And(c, union) != False {
				t.Fatalf("formula %d: paths overlap", i)
			}
			union = m.Or(union, c)
		}
		if union != nf {
			t.Fatalf("formula %d: union of paths differs from the function", i)
		}
	}
}

func TestLimit(t *testing.T) {
	t.Parallel()
	m := New(40)
	err := Guard(func() {
		n := False
		for v := 0; v < 64; v += 2 {
			n = m.Or(n, m.And(m.Var(v), m.Var(v+1)))
		}
		t.Errorf("building 32 terms in a 40-node manager succeeded")
	})
	if _, ok := err.(*LimitError); !ok {
		t.Fatalf("Guard = %v, want a *LimitError", err)
	}
}
