package audit

import (
	"slices"
	"strings"
)

// Kind names what a [Finding] is about. Each kind has a stable ID
// ("NR001"), a default severity and a title; see [Kinds].
type Kind string

// The finding kinds, in ID order.
const (
	// IngressNotIsolated: pods that no policy isolates for ingress, so any
	// endpoint and any address can open connections to them.
	IngressNotIsolated Kind = "ingress-not-isolated"
	// EgressNotIsolated: pods that no policy isolates for egress.
	EgressNotIsolated Kind = "egress-not-isolated"
	// NoDefaultDeny: a namespace with pods but no policy that isolates
	// every pod it holds (or will hold) in a direction.
	NoDefaultDeny Kind = "no-default-deny"
	// CrossNamespace: allowed flows between two namespaces of the same
	// tenant (or without a tenant), neither of them shared.
	CrossNamespace Kind = "cross-namespace-flow"
	// CrossTenant: allowed flows between namespaces of different tenants,
	// neither of them shared.
	CrossTenant Kind = "cross-tenant-flow"
	// EgressInternet: pods that can open connections to public internet
	// addresses.
	EgressInternet Kind = "egress-to-internet"
	// WideCIDR: an allow rule whose CIDR is broader than the configured
	// prefix length (0.0.0.0/0 and ::/0 always are).
	WideCIDR Kind = "wide-cidr"
	// IngressExternal: pods that addresses outside the cluster can open
	// connections to.
	IngressExternal Kind = "ingress-from-outside"
	// PolicySelectsNothing: a policy whose subject selector matches no
	// endpoint, so it has no effect.
	PolicySelectsNothing Kind = "policy-selects-nothing"
	// PeerMatchesNothing: a rule peer that matches no endpoint, typically
	// a namespaceSelector on a label no namespace carries.
	PeerMatchesNothing Kind = "peer-matches-nothing"
	// RuleShadowed: a rule that never decides a flow because earlier rules
	// (or an earlier tier's implicit deny) decide everything it matches
	// differently.
	RuleShadowed Kind = "rule-shadowed"
	// RuleRedundant: a rule whose every flow is also allowed (or denied)
	// the same way by other rules, so removing it changes nothing.
	RuleRedundant Kind = "rule-redundant"
	// UnknownField: a field of a policy's spec that the API server drops,
	// so the policy does not mean what it says (a misplaced ports:).
	UnknownField Kind = "unknown-field"
	// DNSBlocked: pods that cannot reach cluster DNS on 53/UDP, so they
	// cannot resolve names.
	DNSBlocked Kind = "dns-blocked"
	// PassFallsThrough: a Pass rule (Calico, AdminNetworkPolicy) after
	// which no later tier applies to the pods it passes, so the traffic is
	// allowed by default.
	PassFallsThrough Kind = "pass-falls-through"
	// StagedChange: a staged Calico policy whose promotion would change
	// reachability.
	StagedChange Kind = "staged-policy-changes-reachability"
	// BlastRadius: an endpoint from which an attacker could reach a large
	// share of the cluster by moving from pod to pod.
	BlastRadius Kind = "blast-radius"
	// InternetExposed: a workload the internet reaches through a Service
	// (load balancer, node port, external IP) or a route, whose network
	// policy lets every address connect on those ports.
	InternetExposed Kind = "internet-exposed-unrestricted"
)

// KindInfo describes a finding kind.
type KindInfo struct {
	ID       string   `json:"id"`
	Kind     Kind     `json:"kind"`
	Severity Severity `json:"severity"`
	// Title is a short noun phrase ("Pods not isolated for ingress").
	Title string `json:"title"`
	// Description explains, in a few sentences, what the kind means and why
	// it matters.
	Description string `json:"description"`
	// Remedy is the generic fix; each finding carries a specific one.
	Remedy string `json:"remedy"`
}

