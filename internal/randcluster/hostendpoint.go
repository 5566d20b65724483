package randcluster

import "fmt"

// hostEndpoints adds Calico HostEndpoints (named interfaces, "*", by
// expected IP only, with and without the default-allow profile, sharing
// addresses with pods and nodes), GlobalNetworkPolicies with preDNAT,
// doNotTrack and applyOnForward, and sometimes FelixConfigurations that
// change the failsafe ports and the endpoint-to-host action.
func (g *gen) hostEndpoints() {
	ips := []string{"10.1.1.250", "10.1.1.251", "192.168.1.5", "10.1.1.1", "fd00::1", "10.3.0.9"}
	for i := 0; i < 1+g.r.IntN(3); i++ {
		iface := g.pick([]string{"eth0", "*", "", "eth1", "*"})
		spec := map[string]any{"node": g.pick([]string{"n1", "n2", "n3"})}
		if iface != "" {
			spec["interfaceName"] = iface
		}
		var expected []any
		for k := 0; k < g.r.IntN(3); k++ {
			expected = append(expected, g.pick(ips))
		}
		if iface == "" && len(expected) == 0 {
			expected = append(expected, g.pick(ips))
		}
		if len(expected) > 0 {
			spec["expectedIPs"] = expected
		}
		switch g.r.IntN(4) {
		case 0, 1:
			spec["profiles"] = []any{"projectcalico-default-allow"}
		case 2:
			if g.chance(0.3) {
				spec["profiles"] = []any{"custom"}
			}
		}
		if g.chance(0.3) {
			spec["ports"] = []any{map[string]any{"name": g.pick(portNames), "protocol": g.pick([]string{"TCP", "UDP"}), "port": []int{53, 80, 8080}[g.r.IntN(3)]}}
		}
		g.docs = append(g.docs, map[string]any{"apiVersion": "projectcalico.org/v3", "kind": "HostEndpoint",
			"metadata": map[string]any{"name": fmt.Sprintf("hep%d", i), "labels": g.labels(0, 2)}, "spec": spec})
	}
	for i := 0; i < g.r.IntN(4); i++ {
		var ingress, egress []any
		for k := 0; k < 1+g.r.IntN(3); k++ {
			ingress = append(ingress, g.calicoRule(true, true))
		}
		spec := map[string]any{"selector": g.calicoSelector(1), "applyOnForward": true}
		if g.chance(0.7) {
			spec["order"] = []float64{1, 5, 50}[g.r.IntN(3)]
		}
		if g.chance(0.3) {
			spec["tier"] = "default"
		}
		switch g.r.IntN(3) {
		case 0:
			spec["preDNAT"] = true
			spec["types"] = []any{"Ingress"}
		case 1:
			spec["doNotTrack"] = true
			for k := 0; k < g.r.IntN(3); k++ {
				egress = append(egress, g.calicoRule(true, false))
			}
		default:
			spec["applyOnForward"] = g.chance(0.5)
			for k := 0; k < g.r.IntN(3); k++ {
				egress = append(egress, g.calicoRule(true, false))
			}
		}
		spec["ingress"] = ingress
		if len(egress) > 0 {
			spec["egress"] = egress
		}
		g.docs = append(g.docs, map[string]any{"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
			"metadata": map[string]any{"name": fmt.Sprintf("hostpol%d", i)}, "spec": spec})
	}
	if g.chance(0.5) {
		spec := map[string]any{}
		fs := func() []any {
			var out []any
			for k := 0; k < g.r.IntN(3); k++ {
				out = append(out, []map[string]any{
					{"protocol": "TCP", "port": 22},
					{"protocol": "UDP", "port": 53},
					{"protocol": "TCP", "port": 80, "net": "10.0.0.0/8"},
					{"protocol": "TCP", "port": 8080, "net": "fd00::/64"},
				}[g.r.IntN(4)])
			}
			return out
		}
		if g.chance(0.6) {
			spec["failsafeInboundHostPorts"] = fs()
		}
		if g.chance(0.6) {
			spec["failsafeOutboundHostPorts"] = fs()
		}
		if g.chance(0.6) {
			spec["defaultEndpointToHostAction"] = g.pick([]string{"Drop", "Accept", "Return"})
		}
		g.docs = append(g.docs, map[string]any{"apiVersion": "projectcalico.org/v3", "kind": "FelixConfiguration",
			"metadata": map[string]any{"name": g.pick([]string{"default", "node.n1"})}, "spec": spec})
	}
}
