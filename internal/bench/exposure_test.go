package bench_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/netreach/netreach/internal/exposure"
)

// exposureSizes are the clusters the exposure benchmarks run on; the
// larger ones need -bench.large.
var exposureSizes = []size{
	{1000, 50, 300, false},
	{10000, 300, 2000, true},
}

// BenchmarkExposure times the exposure analysis (exposure.Analyze: every
// endpoint class against the hypothetical pod, both sides, every port
// group) and the report that describes its sets (Analysis.Report, without
// the address ranges, which come from the matrix).
func BenchmarkExposure(b *testing.B) {
	for _, s := range exposureSizes {
		b.Run(fmt.Sprintf("pods=%d", s.pods), func(b *testing.B) {
			if s.large && !*large {
				b.Skip("skipped without -bench.large")
			}
			snap := snapshot(b, s.config(false))
			b.ReportAllocs()
			var entries int
			for b.Loop() {
				an, err := exposure.Analyze(context.Background(), snap, exposure.Options{})
				if err != nil {
					b.Fatal(err)
				}
				rep, err := an.Report(context.Background(), exposure.ReportOptions{NoAddresses: true})
				if err != nil {
					b.Fatal(err)
				}
				entries = len(rep.Entries)
			}
			b.ReportMetric(float64(entries), "entries")
		})
	}
}
