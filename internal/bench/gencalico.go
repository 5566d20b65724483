package bench

import (
	"fmt"
	"slices"
)

// Calico object kinds and API version.
const calicoAPIVersion = "projectcalico.org/v3"

// obj is a generic manifest: Calico objects are written as plain maps
// with the field names of Calico's API (mirrored in internal/policy/calicov3), so
// that the generator does not depend on Go types still being written.
type obj = map[string]any

// calico adds the Calico layer of a Calico cluster, as a platform team
// would run it on top of the application teams' Kubernetes
// NetworkPolicies: a security tier (cloud metadata blocked, quarantine,
// tenants isolated from each other) and a platform tier (DNS and
// monitoring allowed everywhere, some namespaces' web ingress), both
// passing undecided traffic on to the default tier, where the Kubernetes
// policies and a few namespaced Calico policies live.
func (g *gen) calico() {
	add := func(o obj) { g.c.Calico = append(g.c.Calico, o) }
	add(calicoObj("Tier", "", "security", obj{"order": 100, "defaultAction": "Pass"}))
	add(calicoObj("Tier", "", "platform", obj{"order": 200, "defaultAction": "Pass"}))

	add(calicoObj("GlobalNetworkPolicy", "", "security.deny-cloud-metadata", obj{
		"tier": "security", "order": 10, "selector": "all()", "types": []any{"Egress"},
		"egress": []any{
			obj{"action": "Deny", "destination": obj{"nets": []any{"169.254.169.254/32"}}},
			obj{"action": "Pass"},
		},
	}))
	add(calicoObj("GlobalNetworkPolicy", "", "security.quarantine", obj{
		"tier": "security", "order": 20, "selector": "has(quarantine)", "types": []any{"Ingress", "Egress"},
		"ingress": []any{obj{"action": "Deny"}},
		"egress":  []any{obj{"action": "Deny"}},
	}))
	var clients []string
	for _, ns := range g.nss[len(sharedNamespaces):] {
		if !slices.Contains(clients, ns.client) {
			clients = append(clients, ns.client)
		}
	}
	slices.Sort(clients)
	for i, c := range clients {
		add(calicoObj("GlobalNetworkPolicy", "", "security.isolate-"+c, obj{
			"tier": "security", "order": 100 + i, "selector": "all()",
			"namespaceSelector": fmt.Sprintf("client == '%s'", c),
			"types":             []any{"Ingress"},
			"ingress": []any{
				obj{"action": "Deny", "source": obj{"namespaceSelector": fmt.Sprintf("has(client) && client != '%s'", c)}},
				obj{"action": "Pass"},
			},
		}))
	}

	kubeDNS := obj{
		"namespaceSelector": "kubernetes.io/metadata.name == 'kube-system'",
		"selector":          "k8s-app == 'kube-dns'",
		"ports":             []any{53},
	}
	add(calicoObj("GlobalNetworkPolicy", "", "platform.allow-dns", obj{
		"tier": "platform", "order": 100, "selector": "all()", "types": []any{"Egress"},
		"egress": []any{
			obj{"action": "Allow", "protocol": "UDP", "destination": kubeDNS},
			obj{"action": "Allow", "protocol": "TCP", "destination": kubeDNS},
			obj{"action": "Pass"},
		},
	}))
	add(calicoObj("GlobalNetworkPolicy", "", "platform.allow-prometheus-scrape", obj{
		"tier": "platform", "order": 200, "selector": "all()", "types": []any{"Ingress"},
		"ingress": []any{
			obj{"action": "Allow", "protocol": "TCP",
				"source": obj{
					"namespaceSelector": "kubernetes.io/metadata.name == 'monitoring'",
					"selector":          "app.kubernetes.io/name == 'prometheus'",
				},
				"destination": obj{"ports": []any{"metrics", "http-metrics", "9100:9200"}}},
			obj{"action": "Pass"},
		},
	}))

	// One application namespace in ten also has namespaced Calico
	// policies: web ingress and internet egress in the platform tier, and
	// database access in the default tier, before the Kubernetes policies
	// (which Calico puts at order 1000). Every order is distinct, so that
	// no evaluation order hangs on Calico's tie-break by name.
	apps := g.nss[len(sharedNamespaces):]
	for i, ns := range apps {
		if i%10 != 0 {
			continue
		}
		add(calicoObj("NetworkPolicy", ns.name, "platform.allow-web", obj{
			"tier": "platform", "order": 300 + float64(i)/100, "selector": "tier == 'web'", "types": []any{"Ingress", "Egress"},
			"ingress": []any{
				obj{"action": "Allow", "protocol": "TCP",
					"source":      obj{"namespaceSelector": "kubernetes.io/metadata.name == 'ingress-nginx'"},
					"destination": obj{"ports": []any{"http", "8000:8100"}}},
				obj{"action": "Pass"},
			},
			"egress": []any{
				obj{"action": "Allow", "protocol": "TCP",
					"destination": obj{"nets": []any{"0.0.0.0/0"}, "notNets": []any{"10.0.0.0/8", "169.254.169.254/32", "192.168.0.0/16"}, "ports": []any{443}}},
				obj{"action": "Pass"},
			},
		}))
		add(calicoObj("NetworkPolicy", ns.name, "allow-data-from-api", obj{
			"order": 900 + 99*float64(i)/float64(len(apps)), // below 1000 however many namespaces "selector": "tier == 'data'", "types": []any{"Ingress"},
			"ingress": []any{
				obj{"action": "Allow", "protocol": "TCP",
					"source":      obj{"selector": "tier in {'api', 'worker'} && !has(quarantine)"},
					"destination": obj{"ports": []any{5432, 3306, 6379}}},
			},
		}))
	}
}

func calicoObj(kind, namespace, name string, spec obj) obj {
	meta := obj{"name": name}
	if namespace != "" {
		meta["namespace"] = namespace
	}
	return obj{"apiVersion": calicoAPIVersion, "kind": kind, "metadata": meta, "spec": spec}
}
