// Package randcluster generates small random clusters as manifests, for
// the differential tests that hold the bitset engine to the reference
// evaluator. The clusters are adversarial rather than realistic: few
// label keys and values so selectors collide, overlapping CIDRs with
// except blocks around pod addresses, named ports that mean different
// numbers on different pods, every spelling of empty and absent.
package randcluster

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"sigs.k8s.io/yaml"
)

// Config sizes a random cluster. The zero value gives small defaults.
type Config struct {
	Namespaces, Pods, Policies int
	// Admin adds AdminNetworkPolicies, a BaselineAdminNetworkPolicy,
	// ClusterNetworkPolicies and Nodes.
	Admin bool
	// Calico adds Calico tiers, (Global)NetworkPolicies (staged ones too),
	// (Global)NetworkSets, service accounts, a service and IPv6 pod
	// addresses.
	Calico bool
	// Exposure adds Services of every type and traffic policy, Ingresses,
	// Gateway API routes, OpenShift Routes and EndpointSlices.
	Exposure bool
	// Mesh adds Istio: mesh labels on namespaces and pods, sidecars,
	// Services declaring port protocols, PeerAuthentications and
	// AuthorizationPolicies.
	Mesh bool
	// HostEndpoints adds Calico HostEndpoints, host endpoint policies
	// (preDNAT, doNotTrack, applyOnForward) and FelixConfigurations; it
	// needs Calico.
	HostEndpoints bool
	// Pools adds Calico IP pools, pool annotations, Nodes, and takes the
	// address of some pods away (they get their pool ranges).
	Pools bool
}

func (c Config) withDefaults() Config {
	if c.Namespaces == 0 {
		c.Namespaces = 3
	}
	if c.Pods == 0 {
		c.Pods = 8
	}
	if c.Policies == 0 {
		c.Policies = 5
	}
	return c
}

// gen carries the random source and the names generated so far.
type gen struct {
	ipv6       bool
	r          *rand.Rand
	namespaces []string
	docs       []any
}

var (
	labelKeys   = []string{"app", "tier", "team"}
	labelValues = []string{"a", "b", "c"}
	portNames   = []string{"http", "dns", "metrics"}
	cidrs       = []string{"10.0.0.0/8", "10.1.0.0/16", "10.1.1.0/24", "10.1.1.1/32", "10.2.0.0/16", "192.168.0.0/16", "0.0.0.0/0", "10.1.1.128/25", "10.3.0.0/16"}
)

