package gonumx_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	gonum "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/path"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/graph/gonumx"
)

// update is accepted, and ignored, so that `go test ./... -update` (which
// rewrites golden files elsewhere) does not fail here with an unknown flag.
var _ = flag.Bool("update", false, "ignored: this package has no golden files")

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

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x676f6e756d78)) }

func randMatrix(r *rand.Rand, n int, p float64) *graph.Matrix {
	g := graph.NewMatrix(n, n)
	for i := range n {
		for j := range n {
			if r.Float64() < p {
				g.Set(i, j)
			}
		}
	}
	return g
}

// ids lists the IDs of an iterator's nodes, in iteration order.
func ids(it gonum.Nodes) []int64 {
	var out []int64
	for it.Next() {
		out = append(out, it.Node().ID())
	}
	return out
}

func TestDirected(t *testing.T) {
	t.Parallel()
	g := gonumx.New(m(70, e(0, 1), e(0, 69), e(1, 0), e(5, 5), e(69, 1)))

	require.Equal(t, int64(69), g.Node(69).ID())
	require.Nil(t, g.Node(70))
	require.Nil(t, g.Node(-1))
	require.Len(t, ids(g.Nodes()), 70)

	tests := []struct {
		id       int64
		from, to []int64
	}{
		{0, []int64{1, 69}, []int64{1}},
		{1, []int64{0}, []int64{0, 69}},
		{5, []int64{5}, []int64{5}},
		{2, nil, nil},
		{70, nil, nil}, // unknown
		{-1, nil, nil}, // unknown
	}
	for _, tc := range tests {
		if d := cmp.Diff(tc.from, ids(g.From(tc.id))); d != "" {
			t.Errorf("From(%d) mismatch (-want +got):\n%s", tc.id, d)
		}
		if d := cmp.Diff(tc.to, ids(g.To(tc.id))); d != "" {
			t.Errorf("To(%d) mismatch (-want +got):\n%s", tc.id, d)
		}
	}

	require.True(t, g.HasEdgeFromTo(0, 69))
	require.False(t, g.HasEdgeFromTo(69, 0))
	require.True(t, g.HasEdgeBetween(69, 0))
	require.False(t, g.HasEdgeBetween(2, 3))
	require.False(t, g.HasEdgeFromTo(0, 70))
	require.False(t, g.HasEdgeFromTo(-1, 0))

	edge := g.Edge(0, 69)
	require.Equal(t, [2]int64{0, 69}, [2]int64{edge.From().ID(), edge.To().ID()})
	rev := edge.ReversedEdge()
	require.Equal(t, [2]int64{69, 0}, [2]int64{rev.From().ID(), rev.To().ID()})
	require.Nil(t, g.Edge(69, 0))

	var zero gonumx.Directed
	require.Zero(t, zero.Nodes().Len())
	require.Nil(t, zero.Node(0))
	require.Zero(t, zero.From(0).Len())

	require.Panics(t, func() { gonumx.New(graph.NewMatrix(2, 3)) })
}

// TestNodeIterator checks the gonum Iterator contract: Len counts what is
// left, Node is nil before the first and after the last Next, and Reset
// starts over; NodeSlice returns what is left.
func TestNodeIterator(t *testing.T) {
	t.Parallel()
	g := gonumx.New(m(130, e(3, 0), e(3, 64), e(3, 129)))
	for name, it := range map[string]gonum.Nodes{"From": g.From(3), "To": g.To(0), "Nodes": g.Nodes()} {
		total := it.Len()
		require.Nil(t, it.Node(), "%s: Node before Next", name)
		require.True(t, it.Next(), name)
		require.Equal(t, total-1, it.Len(), "%s: Len after one Next", name)
		first := it.Node().ID()
		for it.Next() {
		}
		require.Zero(t, it.Len(), name)
		require.Nil(t, it.Node(), "%s: Node after the last Next", name)
		require.False(t, it.Next(), "%s: Next after the end", name)

		it.Reset()
		require.Equal(t, total, it.Len(), "%s: Len after Reset", name)
		require.True(t, it.Next(), name)
		require.Equal(t, first, it.Node().ID(), "%s: first node after Reset", name)

		rest := it.(gonum.NodeSlicer).NodeSlice()
		require.Len(t, rest, total-1, "%s: NodeSlice after one Next", name)
		require.Zero(t, it.Len(), name)
	}
}

