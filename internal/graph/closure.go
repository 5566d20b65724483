package graph

import (
	"math/bits"
	"runtime"
)

// Closure returns the transitive closure of the square matrix m, read as
// the adjacency matrix of a directed graph: bit (i, j) of the result is set
// iff there is a path of length one or more from i to j. The closure is
// not reflexive: (i, i) is set only if i lies on a cycle (a self-loop
// counts). Closure panics if m is not square; it does not change m.
//
// Closure runs Warshall's algorithm ("for each pivot k, every row i that
// has bit k ORs in row k") on whole rows, with the pivots taken 64 at a
// time, one column word K at a time:
//
//  1. The pivot rows K are closed among themselves. Their K words form a
//     64×64 bit block, whose closure C is cheap; each pivot row p then ORs
//     in the old pivot rows q ∈ C(p). Row p now equals plain Warshall's
//     row p after pivots K, and it contains row q whenever q ∈ C(p).
//  2. Every other row i ORs in the pivot rows whose bit it holds, skipping
//     those contained in a pivot row it already took: in one strongly
//     connected block that is one row, not 64.
//
// Both steps read one set of rows and write another, so the rows are
// split among GOMAXPROCS workers that each write only their own, with no
// locks. Step 2 may OR in rows that hold more than plain Warshall would
// have at that point, but every extra bit is a real path, so the result is
// the same.
//
// Closure is O(n³/64) in the worst case (every pivot row needed by every
// row) and close to O(n³/4096) when the graph is one big strongly
// connected component. It allocates the result, 64 scratch rows and a few
// goroutines per 64 pivots.
func (m *Matrix) Closure() *Matrix {
	m.mustBeSquare("Closure")
	c := m.Clone()
	c.close(runtime.GOMAXPROCS(0), max(1, (1<<15)/(64*c.stride+1)))
	return c
}

// close replaces the square matrix c by its transitive closure, using at
// most workers goroutines, each with at least grain rows.
func (c *Matrix) close(workers, grain int) {
	stride := c.stride
	snap := make([]uint64, 64*stride) // pivot rows before step 1
	for kb := range stride {
		k0, k1 := kb<<6, min(c.rows, kb<<6+64)
		nk := k1 - k0

		// Step 1: close the pivot rows among themselves.
		copy(snap, c.w[k0*stride:k1*stride])
		var sub [64]uint64 // sub[t] bit u: edge k0+t → k0+u
		for t := range nk {
			sub[t] = snap[t*stride+kb]
		}
		closeBlock(&sub)
		parallelN(workers, nk, grain, func(lo, hi int) {
			var rows [64]Set
			for t := lo; t < hi; t++ {
				n := 0
				for pend := sub[t] &^ (1 << t); pend != 0; pend &= pend - 1 {
					q := bits.TrailingZeros64(pend)
					rows[n] = Set(snap[q*stride : (q+1)*stride : (q+1)*stride])
					n++
				}
				orRows(c.Row(k0+t), rows[:n])
			}
		})

		// Step 2: all other rows. The pivot rows are read-only here.
		parallelN(workers, c.rows, grain, func(lo, hi int) {
			var rows [64]Set
			for i := lo; i < hi; i++ {
				if k0 <= i && i < k1 {
					continue
				}
				ri := c.Row(i)
				n := 0
				for pend := ri[kb]; pend != 0; {
					p := bits.TrailingZeros64(pend)
					rows[n] = c.Row(k0 + p)
					n++
					pend &^= rows[n-1][kb] | 1<<p // rows it contains add nothing
				}
				orRows(ri, rows[:n])
			}
		})
	}
}

// closeBlock replaces the 64×64 bit matrix b (bit u of b[t] is the edge
// t → u) by its transitive closure. It is Warshall on single words, 64²
// steps.
func closeBlock(b *[64]uint64) {
	for k := range 64 {
		bit, row := uint64(1)<<k, b[k]
		for t := range b {
			if b[t]&bit != 0 {
				b[t] |= row
			}
		}
	}
}

// orRows ORs every row of srcs into dst, in one pass over dst: four words
// at a time, it loads dst once, ORs in the same four words of each source
// and stores once. All rows must be as long as dst.
func orRows(dst Set, srcs []Set) {
	switch len(srcs) {
	case 0:
		return
	case 1:
		dst.Or(srcs[0])
		return
	}
	w := 0
	for ; w+4 <= len(dst); w += 4 {
		d := dst[w : w+4 : w+4]
		a0, a1, a2, a3 := d[0], d[1], d[2], d[3]
		for _, s := range srcs {
			q := s[w : w+4 : w+4]
			a0 |= q[0]
			a1 |= q[1]
			a2 |= q[2]
			a3 |= q[3]
		}
		d[0], d[1], d[2], d[3] = a0, a1, a2, a3
	}
	for ; w < len(dst); w++ {
		a := dst[w]
		for _, s := range srcs {
			a |= s[w]
		}
		dst[w] = a
	}
}

// Reach returns the set of nodes reachable from node from by a path of
// length one or more, which is row from of [Matrix.Closure] computed
// without the rest of the closure: from itself is in the set only if it
// lies on a cycle. Reach panics if m is not square or from is out of
// range. It is a breadth-first search that ORs whole rows, O(n²/64) in the
// worst case, and allocates three Sets.
func (m *Matrix) Reach(from int) Set {
	m.mustBeSquare("Reach")
	seen := NewSet(m.rows)
	seen.CopyFrom(m.Row(from))
	frontier, next := NewSet(m.rows), NewSet(m.rows)
	frontier.CopyFrom(seen)
	for !frontier.IsEmpty() {
		next.Clear()
		for v := range frontier.All() {
			next.Or(m.Row(v))
		}
		next.AndNot(seen)
		seen.Or(next)
		frontier, next = next, frontier
	}
	return seen
}

// BlastRadius returns, for each node of the square matrix m, the number of
// other nodes it can reach through one or more hops: the population count
// of its row of [Matrix.Closure], not counting the node itself. In a
// reachability matrix this is how far an attacker who owns the node can
// move laterally. BlastRadius panics if m is not square; it costs one
// Closure plus O(n²/64).
func (m *Matrix) BlastRadius() []int {
	c := m.Closure()
	out := make([]int, c.rows)
	for i := range out {
		r := c.Row(i)
		out[i] = r.Count()
		if r.Has(i) {
			out[i]--
		}
	}
	return out
}

// mustBeSquare panics, naming the operation, if m is not square.
func (m *Matrix) mustBeSquare(op string) {
	if m.rows != m.cols {
		panic("graph: Matrix." + op + ": matrix is not square")
	}
}
