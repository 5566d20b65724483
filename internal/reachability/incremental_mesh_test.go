package reachability_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/randcluster"
	"github.com/netreach/netreach/internal/reachability"
)

// TestUpdateEqualsComputeMesh holds Update to Compute with the mesh on:
// network policy changes reuse rows (the mesh rows of the unaffected
// destinations are kept with them); a change of the Istio objects makes
// Update compute every row, and say so.
func TestUpdateEqualsComputeMesh(t *testing.T) {
	ctx := context.Background()
	var copied int64
	for i := 0; i < max(1, *diffClusters/10); i++ {
		seed := *diffSeed + uint64(i)
		r := rand.New(rand.NewPCG(seed, 0x1ac15))
		cfg := randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(8), Policies: 1 + r.IntN(5), Mesh: true}
		snap := load(t, seed, randcluster.Generate(r, cfg))
		opts := reachability.Options{KeepSides: true}
		m, err := reachability.Compute(ctx, snap, opts)
		if err != nil {
			t.Fatal(err)
		}
		for step := 0; step < 3; step++ {
			other := load(t, seed, randcluster.Generate(rand.New(rand.NewPCG(seed, uint64(step+1))), cfg))
			change := &policy.Snapshot{}
			meshChange := step == 2
			if meshChange {
				change.Mesh = other.Mesh
			} else if n := len(other.NetworkPolicies); n > 0 {
				change.NetworkPolicies = other.NetworkPolicies[:1+r.IntN(n)]
			}
			next, err := snap.Apply(change, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := reachability.Update(ctx, m, next)
			if err != nil {
				t.Fatal(err)
			}
			want, err := reachability.Compute(ctx, next, opts)
			if err != nil {
				t.Fatal(err)
			}
			if msg := sameMatrix(got, want); msg != "" {
				t.Fatalf("seed %d step %d (rerun with -run UpdateEqualsComputeMesh -diff.seed=%d): %s", seed, step, seed, msg)
			}
			if got.MeshMode() != want.MeshMode() || (got.Mesh() == nil) != (want.Mesh() == nil) {
				t.Fatalf("seed %d step %d: the update's mesh mode is %s, the computation's %s", seed, step, got.MeshMode(), want.MeshMode())
			}
			said := false
			for _, d := range got.Diagnostics() {
				said = said || strings.Contains(d.Msg, "service-mesh objects")
			}
			if meshChange && len(change.Mesh.AuthorizationPolicies)+len(change.Mesh.PeerAuthentications) > 0 && !said {
				t.Errorf("seed %d: the Istio objects changed but Update did not say it computed every row", seed)
			}
			if !meshChange {
				copied += got.Stats().RowsCopied
			}
			snap, m = next, got
		}
	}
	if copied == 0 {
		t.Errorf("no row was ever copied with the mesh on: the incremental path was not exercised")
	}
}
