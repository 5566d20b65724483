package istio

import (
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Group is the API group of the objects in this package; they are served
// in the versions v1 and v1beta1 with the same schema.
const Group = "security.istio.io"

// Kinds of the objects in this package.
const (
	KindAuthorizationPolicy = "AuthorizationPolicy"
	KindPeerAuthentication  = "PeerAuthentication"
)

// AuthorizationPolicy is an Istio AuthorizationPolicy: access control on
// the inbound side of the workloads it targets.
type AuthorizationPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`

	Spec AuthorizationPolicySpec `json:"spec"`
	// Status is written by Istio; the analysis ignores it.
	Status json.RawMessage `json:"status,omitempty"`
}

// AuthorizationPolicySpec is the spec of an [AuthorizationPolicy].
type AuthorizationPolicySpec struct {
	// Selector restricts the policy to workloads with these labels (in the
	// policy's namespace, or in every namespace for the root namespace).
	Selector *WorkloadSelector `json:"selector,omitempty"`
	// TargetRef is the deprecated single form of TargetRefs.
	TargetRef *PolicyTargetReference `json:"targetRef,omitempty"`
	// TargetRefs attaches the policy to gateways, waypoints or services
	// instead of selecting workloads.
	TargetRefs []PolicyTargetReference `json:"targetRefs,omitempty"`
	// Rules match requests; absent, the policy never matches.
	Rules []Rule `json:"rules,omitempty"`
	// Action is ALLOW (also when empty), DENY, AUDIT or CUSTOM.
	Action string `json:"action,omitempty"`
	// Provider names the extension of a CUSTOM policy.
	Provider *ExtensionProvider `json:"provider,omitempty"`
}

// Actions of an AuthorizationPolicy.
const (
	ActionAllow  = "ALLOW"
	ActionDeny   = "DENY"
	ActionAudit  = "AUDIT"
	ActionCustom = "CUSTOM"
)

// ExtensionProvider names the external authorizer of a CUSTOM policy.
type ExtensionProvider struct {
	Name string `json:"name,omitempty"`
}

// WorkloadSelector selects workloads by labels (all must match).
type WorkloadSelector struct {
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}

// PolicyTargetReference names a resource a policy is attached to.
type PolicyTargetReference struct {
	Group     string `json:"group,omitempty"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// Rule matches requests from any of its sources, to any of its
// operations, under all of its conditions; a part that is absent matches
// everything.
type Rule struct {
	From []RuleFrom  `json:"from,omitempty"`
	To   []RuleTo    `json:"to,omitempty"`
	When []Condition `json:"when,omitempty"`
}

// RuleFrom wraps one source.
type RuleFrom struct {
	Source *Source `json:"source,omitempty"`
}

// RuleTo wraps one operation.
type RuleTo struct {
	Operation *Operation `json:"operation,omitempty"`
}

// Source is the source of a request; its fields are ANDed, the values of
// one field ORed.
type Source struct {
	Principals           []string `json:"principals,omitempty"`
	NotPrincipals        []string `json:"notPrincipals,omitempty"`
	RequestPrincipals    []string `json:"requestPrincipals,omitempty"`
	NotRequestPrincipals []string `json:"notRequestPrincipals,omitempty"`
	Namespaces           []string `json:"namespaces,omitempty"`
	NotNamespaces        []string `json:"notNamespaces,omitempty"`
	ServiceAccounts      []string `json:"serviceAccounts,omitempty"`
	NotServiceAccounts   []string `json:"notServiceAccounts,omitempty"`
	IPBlocks             []string `json:"ipBlocks,omitempty"`
	NotIPBlocks          []string `json:"notIpBlocks,omitempty"`
	RemoteIPBlocks       []string `json:"remoteIpBlocks,omitempty"`
	NotRemoteIPBlocks    []string `json:"notRemoteIpBlocks,omitempty"`
	TrustDomains         []string `json:"trustDomains,omitempty"`
	NotTrustDomains      []string `json:"notTrustDomains,omitempty"`
}

// Operation is what a request does; its fields are ANDed, the values of
// one field ORed.
type Operation struct {
	Hosts      []string `json:"hosts,omitempty"`
	NotHosts   []string `json:"notHosts,omitempty"`
	Ports      []string `json:"ports,omitempty"`
	NotPorts   []string `json:"notPorts,omitempty"`
	Methods    []string `json:"methods,omitempty"`
	NotMethods []string `json:"notMethods,omitempty"`
	Paths      []string `json:"paths,omitempty"`
	NotPaths   []string `json:"notPaths,omitempty"`
}

// Condition is one entry of a rule's when: an attribute and the values it
// must (or must not) have.
type Condition struct {
	Key       string   `json:"key"`
	Values    []string `json:"values,omitempty"`
	NotValues []string `json:"notValues,omitempty"`
}

// PeerAuthentication is an Istio PeerAuthentication: the mutual TLS mode
// the workloads it selects accept on inbound connections.
type PeerAuthentication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`

	Spec PeerAuthenticationSpec `json:"spec"`
	// Status is written by Istio; the analysis ignores it.
	Status json.RawMessage `json:"status,omitempty"`
}

// PeerAuthenticationSpec is the spec of a [PeerAuthentication].
type PeerAuthenticationSpec struct {
	Selector *WorkloadSelector `json:"selector,omitempty"`
	MTLS     *MutualTLS        `json:"mtls,omitempty"`
	// PortLevelMTLS maps a workload port ("8080") to its mode.
	PortLevelMTLS map[string]MutualTLS `json:"portLevelMtls,omitempty"`
}

// MutualTLS holds one mTLS mode: UNSET (also when empty), DISABLE,
// PERMISSIVE or STRICT.
type MutualTLS struct {
	Mode string `json:"mode,omitempty"`
}

// Modes of a PeerAuthentication.
const (
	ModeUnset      = "UNSET"
	ModeDisable    = "DISABLE"
	ModePermissive = "PERMISSIVE"
	ModeStrict     = "STRICT"
)
