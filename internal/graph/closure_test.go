package graph_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/graph"
)

func TestClosureSmall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		in, want   *graph.Matrix
		blast      []int
		reachFrom0 []int
	}{
		{"empty", m(0), m(0), []int{}, nil},
		{"no edges", m(2), m(2), []int{0, 0}, nil},
		{"self-loop", m(2, e(0, 0)), m(2, e(0, 0)), []int{0, 0}, []int{0}},
		{"chain", m(3, e(0, 1), e(1, 2)), m(3, e(0, 1), e(0, 2), e(1, 2)), []int{2, 1, 0}, []int{1, 2}},
		{
			"cycle is reflexive", m(3, e(0, 1), e(1, 0), e(1, 2)),
			m(3, e(0, 0), e(0, 1), e(0, 2), e(1, 0), e(1, 1), e(1, 2)), []int{2, 2, 0}, []int{0, 1, 2},
		},
		{
			"pivot order does not matter", m(4, e(3, 2), e(2, 1), e(1, 0)),
			m(4, e(3, 2), e(3, 1), e(3, 0), e(2, 1), e(2, 0), e(1, 0)), []int{0, 1, 2, 3}, nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before := tc.in.Clone()
			got := tc.in.Closure()
			require.True(t, got.Equal(tc.want), "Closure() = %v, want %v", pairs(got), pairs(tc.want))
			require.True(t, tc.in.Equal(before), "Closure changed its receiver")
			if d := cmp.Diff(tc.blast, tc.in.BlastRadius()); d != "" {
				t.Errorf("BlastRadius() mismatch (-want +got):\n%s", d)
			}
			if tc.in.Rows() > 0 {
				require.Equal(t, tc.reachFrom0, members(tc.in.Reach(0)), "Reach(0)")
			}
		})
	}
	require.Panics(t, func() { graph.NewMatrix(2, 3).Closure() })
	require.Panics(t, func() { graph.NewMatrix(2, 3).Reach(0) })
	require.Panics(t, func() { graph.NewMatrix(2, 2).Reach(2) })
}

// pairs lists the set bits of g, for failure messages.
func pairs(g *graph.Matrix) [][2]int {
	var p [][2]int
	for i, j := range g.Pairs() {
		p = append(p, [2]int{i, j})
	}
	return p
}

// TestClosureRandom checks Closure, Reach and BlastRadius against the
// boolean Floyd–Warshall oracle on random graphs, sparse to dense. The
// larger sizes take the parallel path when GOMAXPROCS > 1; the internal
// tests force it for every size.
func TestClosureRandom(t *testing.T) {
	t.Parallel()
	r := newRand(6)
	for _, n := range []int{1, 2, 63, 64, 65, 130, 300} {
		for _, p := range []float64{0.002, 0.01, 0.05, 0.3} {
			g := randMatrix(r, n, n, p) // drawn here: r is not safe for parallel subtests
			t.Run(fmt.Sprintf("n=%d/p=%v", n, p), func(t *testing.T) {
				t.Parallel()
				want := fromBools(slowClosure(g), n)
				got := g.Closure()
				require.True(t, got.Equal(want), "Closure differs from Floyd–Warshall")

				blast := g.BlastRadius()
				for i := range n {
					wantBlast := want.Row(i).Count()
					if want.Has(i, i) {
						wantBlast--
					}
					require.Equal(t, wantBlast, blast[i], "BlastRadius()[%d]", i)
				}
				for _, from := range []int{0, n / 2, n - 1} {
					require.True(t, g.Reach(from).Equal(want.Row(from)), "Reach(%d)", from)
				}
			})
		}
	}
}
