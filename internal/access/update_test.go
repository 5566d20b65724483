package access_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/netreach/netreach/internal/access"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/randcluster"
	"github.com/netreach/netreach/internal/reachability"
)

// TestUpdateKeepsTheLayer checks that reachability.Update of a matrix
// computed with the Layer gives what access.Compute gives on the changed
// cluster: the derived entries derived again, the port atoms cut where the
// changed Services need them, every pair on every port atom. The changes
// replace Services, pods, NetworkPolicies and routing objects by those of
// another random cluster over the same names, and delete some.
func TestUpdateKeepsTheLayer(t *testing.T) {
	ctx := context.Background()
	incremental := 0
	for i := 0; i < max(1, *diffClusters/6); i++ {
		seed := *diffSeed + uint64(i)
		r := rand.New(rand.NewPCG(seed, 0x0bda7e))
		cfg := randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(6), Policies: r.IntN(6), Exposure: true}
		snap := loadCluster(t, seed, randcluster.Generate(r, cfg))
		ropts, aopts := reachability.Options{KeepSides: true}, access.Options{SNAT: access.SNAT(r.IntN(2))}
		m, err := access.Compute(ctx, snap, ropts, aopts)
		if err != nil {
			t.Fatal(err)
		}
		for step := 0; step < 3; step++ {
			other := loadCluster(t, seed, randcluster.Generate(rand.New(rand.NewPCG(seed, uint64(step+1))), cfg))
			change := &policy.Snapshot{}
			var deletes []string
			switch r.IntN(4) {
			case 0: // Services only: the port cuts and the derived entries move
				change.Services = other.Services
			case 1:
				change.Endpoints = other.Endpoints[:r.IntN(len(other.Endpoints)+1)]
				if e := snap.Endpoints[r.IntN(len(snap.Endpoints))]; e.Kind == "Pod" {
					deletes = append(deletes, "pod/"+e.Namespace+"/"+e.Name)
				}
			case 2:
				change.NetworkPolicies = other.NetworkPolicies
			default:
				change.Routing = other.Routing
				if n := len(snap.Services); n > 0 {
					svc := snap.Services[r.IntN(n)]
					deletes = append(deletes, "service/"+svc.Namespace+"/"+svc.Name)
				}
			}
			next, err := snap.Apply(change, deletes)
			if err != nil {
				t.Fatal(err)
			}
			got, err := reachability.Update(ctx, m, next)
			if err != nil {
				t.Fatal(err)
			}
			want, err := access.Compute(ctx, next, ropts, aopts)
			if err != nil {
				t.Fatal(err)
			}
			if msg := sameVerdicts(got, want); msg != "" {
				t.Fatalf("seed %d step %d (rerun with -run UpdateKeepsTheLayer -diff.seed=%d -diff.clusters=6): %s", seed, step, seed, msg)
			}
			if !got.Stats().Update.Full {
				incremental++
			}
			snap, m = next, got
		}
	}
	if incremental == 0 {
		t.Error("every update was computed in full: the incremental path with a layer was not exercised")
	}
}

func loadCluster(t *testing.T, seed uint64, data []byte) *policy.Snapshot {
	t.Helper()
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes(fmt.Sprintf("seed-%d.yaml", seed), data)
	snap, err := l.Snapshot()
	if err != nil {
		t.Fatalf("seed %d: load: %v\n%s", seed, err, data)
	}
	return snap
}

// sameVerdicts compares two matrices entry by entry, derived entries
// included.
func sameVerdicts(a, b *reachability.Matrix) string {
	if a.Len() != b.Len() || a.NumDerived() != b.NumDerived() || len(a.PortAtoms()) != len(b.PortAtoms()) {
		return fmt.Sprintf("shapes differ: %d entries (%d derived) × %d ports vs %d (%d) × %d",
			a.Len(), a.NumDerived(), len(a.PortAtoms()), b.Len(), b.NumDerived(), len(b.PortAtoms()))
	}
	for i := 0; i < a.Len(); i++ {
		if a.Name(i) != b.Name(i) {
			return fmt.Sprintf("entry %d is %s in the update, %s in the computation", i, a.Name(i), b.Name(i))
		}
	}
	for p, at := range a.PortAtoms() {
		if b.PortAtoms()[p] != at {
			return fmt.Sprintf("port atom %d differs: %v vs %v", p, at, b.PortAtoms()[p])
		}
		for i := 0; i < a.Len(); i++ {
			for j := 0; j < a.Len(); j++ {
				if a.IsPair(i, j) && a.At(i, j, p) != b.At(i, j, p) {
					return fmt.Sprintf("%s -> %s on %s: update says %s, compute says %s", a.Name(i), a.Name(j), at, a.At(i, j, p), b.At(i, j, p))
				}
			}
		}
	}
	return ""
}
