package graph_test

import (
	"testing"

	"github.com/netreach/netreach/internal/graph"
)

// TestNoAllocs pins the hot path at zero allocations (no allocation on the hot path).
func TestNoAllocs(t *testing.T) {
	// Not parallel: AllocsPerRun measures the whole process.
	a, b := graph.NewSet(1000), graph.NewSet(1000)
	a.Fill(500)
	b.Add(7)
	g := randMatrix(newRand(11), 100, 300, 0.1)
	var sink int
	var sinkSet graph.Set
	tests := []struct {
		name string
		f    func()
	}{
		{"Set.Or", func() { a.Or(b) }},
		{"Set.And", func() { a.And(b) }},
		{"Set.AndNot", func() { a.AndNot(b) }},
		{"Set.CopyFrom", func() { a.CopyFrom(b) }},
		{"Set.Count", func() { sink += a.Count() }},
		{"Set.Intersects", func() {
			if a.Intersects(b) {
				sink++
			}
		}},
		{"Set.Next", func() { i, _ := b.Next(3); sink += i }},
		{"Set.All", func() {
			for i := range b.All() {
				sink += i
			}
		}},
		{"Matrix.Row", func() { sinkSet = g.Row(42) }},
		{"Matrix.Has", func() {
			if g.Has(3, 299) {
				sink++
			}
		}},
		{"Matrix.Set", func() { g.Set(99, 0) }},
		{"Matrix.Column", func() { g.Column(299, a) }},
		{"Matrix.Pairs", func() {
			for i, j := range g.Pairs() {
				sink += i + j
			}
		}},
	}
	for _, tc := range tests {
		if n := testing.AllocsPerRun(100, tc.f); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tc.name, n)
		}
	}
	_, _ = sink, sinkSet
}
