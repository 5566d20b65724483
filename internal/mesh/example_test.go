package mesh_test

import (
	"fmt"

	"github.com/netreach/netreach/internal/mesh"
	"github.com/netreach/netreach/internal/policy"
)

// A pod outside the mesh cannot reach a pod whose namespace requires
// mutual TLS; a pod in the mesh can, as the identity its policy allows.
func ExampleModel_Evaluate() {
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes("example.yaml", []byte(`
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: legacy}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: shop}
spec: {serviceAccountName: api, containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: old, namespace: legacy}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: shop}
spec: {mtls: {mode: STRICT}}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  rules:
  - from: [{source: {principals: ["cluster.local/ns/shop/sa/api"]}}]
`))
	snap, _ := l.Snapshot()
	m := mesh.New(snap, mesh.Options{})
	byID := map[string]*policy.Endpoint{}
	for _, e := range snap.Endpoints {
		byID[e.ID()] = e
	}
	for _, src := range []string{"shop/api", "legacy/old"} {
		t := m.Evaluate(mesh.Flow{Src: byID[src], Dst: byID["shop/db"], Protocol: policy.TCP, Port: 5432})
		fmt.Printf("%s -> shop/db: %s", src, t.Verdict)
		if t.Decider != "" {
			fmt.Printf(" (%s)", t.Decider)
		}
		fmt.Println()
	}
	// Output:
	// shop/api -> shop/db: allow
	// legacy/old -> shop/db: deny (PeerAuthentication mode STRICT (namespace PeerAuthentication shop/default))
}
