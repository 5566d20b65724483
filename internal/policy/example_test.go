package policy_test

import (
	"fmt"

	"github.com/netreach/netreach/internal/policy"
)

func ExampleLoader() {
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes("np.yaml", []byte(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: prod}
spec:
  podSelector: {}
  ingress:
  - from:
    - podSelector: {}
      ports: [{port: 80}]
`))
	snap, err := l.Snapshot()
	fmt.Println("error:", err)
	for _, d := range snap.Diagnostics {
		fmt.Printf("%s %s %q\n", d.Severity, d.Location, d.Field)
	}
	np := snap.NetworkPolicies[0]
	fmt.Println(np.Spec.PolicyTypes, len(np.Spec.Ingress[0].Ports))
	// Output:
	// error: <nil>
	// warning np.yaml:1:1 ""
	// warning np.yaml:9:7 "spec.ingress[0].from[0].ports"
	// [Ingress] 0
}
