// Package calicov3 holds Go types for the Calico projectcalico.org/v3
// objects that netreach reads, with the JSON field names of Calico's API,
// so that `calicoctl get -o yaml` and `kubectl get -o yaml` output decodes
// into them strictly.
//
// # Why this package exists
//
// Calico's own Go API module cannot be used: the Go module proxy refuses
// github.com/projectcalico/api (403) and does not serve
// github.com/projectcalico/calico/api, and the root calico module needs a
// local replace directive. This package mirrors the fields
// instead. It copies facts from Calico's sources, not code: the types in
// api/pkg/apis/projectcalico/v3 (policy_common.go, networkpolicy.go,
// globalnetworkpolicy.go, the staged variants, tier.go, networkset.go,
// globalnetworkset.go, hostendpoint.go), numorstring's port.go and
// protocol.go, the CEL rules of the generated CRDs, and
// libcalico-go/lib/validator/v3/validator.go.
//
// # What is mirrored
//
// The objects are [NetworkPolicy], [GlobalNetworkPolicy],
// [StagedNetworkPolicy], [StagedGlobalNetworkPolicy],
// [StagedKubernetesNetworkPolicy], [Tier], [NetworkSet], [GlobalNetworkSet]
// and [HostEndpoint]. Each has metav1.TypeMeta inline, metav1.ObjectMeta
// as metadata, and a spec. Every field of the real API spec is present,
// including those netreach does not evaluate (doNotTrack, preDNAT,
// applyOnForward, performanceHints, http, rule metadata, status), so that
// strict decoding reports only fields Calico does not know either. What
// the analysis does with fields it cannot model is decided in package
// policy, which turns them into warnings.
//
// Rules are [Rule] values with a source and a destination [EntityRule].
// [Port] and [Protocol] have their own JSON forms: a port is 80, "80",
// "8080:8090" or a name; a protocol is a name (TCP, UDP, ICMP, ICMPv6,
// SCTP, UDPLite) or a number 1-255. Lists of objects (kind: ...List) are
// not mirrored.
//
// # Decoding
//
// Decode as the loader does: convert YAML with
// sigs.k8s.io/yaml.YAMLToJSONStrict, then call
//
//	strict, err := json.UnmarshalStrict(data, &obj, json.DisallowDuplicateFields, json.DisallowUnknownFields)
//
// from sigs.k8s.io/json. Unknown fields come back in strict, each with its
// path (spec.ingress[0].bogus). A malformed port or protocol makes err
// non-nil and stops the decoding of that object; that error names the
// input but, as with any encoding/json Unmarshaler, carries no path.
//
// # Validation and defaults
//
// Decoding checks only the syntax Calico's decoder checks. The Validate
// methods ([Rule.Validate], [NetworkPolicy.Validate], [Tier.Validate], ...)
// add the rules of Calico's validator and CEL rules that the analysis
// relies on, and return [FieldError] values with paths relative to the
// object. [DefaultTypes] applies Calico's defaulting of a policy's types.
//
// The types are plain data: the zero values are usable but not always
// valid, and values are not safe for concurrent mutation.
package calicov3
