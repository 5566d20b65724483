// Package policy loads the objects that shape reachability in a
// Kubernetes cluster (pods or workloads, namespaces, services, nodes,
// NetworkPolicies, AdminNetworkPolicies, Calico policies, Kyverno
// generate rules, Istio authorization) from manifests or typed objects,
// validates them, and returns a Snapshot with located diagnostics.
package policy
