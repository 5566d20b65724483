// Package policy loads the objects that shape reachability in a
// Kubernetes cluster (pods or workloads, namespaces, services, nodes,
// NetworkPolicies, AdminNetworkPolicies, Calico policies, Kyverno
// generate rules, Istio authorization) from manifests or typed objects,
// validates them, and returns a Snapshot with located diagnostics.
//
// [Load] reads files, [FromObjects] typed objects (as an informer's cache
// holds them, without TypeMeta), and a [Loader] any mix of both under one
// context. A [Snapshot] never changes: [Snapshot.With] and
// [Snapshot.Without] return the snapshot of a changed set of objects,
// equal to a fresh load of it. Every [Diagnostic] has a stable [Code];
// invalid input is a [Diagnostics] error, and arguments a call cannot use
// are an [*InvalidInputError], never a panic.
//
// docs/library.md in the repository shows each task with code.
package policy
