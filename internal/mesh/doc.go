// Package mesh decides what an Istio service mesh does to a connection:
// the second layer of netreach's verdict, after network policy.
//
// A [Model] is built from a snapshot ([New]). It knows, for every
// endpoint, whether and how it is in the mesh ([Member]: an injected
// sidecar, ambient mode with or without a waypoint, or none), its identity
// (the SPIFFE principal of its service account), the mutual TLS mode
// PeerAuthentications give each of its ports ([Model.MTLS]), the
// application protocol Istio sees on each port ([Model.Protocol]), and
// which AuthorizationPolicies its proxies enforce ([Model.Policies]).
//
// [Model.Evaluate] is the reference evaluator of the mesh layer: it decides
// one [Flow] at a time, as the Istio documentation describes it, and
// returns a [Trace] of the mTLS check and of every policy and rule
// consulted at every enforcement point (sidecar, ztunnel, waypoint). The
// bitset engine in package reachability computes the same layer for whole
// matrices and is tested against it.
//
// The rules, each with the page of the Istio documentation it rests on,
// are in docs/mesh.md. A Model is immutable once built and safe for
// concurrent use.
package mesh
