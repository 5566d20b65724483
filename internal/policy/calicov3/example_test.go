package calicov3_test

import (
	"fmt"

	"sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/netreach/netreach/internal/policy/calicov3"
)

// Example decodes a Calico NetworkPolicy strictly, as the loader does,
// applies Calico's types defaulting and validates it.
func Example() {
	doc := `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: web-egress
  namespace: shop
spec:
  selector: app == "web"
  egress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [443, "8080:8090", metrics]
  - action: Allow
    destination:
      ports: [53]
`
	data, err := yaml.YAMLToJSONStrict([]byte(doc))
	if err != nil {
		panic(err)
	}
	var np calicov3.NetworkPolicy
	strict, err := json.UnmarshalStrict(data, &np, json.DisallowDuplicateFields, json.DisallowUnknownFields)
	fmt.Println("decoded:", len(strict), "strict errors,", err)

	fmt.Println("types:", calicov3.DefaultTypes(np.Spec.Ingress, np.Spec.Egress, np.Spec.Types))
	for _, p := range np.Spec.Egress[0].Destination.Ports {
		fmt.Printf("port %s named=%v\n", p, p.IsNamed())
	}
	for _, e := range np.Validate() {
		fmt.Println(e)
	}
	// Output:
	// decoded: 0 strict errors, <nil>
	// types: [Egress]
	// port 443 named=false
	// port 8080:8090 named=false
	// port metrics named=true
	// spec.egress[1].destination.ports[0]: rules with a numeric port or port range must set protocol to TCP, UDP or SCTP
}

func ExampleParseProtocol() {
	for _, s := range []string{"TCP", "icmpv6", "47", "GRE"} {
		p, err := calicov3.ParseProtocol(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(p, p.Number(), p.SupportsPorts())
	}
	// Output:
	// TCP 6 true
	// icmpv6 58 false
	// 47 47 false
	// invalid protocol "GRE": want a number 1-255 or one of TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite
}
