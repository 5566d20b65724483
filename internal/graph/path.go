package graph

import (
	"math/bits"
	"slices"
)

// ShortestPath returns a shortest path from node from to node to in the
// directed graph whose adjacency matrix is the square matrix m, as the
// list of nodes from, …, to; or nil if to is not reachable from from. The
// path from a node to itself is [from], of length zero, whether or not
// there is a cycle. Among paths of equal length it returns the one that
// breadth-first search finds first when it visits neighbours in increasing
// order, so the result is deterministic.
//
// ShortestPath panics if m is not square or an index is out of range. It
// is a breadth-first search that finds the unvisited neighbours of a node
// with one AND NOT per word of its row: O(n²/64) in the worst case, with
// allocations of O(n).
//
// It lives here rather than behind the gonum adapter (package gonumx)
// because the bit rows make the search a few word operations per node.
func ShortestPath(m *Matrix, from, to int) []int {
	m.mustBeSquare("ShortestPath")
	if uint(from) >= uint(m.rows) || uint(to) >= uint(m.rows) {
		panic("graph: ShortestPath: index out of range")
	}
	if from == to {
		return []int{from}
	}
	seen := NewSet(m.rows)
	seen.Add(from)
	parent := make([]int32, m.rows)
	queue := make([]int32, 1, m.rows)
	queue[0] = int32(from)
	for len(queue) > 0 {
		v := int(queue[0])
		queue = queue[1:]
		row := m.Row(v)
		for wi, w := range row {
			w &^= seen[wi]
			seen[wi] |= w
			for ; w != 0; w &= w - 1 {
				u := wi<<6 + bits.TrailingZeros64(w)
				parent[u] = int32(v)
				if u == to {
					return pathTo(parent, from, to)
				}
				queue = append(queue, int32(u))
			}
		}
	}
	return nil
}

// pathTo walks parent links back from to and returns the path from, …, to.
func pathTo(parent []int32, from, to int) []int {
	var p []int
	for v := to; v != from; v = int(parent[v]) {
		p = append(p, v)
	}
	p = append(p, from)
	slices.Reverse(p)
	return p
}
