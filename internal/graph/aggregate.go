package graph

import "math/bits"

// Aggregate collapses the square node matrix m to a matrix over groups:
// bit (g, h) of the ngroups×ngroups result is set iff some node i in group
// g and some node j in group h have bit (i, j) set in m. group[i] is the
// group of node i. A group may be empty; its row and column are then
// zero.
//
// Aggregate panics if m is not square, len(group) != m.Rows(), or a group
// number is outside [0, ngroups). It works on words only: it ORs the rows
// of each group into an ngroups×n matrix, transposes that, ORs its rows by
// group again and transposes back, which is O(n²/64 + ngroups·n/64) and
// allocates four matrices of at most ngroups×n bits.
func Aggregate(m *Matrix, group []int, ngroups int) *Matrix {
	checkGroups("Aggregate", m, group, ngroups)
	byRow := orRowsByGroup(m, group, ngroups)                // (g, j): some i∈g reaches j
	both := orRowsByGroup(byRow.Transpose(), group, ngroups) // (h, g): some j∈h is reached from g
	return both.Transpose()
}

// orRowsByGroup returns the ngroups×m.Cols() matrix whose row g is the OR
// of the rows i of m with group[i] == g.
func orRowsByGroup(m *Matrix, group []int, ngroups int) *Matrix {
	out := NewMatrix(ngroups, m.cols)
	for i, g := range group {
		out.Row(g).Or(m.Row(i))
	}
	return out
}

// AggregateCounts counts the set bits of the square node matrix m between
// groups: the result c has c[g][h] = the number of pairs (i, j) with i in
// group g, j in group h and bit (i, j) set. It is the input of a heatmap.
// The rows of c share one backing array. Panics are as for [Aggregate].
//
// For each row AggregateCounts either walks its set bits or intersects the
// row with a membership set per group, whichever is cheaper, so it is
// O(n · min(popcount(row), ngroups·n/64)) and allocates an ngroups×n
// membership matrix plus the result.
func AggregateCounts(m *Matrix, group []int, ngroups int) [][]int {
	checkGroups("AggregateCounts", m, group, ngroups)
	flat := make([]int, ngroups*ngroups)
	counts := make([][]int, ngroups)
	for g := range counts {
		counts[g] = flat[g*ngroups : (g+1)*ngroups : (g+1)*ngroups]
	}
	members := NewMatrix(ngroups, m.rows)
	for j, h := range group {
		members.Set(h, j)
	}
	for i, g := range group {
		row, c := m.Row(i), counts[g]
		if n := row.Count(); n <= ngroups*m.stride {
			for wi, w := range row {
				for ; w != 0; w &= w - 1 {
					c[group[wi<<6+bits.TrailingZeros64(w)]]++
				}
			}
			continue
		}
		for h := range ngroups {
			c[h] += andCount(row, members.Row(h))
		}
	}
	return counts
}

// andCount returns the number of bits set in both a and b. It is O(n/64).
func andCount(a, b Set) int {
	if len(a) == 0 {
		return 0
	}
	_ = b[len(a)-1]
	n := 0
	for i := range a {
		n += bits.OnesCount64(a[i] & b[i])
	}
	return n
}

// checkGroups panics unless m is square and group maps each of its nodes
// into [0, ngroups).
func checkGroups(op string, m *Matrix, group []int, ngroups int) {
	m.mustBeSquare(op)
	if len(group) != m.rows {
		panic("graph: " + op + ": len(group) != m.Rows()")
	}
	for _, g := range group {
		if uint(g) >= uint(ngroups) {
			panic("graph: " + op + ": group number out of range")
		}
	}
}
