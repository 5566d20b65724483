package calicov3

import (
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GroupVersion is the apiVersion of every object in this package.
const GroupVersion = "projectcalico.org/v3"

// Kinds of the objects in this package.
const (
	KindNetworkPolicy                 = "NetworkPolicy"
	KindGlobalNetworkPolicy           = "GlobalNetworkPolicy"
	KindStagedNetworkPolicy           = "StagedNetworkPolicy"
	KindStagedGlobalNetworkPolicy     = "StagedGlobalNetworkPolicy"
	KindStagedKubernetesNetworkPolicy = "StagedKubernetesNetworkPolicy"
	KindTier                          = "Tier"
	KindNetworkSet                    = "NetworkSet"
	KindGlobalNetworkSet              = "GlobalNetworkSet"
	KindHostEndpoint                  = "HostEndpoint"
)

// Names and orders of the tiers Calico creates itself (tier.go, v3.32).
// The default tier must have defaultAction Deny; kube-admin (ClusterNetwork
// Policy tier Admin) and kube-baseline (tier Baseline) must have Pass.
// Calico v3.29-v3.31 named the last two adminnetworkpolicy and
// baselineadminnetworkpolicy, with the same orders.
const (
	DefaultTierName      = "default"
	KubeAdminTierName    = "kube-admin"
	KubeBaselineTierName = "kube-baseline"

	DefaultTierOrder      float64 = 1_000_000
	KubeAdminTierOrder    float64 = 1_000
	KubeBaselineTierOrder float64 = 10_000_000
)

// PolicyStatus is the status of a policy object. Recent Calico versions
// record a condition of type "Valid" there; the analysis ignores it.
type PolicyStatus struct {
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// NetworkPolicy is a namespaced Calico policy (Calico networkpolicy.go).
// Its selector only picks endpoints in its own namespace.
type NetworkPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`

	Spec   NetworkPolicySpec `json:"spec"`
	Status *PolicyStatus     `json:"status,omitempty"`
}

// NetworkPolicySpec is the spec of a [NetworkPolicy].
type NetworkPolicySpec struct {
	// Tier names the policy's tier; empty means "default".
	Tier string `json:"tier,omitempty"`
	// Order sorts the policy within its tier, lowest first; nil sorts last.
	Order *float64 `json:"order,omitempty"`
	// Ingress rules, evaluated in order.
	Ingress []Rule `json:"ingress,omitempty"`
	// Egress rules, evaluated in order.
	Egress []Rule `json:"egress,omitempty"`
	// Selector picks the endpoints the policy applies to; empty means all.
	Selector string `json:"selector,omitempty"`
	// Types lists the directions the policy applies to; see [DefaultTypes]
	// for what an empty list means.
	Types []PolicyType `json:"types,omitempty"`
	// ServiceAccountSelector is ANDed with Selector and evaluated on the
	// labels of the pod's service account.
	ServiceAccountSelector string `json:"serviceAccountSelector,omitempty"`
	// PerformanceHints never change verdicts.
	PerformanceHints []PerformanceHint `json:"performanceHints,omitempty"`
}

// GlobalNetworkPolicy is a cluster-wide Calico policy (Calico
// globalnetworkpolicy.go). It applies to workload endpoints in every
// namespace and to host endpoints.
type GlobalNetworkPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`

	Spec   GlobalNetworkPolicySpec `json:"spec"`
	Status *PolicyStatus           `json:"status,omitempty"`
}

// GlobalNetworkPolicySpec is the spec of a [GlobalNetworkPolicy].
type GlobalNetworkPolicySpec struct {
	// Tier names the policy's tier; empty means "default".
	Tier string `json:"tier,omitempty"`
	// Order sorts the policy within its tier, lowest first; nil sorts last.
	Order *float64 `json:"order,omitempty"`
	// Ingress rules, evaluated in order.
	Ingress []Rule `json:"ingress,omitempty"`
	// Egress rules, evaluated in order.
	Egress []Rule `json:"egress,omitempty"`
	// Selector picks the endpoints the policy applies to; empty means all.
	Selector string `json:"selector,omitempty"`
	// Types lists the directions the policy applies to; see [DefaultTypes].
	Types []PolicyType `json:"types,omitempty"`
	// DoNotTrack applies the rules before connection tracking. Such
	// policies only ever act on host endpoints.
	DoNotTrack bool `json:"doNotTrack,omitempty"`
	// PreDNAT applies the rules before DNAT. Such policies only ever act on
	// host endpoints.
	PreDNAT bool `json:"preDNAT,omitempty"`
	// ApplyOnForward applies host endpoint rules to forwarded traffic too.
	ApplyOnForward bool `json:"applyOnForward,omitempty"`
	// ServiceAccountSelector is ANDed with Selector and evaluated on the
	// labels of the pod's service account.
	ServiceAccountSelector string `json:"serviceAccountSelector,omitempty"`
	// NamespaceSelector is ANDed with Selector and evaluated on the labels
	// of the endpoint's namespace.
	NamespaceSelector string `json:"namespaceSelector,omitempty"`
	// PerformanceHints never change verdicts.
	PerformanceHints []PerformanceHint `json:"performanceHints,omitempty"`
}

// StagedNetworkPolicy is a [NetworkPolicy] that is not enforced: a
// proposal to create, replace or delete the NetworkPolicy of the same
// namespace and name (Calico stagednetworkpolicy.go).
type StagedNetworkPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`

	Spec   StagedNetworkPolicySpec `json:"spec"`
	Status *PolicyStatus           `json:"status,omitempty"`
}

// StagedNetworkPolicySpec is a [NetworkPolicySpec] with a staged action.
// The embedded spec's fields appear at the same JSON level as
// stagedAction, as in Calico.
type StagedNetworkPolicySpec struct {
	// StagedAction is empty (meaning Set), Set, Delete, Learn or Ignore.
	StagedAction StagedAction `json:"stagedAction,omitempty"`
	NetworkPolicySpec
}

// StagedGlobalNetworkPolicy is a [GlobalNetworkPolicy] that is not
// enforced (Calico stagedglobalnetworkpolicy.go).
type StagedGlobalNetworkPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`

	Spec   StagedGlobalNetworkPolicySpec `json:"spec"`
	Status *PolicyStatus                 `json:"status,omitempty"`
}

