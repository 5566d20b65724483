package randcluster

import "fmt"

// adminPolicies adds Nodes (whose addresses hostNetwork pods may share),
// AdminNetworkPolicies, a BaselineAdminNetworkPolicy and
// ClusterNetworkPolicies with every peer and port form.
func (g *gen) adminPolicies() {
	for i, n := range []string{"n1", "n2"} {
		g.docs = append(g.docs, map[string]any{
			"apiVersion": "v1", "kind": "Node",
			"metadata": map[string]any{"name": n, "labels": g.labels(0, 2)},
			"status": map[string]any{"addresses": []any{
				map[string]any{"type": "InternalIP", "address": fmt.Sprintf("10.1.1.%d", 250+i)},
			}},
		})
	}
	for i := 0; i < g.r.IntN(4); i++ {
		g.docs = append(g.docs, map[string]any{
			"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
			"metadata": map[string]any{"name": fmt.Sprintf("anp%d", i)},
			"spec": map[string]any{
				"priority": g.r.IntN(3),
				"subject":  g.adminSubject(),
				"ingress":  g.adminRules("from", []string{"Allow", "Deny", "Pass"}, false, false),
				"egress":   g.adminRules("to", []string{"Allow", "Deny", "Pass"}, true, false),
			},
		})
	}
	if g.chance(0.6) {
		g.docs = append(g.docs, map[string]any{
			"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "BaselineAdminNetworkPolicy",
			"metadata": map[string]any{"name": "default"},
			"spec": map[string]any{
				"subject": g.adminSubject(),
				"ingress": g.adminRules("from", []string{"Allow", "Deny"}, false, false),
				"egress":  g.adminRules("to", []string{"NoDomains", "Deny"}, true, false),
			},
		})
	}
	for i := 0; i < g.r.IntN(4); i++ {
		tier := g.pick([]string{"Admin", "Baseline"})
		g.docs = append(g.docs, map[string]any{
			"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
			"metadata": map[string]any{"name": fmt.Sprintf("cnp%d", i)},
			"spec": map[string]any{
				"tier":     tier,
				"priority": g.r.IntN(3),
				"subject":  g.adminSubject(),
				"ingress":  g.adminRules("from", []string{"Accept", "Deny", "Pass"}, false, true),
				"egress":   g.adminRules("to", []string{"Accept", "Deny", "Pass"}, true, true),
			},
		})
	}
}

func (g *gen) adminSubject() map[string]any {
	if g.chance(0.5) {
		return map[string]any{"namespaces": g.selector()}
	}
	return map[string]any{"pods": map[string]any{"namespaceSelector": g.selector(), "podSelector": g.selector()}}
}

// adminRules returns 0–2 rules; egress rules may use nodes, networks and
// domain names; cnp selects the v1alpha2 port syntax.
func (g *gen) adminRules(key string, actions []string, egress, cnp bool) []any {
	var rules []any
	for k := 0; k < g.r.IntN(3); k++ {
		// "NoDomains" (BANP) stands for an Allow rule without domain names,
		// which the baseline API does not have.
		action := g.pick(actions)
		domains := action == "Allow" || action == "Accept"
		if action == "NoDomains" {
			action, domains = "Allow", false
		}
		var peers []any
		for p := 0; p < 1+g.r.IntN(2); p++ {
			peers = append(peers, g.adminPeer(egress, domains))
		}
		r := map[string]any{"action": action, key: peers}
		if g.chance(0.6) {
			if cnp {
				r["protocols"] = g.cnpProtocols()
			} else {
				r["ports"] = g.anpPorts()
			}
		}
		rules = append(rules, r)
	}
	return rules
}

func (g *gen) adminPeer(egress, allow bool) map[string]any {
	n := 2
	if egress {
		n = 5
	}
	switch g.r.IntN(n) {
	case 0:
		return map[string]any{"namespaces": g.selector()}
	case 1:
		return map[string]any{"pods": map[string]any{"namespaceSelector": g.selector(), "podSelector": g.selector()}}
	case 2:
		var nets []any
		for i := 0; i < 1+g.r.IntN(2); i++ {
			nets = append(nets, g.pick(cidrs))
		}
		return map[string]any{"networks": nets}
	case 3:
		return map[string]any{"nodes": g.selector()}
	default:
		if allow {
			return map[string]any{"domainNames": []any{"example.com"}}
		}
		return map[string]any{"namespaces": g.selector()}
	}
}

func (g *gen) anpPorts() []any {
	var out []any
	for k := 0; k < 1+g.r.IntN(2); k++ {
		switch g.r.IntN(3) {
		case 0:
			p := map[string]any{"port": 80 + g.r.IntN(4)}
			if g.chance(0.7) {
				p["protocol"] = g.pick([]string{"TCP", "UDP", "SCTP"})
			}
			out = append(out, map[string]any{"portNumber": p})
		case 1:
			lo := 79 + g.r.IntN(4)
			p := map[string]any{"start": lo, "end": lo + 1 + g.r.IntN(2)}
			if g.chance(0.7) {
				p["protocol"] = g.pick([]string{"TCP", "UDP", "SCTP"})
			}
			out = append(out, map[string]any{"portRange": p})
		default:
			out = append(out, map[string]any{"namedPort": g.pick(portNames)})
		}
	}
	return out
}

func (g *gen) cnpProtocols() []any {
	var out []any
	for k := 0; k < 1+g.r.IntN(2); k++ {
		if g.chance(0.3) {
			out = append(out, map[string]any{"destinationNamedPort": g.pick(portNames)})
			continue
		}
		var dp map[string]any
		if g.chance(0.5) {
			dp = map[string]any{"number": 80 + g.r.IntN(4)}
		} else {
			lo := 79 + g.r.IntN(4)
			dp = map[string]any{"range": map[string]any{"start": lo, "end": lo + 1 + g.r.IntN(2)}}
		}
		out = append(out, map[string]any{g.pick([]string{"tcp", "udp", "sctp"}): map[string]any{"destinationPort": dp}})
	}
	return out
}
