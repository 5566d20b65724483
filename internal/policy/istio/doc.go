// Package istio holds Go types for the Istio security objects netreach
// reads — [AuthorizationPolicy] and [PeerAuthentication] of
// security.istio.io/v1 and v1beta1 — with the JSON field names of Istio's
// API, so that `kubectl get -o yaml` output and hand-written manifests
// decode into them strictly.
//
// # Why this package exists
//
// The generated types of istio.io/api are protobuf messages: enums are
// integers with a JSON form only protojson understands, and the CUSTOM
// action's provider lives in a oneof. Decoding them with the strict,
// case-sensitive decoder the loader uses for every other kind (unknown
// fields reported with their path and line) is not possible, so this
// package mirrors the fields instead, as package calicov3 does for Calico.
// It copies facts from istio/api (security/v1beta1/authorization_policy.proto,
// peer_authentication.proto, type/v1beta1/selector.proto), not code.
//
// # What is mirrored
//
// Every field of the two specs is present, including those netreach does
// not evaluate (targetRef, trustDomains), so that strict decoding reports
// only fields Istio does not know either. Enumerations are strings, as the
// CRD schemas declare them. What the analysis makes of each field is
// decided in package policy (validation) and package mesh (semantics).
//
// The types are plain data: zero values are usable, and values are not
// safe for concurrent mutation.
package istio
