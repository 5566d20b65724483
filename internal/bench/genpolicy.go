package bench

import (
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// policies creates exactly cfg.Policies NetworkPolicies: a handful of
// platform policies in the shared namespaces, then per application
// namespace its namespace-wide policies (default deny, DNS, same
// namespace, ingress controller, monitoring, tenant) followed by
// per-workload policies, as many as the namespace's share asks for.
func (g *gen) policies() {
	total := g.cfg.Policies
	shared := g.sharedPolicies()
	nShared := min(len(shared), total/10)
	for _, mk := range shared[:nShared] {
		g.c.NetworkPolicies = append(g.c.NetworkPolicies, mk())
	}
	tenants := g.nss[len(sharedNamespaces):]
	weights := make([]int, len(tenants))
	sum := 0
	for i, ns := range tenants {
		if ns.weight > 0 {
			weights[i] = ns.weight + len(ns.workloads)
			sum += weights[i]
		}
	}
	if sum == 0 {
		for i := range weights {
			weights[i] = 1
		}
	}
	for i, q := range apportion(total-nShared, weights) {
		tenants[i].quota = q
		g.tenantPolicies(tenants[i])
	}
	if len(g.c.NetworkPolicies) != total {
		panic(fmt.Sprintf("bench: generated %d policies, want %d", len(g.c.NetworkPolicies), total))
	}
}

// Peers and ports used by many policies.
var (
	protoTCP = corev1.ProtocolTCP
	protoUDP = corev1.ProtocolUDP

	// external is the internet: everything but the private ranges of the
	// cluster (pods, nodes) and the cloud metadata service.
	externalExcept = []string{"10.0.0.0/8", "169.254.169.254/32", "192.168.0.0/16"}
	nodeCIDR       = "192.168.0.0/16"
)

// sharedPolicies returns the platform policies of the shared namespaces,
// most important first.
func (g *gen) sharedPolicies() []func() *networkingv1.NetworkPolicy {
	return []func() *networkingv1.NetworkPolicy{
		func() *networkingv1.NetworkPolicy {
			p := newNP(nsKubeSystem, "allow-dns", sel("k8s-app", "kube-dns"), networkingv1.PolicyTypeIngress)
			p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{
				{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}},
					Ports: []networkingv1.NetworkPolicyPort{named(protoUDP, "dns"), named(protoTCP, "dns-tcp")}},
				{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsNamed(nsMonitoring)}},
					Ports: []networkingv1.NetworkPolicyPort{port(protoTCP, 9153)}},
			}
			return p
		},
		func() *networkingv1.NetworkPolicy {
			p := newNP(nsIngress, "allow-external-http", sel(lblName, "ingress-nginx"), networkingv1.PolicyTypeIngress)
			p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{
				{From: []networkingv1.NetworkPolicyPeer{ipBlock("0.0.0.0/0")},
					Ports: []networkingv1.NetworkPolicyPort{port(protoTCP, 80), port(protoTCP, 443)}},
				{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsNamed(nsMonitoring), PodSelector: ptr(sel(lblName, "prometheus"))}},
					Ports: []networkingv1.NetworkPolicyPort{named(protoTCP, "metrics")}},
			}
			return p
		},
		func() *networkingv1.NetworkPolicy {
			p := newNP(nsMonitoring, "prometheus-egress", sel(lblName, "prometheus"), networkingv1.PolicyTypeEgress)
			p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{
				dnsRule(),
				{To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}},
					Ports: []networkingv1.NetworkPolicyPort{named(protoTCP, "metrics"), named(protoTCP, "http-metrics"),
						named(protoTCP, "http-envoy-prom"), portRange(protoTCP, 9100, 9200)}},
				{To: []networkingv1.NetworkPolicyPeer{ipBlock(nodeCIDR)},
					Ports: []networkingv1.NetworkPolicyPort{port(protoTCP, 10250)}},
			}
			return p
		},
		func() *networkingv1.NetworkPolicy {
			return newNP(nsKubeSystem, "default-deny-ingress", metav1.LabelSelector{}, networkingv1.PolicyTypeIngress)
		},
		func() *networkingv1.NetworkPolicy {
			return newNP(nsMonitoring, "default-deny-ingress", metav1.LabelSelector{}, networkingv1.PolicyTypeIngress)
		},
		func() *networkingv1.NetworkPolicy {
			p := newNP(nsMonitoring, "allow-grafana-from-ingress", sel(lblName, "grafana"), networkingv1.PolicyTypeIngress)
			p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{
				{From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsNamed(nsIngress)}},
					Ports: []networkingv1.NetworkPolicyPort{port(protoTCP, 3000)}},
			}
			return p
		},
		func() *networkingv1.NetworkPolicy {
			p := newNP(nsKubeSystem, "allow-metrics-server", sel("k8s-app", "metrics-server"), networkingv1.PolicyTypeIngress)
			p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{
				{From: []networkingv1.NetworkPolicyPeer{ipBlock(nodeCIDR)},
					Ports: []networkingv1.NetworkPolicyPort{named(protoTCP, "https")}},
			}
			return p
		},
		func() *networkingv1.NetworkPolicy {
			p := newNP(nsIngress, "allow-admission-webhook", sel(lblComponent, "controller"), networkingv1.PolicyTypeIngress)
			p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{
				{From: []networkingv1.NetworkPolicyPeer{ipBlock(nodeCIDR)},
					Ports: []networkingv1.NetworkPolicyPort{named(protoTCP, "webhook")}},
			}
			return p
		},
	}
}

