package reachability_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/randcluster"
	"github.com/netreach/netreach/internal/reachability"
)

// TestUpdateClassesStable applies random sequences of pods added (taken
// from another random cluster, so that most bring labels of their own: new
// classes) and removed (often the last of their class) and checks after
// every step that Update gives exactly Compute's matrix, every flow, with
// the same number of classes; that classes appeared and vanished without
// renumbering the rows; and, with small hole limits, that holes were
// filled, slots appended and the classes compacted.
func TestUpdateClassesStable(t *testing.T) {
	ctx := context.Background()
	counts := map[string]int{}
	for i := 0; i < max(2, *diffClusters/6); i++ {
		seed := *diffSeed + uint64(i)
		r := rand.New(rand.NewPCG(seed, 0xc1a55))
		if seed%2 == 1 {
			// Small limits: compaction and appended room on tiny clusters.
			restore := reachability.SetHoleLimits(func(n int) int { return max(1, n/3) }, func(int) int { return r.IntN(3) })
			defer restore()
		} else {
			restore := reachability.SetHoleLimits(func(n int) int { return 1 << 20 }, func(int) int { return 0 })
			defer restore()
		}
		calico := seed%3 == 1
		cfg := randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 3 + r.IntN(8), Policies: r.IntN(6), Admin: !calico, Calico: calico}
		snap := load(t, seed, randcluster.Generate(r, cfg))
		opts := reachability.Options{KeepSides: true}
		if calico {
			opts.Mode = policy.ModeCalico
		}
		m, err := reachability.Compute(ctx, snap, opts)
		if err != nil {
			t.Fatal(err)
		}
		for step := 0; step < 8; step++ {
			other := load(t, seed, randcluster.Generate(rand.New(rand.NewPCG(seed, uint64(step+100))), cfg))
			change := &policy.Snapshot{}
			for k := range r.IntN(3) {
				e := *other.Endpoints[r.IntN(len(other.Endpoints))]
				if r.IntN(2) == 0 {
					// A variant of one of ours: the same namespace, address
					// and ports, a label value of its own.
					e = *snap.Endpoints[r.IntN(len(snap.Endpoints))]
					e.Labels = maps.Clone(e.Labels)
					if keys := slices.Sorted(maps.Keys(e.Labels)); len(keys) > 0 {
						key := keys[r.IntN(len(keys))]
						e.Labels[key] += "x"
					} else {
						e.Labels = map[string]string{"app": "x"}
					}
				}
				e.Name = fmt.Sprintf("extra-%d-%d", step, k)
				change.Endpoints = append(change.Endpoints, &e)
			}
			var deletes []string
			for _, k := range r.Perm(len(snap.Endpoints))[:r.IntN(min(3, len(snap.Endpoints)))] {
				e := snap.Endpoints[k]
				deletes = append(deletes, "pod/"+e.Namespace+"/"+e.Name)
			}
			next, err := snap.Apply(change, deletes)
			if err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
			rerun := fmt.Sprintf("seed %d step %d (rerun with -run UpdateClassesStable -diff.seed=%d -diff.clusters=6)", seed, step, seed)
			got, want := updateEqualsCompute(t, m, next, opts, rerun)
			if !reachability.FactsAgree(got) {
				t.Fatalf("%s: the endpoint facts kept for updates are not those of the snapshot", rerun)
			}
			gs, ws := got.Stats(), want.Stats()
			if gs.Classes != ws.Classes || gs.PortAtoms != ws.PortAtoms {
				t.Fatalf("%s: update has %d classes and %d port atoms, compute %d and %d", rerun, gs.Classes, gs.PortAtoms, ws.Classes, ws.PortAtoms)
			}
			if n := got.NumClasses(); n != gs.Classes+gs.Update.Holes {
				t.Fatalf("%s: NumClasses() = %d, want %d classes + %d holes", rerun, n, gs.Classes, gs.Update.Holes)
			}
			u := gs.Update
			switch {
			case u.Full:
				counts["full"]++
			case u.Renumbered != "":
				counts["renumbered:"+string(u.Renumbered)]++
			case u.Remapped:
				counts["appended"]++
			case u.ClassesAdded > 0:
				counts["filled"]++
			case u.ClassesRemoved > 0:
				counts["vanished"]++
			}
			snap, m = next, got
		}
	}
	for _, k := range []string{"filled", "vanished", "appended", "renumbered:holes"} {
		if counts[k] == 0 {
			t.Errorf("no update of kind %q: %v", k, counts)
		}
	}
	t.Logf("updates by kind: %v", counts)
}
