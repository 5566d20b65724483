package reachability_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/randcluster"
	"github.com/netreach/netreach/internal/reachability"
)

// TestDifferentialMesh holds the engine to the reference evaluator on
// random clusters with an Istio mesh: sidecars, ambient pods with and
// without waypoints, Services declaring port protocols,
// PeerAuthentications and AuthorizationPolicies of every scope and action,
// over Kubernetes NetworkPolicies (and, in every third cluster, Calico
// policies). Every flow's combined verdict is compared. It runs a third of
// -diff.clusters (the reference is slower with the mesh).
func TestDifferentialMesh(t *testing.T) {
	for i := 0; i < max(1, *diffClusters/3); i++ {
		seed := *diffSeed + uint64(i)
		r := rand.New(rand.NewPCG(seed, 0x157105))
		cfg := randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(8), Policies: r.IntN(5), Mesh: true, Calico: i%3 == 2}
		data := randcluster.Generate(r, cfg)
		l := policy.NewLoader(policy.LoadOptions{})
		l.AddBytes(fmt.Sprintf("seed-%d.yaml", seed), data)
		snap, err := l.Snapshot()
		if err != nil {
			t.Fatalf("seed %d: load: %v\n%s", seed, err, data)
		}
		opts := reachability.Options{Mesh: reachability.MeshIstio}
		if msg := disagreement(snap, opts, r); msg != "" {
			t.Fatalf("seed %d (rerun with -run Mesh -diff.seed=%d -diff.clusters=1): %s\n--- cluster ---\n%s", seed, seed, msg, data)
		}
	}
}