// tenantPolicies appends ns.quota policies of an application namespace.
func (g *gen) tenantPolicies(ns *nsInfo) {
	if ns.quota == 0 {
		return
	}
	out := make([]*networkingv1.NetworkPolicy, 0, ns.quota)
	for _, p := range g.namespacePolicies(ns) {
		if len(out) == ns.quota {
			break
		}
		out = append(out, p)
	}
	ws := ns.workloads
	if len(ws) == 0 {
		// Policies outliving their workloads are common; they select
		// nothing.
		ws = []*workload{{arch: &archetypes[3], name: "legacy-app"}}
	}
	for k := 0; len(out) < ns.quota; k++ {
		w := ws[k%len(ws)]
		round := k / len(ws)
		out = append(out, g.workloadPolicy(ns, w, round))
	}
	g.c.NetworkPolicies = append(g.c.NetworkPolicies, out...)
}

// namespacePolicies returns the namespace-wide policies, most important
// first.
func (g *gen) namespacePolicies(ns *nsInfo) []*networkingv1.NetworkPolicy {
	var out []*networkingv1.NetworkPolicy
	if ns.lockdown {
		out = append(out, newNP(ns.name, "default-deny-all", metav1.LabelSelector{}, networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress))
		p := newNP(ns.name, "allow-dns-egress", metav1.LabelSelector{}, networkingv1.PolicyTypeEgress)
		p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{dnsRule()}
		out = append(out, p)
	} else {
		out = append(out, newNP(ns.name, "default-deny-ingress", metav1.LabelSelector{}, networkingv1.PolicyTypeIngress))
	}
	if ns.sameNS {
		p := newNP(ns.name, "allow-same-namespace", metav1.LabelSelector{}, networkingv1.PolicyTypeIngress)
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}}}
		if ns.lockdown {
			p.Spec.PolicyTypes = append(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
			p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}}}
		}
		out = append(out, p)
	}
	p := newNP(ns.name, "allow-from-ingress-nginx", sel(lblTier, "web"), networkingv1.PolicyTypeIngress)
	p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
		From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsNamed(nsIngress)}},
		Ports: []networkingv1.NetworkPolicyPort{named(protoTCP, "http")},
	}}
	out = append(out, p)

	p = newNP(ns.name, "allow-from-monitoring", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: lblApp, Operator: metav1.LabelSelectorOpExists},
	}}, networkingv1.PolicyTypeIngress)
	p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
		From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsNamed(nsMonitoring), PodSelector: ptr(sel(lblName, "prometheus"))}},
		Ports: []networkingv1.NetworkPolicyPort{named(protoTCP, "metrics"), named(protoTCP, "http-envoy-prom")},
	}}
	out = append(out, p)

	if ns.sameClient {
		p := newNP(ns.name, "allow-same-client", metav1.LabelSelector{}, networkingv1.PolicyTypeIngress)
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels:      map[string]string{lblClient: ns.client},
				MatchExpressions: []metav1.LabelSelectorRequirement{{Key: lblEnv, Operator: metav1.LabelSelectorOpNotIn, Values: []string{"dev"}}},
			}}},
			Ports: []networkingv1.NetworkPolicyPort{named(protoTCP, "http"), portRange(protoTCP, 8000, 8999)},
		}}
		out = append(out, p)
	}
	if g.cfg.Distinct && len(ns.workloads) > 0 {
		// Selecting pods one by one, by their unique label.
		var ids []string
		for _, w := range ns.workloads {
			for _, pod := range w.pods {
				if len(ids) < 4 {
					ids = append(ids, pod.Labels[lblPodID])
				}
			}
		}
		p := newNP(ns.name, "allow-selected-pods", metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: lblPodID, Operator: metav1.LabelSelectorOpIn, Values: ids},
		}}, networkingv1.PolicyTypeIngress)
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: lblPodID, Operator: metav1.LabelSelectorOpNotIn, Values: ids},
			}}}},
			Ports: []networkingv1.NetworkPolicyPort{named(protoTCP, "http")},
		}}
		out = append(out, p)
	}
	return out
}

