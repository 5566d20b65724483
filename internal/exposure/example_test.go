package exposure_test

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/netreach/netreach/internal/exposure"
	"github.com/netreach/netreach/internal/policy"
)

const exampleCluster = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.1}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {team: shop}}}]
    ports: [{port: 8080}]
`

// ExampleAnalysis_Report lists, for each endpoint, the pods that do not
// exist yet that can connect with it. web's egress is open, but a new pod
// labelled app=web in shop would be isolated by web's policy, which admits
// only namespaces labelled team=shop: shop is not one.
func ExampleAnalysis_Report() {
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes("cluster.yaml", []byte(exampleCluster))
	snap, _ := l.Snapshot()
	an, _ := exposure.Analyze(context.Background(), snap, exposure.Options{})
	rep, _ := an.Report(context.Background(), exposure.ReportOptions{NoAddresses: true})
	for _, e := range rep.Entries {
		fmt.Println(e.Endpoints, e.Direction, e.Peer(), ":", e.ConnectionsText())
	}
	// Output:
	// [shop/web] ingress any pod in namespaces matching {team=shop} : TCP 8080
	// [shop/web] egress entire cluster except namespace shop or pods matching {app!=web} in namespace shop : All Connections
}

// ExampleAnalysis_Predict gives the row and column a new pod would have in
// the matrix: here a pod of a new namespace labelled team=shop.
func ExampleAnalysis_Predict() {
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes("cluster.yaml", []byte(exampleCluster))
	snap, _ := l.Snapshot()
	an, _ := exposure.Analyze(context.Background(), snap, exposure.Options{})
	pr, _ := an.Predict(exposure.Pod{
		Namespace:       "checkout",
		NamespaceLabels: map[string]string{"team": "shop"},
		Labels:          map[string]string{"app": "cart"},
		IPs:             []netip.Addr{netip.MustParseAddr("10.0.0.2")},
	})
	for i, ep := range snap.Endpoints {
		fmt.Println("pod ->", ep.ID(), ":", pr.To[i].Allowed)
		fmt.Println(ep.ID(), "-> pod :", pr.From[i].Allowed)
	}
	// Output:
	// pod -> shop/web : TCP 8080
	// shop/web -> pod : All Connections
}