// StagedGlobalNetworkPolicySpec is a [GlobalNetworkPolicySpec] with a
// staged action, at the same JSON level.
type StagedGlobalNetworkPolicySpec struct {
	// StagedAction is empty (meaning Set), Set, Delete, Learn or Ignore.
	StagedAction StagedAction `json:"stagedAction,omitempty"`
	GlobalNetworkPolicySpec
}

// StagedKubernetesNetworkPolicy is a Kubernetes NetworkPolicy that is not
// enforced (Calico stagedkubernetesnetworkpolicy.go). Its spec has the
// shape of networking.k8s.io/v1 NetworkPolicySpec plus stagedAction.
type StagedKubernetesNetworkPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`

	Spec   StagedKubernetesNetworkPolicySpec `json:"spec"`
	Status *PolicyStatus                     `json:"status,omitempty"`
}

// StagedKubernetesNetworkPolicySpec is the spec of a
// [StagedKubernetesNetworkPolicy]. Apart from StagedAction the fields and
// their meaning are those of networkingv1.NetworkPolicySpec.
type StagedKubernetesNetworkPolicySpec struct {
	// StagedAction is empty (meaning Set), Set, Delete, Learn or Ignore.
	StagedAction StagedAction                            `json:"stagedAction,omitempty"`
	PodSelector  metav1.LabelSelector                    `json:"podSelector"`
	Ingress      []networkingv1.NetworkPolicyIngressRule `json:"ingress,omitempty"`
	Egress       []networkingv1.NetworkPolicyEgressRule  `json:"egress,omitempty"`
	PolicyTypes  []networkingv1.PolicyType               `json:"policyTypes,omitempty"`
}

// Tier is an ordered group of policies (Calico tier.go). A tier that
// applies to an endpoint but whose policies decide nothing ends with its
// default action.
type Tier struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`

	Spec   TierSpec   `json:"spec"`
	Status TierStatus `json:"status,omitzero"`
}

// TierSpec is the spec of a [Tier].
type TierSpec struct {
	// Order sorts tiers, lowest first; nil sorts after all ordered tiers.
	Order *float64 `json:"order,omitempty"`
	// DefaultAction is Deny or Pass; nil means Deny (the CRD default).
	DefaultAction *Action `json:"defaultAction,omitempty"`
}

// EffectiveDefaultAction returns the tier's default action, Deny when the
// field is absent.
func (s TierSpec) EffectiveDefaultAction() Action {
	if s.DefaultAction == nil {
		return Deny
	}
	return *s.DefaultAction
}

// TierStatus is the status of a [Tier].
type TierStatus struct {
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// NetworkSet is a namespaced, labelled list of networks that rule
// selectors can pick (Calico networkset.go).
type NetworkSet struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`

	Spec NetworkSetSpec `json:"spec"`
}

// NetworkSetSpec is the spec of a [NetworkSet].
type NetworkSetSpec struct {
	// Nets lists CIDRs or bare IPs.
	Nets []string `json:"nets,omitempty"`
}

// GlobalNetworkSet is a cluster-wide, labelled list of networks (Calico
// globalnetworkset.go). Rules in a namespaced NetworkPolicy reach it only
// through `namespaceSelector: global()`.
type GlobalNetworkSet struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`

	Spec GlobalNetworkSetSpec `json:"spec"`
}

// GlobalNetworkSetSpec is the spec of a [GlobalNetworkSet].
type GlobalNetworkSetSpec struct {
	// Nets lists CIDRs or bare IPs.
	Nets []string `json:"nets,omitempty"`
}

// HostEndpoint is a host interface that Calico polices (Calico
// hostendpoint.go). netreach decodes it to recognise and report it; it
// does not model host traffic.
type HostEndpoint struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`

	Spec HostEndpointSpec `json:"spec"`
}

// HostEndpointSpec is the spec of a [HostEndpoint].
type HostEndpointSpec struct {
	// Node names the Calico node.
	Node string `json:"node,omitempty"`
	// InterfaceName is an interface name, "*" for all of the host's
	// interfaces, or empty to find the interface by ExpectedIPs.
	InterfaceName string `json:"interfaceName,omitempty"`
	// ExpectedIPs are the endpoint's addresses; rule selectors that pick
	// the endpoint match these.
	ExpectedIPs []string `json:"expectedIPs,omitempty"`
	// Profiles names the profiles applied after policies.
	Profiles []string `json:"profiles,omitempty"`
	// Ports are the endpoint's named ports.
	Ports []EndpointPort `json:"ports,omitempty"`
}

// EndpointPort is a named port of a host endpoint.
type EndpointPort struct {
	Name     string   `json:"name"`
	Protocol Protocol `json:"protocol"`
	Port     uint16   `json:"port"`
}