// workloadPolicy returns the round-th policy about workload w. Rounds
// cycle through four kinds (ingress from its usual clients, egress to the
// internet and databases, tenant access, partner-team access), starting at
// a different kind for each workload; in Distinct mode every other policy
// names individual pod addresses instead.
func (g *gen) workloadPolicy(ns *nsInfo, w *workload, round int) *networkingv1.NetworkPolicy {
	if g.cfg.Distinct && len(w.pods) > 0 && round%2 == 1 {
		return g.podIPPolicy(ns, w, round/2)
	}
	n := round // index among the policies of the four kinds below
	if g.cfg.Distinct && len(w.pods) > 0 {
		n = round / 2
	}
	kind := (n + w.index) % 4
	suffix := ""
	if r := n / 4; r > 0 {
		suffix = fmt.Sprintf("-%d", r+1)
	}
	shift := int32(n/4%500) * 100 // keeps port ranges below 65535
	app := sel(lblApp, w.name)
	switch kind {
	case 0:
		return g.clientsPolicy(ns, w, app, suffix)
	case 1:
		p := newNP(ns.name, "allow-"+w.name+"-egress"+suffix, app, networkingv1.PolicyTypeEgress)
		p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{
			dnsRule(),
			{To: []networkingv1.NetworkPolicyPeer{ipBlock("0.0.0.0/0", externalExcept...)},
				Ports: []networkingv1.NetworkPolicyPort{port(protoTCP, 443)}},
			{To: []networkingv1.NetworkPolicyPeer{ipBlock(fmt.Sprintf("172.16.%d.0/24", ns.teamIdx*8+w.index%8))},
				Ports: []networkingv1.NetworkPolicyPort{port(protoTCP, 5432), port(protoTCP, 3306)}},
			{To: []networkingv1.NetworkPolicyPeer{{PodSelector: ptr(sel(lblTier, "data"))}},
				Ports: []networkingv1.NetworkPolicyPort{port(protoTCP, 5432), port(protoTCP, 3306), port(protoTCP, 6379)}},
		}
		return p
	case 2:
		p := newNP(ns.name, "allow-"+w.name+"-from-"+ns.client+suffix, app, networkingv1.PolicyTypeIngress)
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{
					MatchLabels: map[string]string{lblClient: ns.client},
					MatchExpressions: []metav1.LabelSelectorRequirement{
						{Key: lblTeam, Operator: metav1.LabelSelectorOpExists},
						{Key: lblEnv, Operator: metav1.LabelSelectorOpIn, Values: []string{"prod", "staging"}},
					},
				},
				PodSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
					{Key: "quarantine", Operator: metav1.LabelSelectorOpDoesNotExist},
				}},
			}},
			Ports: []networkingv1.NetworkPolicyPort{portRange(protoTCP, 8000+shift, 8100+shift), named(protoTCP, "grpc")},
		}}
		return p
	default:
		other := teams[(ns.teamIdx+1+w.index)%len(teams)]
		p := newNP(ns.name, "allow-"+w.name+"-from-"+other+suffix, app, networkingv1.PolicyTypeIngress)
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From: []networkingv1.NetworkPolicyPeer{
				{NamespaceSelector: ptr(sel(lblTeam, other))},
				{
					NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
						{Key: lblTeam, Operator: metav1.LabelSelectorOpIn, Values: []string{ns.team, other}},
						{Key: lblEnv, Operator: metav1.LabelSelectorOpNotIn, Values: []string{"dev"}},
					}},
					PodSelector: ptr(sel(lblComponent, "gateway")),
				},
			},
			Ports: []networkingv1.NetworkPolicyPort{port(protoTCP, 9000), portRange(protoTCP, 9090+shift, 9100+shift)},
		}}
		return p
	}
}

