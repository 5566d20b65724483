// Package live reads a running cluster through the Kubernetes API: the
// objects the [policy.Loader] evaluates (namespaces, pods, workloads,
// services, endpoint slices, ingresses, nodes, and every policy kind of
// [policy.Kinds]), and the objects of kinds it skips but warns about
// ([policy.SkippedReachabilityKinds]).
//
// A [Cluster] discovers which resources the server serves, picks one
// version of each kind, and lists each resource in pages (limit and
// continue), so memory holds one page at a time. Every object becomes the
// manifest `kubectl get -o yaml` prints for it (apiVersion and kind set,
// metadata.managedFields dropped, status kept); [Cluster.Load] hands those
// bytes to a Loader, so validation and diagnostics are those of a file,
// located by the object's reference (`kind-prod:pods/shop/web-1:12:5`,
// line 12 of `kubectl get pods -n shop web-1 -o yaml`). [Writer] writes the
// same manifests to a directory or a file, so the analysis reruns offline
// on exactly what was read.
//
// Missing API groups (a CRD that is not installed) and resources the
// credentials may not list (403) are reported as [policy.Diagnostic]s
// naming the resource; they never stop the read. Any other failure of the
// API server does, because the answer would rest on a silently partial
// cluster. docs/live.md lists the permissions needed.
package live