func TestSCC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		g    *graph.Matrix
		want [][]int
	}{
		{"empty", m(0), [][]int{}},
		{"singletons", m(3, e(0, 1), e(1, 2)), [][]int{{0}, {1}, {2}}},
		{"self-loop", m(2, e(1, 1)), [][]int{{0}, {1}}},
		{"two cycles", m(6, e(5, 3), e(3, 1), e(1, 5), e(0, 2), e(2, 0), e(2, 4)), [][]int{{0, 2}, {1, 3, 5}, {4}}},
		{"across words", m(130, e(129, 0), e(0, 64), e(64, 129)), nil}, // filled in below
	}
	tests[4].want = [][]int{{0, 64, 129}}
	for i := 1; i < 129; i++ {
		if i != 64 {
			tests[4].want = append(tests[4].want, []int{i})
		}
	}
	slices.SortFunc(tests[4].want, func(a, b []int) int { return a[0] - b[0] })
	for _, tc := range tests {
		if d := cmp.Diff(tc.want, gonumx.SCC(tc.g)); d != "" {
			t.Errorf("%s: SCC mismatch (-want +got):\n%s", tc.name, d)
		}
	}
}

// slowSCC groups nodes by mutual reachability in the closure: i and j
// share a component iff i == j or each reaches the other.
func slowSCC(g *graph.Matrix) [][]int {
	c := g.Closure()
	n := g.Rows()
	done := make([]bool, n)
	var out [][]int
	for i := range n {
		if done[i] {
			continue
		}
		comp := []int{i}
		for j := i + 1; j < n; j++ {
			if c.Has(i, j) && c.Has(j, i) {
				comp = append(comp, j)
				done[j] = true
			}
		}
		out = append(out, comp)
	}
	return out
}

func TestSCCRandom(t *testing.T) {
	t.Parallel()
	r := newRand(1)
	for _, n := range []int{1, 10, 65, 200} {
		for _, p := range []float64{0.002, 0.01, 0.03, 0.2} {
			g := randMatrix(r, n, p)
			t.Run(fmt.Sprintf("n=%d/p=%v", n, p), func(t *testing.T) {
				t.Parallel()
				if d := cmp.Diff(slowSCC(g), gonumx.SCC(g)); d != "" {
					t.Errorf("SCC mismatch (-want +got):\n%s", d)
				}
			})
		}
	}
}

// TestShortestPathMatchesGonum runs gonum's Dijkstra through the adapter
// (unit weights, since Directed has none) and checks that graph.ShortestPath
// finds paths of the same length.
func TestShortestPathMatchesGonum(t *testing.T) {
	t.Parallel()
	r := newRand(2)
	for _, n := range []int{5, 70} {
		for _, p := range []float64{0.02, 0.1} {
			g := randMatrix(r, n, p)
			d := gonumx.New(g)
			for from := range n {
				sp := path.DijkstraFrom(d.Node(int64(from)), d)
				for to := range n {
					gp, w := sp.To(int64(to))
					got := graph.ShortestPath(g, from, to)
					if gp == nil {
						require.Nil(t, got, "ShortestPath(%d, %d) on n=%d p=%v", from, to, n, p)
						continue
					}
					require.Len(t, got, len(gp), "ShortestPath(%d, %d) = %v, gonum length %v", from, to, got, w)
				}
			}
		}
	}
}

func ExampleSCC() {
	// 0 ⇄ 1 → 2 ⇄ 3, and 4 on its own.
	g := graph.NewMatrix(5, 5)
	g.Set(0, 1)
	g.Set(1, 0)
	g.Set(1, 2)
	g.Set(2, 3)
	g.Set(3, 2)
	fmt.Println(gonumx.SCC(g))
	// Output: [[0 1] [2 3] [4]]
}

func BenchmarkSCC(b *testing.B) {
	const n = 10000
	r := newRand(3)
	for _, p := range []float64{0.0001, 0.01} {
		g := graph.NewMatrix(n, n)
		for range int(p * n * n) {
			g.Set(r.IntN(n), r.IntN(n))
		}
		b.Run(fmt.Sprintf("n=%d/p=%v", n, p), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				gonumx.SCC(g)
			}
		})
	}
}