// Generate returns a multi-document YAML stream of a random cluster.
func Generate(r *rand.Rand, cfg Config) []byte {
	cfg = cfg.withDefaults()
	g := &gen{r: r}
	for i := 0; i < cfg.Namespaces; i++ {
		name := fmt.Sprintf("ns%d", i)
		g.namespaces = append(g.namespaces, name)
		labels := g.labels(0, 2)
		if cfg.Mesh {
			g.meshNamespaceLabels(labels)
		}
		g.docs = append(g.docs, map[string]any{
			"apiVersion": "v1", "kind": "Namespace",
			"metadata": map[string]any{"name": name, "labels": labels},
		})
	}
	g.ipv6 = cfg.Calico
	for i := 0; i < cfg.Pods; i++ {
		pod := g.pod(i)
		if cfg.Mesh {
			g.meshPod(pod)
		}
		g.docs = append(g.docs, pod)
	}
	for i := 0; i < cfg.Policies; i++ {
		g.docs = append(g.docs, g.networkPolicy(i))
	}
	if cfg.Admin {
		g.adminPolicies()
	}
	if cfg.Calico {
		g.calicoObjects(cfg.Policies)
		if cfg.HostEndpoints {
			g.hostEndpoints()
		}
	}
	if cfg.Exposure {
		g.exposureObjects(cfg.Pods)
	}
	if cfg.Mesh {
		g.meshObjects(cfg.Policies)
	}
	if cfg.Pools {
		g.poolObjects()
	}
	var b strings.Builder
	for _, d := range g.docs {
		y, err := yaml.Marshal(d)
		if err != nil {
			panic(err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	return []byte(b.String())
}

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func (g *gen) labels(lo, hi int) map[string]any {
	m := map[string]any{}
	n := lo + g.r.IntN(hi-lo+1)
	for i := 0; i < n; i++ {
		m[g.pick(labelKeys)] = g.pick(labelValues)
	}
	return m
}

func (g *gen) pod(i int) map[string]any {
	ns := g.pick(g.namespaces)
	var ports []any
	for k := 0; k < g.r.IntN(4); k++ {
		p := map[string]any{"containerPort": 80 + g.r.IntN(4)}
		if g.chance(0.7) {
			p["name"] = g.pick(portNames)
		}
		if g.chance(0.3) {
			p["protocol"] = g.pick([]string{"UDP", "SCTP"})
		}
		ports = append(ports, p)
	}
	// Port names must be unique within a container: one port per container.
	var containers []any
	for k, p := range ports {
		containers = append(containers, map[string]any{"name": fmt.Sprintf("c%d", k), "image": "x", "ports": []any{p}})
	}
	if len(containers) == 0 {
		containers = []any{map[string]any{"name": "c", "image": "x"}}
	}
	spec := map[string]any{"containers": containers, "nodeName": g.pick([]string{"n1", "n2"})}
	if g.ipv6 && g.chance(0.3) {
		spec["serviceAccountName"] = "sa1"
	}
	if g.chance(0.1) {
		spec["hostNetwork"] = true
	}
	status := map[string]any{}
	if g.chance(0.85) {
		ip := fmt.Sprintf("10.%d.%d.%d", g.r.IntN(3), g.r.IntN(2), 1+g.r.IntN(200))
		if g.chance(0.3) {
			ip = "10.1.1." + fmt.Sprint(1+g.r.IntN(254))
		}
		ips := []any{map[string]any{"ip": ip}}
		if g.ipv6 && g.chance(0.3) {
			v6 := map[string]any{"ip": fmt.Sprintf("fd00::%x", 1+g.r.IntN(3))}
			switch g.r.IntN(2) {
			case 0:
				ips = append(ips, v6) // dual stack
			default:
				ips = []any{v6} // IPv6 only
				ip = v6["ip"].(string)
			}
		}
		status["podIP"] = ip
		status["podIPs"] = ips
	}
	return map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": fmt.Sprintf("p%d", i), "namespace": ns, "labels": g.labels(0, 3)},
		"spec":     spec, "status": status,
	}
}

// selector returns a random label selector: {} , matchLabels,
// matchExpressions with every operator.
func (g *gen) selector() map[string]any {
	s := map[string]any{}
	if g.chance(0.5) {
		s["matchLabels"] = g.labels(1, 2)
	}
	if g.chance(0.4) {
		var exprs []any
		for k := 0; k < 1+g.r.IntN(2); k++ {
			op := g.pick([]string{"In", "NotIn", "Exists", "DoesNotExist"})
			e := map[string]any{"key": g.pick(labelKeys), "operator": op}
			if op == "In" || op == "NotIn" {
				var vals []any
				for v := 0; v < 1+g.r.IntN(2); v++ {
					vals = append(vals, g.pick(labelValues))
				}
				e["values"] = vals
			}
			exprs = append(exprs, e)
		}
		s["matchExpressions"] = exprs
	}
	return s
}

func (g *gen) peer() map[string]any {
	switch g.r.IntN(5) {
	case 0:
		return map[string]any{"podSelector": g.selector()}
	case 1:
		return map[string]any{"namespaceSelector": g.selector()}
	case 2:
		return map[string]any{"podSelector": g.selector(), "namespaceSelector": g.selector()}
	default:
		cidr := g.pick(cidrs)
		b := map[string]any{"cidr": cidr}
		var except []any
		for _, c := range cidrs {
			if strictlyInside(c, cidr) && g.chance(0.4) {
				except = append(except, c)
			}
		}
		if len(except) > 0 {
			b["except"] = except
		}
		return map[string]any{"ipBlock": b}
	}
}

// strictlyInside reports whether CIDR a is strictly inside CIDR b (for the
// fixed list above, by prefix length and textual containment).
func strictlyInside(a, b string) bool {
	inside := map[string][]string{
		"0.0.0.0/0":   {"10.0.0.0/8", "10.1.0.0/16", "10.1.1.0/24", "10.1.1.1/32", "10.2.0.0/16", "192.168.0.0/16", "10.1.1.128/25", "10.3.0.0/16"},
		"10.0.0.0/8":  {"10.1.0.0/16", "10.1.1.0/24", "10.1.1.1/32", "10.2.0.0/16", "10.1.1.128/25", "10.3.0.0/16"},
		"10.1.0.0/16": {"10.1.1.0/24", "10.1.1.1/32", "10.1.1.128/25"},
		"10.1.1.0/24": {"10.1.1.1/32", "10.1.1.128/25"},
	}
	for _, x := range inside[b] {
		if x == a {
			return true
		}
	}
	return false
}

func (g *gen) ports() []any {
	var out []any
	for k := 0; k < g.r.IntN(3); k++ {
		p := map[string]any{}
		if g.chance(0.7) {
			p["protocol"] = g.pick([]string{"TCP", "TCP", "UDP", "SCTP"})
		}
		switch g.r.IntN(4) {
		case 0:
			// no port: every port of the protocol
		case 1:
			p["port"] = g.pick(portNames)
		case 2:
			p["port"] = 80 + g.r.IntN(4)
		default:
			lo := 79 + g.r.IntN(4)
			p["port"] = lo
			p["endPort"] = lo + g.r.IntN(3)
		}
		out = append(out, p)
	}
	return out
}

func (g *gen) rule(peerKey string) map[string]any {
	r := map[string]any{}
	if g.chance(0.7) {
		var peers []any
		for k := 0; k < g.r.IntN(3); k++ {
			peers = append(peers, g.peer())
		}
		r[peerKey] = peers // may be an empty list: everyone
	}
	if ports := g.ports(); len(ports) > 0 || g.chance(0.2) {
		r["ports"] = ports
	}
	return r
}

func (g *gen) networkPolicy(i int) map[string]any {
	spec := map[string]any{"podSelector": g.selector()}
	if g.chance(0.8) {
		var rules []any
		for k := 0; k < g.r.IntN(3); k++ {
			rules = append(rules, g.rule("from"))
		}
		spec["ingress"] = rules
	}
	if g.chance(0.6) {
		var rules []any
		for k := 0; k < g.r.IntN(3); k++ {
			rules = append(rules, g.rule("to"))
		}
		spec["egress"] = rules
	}
	switch g.r.IntN(5) {
	case 0:
		spec["policyTypes"] = []any{"Ingress"}
	case 1:
		spec["policyTypes"] = []any{"Egress"}
	case 2:
		spec["policyTypes"] = []any{"Ingress", "Egress"}
	}
	return map[string]any{
		"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
		"metadata": map[string]any{"name": fmt.Sprintf("np%d", i), "namespace": g.pick(g.namespaces)},
		"spec":     spec,
	}
}
