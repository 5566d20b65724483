package graph_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/graph"
)

// awkwardSizes are shapes around the 64-bit word and block boundaries.
var awkwardSizes = [][2]int{
	{0, 0}, {0, 5}, {5, 0}, {1, 1}, {1, 64}, {64, 1}, {63, 63}, {64, 64},
	{65, 65}, {63, 129}, {130, 70}, {128, 128}, {200, 1000},
}

func TestMatrixShape(t *testing.T) {
	t.Parallel()
	tests := []struct{ rows, cols, stride int }{
		{0, 0, 0}, {3, 0, 0}, {0, 3, 1}, {2, 64, 1}, {2, 65, 2}, {10, 130, 3},
	}
	for _, tc := range tests {
		g := graph.NewMatrix(tc.rows, tc.cols)
		got := [3]int{g.Rows(), g.Cols(), g.Stride()}
		if want := [3]int{tc.rows, tc.cols, tc.stride}; got != want {
			t.Errorf("NewMatrix(%d, %d): rows, cols, stride = %v, want %v", tc.rows, tc.cols, got, want)
		}
		require.Zero(t, g.Count())
	}
	var zero graph.Matrix
	require.Zero(t, zero.Rows())
	require.Zero(t, zero.Count())
	require.True(t, zero.Equal(graph.NewMatrix(0, 0)))
	require.Panics(t, func() { graph.NewMatrix(-1, 2) })
	require.Panics(t, func() { graph.NewMatrix(2, -1) })
}

func TestMatrixBits(t *testing.T) {
	t.Parallel()
	g := graph.NewMatrix(3, 70)
	pairs := [][2]int{{0, 0}, {0, 69}, {1, 64}, {2, 63}, {2, 1}}
	for _, p := range pairs {
		g.Set(p[0], p[1])
		require.True(t, g.Has(p[0], p[1]), "Has%v after Set", p)
	}
	require.Equal(t, len(pairs), g.Count())
	require.False(t, g.Has(1, 63))

	var got [][2]int
	for i, j := range g.Pairs() {
		got = append(got, [2]int{i, j})
	}
	want := [][2]int{{0, 0}, {0, 69}, {1, 64}, {2, 1}, {2, 63}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Pairs() mismatch (-want +got):\n%s", d)
	}
	for range g.Pairs() {
		break // stopping early must not panic
	}

	g.Clear(0, 69)
	g.Clear(0, 68) // not set
	require.False(t, g.Has(0, 69))
	require.Equal(t, len(pairs)-1, g.Count())

	for _, ij := range [][2]int{{-1, 0}, {3, 0}, {0, -1}, {0, 70}, {0, 127}} {
		require.Panics(t, func() { g.Has(ij[0], ij[1]) }, "Has%v", ij)
		require.Panics(t, func() { g.Set(ij[0], ij[1]) }, "Set%v", ij)
		require.Panics(t, func() { g.Clear(ij[0], ij[1]) }, "Clear%v", ij)
	}
}

func TestMatrixRow(t *testing.T) {
	t.Parallel()
	g := graph.NewMatrix(3, 100)
	g.Set(1, 99)
	r := g.Row(1)
	require.Len(t, r, 2)
	require.Equal(t, 2, cap(r), "Row must clip its capacity")
	require.True(t, r.Has(99))

	r.Add(5) // writes go through
	require.True(t, g.Has(1, 5))
	g.Set(1, 6) // and the view sees later changes
	require.True(t, r.Has(6))
	require.Zero(t, g.Row(0).Count()+g.Row(2).Count(), "neighbouring rows changed")

	_ = append(r, 1<<63) // must not clobber row 2
	require.Zero(t, g.Row(2).Count())

	require.Panics(t, func() { g.Row(3) })
	require.Panics(t, func() { g.Row(-1) })
	require.Empty(t, graph.NewMatrix(2, 0).Row(1))
}

