package audit

import "encoding/json"

// Control is a control of a security standard that a finding kind relates
// to (docs/audit-standards.md).
type Control struct {
	// Standard names the document: [NSACISA] or [CISKubernetes].
	Standard string `json:"standard"`
	// ID is the control's number or section in the standard.
	ID    string `json:"id"`
	Title string `json:"title"`
}

// The standards the finding kinds are mapped to.
const (
	// NSACISA is the NSA/CISA Kubernetes Hardening Guidance (version 1.2,
	// August 2022); its network controls are in the section "Network
	// separation and hardening".
	NSACISA = "NSA/CISA Kubernetes Hardening Guidance v1.2"
	// CISKubernetes is the CIS Kubernetes Benchmark; its network policy
	// controls are in section 5.3, "Network Policies and CNI".
	CISKubernetes = "CIS Kubernetes Benchmark"
)

var (
	nsaNetworkPolicies = Control{NSACISA, "Network separation and hardening / Network policies",
		"Use network policies to isolate resources: select pods with podSelector and namespaceSelector, and a default policy that denies all ingress and egress"}
	nsaNamespaces = Control{NSACISA, "Network separation and hardening / Namespaces",
		"Separate resources into namespaces; namespaces by themselves do not restrict traffic between them"}
	nsaEncryption = Control{NSACISA, "Network separation and hardening / Encryption",
		"Encrypt traffic between components and workloads (TLS, a service mesh's mutual TLS)"}
	cisNamespacesHavePolicies = Control{CISKubernetes, "5.3.2",
		"Ensure that all Namespaces have Network Policies defined"}
)

// controls maps each kind to the controls it relates to; kinds about
// the hygiene of policy objects (a selector that matches nothing, a
// redundant rule) relate to none.
var controls = map[Kind][]Control{
	IngressNotIsolated:     {nsaNetworkPolicies, cisNamespacesHavePolicies},
	EgressNotIsolated:      {nsaNetworkPolicies, cisNamespacesHavePolicies},
	NoDefaultDeny:          {nsaNetworkPolicies, cisNamespacesHavePolicies},
	CrossNamespace:         {nsaNamespaces, nsaNetworkPolicies},
	CrossTenant:            {nsaNamespaces, nsaNetworkPolicies},
	EgressInternet:         {nsaNetworkPolicies},
	WideCIDR:               {nsaNetworkPolicies},
	IngressExternal:        {nsaNetworkPolicies},
	BlastRadius:            {nsaNetworkPolicies},
	InternetExposed:        {nsaNetworkPolicies},
	EntireCluster:          {nsaNetworkPolicies},
	ImplicitIngress:        {nsaNetworkPolicies},
	IsolationVoided:        {nsaNetworkPolicies, cisNamespacesHavePolicies},
	MeshOnlyProtection:     {nsaNetworkPolicies},
	MeshStrictUnreachable:  {nsaEncryption},
	MeshPermissiveUnneeded: {nsaEncryption},
}

// Controls returns the controls of the NSA/CISA Kubernetes Hardening
// Guidance and the CIS Kubernetes Benchmark the kind relates to; nil when
// none applies.
func (k Kind) Controls() []Control { return append([]Control(nil), controls[k]...) }

// MarshalJSON writes the kind's fields and its controls.
func (k KindInfo) MarshalJSON() ([]byte, error) {
	type plain KindInfo
	return json.Marshal(struct {
		plain
		Controls []Control `json:"controls,omitempty"`
	}{plain(k), k.Kind.Controls()})
}
