package policy

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// kyvernoBenchInput is ns tenant namespaces of pods pods each, plus the
// multi-tenant ClusterPolicy of testdata/kyverno/multi-tenant.
func kyvernoBenchInput(b *testing.B, ns, pods int) []byte {
	b.Helper()
	pol, err := os.ReadFile("../../testdata/kyverno/multi-tenant/policy.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var sb strings.Builder
	sb.Write(pol)
	for i := 0; i < ns; i++ {
		fmt.Fprintf(&sb, "\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: t%d, labels: {client: c%d}}\n", i, i%50)
		for j := 0; j < pods; j++ {
			fmt.Fprintf(&sb, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%d, namespace: t%d, labels: {app: a%d}}\nspec: {containers: [{name: c, image: nginx, ports: [{containerPort: 80}]}]}\nstatus: {podIP: 10.%d.%d.%d}\n", j, i, j%7, i/250, i%250, j+1)
		}
	}
	return []byte(sb.String())
}

// BenchmarkLoadKyverno loads 10,000 pods in 300 tenant namespaces with
// the multi-tenant ClusterPolicy (600 generated NetworkPolicies, every pod
// mutated), simulated and off.
func BenchmarkLoadKyverno(b *testing.B) {
	in := kyvernoBenchInput(b, 300, 33)
	for _, mode := range []KyvernoMode{KyvernoOff, KyvernoSimulate} {
		b.Run(mode.String(), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				l := NewLoader(LoadOptions{Kyverno: mode})
				l.AddBytes("in.yaml", in)
				s, _ := l.Snapshot()
				if mode == KyvernoSimulate && len(s.NetworkPolicies) != 600 {
					b.Fatalf("%d NetworkPolicies, want 600", len(s.NetworkPolicies))
				}
			}
		})
	}
}
