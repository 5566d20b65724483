package randcluster

import (
	"fmt"
)

// Istio objects for random clusters: mesh labels on namespaces and pods,
// sidecars, Services declaring port protocols, PeerAuthentications and
// AuthorizationPolicies with every scope, action and field.

var (
	meshAccounts  = []string{"default", "sa0", "sa1"}
	meshRoot      = "istio-system"
	meshWaypoints = []string{"wp", "wp2"}
)

// meshNamespaceLabels adds injection, revision, ambient and waypoint
// labels to a namespace's labels.
func (g *gen) meshNamespaceLabels(labels map[string]any) {
	switch g.r.IntN(6) {
	case 0, 1:
		labels["istio-injection"] = g.pick([]string{"enabled", "enabled", "disabled"})
	case 2:
		labels["istio.io/rev"] = g.pick([]string{"default", "canary"})
	case 3:
		labels["istio.io/dataplane-mode"] = "ambient"
		if g.chance(0.5) {
			labels["istio.io/use-waypoint"] = g.pick(meshWaypoints)
			if g.chance(0.3) {
				labels["istio.io/use-waypoint-namespace"] = "ns0"
			}
		}
	}
}

// meshPod adds mesh labels, annotations, a service account and sometimes
// an injected sidecar container to a generated pod.
func (g *gen) meshPod(pod map[string]any) {
	meta := pod["metadata"].(map[string]any)
	labels := meta["labels"].(map[string]any)
	spec := pod["spec"].(map[string]any)
	spec["serviceAccountName"] = g.pick(meshAccounts)
	annotations := map[string]any{}
	switch g.r.IntN(9) {
	case 0:
		labels["sidecar.istio.io/inject"] = g.pick([]string{"true", "false"})
	case 1:
		annotations["sidecar.istio.io/inject"] = g.pick([]string{"true", "false", "yes"})
	case 2:
		labels["istio.io/rev"] = g.pick([]string{"default", "canary"})
	case 3:
		labels["istio.io/dataplane-mode"] = g.pick([]string{"ambient", "none"})
	case 4:
		labels["istio.io/use-waypoint"] = g.pick(append([]string{"none"}, meshWaypoints...))
	case 5:
		containers := spec["containers"].([]any)
		spec["containers"] = append(containers, map[string]any{"name": "istio-proxy", "image": "proxyv2"})
	}
	if g.chance(0.15) {
		annotations["traffic.sidecar.istio.io/excludeInboundPorts"] = g.pick([]string{"81", "82,83"})
	}
	if g.chance(0.05) {
		annotations["traffic.sidecar.istio.io/includeInboundPorts"] = g.pick([]string{"80", "*"})
	}
	if len(annotations) > 0 {
		meta["annotations"] = annotations
	}
}

// meshObjects adds Services, PeerAuthentications and AuthorizationPolicies.
func (g *gen) meshObjects(n int) {
	for i := 0; i < 1+g.r.IntN(3); i++ {
		g.docs = append(g.docs, g.meshService(i))
	}
	for i := 0; i < g.r.IntN(4); i++ {
		g.docs = append(g.docs, g.peerAuthentication(i))
	}
	for i := 0; i < 1+n; i++ {
		g.docs = append(g.docs, g.authorizationPolicy(i))
	}
}

func (g *gen) meshService(i int) map[string]any {
	var ports []any
	for k := 0; k < 1+g.r.IntN(2); k++ {
		p := map[string]any{"port": 8000 + k, "targetPort": 80 + g.r.IntN(4)}
		if g.chance(0.2) {
			p["targetPort"] = g.pick(portNames)
		}
		switch g.r.IntN(4) {
		case 0:
			p["name"] = fmt.Sprintf("http-%d", k)
		case 1:
			p["name"] = fmt.Sprintf("tcp-%d", k)
		case 2:
			p["name"] = fmt.Sprintf("p%d", k)
			p["appProtocol"] = g.pick([]string{"http", "grpc", "mongo", "tls"})
		default:
			p["name"] = fmt.Sprintf("p%d", k)
		}
		ports = append(ports, p)
	}
	meta := map[string]any{"name": fmt.Sprintf("svc%d", i), "namespace": g.pick(g.namespaces)}
	if g.chance(0.3) {
		meta["labels"] = map[string]any{"istio.io/use-waypoint": g.pick(meshWaypoints)}
	}
	return map[string]any{
		"apiVersion": "v1", "kind": "Service", "metadata": meta,
		"spec": map[string]any{"selector": g.labels(1, 1), "ports": ports},
	}
}

