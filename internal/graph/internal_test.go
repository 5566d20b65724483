package graph

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The tests in this file reach into unexported code: the 64×64 kernel, and
// the worker count of Closure, which the public tests cannot force.

func TestTranspose64(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 9))
	for range 100 {
		var a, orig [64]uint64
		for i := range a {
			a[i] = r.Uint64() & r.Uint64() // vary the density a little
		}
		orig = a
		TransposeBlock(&a)
		for i := range 64 {
			for j := range 64 {
				if got, want := a[j]>>i&1, orig[i]>>j&1; got != want {
					t.Fatalf("TransposeBlock: bit (%d, %d) = %d, want %d", j, i, got, want)
				}
			}
		}
	}
}

// TestCloseWorkers runs the blocked Warshall with 1 to 4 workers and a
// grain of one row, so every size exercises the parallel step, and checks
// that all agree with a sequential pivot-by-pivot Warshall, on random
// graphs and on random DAGs, whose pivot rows rarely contain each other. Run it with
// -race to check that the pivot rows are never written concurrently.
func TestCloseWorkers(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(10, 10))
	shapes := []struct {
		name string
		ok   func(i, j int) bool
	}{
		{"any", func(i, j int) bool { return true }},
		{"forward", func(i, j int) bool { return i < j }},  // a DAG in index order
		{"backward", func(i, j int) bool { return i > j }}, // a DAG against it
		{"neighbours", func(i, j int) bool { return j-i < 70 && i-j < 70 }},
	}
	for _, n := range []int{0, 1, 5, 64, 65, 129, 200} {
		for _, p := range []float64{0.01, 0.03, 0.2} {
			for _, shape := range shapes {
				g := NewMatrix(n, n)
				for i := range n {
					for j := range n {
						if shape.ok(i, j) && r.Float64() < p {
							g.Set(i, j)
						}
					}
				}
				want := simpleWarshall(g)
				for workers := 1; workers <= 4; workers++ {
					t.Run(fmt.Sprintf("n=%d/p=%v/%s/workers=%d", n, p, shape.name, workers), func(t *testing.T) {
						t.Parallel()
						c := g.Clone()
						c.close(workers, 1)
						if !c.Equal(want) {
							t.Errorf("close(%d, 1) differs from plain Warshall", workers)
						}
					})
				}
			}
		}
	}
}

// simpleWarshall is the textbook row-wise Warshall, one pivot at a time.
func simpleWarshall(g *Matrix) *Matrix {
	c := g.Clone()
	for k := range c.rows {
		for i := range c.rows {
			if c.Has(i, k) {
				c.Row(i).Or(c.Row(k))
			}
		}
	}
	return c
}

func TestParallelN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ workers, n, grain int }{
		{1, 10, 1}, {4, 10, 1}, {4, 10, 5}, {4, 3, 1}, {8, 0, 1}, {3, 100, 0},
	} {
		seen := make([]int, tc.n)
		parallelN(tc.workers, tc.n, tc.grain, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				seen[i]++
			}
		})
		for i, c := range seen {
			if c != 1 {
				t.Errorf("parallelN(%d, %d, %d) visited %d %d times", tc.workers, tc.n, tc.grain, i, c)
			}
		}
	}
}
