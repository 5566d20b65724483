package gonumx

import (
	"slices"

	"gonum.org/v1/gonum/graph/topo"

	"github.com/netreach/netreach/internal/graph"
)

// SCC returns the strongly connected components of the directed graph
// whose adjacency matrix is the square matrix m, computed by gonum's
// topo.TarjanSCC through [Directed]. Every node is in exactly one
// component; a node on no cycle is a component of its own. Each component
// is sorted, and the components are ordered by their smallest member, so
// the result does not depend on gonum's traversal order.
//
// SCC panics if m is not square. It is O(n + E) node visits for E edges,
// plus O(n²/64) to scan the rows, and allocates per node and per edge
// inside gonum.
func SCC(m *graph.Matrix) [][]int {
	comps := topo.TarjanSCC(New(m))
	out := make([][]int, len(comps))
	for c, nodes := range comps {
		ids := make([]int, len(nodes))
		for k, n := range nodes {
			ids[k] = int(n.ID())
		}
		slices.Sort(ids)
		out[c] = ids
	}
	slices.SortFunc(out, func(a, b []int) int { return a[0] - b[0] })
	return out
}
