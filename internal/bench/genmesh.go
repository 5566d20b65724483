package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// meshAPIVersion is the API version of the Istio objects written.
const meshAPIVersion = "security.istio.io/v1"

// mesh adds the Istio security objects of a mesh cluster, as a platform
// team and the application teams of the namespaces with sidecar
// injection would write them: a PERMISSIVE mesh default; STRICT in half
// of the mesh namespaces, with the metrics port left PERMISSIVE for the
// scraper outside the mesh; per workload an ALLOW policy naming the
// service accounts of a few workloads of its namespace, the ingress
// namespace, and anyone on the metrics port (one in four also restricted
// to GET on its HTTP port); per namespace a DENY of the other clients'
// namespaces. It draws from its own random source, so the rest of the
// cluster is the same with or without it.
func (g *gen) mesh() {
	r := rand.New(rand.NewPCG(g.cfg.Seed, 0x6d657368)) // "mesh"
	add := func(o obj) { g.c.Mesh = append(g.c.Mesh, o) }
	add(meshObj("PeerAuthentication", "istio-system", "default", obj{"mtls": obj{"mode": "PERMISSIVE"}}))
	var meshNS []*nsInfo
	for _, ns := range g.nss[len(sharedNamespaces):] {
		if ns.istio {
			meshNS = append(meshNS, ns)
		}
	}
	for _, ns := range meshNS {
		if r.IntN(2) == 0 {
			add(meshObj("PeerAuthentication", ns.name, "default", obj{"mtls": obj{"mode": "STRICT"}}))
			add(meshObj("PeerAuthentication", ns.name, "metrics", obj{
				"selector":      obj{"matchLabels": obj{lblTier: "web"}},
				"portLevelMtls": obj{fmt.Sprint(portMetrics.port): obj{"mode": "PERMISSIVE"}},
			}))
		}
		var others []string
		for _, o := range meshNS {
			if o.client != ns.client && !slices.Contains(others, o.name) {
				others = append(others, o.name)
			}
		}
		if len(others) > 0 {
			add(meshObj("AuthorizationPolicy", ns.name, "deny-other-clients", obj{
				"action": "DENY",
				"rules":  []any{obj{"from": []any{obj{"source": obj{"namespaces": asAnyStrings(others)}}}}},
			}))
		}
		for _, w := range ns.workloads {
			var principals []any
			for k := 0; k < 1+r.IntN(3) && len(ns.workloads) > 0; k++ {
				peer := ns.workloads[r.IntN(len(ns.workloads))]
				principals = append(principals, fmt.Sprintf("cluster.local/ns/%s/sa/%s", ns.name, peer.sa))
			}
			allow := obj{"from": []any{
				obj{"source": obj{"principals": principals}},
				obj{"source": obj{"namespaces": []any{nsIngress}}},
			}}
			if r.IntN(4) == 0 {
				allow["to"] = []any{obj{"operation": obj{"ports": []any{fmt.Sprint(portHTTP.port)}, "methods": []any{"GET"}}}}
			}
			add(meshObj("AuthorizationPolicy", ns.name, w.name, obj{
				"selector": obj{"matchLabels": obj{lblApp: w.arch.app}},
				"rules": []any{
					allow,
					obj{"to": []any{obj{"operation": obj{"ports": []any{fmt.Sprint(portMetrics.port)}}}}},
				},
			}))
		}
	}
}

func meshObj(kind, namespace, name string, spec obj) obj {
	return obj{"apiVersion": meshAPIVersion, "kind": kind, "metadata": obj{"name": name, "namespace": namespace}, "spec": spec}
}

func asAnyStrings(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}
