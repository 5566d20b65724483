package reachability

import (
	"github.com/netreach/netreach/graph"
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
	n := m.Len()
	g := graph.NewMatrix(n, n)
	nE := len(m.snap.Endpoints)
	for i := 0; i < n; i++ {
		ci := classOf[i]
		row := cg.Row(ci)
		out := g.Row(i)
		for j := 0; j < n; j++ {
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
// to its row. The bit of a class to itself means "a pod can reach another
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
	classOf = make([]int, m.Len())
	for i := range classOf {
		classOf[i] = m.universeIndex(i)
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
