package policy

import (
	"fmt"
	"strings"
)

// reachabilityKinds are kinds netreach does not read that change who can
// connect to whom in a cluster that runs them: skipping one is a Warning
// that says what the verdicts leave out, where skipping a harmless kind
// (ConfigMap, Ingress, ...) is only a note. Keyed by "group|Kind".
var reachabilityKinds = map[string]string{
	"kyverno.io|ClusterPolicy":                 "its mutate and generate rules (labels, generated NetworkPolicies) are not applied",
	"kyverno.io|Policy":                        "its mutate and generate rules (labels, generated NetworkPolicies) are not applied",
	"kyverno.io|PolicyException":               "it can exempt objects from Kyverno mutate and generate rules (when exceptions are enabled); the simulation applies the rules regardless",
	"kyverno.io|CleanupPolicy":                 "objects it would delete (a NetworkPolicy, a Pod) are still counted",
	"kyverno.io|ClusterCleanupPolicy":          "objects it would delete (a NetworkPolicy, a Pod) are still counted",
	"policies.kyverno.io|MutatingPolicy":       "the labels and fields it would change are not applied",
	"policies.kyverno.io|GeneratingPolicy":     "the objects it would create (NetworkPolicies) are missing",
	"policies.kyverno.io|DeletingPolicy":       "objects it would delete (a NetworkPolicy, a Pod) are still counted",
	"networking.istio.io|Sidecar":              "the egress restrictions of Istio sidecars are not applied",
	"cilium.io|CiliumNetworkPolicy":            "Cilium's allow and deny rules are not applied",
	"cilium.io|CiliumClusterwideNetworkPolicy": "Cilium's cluster-wide allow and deny rules are not applied",
	"k8s.cni.cncf.io|MultiNetworkPolicy":       "rules on secondary (Multus) networks are not applied",
	"crd.antrea.io|ClusterNetworkPolicy":       "Antrea's cluster-wide tiered rules are not applied",
	"k8s.ovn.org|EgressFirewall":               "OVN-Kubernetes' egress allow and deny rules are not applied",
	"network.openshift.io|EgressNetworkPolicy": "OpenShift SDN's egress rules are not applied",
	"policy.linkerd.io|AuthorizationPolicy":    "Linkerd's authorization of clients is not applied",
	"policy.linkerd.io|ServerAuthorization":    "Linkerd's authorization of clients is not applied",
}

// reachabilityKind returns the reason for skipping an object of a kind
// that changes reachability, or "" for a harmless kind.
func reachabilityKind(apiVersion, kind string) string {
	group, _, ok := strings.Cut(apiVersion, "/")
	if !ok {
		group = ""
	}
	what, found := reachabilityKinds[group+"|"+kind]
	if !found {
		return ""
	}
	return fmt.Sprintf("kind not evaluated by netreach, but it changes reachability: %s, so the verdicts leave that out", what)
}