func (g *gen) meshMode() string {
	return g.pick([]string{"STRICT", "PERMISSIVE", "DISABLE", "UNSET", ""})
}

func (g *gen) peerAuthentication(i int) map[string]any {
	ns := meshRoot
	if g.chance(0.7) {
		ns = g.pick(g.namespaces)
	}
	spec := map[string]any{}
	if m := g.meshMode(); m != "" {
		spec["mtls"] = map[string]any{"mode": m}
	}
	if ns != meshRoot && g.chance(0.5) {
		spec["selector"] = map[string]any{"matchLabels": g.labels(1, 1)}
		if g.chance(0.5) {
			spec["portLevelMtls"] = map[string]any{fmt.Sprint(80 + g.r.IntN(4)): map[string]any{"mode": g.pick([]string{"STRICT", "PERMISSIVE", "DISABLE", "UNSET"})}}
		}
	}
	meta := map[string]any{"name": fmt.Sprintf("pa%d", i), "namespace": ns}
	if g.chance(0.5) {
		meta["creationTimestamp"] = fmt.Sprintf("2024-01-0%dT00:00:00Z", 1+g.r.IntN(3))
	}
	return map[string]any{"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": meta, "spec": spec}
}

func (g *gen) authorizationPolicy(i int) map[string]any {
	ns := g.pick(g.namespaces)
	if g.chance(0.2) {
		ns = meshRoot
	}
	spec := map[string]any{}
	action := g.pick([]string{"ALLOW", "ALLOW", "DENY", "DENY", "CUSTOM", "AUDIT", ""})
	if action != "" {
		spec["action"] = action
	}
	if action == "CUSTOM" {
		spec["provider"] = map[string]any{"name": "ext"}
	}
	switch g.r.IntN(6) {
	case 0, 1:
		spec["selector"] = map[string]any{"matchLabels": g.labels(1, 2)}
	case 2:
		var refs []any
		switch g.r.IntN(3) {
		case 0:
			refs = append(refs, map[string]any{"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "wp"})
		case 1:
			refs = append(refs, map[string]any{"kind": "Service", "group": "", "name": fmt.Sprintf("svc%d", g.r.IntN(3))})
		default:
			ns = meshRoot
			refs = append(refs, map[string]any{"kind": "GatewayClass", "group": "gateway.networking.k8s.io", "name": "istio-waypoint"})
		}
		spec["targetRefs"] = refs
	}
	if g.chance(0.9) || action == "DENY" || action == "CUSTOM" {
		var rules []any
		for k := 0; k < g.r.IntN(3); k++ {
			rules = append(rules, g.meshRule(action == "CUSTOM"))
		}
		if (action == "DENY" || action == "CUSTOM") && len(rules) == 0 {
			rules = append(rules, map[string]any{})
		}
		spec["rules"] = rules
	}
	meta := map[string]any{"name": fmt.Sprintf("ap%d", i), "namespace": ns}
	if g.chance(0.05) {
		meta["annotations"] = map[string]any{"istio.io/dry-run": "true"}
	}
	if g.chance(0.05) {
		meta["labels"] = map[string]any{"istio.io/rev": "canary"}
	}
	return map[string]any{"apiVersion": g.pick([]string{"security.istio.io/v1", "security.istio.io/v1beta1"}), "kind": "AuthorizationPolicy", "metadata": meta, "spec": spec}
}

func (g *gen) meshStrings(pool []string) []any {
	var out []any
	for k := 0; k < 1+g.r.IntN(2); k++ {
		out = append(out, g.pick(pool))
	}
	return out
}

var (
	meshPrincipals = []string{"cluster.local/ns/ns0/sa/sa0", "cluster.local/ns/ns1/sa/default", "cluster.local/ns/ns0/*", "*/sa/sa1", "*", "cluster.local/ns/ns0/sa/wp", "other.domain/ns/ns0/sa/sa0"}
	meshNamespaces = []string{"ns0", "ns1", "ns2", "ns*", "*", "istio-system"}
	meshIPBlocks   = []string{"10.0.0.0/8", "10.1.0.0/16", "10.1.1.1", "10.2.0.0/16", "192.168.0.0/16", "10.0.1.0/24"}
)

// meshRule returns a random rule; custom leaves out the fields the CUSTOM
// action does not support.
func (g *gen) meshRule(custom bool) map[string]any {
	r := map[string]any{}
	if g.chance(0.7) {
		var from []any
		for k := 0; k < 1+g.r.IntN(2); k++ {
			src := map[string]any{}
			for len(src) == 0 {
				if !custom && g.chance(0.3) {
					src[g.pick([]string{"principals", "notPrincipals"})] = g.meshStrings(meshPrincipals)
				}
				if !custom && g.chance(0.25) {
					src[g.pick([]string{"namespaces", "notNamespaces"})] = g.meshStrings(meshNamespaces)
				}
				if !custom && g.chance(0.1) && src["principals"] == nil && src["notPrincipals"] == nil && src["namespaces"] == nil && src["notNamespaces"] == nil {
					src[g.pick([]string{"serviceAccounts", "notServiceAccounts"})] = g.meshStrings([]string{"sa0", "ns1/default", "ns0/sa1"})
				}
				if g.chance(0.3) {
					src[g.pick([]string{"ipBlocks", "notIpBlocks"})] = g.meshStrings(meshIPBlocks)
				}
				if g.chance(0.1) {
					src[g.pick([]string{"remoteIpBlocks", "notRemoteIpBlocks"})] = g.meshStrings(meshIPBlocks)
				}
				if !custom && g.chance(0.1) {
					src[g.pick([]string{"requestPrincipals", "notRequestPrincipals"})] = g.meshStrings([]string{"iss/sub", "*"})
				}
				if g.chance(0.05) {
					src[g.pick([]string{"trustDomains", "notTrustDomains"})] = g.meshStrings([]string{"cluster.local", "other.domain", "*"})
					src["ipBlocks"] = g.meshStrings(meshIPBlocks) // trust domains alone make an empty source

				}
			}
			from = append(from, map[string]any{"source": src})
		}
		r["from"] = from
	}
	if g.chance(0.6) {
		var to []any
		for k := 0; k < 1+g.r.IntN(2); k++ {
			op := map[string]any{}
			for len(op) == 0 {
				if g.chance(0.5) {
					op[g.pick([]string{"ports", "notPorts"})] = g.meshStrings([]string{"80", "81", "82", "83"})
				}
				if g.chance(0.3) {
					op[g.pick([]string{"methods", "notMethods"})] = g.meshStrings([]string{"GET", "*"})
				}
				if g.chance(0.15) {
					op[g.pick([]string{"paths", "notPaths", "hosts", "notHosts"})] = g.meshStrings([]string{"/api/*", "*"})
				}
			}
			to = append(to, map[string]any{"operation": op})
		}
		r["to"] = to
	}
	if g.chance(0.3) {
		var when []any
		for k := 0; k < 1+g.r.IntN(2); k++ {
			c := map[string]any{}
			values := "values"
			if g.chance(0.3) {
				values = "notValues"
			}
			key := g.pick([]string{"source.ip", "destination.ip", "destination.port", "source.namespace", "source.principal", "source.serviceAccount", "request.headers[x-user]", "connection.sni", "remote.ip"})
			if custom && (key == "source.namespace" || key == "source.principal" || key == "source.serviceAccount") {
				key = "destination.port"
			}
			c["key"] = key
			switch key {
			case "source.ip", "destination.ip", "remote.ip":
				c[values] = g.meshStrings(meshIPBlocks)
			case "destination.port":
				c[values] = g.meshStrings([]string{"80", "81", "82"})
			case "source.namespace":
				c[values] = g.meshStrings(meshNamespaces)
			case "source.principal":
				c[values] = g.meshStrings(meshPrincipals)
			case "source.serviceAccount":
				c[values] = g.meshStrings([]string{"ns0/sa0", "ns1/default", "ns0/*"})
			default:
				c[values] = g.meshStrings([]string{"a", "b"})
			}
			when = append(when, c)
		}
		r["when"] = when
	}
	return r
}
