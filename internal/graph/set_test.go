package graph_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/graph"
)

// set returns a Set of n bits holding the given members.
func set(n int, members ...int) graph.Set {
	s := graph.NewSet(n)
	for _, i := range members {
		s.Add(i)
	}
	return s
}

// members lists the bits of s.
func members(s graph.Set) []int { return slices.Collect(s.All()) }

func TestWords(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]int{0: 0, 1: 1, 63: 1, 64: 1, 65: 2, 128: 2, 129: 3} {
		if got := graph.Words(n); got != want {
			t.Errorf("Words(%d) = %d, want %d", n, got, want)
		}
		require.Len(t, graph.NewSet(n), want, "NewSet(%d)", n)
	}
	require.Panics(t, func() { graph.NewSet(-1) })
}

func TestSetBits(t *testing.T) {
	t.Parallel()
	s := graph.NewSet(130)
	require.True(t, s.IsEmpty())
	for _, i := range []int{0, 63, 64, 129} {
		require.False(t, s.Has(i), "Has(%d) before Add", i)
		s.Add(i)
		require.True(t, s.Has(i), "Has(%d) after Add", i)
	}
	s.Add(64) // idempotent
	require.Equal(t, 4, s.Count())
	require.False(t, s.IsEmpty())
	s.Remove(63)
	s.Remove(62) // not a member
	require.Equal(t, []int{0, 64, 129}, members(s))
	s.Clear()
	require.True(t, s.IsEmpty())
	require.Equal(t, 0, s.Count())

	require.Panics(t, func() { s.Has(192) })
	require.Panics(t, func() { s.Add(-1) })
	require.Panics(t, func() { s.Remove(1 << 20) })
}

func TestSetFill(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 63, 64, 65, 127, 128} {
		s := set(128, 0, 100, 127) // Fill must also clear bits ≥ n
		s.Fill(n)
		want := make([]int, n)
		for i := range want {
			want[i] = i
		}
		if got := members(s); !slices.Equal(got, want) {
			t.Errorf("Fill(%d) = %v, want %v", n, got, want)
		}
	}
	require.Panics(t, func() { graph.NewSet(64).Fill(65) })
	require.Panics(t, func() { graph.NewSet(64).Fill(-1) })
}

func TestSetBinaryOps(t *testing.T) {
	t.Parallel()
	const n = 200
	a := []int{0, 5, 63, 64, 70, 128, 199}
	b := []int{5, 6, 64, 127, 199}
	tests := []struct {
		name string
		op   func(s, x graph.Set)
		want []int
	}{
		{"Or", graph.Set.Or, []int{0, 5, 6, 63, 64, 70, 127, 128, 199}},
		{"And", graph.Set.And, []int{5, 64, 199}},
		{"AndNot", graph.Set.AndNot, []int{0, 63, 70, 128}},
		{"CopyFrom", graph.Set.CopyFrom, b},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, x := set(n, a...), set(n, b...)
			tc.op(s, x)
			if d := cmp.Diff(tc.want, members(s)); d != "" {
				t.Errorf("%s(%v, %v) mismatch (-want +got):\n%s", tc.name, a, b, d)
			}
			require.Equal(t, b, members(x), "%s changed its argument", tc.name)

			var empty graph.Set
			tc.op(empty, nil) // the zero Set is a valid empty operand
			require.Panics(t, func() { tc.op(set(n, a...), graph.NewSet(64)) }, "%s with a short argument", tc.name)
		})
	}
}

func TestSetCompare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		a, b                graph.Set
		equal, intersecting bool
	}{
		{"both empty", nil, nil, true, false},
		{"empty vs zero words", nil, graph.NewSet(64), false, false},
		{"same", set(100, 1, 99), set(100, 1, 99), true, true},
		{"overlap", set(100, 1, 99), set(100, 99), false, true},
		{"disjoint", set(100, 1, 64), set(100, 2, 65), false, false},
		{"different length", set(64, 1), set(128, 1), false, true},
	}
	for _, tc := range tests {
		if got := tc.a.Equal(tc.b); got != tc.equal {
			t.Errorf("%s: Equal = %v, want %v", tc.name, got, tc.equal)
		}
		if got := tc.a.Intersects(tc.b); got != tc.intersecting {
			t.Errorf("%s: Intersects = %v, want %v", tc.name, got, tc.intersecting)
		}
	}
}

func TestSetNext(t *testing.T) {
	t.Parallel()
	s := set(300, 3, 64, 65, 200, 299)
	tests := []struct {
		from, want int
		ok         bool
	}{
		{-5, 3, true}, {0, 3, true}, {3, 3, true}, {4, 64, true}, {65, 65, true},
		{66, 200, true}, {201, 299, true}, {299, 299, true}, {300, 0, false}, {1000, 0, false},
	}
	for _, tc := range tests {
		got, ok := s.Next(tc.from)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Next(%d) = %d, %v, want %d, %v", tc.from, got, ok, tc.want, tc.ok)
		}
	}
	_, ok := graph.NewSet(128).Next(0)
	require.False(t, ok, "Next on an empty set")

	// The documented loop visits what All visits.
	var got []int
	for i, ok := s.Next(0); ok; i, ok = s.Next(i + 1) {
		got = append(got, i)
	}
	require.Equal(t, members(s), got)
}

func TestSetAll(t *testing.T) {
	t.Parallel()
	r := newRand(1)
	for _, n := range []int{0, 1, 63, 64, 65, 500} {
		s, want := graph.NewSet(n), []int(nil)
		for i := range n {
			if r.IntN(3) == 0 {
				s.Add(i)
				want = append(want, i)
			}
		}
		if d := cmp.Diff(want, members(s)); d != "" {
			t.Errorf("All() on %d bits mismatch (-want +got):\n%s", n, d)
		}
		require.Equal(t, len(want), s.Count())
	}
	// Breaking out of the loop stops the iterator.
	var first []int
	for i := range set(200, 1, 2, 100, 150).All() {
		if i > 50 {
			break
		}
		first = append(first, i)
	}
	require.Equal(t, []int{1, 2}, first)
}
