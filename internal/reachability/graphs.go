package reachability

import (
	"github.com/netreach/netreach/internal/graph"
)

// Graph returns who can reach whom over the given port atoms (every atom
// when ports is nil), as a square bit matrix over the matrix's entries
// (endpoints, then external atoms): bit (i, j) is set when i can open a
// connection to j on at least one of the atoms (conditional verdicts count
// when withConditional). A pod's bit to itself is not set, and pairs of
// two external atoms are never set. It costs O(Len()² × atoms / 64) and
// Len()²/8 bytes; for very large clusters use [Matrix.ClassGraph].
func (m *Matrix) Graph(ports []int, withConditional bool) *graph.Matrix {
	cg, classOf := m.ClassGraph(ports, withConditional)
	if ports == nil {
		ports = make([]int, len(m.ports))
		for i := range ports {
			ports[i] = i
		}
	}
	n := m.Len()
	g := graph.NewMatrix(n, n)
	nE := len(m.snap.Endpoints)
	base := m.numBase()
	for i := 0; i < n; i++ {
		if i >= base {
			for _, p := range ports {
				g.Row(i).Or(m.Row(i, p))
				if withConditional {
					for j := 0; j < n; j++ {
						if m.IsPair(i, j) && m.At(i, j, p) == Conditional {
							g.Row(i).Add(j)
						}
					}
				}
			}
			continue
		}
		for j := base; j < n; j++ {
			for _, p := range ports {
				if v := m.At(i, j, p); m.IsPair(i, j) && (v == Allow || withConditional && v == Conditional) {
					g.Row(i).Add(j)
					break
				}
			}
		}
		ci := classOf[i]
		row := cg.Row(ci)
		out := g.Row(i)
		for j := 0; j < base; j++ {
			if i == j || (i >= nE && j >= nE) {
				continue
			}
			if row.Has(classOf[j]) {
				out.Add(j)
			}
		}
	}
	return g
}

// ClassGraph is [Matrix.Graph] on endpoint classes: rows and columns are
// the classes followed by the external atoms, and classOf maps each entry
// to its row (derived entries have none: they are not in the class
// graph). The bit of a class to itself means "a pod can reach another
// pod of its class" (a pod always reaches itself).
func (m *Matrix) ClassGraph(ports []int, withConditional bool) (g *graph.Matrix, classOf []int) {
	if ports == nil {
		ports = make([]int, len(m.ports))
		for i := range ports {
			ports[i] = i
		}
	}
	nU := m.u.nU
	g = graph.NewMatrix(nU, nU)
	pos := withConditional && m.t.pos != nil
	tmp, base := graph.NewSet(nU), graph.NewSet(nU)
	for i := 0; i < nU; i++ {
		m.t.rowsOr(i, ports, g.Row(i), tmp, base, pos)
	}
	classOf = make([]int, m.numBase())
	for i := range classOf {
		classOf[i] = m.universeIndex(i)
	}
	// Holes (see holes.go) have no endpoint: no flow starts or ends there.
	for c := 0; c < m.u.nC; c++ {
		if m.u.classes[c].hole {
			g.Row(c).Clear()
			for i := 0; i < nU; i++ {
				g.Row(i).Remove(c)
			}
		}
	}
	// Flows between two external atoms are not described.
	for a := m.u.nC; a < nU; a++ {
		row := g.Row(a)
		for b := m.u.nC; b < nU; b++ {
			row.Remove(b)
		}
	}
	return g, classOf
}
