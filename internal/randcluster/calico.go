package randcluster

import (
	"fmt"
	"strings"
)

// Calico selector vocabulary: every operator of the grammar.
func (g *gen) calicoSelector(depth int) string {
	if depth > 1 || g.chance(0.55) {
		return g.calicoTerm()
	}
	switch g.r.IntN(3) {
	case 0:
		return g.calicoSelector(depth+1) + " && " + g.calicoSelector(depth+1)
	case 1:
		return "(" + g.calicoSelector(depth+1) + " || " + g.calicoSelector(depth+1) + ")"
	default:
		return "!(" + g.calicoSelector(depth+1) + ")"
	}
}

func (g *gen) calicoTerm() string {
	k, v := g.pick(labelKeys), g.pick(labelValues)
	switch g.r.IntN(12) {
	case 0:
		return "all()"
	case 1:
		return fmt.Sprintf("%s == '%s'", k, v)
	case 2:
		return fmt.Sprintf("%s != \"%s\"", k, v)
	case 3:
		return fmt.Sprintf("%s in {'%s', '%s'}", k, v, g.pick(labelValues))
	case 4:
		return fmt.Sprintf("%s not in {\"%s\"}", k, v)
	case 5:
		return fmt.Sprintf("has(%s)", k)
	case 6:
		return fmt.Sprintf("!has(%s)", k)
	case 7:
		return fmt.Sprintf("%s contains '%s'", k, v)
	case 8:
		return fmt.Sprintf("%s starts with '%s'", k, v)
	case 9:
		return fmt.Sprintf("%s ends with '%s'", k, v)
	case 10:
		return fmt.Sprintf("projectcalico.org/namespace == '%s'", g.pick(g.namespaces))
	default:
		return fmt.Sprintf("projectcalico.org/serviceaccount == '%s'", g.pick([]string{"default", "sa1"}))
	}
}

var calicoNets = []string{"10.0.0.0/8", "10.1.0.0/16", "10.1.1.0/24", "10.1.1.1", "192.168.0.0/16", "0.0.0.0/0", "fd00::/64", "fd00::1/128", "::/0", "10.3.0.0/16", "8.8.8.0/24"}

// calicoObjects adds tiers, network sets, service accounts, services and
// Calico policies (staged ones too).
func (g *gen) calicoObjects(n int) {
	tiers := []string{"default"}
	for i := 0; i < g.r.IntN(3); i++ {
		name := fmt.Sprintf("tier%d", i)
		tiers = append(tiers, name)
		spec := map[string]any{}
		if g.chance(0.8) {
			spec["order"] = []float64{100, 500, 1000, 2000000, 100}[g.r.IntN(5)]
		}
		if g.chance(0.5) {
			spec["defaultAction"] = g.pick([]string{"Deny", "Pass"})
		}
		g.docs = append(g.docs, map[string]any{"apiVersion": "projectcalico.org/v3", "kind": "Tier",
			"metadata": map[string]any{"name": name}, "spec": spec})
	}
	for i := 0; i < g.r.IntN(3); i++ {
		var nets []any
		for k := 0; k < 1+g.r.IntN(2); k++ {
			nets = append(nets, g.pick(calicoNets))
		}
		obj := map[string]any{"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkSet",
			"metadata": map[string]any{"name": fmt.Sprintf("gns%d", i), "labels": g.labels(0, 2)}, "spec": map[string]any{"nets": nets}}
		if g.chance(0.5) {
			obj["kind"] = "NetworkSet"
			obj["metadata"].(map[string]any)["namespace"] = g.pick(g.namespaces)
		}
		g.docs = append(g.docs, obj)
	}
	for _, ns := range g.namespaces {
		if g.chance(0.5) {
			g.docs = append(g.docs, map[string]any{"apiVersion": "v1", "kind": "ServiceAccount",
				"metadata": map[string]any{"name": "sa1", "namespace": ns, "labels": g.labels(0, 2)}})
		}
	}
	if g.chance(0.5) {
		g.docs = append(g.docs, map[string]any{"apiVersion": "v1", "kind": "Service",
			"metadata": map[string]any{"name": "svc", "namespace": g.pick(g.namespaces)},
			"spec": map[string]any{"selector": g.labels(1, 1), "ports": []any{
				map[string]any{"port": 8080, "targetPort": []any{"http", 81}[g.r.IntN(2)]},
			}}})
	}
	for i := 0; i < n; i++ {
		g.docs = append(g.docs, g.calicoPolicy(i, tiers))
	}
}

