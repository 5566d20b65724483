package graph_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/graph"
)

func TestShortestPath(t *testing.T) {
	t.Parallel()
	diamond := m(4, e(0, 1), e(0, 2), e(1, 3), e(2, 3))
	tests := []struct {
		name     string
		g        *graph.Matrix
		from, to int
		want     []int
	}{
		{"self", m(1), 0, 0, []int{0}},
		{"self without loop in a cycle", m(2, e(0, 1), e(1, 0)), 1, 1, []int{1}},
		{"edge", m(2, e(0, 1)), 0, 1, []int{0, 1}},
		{"against the edge", m(2, e(0, 1)), 1, 0, nil},
		{"unreachable", m(3, e(0, 1)), 0, 2, nil},
		{"lowest index wins a tie", diamond, 0, 3, []int{0, 1, 3}},
		{"shortcut", m(4, e(0, 1), e(1, 2), e(2, 3), e(0, 3)), 0, 3, []int{0, 3}},
		{"across words", m(200, e(0, 150), e(150, 70), e(70, 199)), 0, 199, []int{0, 150, 70, 199}},
	}
	for _, tc := range tests {
		got := graph.ShortestPath(tc.g, tc.from, tc.to)
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s: ShortestPath(%d, %d) mismatch (-want +got):\n%s", tc.name, tc.from, tc.to, d)
		}
	}
	require.Panics(t, func() { graph.ShortestPath(graph.NewMatrix(2, 3), 0, 1) })
	require.Panics(t, func() { graph.ShortestPath(m(2), 0, 2) })
	require.Panics(t, func() { graph.ShortestPath(m(2), -1, 0) })
}

// TestShortestPathRandom checks, for every pair, that ShortestPath returns
// a real path whose length is the BFS distance, and nil exactly when the
// oracle finds no path.
func TestShortestPathRandom(t *testing.T) {
	t.Parallel()
	r := newRand(7)
	for _, n := range []int{1, 7, 65, 150} {
		for _, p := range []float64{0.01, 0.05, 0.2} {
			g := randMatrix(r, n, n, p) // drawn here: r is not safe for parallel subtests
			t.Run(fmt.Sprintf("n=%d/p=%v", n, p), func(t *testing.T) {
				t.Parallel()
				for from := range n {
					dist := slowBFS(g, from)
					for to := range n {
						path := graph.ShortestPath(g, from, to)
						if dist[to] < 0 {
							require.Nil(t, path, "ShortestPath(%d, %d)", from, to)
							continue
						}
						require.Len(t, path, dist[to]+1, "ShortestPath(%d, %d) = %v", from, to, path)
						require.Equal(t, from, path[0])
						require.Equal(t, to, path[len(path)-1])
						for k := 1; k < len(path); k++ {
							require.True(t, g.Has(path[k-1], path[k]), "ShortestPath(%d, %d) = %v uses a missing edge", from, to, path)
						}
					}
				}
			})
		}
	}
}
