package egress_test

import (
	"context"
	"fmt"

	"github.com/netreach/netreach/internal/egress"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// A pod in a pool with natOutgoing leaves with its node's address.
func ExampleAnalyze() {
	const manifests = `
apiVersion: v1
kind: Node
metadata: {name: node-1}
status: {addresses: [{type: InternalIP, address: 192.168.0.1}]}
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pods}
spec: {cidr: 10.244.0.0/16, natOutgoing: true}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec: {nodeName: node-1, containers: [{name: c, image: c}]}
status: {podIP: 10.244.0.7}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 172.18.0.1/32}}], ports: [{port: 80}]}]
`
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes("example.yaml", []byte(manifests))
	snap, err := l.Snapshot()
	if err != nil {
		fmt.Println(err)
		return
	}
	m, _ := reachability.Compute(context.Background(), snap, reachability.Options{})
	for _, f := range egress.Analyze(m, egress.Options{}).Flows {
		fmt.Println(f.Workload, f.Destinations, f.Allowed, f.Via, f.Sources)
	}
	// Output:
	// shop/web [172.18.0.1/32] TCP 80 node [192.168.0.1/32]
}