func (g *gen) calicoPolicy(i int, tiers []string) map[string]any {
	global := g.chance(0.4)
	kind := "NetworkPolicy"
	if global {
		kind = "GlobalNetworkPolicy"
	}
	staged := g.chance(0.15)
	if staged {
		kind = "Staged" + kind
	}
	meta := map[string]any{"name": fmt.Sprintf("cp%d", i)}
	if !global {
		meta["namespace"] = g.pick(g.namespaces)
	}
	spec := map[string]any{}
	if staged && g.chance(0.3) {
		spec["stagedAction"] = "Delete"
		return map[string]any{"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": meta, "spec": spec}
	}
	if g.chance(0.8) {
		spec["tier"] = g.pick(tiers)
	}
	if g.chance(0.8) {
		spec["order"] = []float64{10, 20, 1000, 1000, 5.5}[g.r.IntN(5)]
	}
	if g.chance(0.7) {
		spec["selector"] = g.calicoSelector(0)
	}
	if global && g.chance(0.3) {
		spec["namespaceSelector"] = g.calicoSelector(1)
	}
	if g.chance(0.15) {
		spec["serviceAccountSelector"] = g.calicoSelector(1)
	}
	var ingress, egress []any
	for k := 0; k < g.r.IntN(4); k++ {
		ingress = append(ingress, g.calicoRule(global, true))
	}
	for k := 0; k < g.r.IntN(4); k++ {
		egress = append(egress, g.calicoRule(global, false))
	}
	if len(ingress) > 0 {
		spec["ingress"] = ingress
	}
	if len(egress) > 0 {
		spec["egress"] = egress
	}
	switch g.r.IntN(5) {
	case 0:
		spec["types"] = []any{"Ingress"}
	case 1:
		spec["types"] = []any{"Egress"}
	case 2:
		spec["types"] = []any{"Ingress", "Egress"}
	}
	if global && g.chance(0.05) {
		spec["doNotTrack"], spec["applyOnForward"] = true, true
	}
	return map[string]any{"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": meta, "spec": spec}
}

func (g *gen) calicoRule(global, ingress bool) map[string]any {
	action := g.pick([]string{"Allow", "Allow", "Deny", "Pass", "Log"})
	r := map[string]any{"action": action}
	proto := ""
	switch g.r.IntN(6) {
	case 0, 1:
		proto = "TCP"
	case 2:
		proto = "UDP"
	case 3:
		proto = g.pick([]string{"ICMP", "SCTP", "47"})
	}
	if proto != "" {
		r["protocol"] = proto
	}
	if g.chance(0.1) && proto != "ICMP" {
		r["ipVersion"] = 4 + 2*g.r.IntN(2)
	}
	if g.chance(0.1) {
		np := g.pick([]string{"UDP", "ICMP", "TCP"})
		if np != "ICMP" || r["ipVersion"] != 6 {
			r["notProtocol"] = np
		}
	}
	portsOK := proto == "TCP" || proto == "UDP" || proto == "SCTP"
	namedOK := portsOK || proto == "" // protocols without ports allow no ports at all
	family := g.pick([]string{"4", "4", "6"})
	if v, ok := r["ipVersion"]; ok {
		family = fmt.Sprint(v)
	}
	if proto == "ICMP" {
		family = "4"
	}
	// services may appear only in an ingress source or an egress
	// destination.
	r["source"] = g.calicoEntity(global, false, portsOK, namedOK, ingress, family)
	r["destination"] = g.calicoEntity(global, true, portsOK, namedOK, !ingress, family)
	if ingress && action == "Allow" && (proto == "" || proto == "TCP") && g.chance(0.05) {
		r["http"] = map[string]any{"methods": []any{"GET"}}
	}
	return r
}

func (g *gen) calicoEntity(global, dst, portsOK, namedOK, services bool, family string) map[string]any {
	e := map[string]any{}
	if g.chance(0.25) {
		e["nets"] = g.netsOf(family)
	}
	if g.chance(0.15) {
		e["notNets"] = g.netsOf(family)
	}
	if g.chance(0.35) {
		e["selector"] = g.calicoSelector(0)
	}
	if g.chance(0.1) {
		e["notSelector"] = g.calicoSelector(1)
	}
	if g.chance(0.2) {
		e["namespaceSelector"] = g.pick([]string{"all()", "global()", g.calicoSelector(1), "projectcalico.org/name not in {'ns0'}"})
	}
	if g.chance(0.08) {
		sa := map[string]any{}
		if g.chance(0.5) {
			sa["names"] = []any{g.pick([]string{"default", "sa1"})}
		}
		if len(sa) == 0 || g.chance(0.5) {
			sa["selector"] = g.calicoSelector(1)
		}
		e["serviceAccounts"] = sa
	}
	if services && len(e) == 0 && g.chance(0.06) {
		svc := map[string]any{"name": "svc"}
		if global || g.chance(0.5) {
			svc["namespace"] = g.pick(g.namespaces)
		}
		if dst {
			return map[string]any{"services": svc}
		}
		e["services"] = svc
	}
	if namedOK && (dst || g.chance(0.1)) {
		if g.chance(0.5) {
			e["ports"] = g.calicoPorts(portsOK)
		}
		if g.chance(0.15) {
			e["notPorts"] = g.calicoPorts(portsOK)
		}
	}
	for k, v := range e {
		if l, ok := v.([]any); ok && len(l) == 0 {
			delete(e, k)
		}
	}
	return e
}

func (g *gen) netsOf(family string) []any {
	var out []any
	for k := 0; k < 1+g.r.IntN(2); k++ {
		n := g.pick(calicoNets)
		if (family == "6") != strings.Contains(n, ":") {
			continue
		}
		if n == "0.0.0.0/0" || n == "::/0" {
			continue // a catch-all is rejected in notNets; keep lists valid
		}
		out = append(out, n)
	}
	return out
}

func (g *gen) calicoPorts(numeric bool) []any {
	var out []any
	for k := 0; k < 1+g.r.IntN(2); k++ {
		if !numeric || g.chance(0.4) {
			out = append(out, g.pick(portNames))
			continue
		}
		if g.chance(0.5) {
			out = append(out, 80+g.r.IntN(4))
		} else {
			lo := 79 + g.r.IntN(4)
			out = append(out, fmt.Sprintf("%d:%d", lo, lo+g.r.IntN(3)))
		}
	}
	return out
}
