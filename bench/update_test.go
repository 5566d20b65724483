package bench_test

import (
	"context"
	"testing"

	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
)

// BenchmarkUpdate measures the incremental path: one NetworkPolicy of the
// 10,000-pod cluster changes (its ingress rules are dropped), and Update
// recomputes only the rows of the classes it selects. /full is a full
// Compute of the same changed cluster with the same options, for the
// speed-up.
func BenchmarkUpdate(b *testing.B) {
	cfg := computeSizes[1].config(false)
	snap := snapshot(b, cfg)
	ctx := context.Background()
	opts := reachability.Options{KeepSides: true}
	prev, err := reachability.Compute(ctx, snap, opts)
	if err != nil {
		b.Fatal(err)
	}
	// Change one policy that has ingress rules: a copy without them (its
	// pods stay isolated and lose every allowed ingress flow).
	var np policy.NetworkPolicy
	for i := len(snap.NetworkPolicies) / 2; i < len(snap.NetworkPolicies); i++ {
		if p := snap.NetworkPolicies[i]; len(p.Spec.Ingress) > 0 && p.Applies(policy.Ingress) {
			np = *p
			break
		}
	}
	np.Spec.Ingress = nil
	changed, err := snap.Apply(&policy.Snapshot{NetworkPolicies: []*policy.NetworkPolicy{&np}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("incremental", func(b *testing.B) {
		b.ReportAllocs()
		var st reachability.Stats
		for b.Loop() {
			m, err := reachability.Update(ctx, prev, changed)
			if err != nil {
				b.Fatal(err)
			}
			st = m.Stats()
		}
		b.ReportMetric(float64(st.RowsEvaluated), "bundles-evaluated")
		b.ReportMetric(float64(st.RowsCopied), "bundles-copied")
	})
	b.Run("full", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := reachability.Compute(ctx, changed, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
}