var kinds = []KindInfo{
	{"NR001", IngressNotIsolated, Medium, "Pods not isolated for ingress",
		"Nothing restricts ingress to these pods: every pod and every address can open connections to them on every port. Usually no policy selects them; in Calico, every tier may also pass their traffic on to the profile.",
		"Add a default-deny ingress policy to the namespace and allow only the flows the pods need. Where the pods' only policy has a rule that allows every source on every port, narrow or delete that rule instead (as for NR027): policies add up, so a default deny would not isolate them."},
	{"NR002", EgressNotIsolated, Low, "Pods not isolated for egress",
		"Nothing restricts egress of these pods: they can open connections to every pod and every address on every port, so a compromised pod can reach anything: other pods, the cloud metadata service, the internet.",
		"Add a default-deny egress policy to the namespace and allow DNS plus the destinations the pods need. Where the pods' only policy has a rule that allows every destination on every port, narrow or delete that rule instead (as for NR027): policies add up, so a default deny would not isolate them."},
	{"NR003", NoDefaultDeny, Low, "Namespace without a default deny",
		"No policy selects every pod of the namespace (podSelector: {}) and isolates it in this direction (a tier that passes traffic on does not count), so a new workload deployed there starts unprotected.",
		"Add a NetworkPolicy with podSelector: {} and the missing policyTypes (and no rules) to the namespace."},
	{"NR004", CrossNamespace, Info, "Cross-namespace flows",
		"Pods of one namespace can open connections to pods of another namespace of the same tenant (or of namespaces without a tenant label). Shared namespaces are exempt.",
		"Confirm the flows are intended; otherwise restrict the namespaceSelector of the rules that allow them."},
	{"NR005", CrossTenant, Critical, "Cross-tenant flows",
		"Pods of one tenant can open connections to pods of another tenant: the tenant boundary (namespaces grouped by the tenant label) is broken. Shared namespaces are exempt.",
		"Restrict ingress and egress of both tenants' namespaces to namespaces with their own tenant label."},
	{"NR006", EgressInternet, Medium, "Egress to the internet",
		"Pods can open connections to public internet addresses (anything outside private, loopback, link-local and multicast ranges), which allows data exfiltration and command-and-control traffic.",
		"Restrict egress to the addresses the pods need, or route it through an egress proxy or gateway."},
	{"NR007", WideCIDR, Medium, "Rule allows a wide CIDR",
		"An allow rule names a CIDR broader than the configured prefix length (0.0.0.0/0 and ::/0 always are): it allows far more addresses than an application usually needs, pod addresses included where ipBlock matches pod IPs.",
		"Replace the wide CIDR with the narrow ranges actually needed."},
	{"NR008", IngressExternal, Medium, "Ingress from outside the cluster",
		"Addresses outside the cluster's endpoints can open connections to these pods. Only ingress controllers and load-balanced services should be reachable from outside.",
		"Allow ingress only from the cluster's own namespaces and from the load balancer's address ranges."},
	{"NR009", PolicySelectsNothing, Low, "Policy selects no endpoint",
		"The policy's subject selector matches no pod in the inventory, so the policy has no effect. A typo in a label is the usual cause.",
		"Fix the selector so it matches the intended pods, or delete the policy."},
	{"NR010", PeerMatchesNothing, Medium, "Peer matches nothing",
		"A peer of a rule matches no endpoint in the inventory: the rule allows (or denies) nothing for it. A namespaceSelector on a label no namespace carries (namespace: kube-system instead of kubernetes.io/metadata.name: kube-system) is the classic cause.",
		"Select namespaces by kubernetes.io/metadata.name, or fix the labels of the selector."},
	{"NR011", RuleShadowed, Medium, "Rule shadowed by earlier rules",
		"Every flow the rule matches is decided before it is reached, by earlier rules of another action or by an earlier tier's implicit deny: the rule never takes effect and its intent is overridden.",
		"Move the rule before the rules that shadow it (a lower order), narrow those rules, or delete it."},
	{"NR012", RuleRedundant, Info, "Redundant rule",
		"Everything the rule matches is decided the same way by other rules, so removing it changes nothing. Redundant rules hide intent and drift apart.",
		"Delete the rule or merge it with the rules that cover it."},
	{"NR013", UnknownField, High, "Unknown field changes the policy's meaning",
		"A field of the policy's spec is unknown where it is written, so the API server drops it: a misplaced ports: under a peer leaves the rule open on every port, a mistyped selector field selects every pod.",
		"Move the field to where it belongs (ports: at the level of from/to) or fix its spelling."},
	{"NR014", DNSBlocked, Medium, "Pods cannot resolve names",
		"Egress of these pods is restricted and no rule lets them reach cluster DNS (the kube-dns pods, or any address when none is known) on 53/UDP: every name lookup fails.",
		"Allow egress to the kube-dns pods in kube-system on 53/UDP and 53/TCP."},
	{"NR015", PassFallsThrough, Medium, "Pass with no later tier",
		"A Pass rule hands traffic to the next tier, but no later tier applies to these pods, so the traffic reaches the end of the chain and is allowed (Calico profiles allow, Kubernetes allows by default).",
		"Add a policy in a later tier (or a baseline policy) for these pods, or use Deny or Allow instead of Pass."},
	{"NR016", StagedChange, Low, "Staged policy would change reachability",
		"Promoting the staged policy would open or close flows compared with what the cluster enforces now.",
		"Review the flows it would change before promoting it."},
	{"NR017", BlastRadius, Low, "Large lateral-movement blast radius",
		"From this endpoint an attacker can reach a large share of the cluster's endpoints by moving from pod to pod over allowed connections (transitively, on any port).",
		"Isolate the endpoint's namespace and the endpoints it reaches, so that one compromised pod cannot reach most of the cluster."},
	{"NR022", InternetExposed, High, "Exposed to the internet without source restrictions",
		"Every client on the internet reaches this workload through a Service (load balancer, node port, external IP) or an Ingress, Gateway API route or OpenShift Route, and its network policy lets every address connect on those ports: nothing but the application stands between the internet and the pod (docs/exposure-outside.md).",
		"Allow ingress on the exposed ports only from the ingress controller's pods or the load balancer's address ranges, or restrict loadBalancerSourceRanges."},
}

var kindIndex = func() map[Kind]int {
	m := make(map[Kind]int, len(kinds))
	for i, k := range kinds {
		m[k.Kind] = i
	}
	return m
}()

// Kinds returns every finding kind, in ID order.
func Kinds() []KindInfo {
	out := append([]KindInfo(nil), kinds...)
	slices.SortFunc(out, func(a, b KindInfo) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Info returns the description of the kind; the zero KindInfo for an
// unknown kind.
func (k Kind) Info() KindInfo {
	if i, ok := kindIndex[k]; ok {
		return kinds[i]
	}
	return KindInfo{}
}

// ID returns the kind's stable ID, "NR001" to "NR022", or "" for an
// unknown kind.
func (k Kind) ID() string { return k.Info().ID }
