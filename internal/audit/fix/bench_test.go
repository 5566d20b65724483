package fix_test

import (
	"context"
	"flag"
	"testing"

	"github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/audit/fix"
	"github.com/netreach/netreach/internal/bench"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

var benchPods = flag.Int("fix.benchpods", 2000, "pods of the cluster BenchmarkGenerate generates")

// BenchmarkGenerate generates and verifies the first 10 fixes of a
// generated cluster of 2,000 pods (-fix.benchpods).
func BenchmarkGenerate(b *testing.B) {
	dir := b.TempDir()
	if err := bench.Generate(bench.Config{Pods: *benchPods, Seed: 1}).WriteDir(dir); err != nil {
		b.Fatal(err)
	}
	snap, err := policy.Load(policy.LoadOptions{}, dir)
	if err != nil {
		b.Fatal(err)
	}
	m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
	if err != nil {
		b.Fatal(err)
	}
	fs := audit.Findings(snap, m, audit.Options{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fix.Generate(context.Background(), snap, m, fs, fix.Options{MaxVerified: 10}); err != nil {
			b.Fatal(err)
		}
	}
}
