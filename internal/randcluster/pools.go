package randcluster

import (
	"encoding/json"
	"fmt"
)

// poolCIDRs are the ranges random IP pools take: some straddle the CIDRs
// policies use, some lie inside one, some outside every one.
var poolCIDRs = []string{"10.1.0.0/16", "10.1.1.0/24", "10.2.0.0/20", "10.0.0.0/24", "10.3.0.0/16", "172.16.0.0/24"}

// poolObjects adds Calico IP pools (random node selectors, disabled or
// not, natOutgoing), the pool annotations on some namespaces and pods, and
// Nodes for the selectors to match.
func (g *gen) poolObjects() {
	var names []string
	n := 1 + g.r.IntN(3)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("pool%d", i)
		cidr := poolCIDRs[g.r.IntN(len(poolCIDRs))]
		if g.ipv6 && g.chance(0.25) {
			cidr = fmt.Sprintf("fd00::%x00/120", i)
		}
		spec := map[string]any{"cidr": cidr, "natOutgoing": g.chance(0.5)}
		switch g.r.IntN(4) {
		case 0:
			spec["nodeSelector"] = "zone == 'a'"
		case 1:
			spec["nodeSelector"] = "!all()"
		}
		if g.chance(0.15) {
			spec["disabled"] = true
		}
		names = append(names, name)
		g.docs = append(g.docs, map[string]any{"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
			"metadata": map[string]any{"name": name}, "spec": spec})
	}
	for i, z := range []string{"a", "b"} {
		g.docs = append(g.docs, map[string]any{"apiVersion": "v1", "kind": "Node",
			"metadata": map[string]any{"name": fmt.Sprintf("n%d", i+1), "labels": map[string]any{"zone": z}}})
	}
	annotate := func(obj map[string]any) {
		md := obj["metadata"].(map[string]any)
		pick := []string{names[g.r.IntN(len(names))]}
		if g.chance(0.3) {
			pick = append(pick, names[g.r.IntN(len(names))])
		}
		v, _ := json.Marshal(pick)
		md["annotations"] = map[string]any{"cni.projectcalico.org/ipv4pools": string(v)}
	}
	for _, d := range g.docs {
		obj := d.(map[string]any)
		switch obj["kind"] {
		case "Namespace":
			if g.chance(0.3) {
				annotate(obj)
			}
		case "Pod":
			status := obj["status"].(map[string]any)
			if g.chance(0.4) {
				delete(status, "podIP")
				delete(status, "podIPs")
			}
			if g.chance(0.3) {
				annotate(obj)
			}
			if g.chance(0.2) {
				delete(obj["spec"].(map[string]any), "nodeName")
			}
		}
	}
}
