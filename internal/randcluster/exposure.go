package randcluster

import "fmt"

// exposureObjects adds Services of every type and traffic policy,
// Ingresses, Gateways with routes of every kind (backends in other
// namespaces with and without a ReferenceGrant), OpenShift Routes, an
// EndpointSlice (with a ready and a not-ready endpoint), headless
// Services and, sometimes, ingress-controller pods with well-known
// labels.
func (g *gen) exposureObjects(pods int) {
	types := []string{"ClusterIP", "NodePort", "LoadBalancer"}
	var services []map[string]string // namespace, name
	for i := 0; i < 1+g.r.IntN(4); i++ {
		ns := g.pick(g.namespaces)
		name := fmt.Sprintf("svc%d", i)
		spec := map[string]any{"type": g.pick(types), "selector": g.labels(1, 1)}
		var ports []any
		for k := 0; k < 1+g.r.IntN(2); k++ {
			p := map[string]any{"name": fmt.Sprintf("p%d", k), "port": 80 + 10*k + g.r.IntN(2)}
			switch g.r.IntN(3) {
			case 0:
				p["targetPort"] = g.pick(portNames)
			case 1:
				p["targetPort"] = 80 + g.r.IntN(4)
			}
			if g.chance(0.2) {
				p["protocol"] = "UDP"
			}
			if spec["type"] != "ClusterIP" && g.chance(0.5) {
				p["nodePort"] = 30000 + g.r.IntN(3)
			}
			ports = append(ports, p)
		}
		spec["ports"] = ports
		if spec["type"] != "ClusterIP" && g.chance(0.5) {
			spec["externalTrafficPolicy"] = "Local"
		}
		if g.chance(0.3) {
			spec["internalTrafficPolicy"] = "Local"
		}
		if spec["type"] == "ClusterIP" && g.chance(0.15) {
			spec["clusterIP"] = "None" // headless: no entry, but routes may name it
		}
		if spec["type"] == "LoadBalancer" && g.chance(0.5) {
			spec["loadBalancerSourceRanges"] = []any{g.pick([]string{"10.1.0.0/16", "192.168.0.0/16", "8.8.8.0/24"})}
		}
		if g.chance(0.2) {
			spec["externalIPs"] = []any{"203.0.113.9"}
		}
		g.docs = append(g.docs, map[string]any{"apiVersion": "v1", "kind": "Service",
			"metadata": map[string]any{"name": name, "namespace": ns}, "spec": spec})
		services = append(services, map[string]string{"ns": ns, "name": name})
	}
	if g.chance(0.3) {
		// A controller with well-known labels.
		g.docs = append(g.docs, map[string]any{"apiVersion": "v1", "kind": "Pod",
			"metadata": map[string]any{"name": "ingress-ctl", "namespace": g.pick(g.namespaces),
				"labels": map[string]any{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller", "app": g.pick(labelValues)}},
			"spec":   map[string]any{"containers": []any{map[string]any{"name": "c", "image": "x"}}, "nodeName": "n1"},
			"status": map[string]any{"podIP": fmt.Sprintf("10.0.9.%d", 1+pods)}})
	}
	svcPort := func(s map[string]string) int { return 80 + g.r.IntN(2) }
	for i, s := range services {
		switch g.r.IntN(4) {
		case 0:
			g.docs = append(g.docs, map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
				"metadata": map[string]any{"name": fmt.Sprintf("ing%d", i), "namespace": s["ns"]},
				"spec":     map[string]any{"defaultBackend": map[string]any{"service": map[string]any{"name": s["name"], "port": map[string]any{"number": svcPort(s)}}}}})
		case 1:
			gwNS := g.pick(g.namespaces)
			kind := g.pick([]string{"HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"})
			proto := map[string]string{"HTTPRoute": "HTTP", "GRPCRoute": "HTTP", "TLSRoute": "TLS", "TCPRoute": "TCP", "UDPRoute": "UDP"}[kind]
			g.docs = append(g.docs, map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
				"metadata": map[string]any{"name": fmt.Sprintf("gw%d", i), "namespace": gwNS},
				"spec": map[string]any{"gatewayClassName": "gc", "listeners": []any{map[string]any{"name": "l", "port": 443, "protocol": proto,
					"allowedRoutes": map[string]any{"namespaces": map[string]any{"from": g.pick([]string{"All", "Same"})}}}}}})
			routeNS := g.pick(g.namespaces)
			g.docs = append(g.docs, map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": kind,
				"metadata": map[string]any{"name": fmt.Sprintf("r%d", i), "namespace": routeNS},
				"spec": map[string]any{"parentRefs": []any{map[string]any{"name": fmt.Sprintf("gw%d", i), "namespace": gwNS}},
					"rules": []any{map[string]any{"backendRefs": []any{map[string]any{"name": s["name"], "namespace": s["ns"], "port": svcPort(s)}}}}}})
			if g.chance(0.5) {
				g.docs = append(g.docs, map[string]any{"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
					"metadata": map[string]any{"name": fmt.Sprintf("grant%d", i), "namespace": s["ns"]},
					"spec": map[string]any{"from": []any{map[string]any{"group": "gateway.networking.k8s.io", "kind": kind, "namespace": routeNS}},
						"to": []any{map[string]any{"group": "", "kind": "Service"}}}})
			}
		case 2:
			spec := map[string]any{"to": map[string]any{"kind": "Service", "name": s["name"]}}
			if g.chance(0.5) {
				spec["port"] = map[string]any{"targetPort": []any{"p0", 80, 81}[g.r.IntN(3)]}
			}
			g.docs = append(g.docs, map[string]any{"apiVersion": "route.openshift.io/v1", "kind": "Route",
				"metadata": map[string]any{"name": fmt.Sprintf("route%d", i), "namespace": s["ns"]}, "spec": spec})
		}
	}
	if len(services) > 0 && g.chance(0.2) {
		s := services[0]
		g.docs = append(g.docs, map[string]any{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
			"metadata":    map[string]any{"name": s["name"] + "-x", "namespace": s["ns"], "labels": map[string]any{"kubernetes.io/service-name": s["name"]}},
			"addressType": "IPv4",
			"ports":       []any{map[string]any{"name": "p0", "port": 80 + g.r.IntN(4), "protocol": "TCP"}},
			"endpoints": []any{map[string]any{"addresses": []any{g.pick([]string{"10.0.1.1", "10.0.1.2", "198.51.100.4"})}, "nodeName": "n2"},
				// Not ready: kube-proxy leaves it out.
				map[string]any{"addresses": []any{g.pick([]string{"10.0.1.1", "10.0.1.3"})}, "nodeName": "n1", "conditions": map[string]any{"ready": false}}}})
	}
}
