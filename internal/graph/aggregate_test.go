package graph_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/graph"
)

// slowAggregateCounts counts the pairs between groups, one Has call each.
func slowAggregateCounts(g *graph.Matrix, group []int, ngroups int) [][]int {
	c := make([][]int, ngroups)
	for i := range c {
		c[i] = make([]int, ngroups)
	}
	for i := range g.Rows() {
		for j := range g.Cols() {
			if g.Has(i, j) {
				c[group[i]][group[j]]++
			}
		}
	}
	return c
}

func TestAggregate(t *testing.T) {
	t.Parallel()
	// Nodes 0,1 in group 0, node 2 in group 2, group 1 empty.
	g := m(3, e(0, 1), e(1, 2), e(2, 2))
	group := []int{0, 0, 2}
	require.True(t, graph.Aggregate(g, group, 3).Equal(m(3, e(0, 0), e(0, 2), e(2, 2))))
	want := [][]int{{1, 0, 1}, {0, 0, 0}, {0, 0, 1}}
	if d := cmp.Diff(want, graph.AggregateCounts(g, group, 3)); d != "" {
		t.Errorf("AggregateCounts mismatch (-want +got):\n%s", d)
	}

	require.Equal(t, 0, graph.Aggregate(m(0), nil, 0).Rows())
	require.Empty(t, graph.AggregateCounts(m(0), nil, 0))

	for name, f := range map[string]func(*graph.Matrix, []int, int){
		"Aggregate":       func(g *graph.Matrix, gr []int, n int) { graph.Aggregate(g, gr, n) },
		"AggregateCounts": func(g *graph.Matrix, gr []int, n int) { graph.AggregateCounts(g, gr, n) },
	} {
		require.Panics(t, func() { f(graph.NewMatrix(2, 3), []int{0, 0}, 1) }, "%s: not square", name)
		require.Panics(t, func() { f(m(2), []int{0}, 1) }, "%s: short group", name)
		require.Panics(t, func() { f(m(2), []int{0, 1}, 1) }, "%s: group too large", name)
		require.Panics(t, func() { f(m(2), []int{0, -1}, 1) }, "%s: negative group", name)
	}
}

func TestAggregateRandom(t *testing.T) {
	t.Parallel()
	r := newRand(8)
	for _, n := range []int{1, 64, 65, 200} {
		for _, ngroups := range []int{1, 3, 70, n} {
			for _, p := range []float64{0.005, 0.1, 0.9} {
				g := randMatrix(r, n, n, p) // drawn here: r is not safe for parallel subtests
				group := make([]int, n)
				for i := range group {
					group[i] = r.IntN(ngroups)
				}
				t.Run(fmt.Sprintf("n=%d/groups=%d/p=%v", n, ngroups, p), func(t *testing.T) {
					t.Parallel()
					counts := slowAggregateCounts(g, group, ngroups)
					if d := cmp.Diff(counts, graph.AggregateCounts(g, group, ngroups)); d != "" {
						t.Fatalf("AggregateCounts mismatch (-want +got):\n%s", d)
					}
					agg := graph.Aggregate(g, group, ngroups)
					for a := range ngroups {
						for b := range ngroups {
							require.Equal(t, counts[a][b] > 0, agg.Has(a, b), "Aggregate bit (%d, %d)", a, b)
						}
					}
				})
			}
		}
	}
}
