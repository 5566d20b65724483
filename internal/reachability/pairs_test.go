package reachability_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/netreach/netreach/internal/randcluster"
	"github.com/netreach/netreach/internal/reachability"
)

// TestAllowedPairsLarger checks the class-level pair count against
// counting endpoint pairs one by one, on random clusters with many pods
// per class, host endpoints and pools, counted by one worker and by
// several.
func TestAllowedPairsLarger(t *testing.T) {
	for i := 0; i < *diffClusters/20; i++ {
		seed := *diffSeed + uint64(i)
		r := rand.New(rand.NewPCG(seed, 0x9a2))
		calico := i%2 == 0
		snap := load(t, seed, randcluster.Generate(r, randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 20 + r.IntN(40), Policies: 2 + r.IntN(8),
			Admin: i%3 == 0, Calico: calico, HostEndpoints: calico && i%4 == 0, Pools: calico && i%3 == 1}))
		for _, workers := range []int{1, 3} {
			m, err := reachability.Compute(context.Background(), snap, reachability.Options{Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			checkAllowedPairs(t, fmt.Sprintf("seed %d, %d workers", seed, workers), m)
		}
	}
}

// checkAllowedPairs compares AllowedPairs with the pairs counted one by
// one with At, on every port atom.
func checkAllowedPairs(t *testing.T, name string, m *reachability.Matrix) {
	t.Helper()
	for p := range m.PortAtoms() {
		var want int64
		for a := 0; a < m.NumEndpoints(); a++ {
			for b := 0; b < m.NumEndpoints(); b++ {
				if m.At(a, b, p) == reachability.Allow {
					want++
				}
			}
		}
		if got := m.AllowedPairs(p); got != want {
			t.Fatalf("%s: AllowedPairs(%s) = %d, want %d", name, m.PortAtoms()[p], got, want)
		}
	}
}
