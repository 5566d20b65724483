package graph_test

import (
	"math/rand/v2"

	"github.com/netreach/netreach/internal/graph"
)

// This file holds random inputs and slow reference implementations
// (oracles) written for readability, not speed, in the style of netip's
// slow_test.go. The fast code is checked against them, never the reverse.

// newRand returns a deterministic generator, so failures reproduce.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x6e65747265616368)) }

// randMatrix returns a rows×cols matrix with each bit set with probability
// p.
func randMatrix(r *rand.Rand, rows, cols int, p float64) *graph.Matrix {
	m := graph.NewMatrix(rows, cols)
	for i := range rows {
		for j := range cols {
			if r.Float64() < p {
				m.Set(i, j)
			}
		}
	}
	return m
}

// randGraph returns an n×n matrix with about p·n² bits set, chosen as
// random pairs; it is fast enough for benchmark sizes.
func randGraph(r *rand.Rand, n int, p float64) *graph.Matrix {
	m := graph.NewMatrix(n, n)
	for range int(p * float64(n) * float64(n)) {
		m.Set(r.IntN(n), r.IntN(n))
	}
	return m
}

// randDense returns a rows×cols matrix with each bit set with probability
// 1/2, filled a word at a time.
func randDense(r *rand.Rand, rows, cols int) *graph.Matrix {
	g := graph.NewMatrix(rows, cols)
	for i := range rows {
		row := g.Row(i)
		for k := range row {
			row[k] = r.Uint64()
		}
		if tail := cols & 63; tail != 0 {
			row[len(row)-1] &= 1<<tail - 1 // keep the padding clear
		}
	}
	return g
}

// m builds a square matrix of n nodes from edges given as pairs.
func m(n int, edges ...[2]int) *graph.Matrix {
	g := graph.NewMatrix(n, n)
	for _, e := range edges {
		g.Set(e[0], e[1])
	}
	return g
}

// e is an edge, for m.
func e(i, j int) [2]int { return [2]int{i, j} }

// toBools copies a matrix into a [][]bool, one Has call per bit.
func toBools(g *graph.Matrix) [][]bool {
	b := make([][]bool, g.Rows())
	for i := range b {
		b[i] = make([]bool, g.Cols())
		for j := range b[i] {
			b[i][j] = g.Has(i, j)
		}
	}
	return b
}

// fromBools is the inverse of toBools.
func fromBools(b [][]bool, cols int) *graph.Matrix {
	g := graph.NewMatrix(len(b), cols)
	for i, row := range b {
		for j, v := range row {
			if v {
				g.Set(i, j)
			}
		}
	}
	return g
}

// slowTranspose transposes bit by bit.
func slowTranspose(g *graph.Matrix) *graph.Matrix {
	t := graph.NewMatrix(g.Cols(), g.Rows())
	for i := range g.Rows() {
		for j := range g.Cols() {
			if g.Has(i, j) {
				t.Set(j, i)
			}
		}
	}
	return t
}

// slowClosure is the boolean Floyd–Warshall closure: r[i][j] iff a path of
// length ≥ 1 leads from i to j.
func slowClosure(g *graph.Matrix) [][]bool {
	r := toBools(g)
	n := len(r)
	for k := range n {
		for i := range n {
			for j := range n {
				r[i][j] = r[i][j] || r[i][k] && r[k][j]
			}
		}
	}
	return r
}

// slowBFS returns the distance in edges from from to every node, or -1
// where a node cannot be reached; the distance from from to itself is 0.
func slowBFS(g *graph.Matrix, from int) []int {
	dist := make([]int, g.Rows())
	for i := range dist {
		dist[i] = -1
	}
	dist[from] = 0
	queue := []int{from}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for u := range g.Cols() {
			if g.Has(v, u) && dist[u] < 0 {
				dist[u] = dist[v] + 1
				queue = append(queue, u)
			}
		}
	}
	return dist
}
