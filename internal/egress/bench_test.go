package egress_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/netreach/netreach/internal/bench"
	"github.com/netreach/netreach/internal/egress"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// poolsYAML adds a natOutgoing pool holding the generated pods' addresses
// and two nodes.
const poolsYAML = `
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pods}
spec: {cidr: 10.0.0.0/8, natOutgoing: true}
---
apiVersion: v1
kind: Node
metadata: {name: n1}
status: {addresses: [{type: InternalIP, address: 192.168.0.1}]}
---
apiVersion: v1
kind: Node
metadata: {name: n2}
status: {addresses: [{type: InternalIP, address: 192.168.0.2}]}
`

// BenchmarkAnalyze times egress.Analyze (the matrix computed before the
// loop) on the generated cluster of the bench package.
func BenchmarkAnalyze(b *testing.B) {
	for _, pods := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			var buf bytes.Buffer
			if err := bench.Generate(bench.Config{Pods: pods, Seed: 1}).WriteYAML(&buf); err != nil {
				b.Fatal(err)
			}
			buf.WriteString(poolsYAML)
			l := policy.NewLoader(policy.LoadOptions{})
			l.AddBytes("cluster.yaml", buf.Bytes())
			snap, err := l.Snapshot()
			if err != nil {
				b.Fatal(err)
			}
			m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			var rows int
			for b.Loop() {
				rows = len(egress.Analyze(m, egress.Options{}).Flows)
			}
			b.ReportMetric(float64(rows), "rows")
		})
	}
}