// clientsPolicy lets a workload's usual clients in: the ingress controller
// for web pods, backends of the same team for data stores, web and api
// pods of the namespace for the rest.
func (g *gen) clientsPolicy(ns *nsInfo, w *workload, app metav1.LabelSelector, suffix string) *networkingv1.NetworkPolicy {
	switch {
	case w.arch.dbPort != 0:
		p := newNP(ns.name, "allow-"+w.name+"-from-backends"+suffix, app, networkingv1.PolicyTypeIngress)
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From: []networkingv1.NetworkPolicyPeer{{
				PodSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
					{Key: lblComponent, Operator: metav1.LabelSelectorOpIn, Values: []string{"backend", "gateway", "worker"}},
				}},
				NamespaceSelector: &metav1.LabelSelector{
					MatchLabels:      map[string]string{lblTeam: ns.team},
					MatchExpressions: []metav1.LabelSelectorRequirement{{Key: lblEnv, Operator: metav1.LabelSelectorOpIn, Values: []string{ns.env}}},
				},
			}},
			Ports: []networkingv1.NetworkPolicyPort{port(protoTCP, w.arch.dbPort)},
		}}
		return p
	case w.arch.tier == "web":
		p := newNP(ns.name, "allow-"+w.name+"-from-ingress"+suffix, app, networkingv1.PolicyTypeIngress)
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsNamed(nsIngress), PodSelector: ptr(sel(lblName, "ingress-nginx"))}},
			Ports: []networkingv1.NetworkPolicyPort{named(protoTCP, "http")},
		}}
		return p
	default:
		p := newNP(ns.name, "allow-"+w.name+"-from-frontends"+suffix, app, networkingv1.PolicyTypeIngress)
		var ports []networkingv1.NetworkPolicyPort
		for _, ps := range w.arch.ports {
			if ps.name != "metrics" {
				ports = append(ports, named(ps.proto, ps.name))
			}
		}
		if len(ports) == 0 {
			ports = []networkingv1.NetworkPolicyPort{port(protoTCP, 8080)}
		}
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: lblTier, Operator: metav1.LabelSelectorOpIn, Values: []string{"web", "api"}},
				{Key: lblVersion, Operator: metav1.LabelSelectorOpNotIn, Values: []string{"canary"}},
			}}}},
			Ports: ports,
		}}
		return p
	}
}

// podIPPolicy is a Distinct-mode policy about one pod of w that names
// other pods by address: a /32 (and /128 for dual-stack pods) and a small
// CIDR over the pod's node range with the pod itself excepted.
func (g *gen) podIPPolicy(ns *nsInfo, w *workload, round int) *networkingv1.NetworkPolicy {
	i := w.first + round%len(w.pods)
	pod := w.pods[round%len(w.pods)]
	self := g.ips[i]
	other := g.ips[g.r.IntN(len(g.ips))]
	id := pod.Labels[lblPodID]
	name := fmt.Sprintf("pod-%s-ips", id)
	if r := round / len(w.pods); r > 0 {
		name = fmt.Sprintf("pod-%s-ips-%d", id, r+1)
	}
	peers := []networkingv1.NetworkPolicyPeer{ipBlock(netip.PrefixFrom(other.v4, 32).String())}
	if other.v6.IsValid() {
		peers = append(peers, ipBlock(netip.PrefixFrom(other.v6, 128).String()))
	}
	bits := 26 + round%3 // /26, /27 or /28 around the pod
	around := netip.PrefixFrom(self.v4, bits).Masked()
	peers = append(peers, ipBlock(around.String(), netip.PrefixFrom(self.v4, 32).String()))
	if round%4 == 3 {
		p := newNP(ns.name, name, sel(lblPodID, id), networkingv1.PolicyTypeEgress)
		p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{
			dnsRule(),
			{To: peers, Ports: []networkingv1.NetworkPolicyPort{named(protoTCP, "http"), portRange(protoTCP, 9000, 9100)}},
		}
		return p
	}
	p := newNP(ns.name, name, sel(lblPodID, id), networkingv1.PolicyTypeIngress)
	p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
		From:  peers,
		Ports: []networkingv1.NetworkPolicyPort{named(protoTCP, "http"), portRange(protoTCP, 9000, 9100)},
	}}
	return p
}

// dnsRule allows DNS to the cluster's CoreDNS pods.
func dnsRule() networkingv1.NetworkPolicyEgressRule {
	return networkingv1.NetworkPolicyEgressRule{
		To:    []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsNamed(nsKubeSystem), PodSelector: ptr(sel("k8s-app", "kube-dns"))}},
		Ports: []networkingv1.NetworkPolicyPort{port(protoUDP, 53), port(protoTCP, 53)},
	}
}

func newNP(ns, name string, podSel metav1.LabelSelector, types ...networkingv1.PolicyType) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       networkingv1.NetworkPolicySpec{PodSelector: podSel, PolicyTypes: types},
	}
}

// sel returns a matchLabels selector of key/value pairs.
func sel(kv ...string) metav1.LabelSelector {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return metav1.LabelSelector{MatchLabels: m}
}

// nsNamed selects one namespace by its kubernetes.io/metadata.name label.
func nsNamed(name string) *metav1.LabelSelector { return ptr(sel(lblNSName, name)) }

func port(proto corev1.Protocol, p int32) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: ptr(proto), Port: ptr(intstr.FromInt32(p))}
}

func named(proto corev1.Protocol, name string) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: ptr(proto), Port: ptr(intstr.FromString(name))}
}

func portRange(proto corev1.Protocol, lo, hi int32) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: ptr(proto), Port: ptr(intstr.FromInt32(lo)), EndPort: ptr(hi)}
}

func ipBlock(cidr string, except ...string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: append([]string(nil), except...)}}
}
