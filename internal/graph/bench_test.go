package graph_test

import (
	"fmt"
	"testing"

	"github.com/netreach/netreach/internal/graph"
)

// Benchmark inputs are random graphs with a fixed seed: "1%" has about
// 0.01·n² edges (a mean out-degree of n/100), "10%" ten times more. At
// these densities almost every node joins one giant strongly connected
// component, so the closure is nearly full: the worst case for Warshall.

var benchDensities = []float64{0.01, 0.10}

func BenchmarkTranspose(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		g := randGraph(newRand(20), n, 0.01)
		dst := graph.NewMatrix(n, n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(n) * int64(g.Stride()) * 8)
			for b.Loop() {
				g.TransposeInto(dst)
			}
		})
	}
}

func BenchmarkAndTransposeOf(b *testing.B) {
	const n = 10000
	g, h := randDense(newRand(21), n, n), randDense(newRand(22), n, n)
	b.ReportAllocs()
	for b.Loop() {
		g.AndTransposeOf(h)
	}
}

func BenchmarkClosure(b *testing.B) {
	for _, n := range []int{2048, 10000} {
		for _, p := range benchDensities {
			g := randGraph(newRand(23), n, p)
			b.Run(fmt.Sprintf("n=%d/p=%v", n, p), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					g.Closure()
				}
			})
		}
	}
}

// BenchmarkClosureChain is a sparse, acyclic input: a chain plus a few
// random forward edges, so rows fill gradually instead of all at once.
func BenchmarkClosureChain(b *testing.B) {
	const n = 2048
	r := newRand(24)
	g := graph.NewMatrix(n, n)
	for i := range n - 1 {
		g.Set(i, i+1)
		g.Set(i, i+1+r.IntN(n-i-1))
	}
	b.ReportAllocs()
	for b.Loop() {
		g.Closure()
	}
}

func BenchmarkBlastRadius(b *testing.B) {
	const n = 10000
	g := randGraph(newRand(25), n, 0.01)
	b.ReportAllocs()
	for b.Loop() {
		g.BlastRadius()
	}
}

func BenchmarkReach(b *testing.B) {
	const n = 10000
	g := randGraph(newRand(26), n, 0.01)
	b.ReportAllocs()
	for b.Loop() {
		g.Reach(0)
	}
}

func BenchmarkShortestPath(b *testing.B) {
	const n = 10000
	g := randGraph(newRand(27), n, 0.001)
	b.ReportAllocs()
	for b.Loop() {
		graph.ShortestPath(g, 0, n-1)
	}
}

func BenchmarkAggregate(b *testing.B) {
	const n, ngroups = 10000, 100
	r := newRand(28)
	g := randGraph(r, n, 0.05)
	group := make([]int, n)
	for i := range group {
		group[i] = r.IntN(ngroups)
	}
	b.Run("bits", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			graph.Aggregate(g, group, ngroups)
		}
	})
	b.Run("counts", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			graph.AggregateCounts(g, group, ngroups)
		}
	})
}

func BenchmarkSetOr(b *testing.B) {
	s, x := graph.NewSet(10000), graph.NewSet(10000)
	x.Fill(5000)
	b.ReportAllocs()
	b.SetBytes(int64(len(s)) * 8)
	for b.Loop() {
		s.Or(x)
	}
}