func TestMatrixEqualClone(t *testing.T) {
	t.Parallel()
	a := randMatrix(newRand(2), 70, 130, 0.3)
	c := a.Clone()
	require.True(t, a.Equal(c))
	c.Set(69, 129)
	c.Clear(69, 129)
	require.True(t, a.Equal(c))
	c.Row(0).Clear()
	require.Equal(t, a.Row(0).Count() == 0, a.Equal(c), "Clone must not share storage")

	require.False(t, graph.NewMatrix(2, 3).Equal(graph.NewMatrix(3, 2)), "shapes differ")
	require.False(t, graph.NewMatrix(1, 64).Equal(graph.NewMatrix(1, 63)), "same words, different cols")
}

func TestMatrixColumn(t *testing.T) {
	t.Parallel()
	r := newRand(3)
	for _, sz := range awkwardSizes {
		g := randMatrix(r, sz[0], sz[1], 0.4)
		dst := graph.NewSet(g.Rows())
		for j := range g.Cols() {
			dst.Fill(g.Rows()) // Column must overwrite, not OR
			g.Column(j, dst)
			for i := range g.Rows() {
				if dst.Has(i) != g.Has(i, j) {
					t.Fatalf("%dx%d: Column(%d) bit %d = %v, want %v", sz[0], sz[1], j, i, dst.Has(i), g.Has(i, j))
				}
			}
		}
	}
	g := graph.NewMatrix(65, 3)
	require.Panics(t, func() { g.Column(3, graph.NewSet(65)) })
	require.Panics(t, func() { g.Column(0, graph.NewSet(64)) })
}

func TestTranspose(t *testing.T) {
	t.Parallel()
	r := newRand(4)
	for _, sz := range awkwardSizes {
		for _, p := range []float64{0, 0.05, 0.5, 1} {
			t.Run(fmt.Sprintf("%dx%d/p=%v", sz[0], sz[1], p), func(t *testing.T) {
				g := randMatrix(r, sz[0], sz[1], p)
				before := g.Clone()
				want := slowTranspose(g)
				got := g.Transpose()
				require.True(t, got.Equal(want), "Transpose differs from the bit-by-bit transpose")
				require.True(t, g.Equal(before), "Transpose changed its receiver")
				require.True(t, got.Transpose().Equal(g), "Transpose is not an involution")

				// TransposeInto overwrites whatever dst held.
				dst := randMatrix(r, sz[1], sz[0], 0.5)
				g.TransposeInto(dst)
				require.True(t, dst.Equal(want), "TransposeInto into a dirty dst")
			})
		}
	}
	g := graph.NewMatrix(4, 4)
	require.Panics(t, func() { g.TransposeInto(g) })
	require.Panics(t, func() { g.TransposeInto(graph.NewMatrix(4, 5)) })
}

func TestMatrixAnd(t *testing.T) {
	t.Parallel()
	r := newRand(5)
	for _, sz := range awkwardSizes {
		a, b := randMatrix(r, sz[0], sz[1], 0.5), randMatrix(r, sz[0], sz[1], 0.5)
		bt := slowTranspose(b)
		want := graph.NewMatrix(sz[0], sz[1])
		for i := range sz[0] {
			for j := range sz[1] {
				if a.Has(i, j) && b.Has(i, j) {
					want.Set(i, j)
				}
			}
		}
		got := a.Clone()
		got.And(b)
		require.True(t, got.Equal(want), "%dx%d: And", sz[0], sz[1])

		got = a.Clone()
		got.AndTransposeOf(bt)
		require.True(t, got.Equal(want), "%dx%d: AndTransposeOf", sz[0], sz[1])
	}

	// m AND mᵀ of itself keeps the symmetric pairs only.
	g := m(3, e(0, 1), e(1, 0), e(1, 2), e(2, 2))
	g.AndTransposeOf(g)
	require.True(t, g.Equal(m(3, e(0, 1), e(1, 0), e(2, 2))))

	require.Panics(t, func() { graph.NewMatrix(2, 3).And(graph.NewMatrix(3, 2)) })
	require.Panics(t, func() { graph.NewMatrix(2, 3).AndTransposeOf(graph.NewMatrix(2, 3)) })
}
