package audit

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
)

// syntheticAnalysis builds the part of an analysis the graph work reads,
// for n endpoints that are all distinct classes (the worst case for the
// class-level algorithms) spread over ns namespaces: every pod reaches
// the pods of its own namespace and of namespace 0 (a shared one), and a
// few random pods elsewhere.
func syntheticAnalysis(n, ns int) *analysis {
	r := rand.New(rand.NewPCG(1, 2))
	a := &analysis{nE: n, nC: n, nU: n, sets: map[string]graph.Set{}}
	a.members = make([][]int, n)
	a.nsOfClass = make([]int, n)
	a.rep = make([]*policy.Endpoint, n)
	for c := range n {
		a.members[c] = []int{c}
		a.nsOfClass[c] = c % ns
		a.rep[c] = &policy.Endpoint{ObjectRef: policy.ObjectRef{Kind: "Pod", Namespace: fmt.Sprintf("ns-%03d", c%ns), Name: fmt.Sprint(c)}}
	}
	for g := range ns {
		a.namespaces = append(a.namespaces, fmt.Sprintf("ns-%03d", g))
	}
	byNS := make([]graph.Set, ns)
	for g := range byNS {
		byNS[g] = graph.NewSet(n)
	}
	for c := range n {
		byNS[a.nsOfClass[c]].Add(c)
	}
	a.cg = graph.NewMatrix(n, n)
	for c := range n {
		row := a.cg.Row(c)
		row.Or(byNS[a.nsOfClass[c]])
		row.Or(byNS[0])
		for range 3 {
			row.Add(r.IntN(n))
		}
	}
	return a
}

// BenchmarkGraphWork measures the audit's graph work on a 10,000-pod
// cluster: the namespace heatmap counts and the lateral-movement analysis
// (closure of the class graph, weighted reach per endpoint, namespace
// aggregation and its strongly connected components).
func BenchmarkGraphWork(b *testing.B) {
	for _, size := range []struct{ pods, ns int }{{1000, 50}, {10000, 500}} {
		a := syntheticAnalysis(size.pods, size.ns)
		b.Run(fmt.Sprintf("pods=%d/counts", size.pods), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a.namespaceCounts()
			}
		})
		b.Run(fmt.Sprintf("pods=%d/lateral", size.pods), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a.lateralMovement()
			}
		})
	}
}

func TestSyntheticLateral(t *testing.T) {
	t.Parallel()
	a := syntheticAnalysis(200, 10)
	l := a.lateralMovement()
	// Namespace 0 is shared and every pod reaches it, so every pod
	// reaches namespace 0's pods and, through them, everything they reach.
	for c := range 200 {
		if l.reach[c] < 19 {
			t.Fatalf("reach[%d] = %d, want at least 19", c, l.reach[c])
		}
	}
	counts := a.namespaceCounts()
	if counts[1][1] != 20*19 {
		t.Errorf("pairs inside ns-001 = %d, want %d", counts[1][1], 20*19)
	}
}
