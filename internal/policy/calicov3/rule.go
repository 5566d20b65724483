package calicov3

// Action is what a rule does when it matches, or a tier's default action
// (Calico policy_common.go Action).
type Action string

// Rule actions. Allow and Deny decide; Pass skips the rest of the tier;
// Log records the packet and goes on with the next rule.
const (
	Allow Action = "Allow"
	Deny  Action = "Deny"
	Log   Action = "Log"
	Pass  Action = "Pass"
)

// IsValid reports whether a is one of Allow, Deny, Log and Pass. The names
// are case-sensitive, as in Calico's CRD enum.
func (a Action) IsValid() bool {
	switch a {
	case Allow, Deny, Log, Pass:
		return true
	}
	return false
}

// PolicyType is an entry of a policy's types list: the directions the
// policy applies to.
type PolicyType string

// Policy types.
const (
	PolicyTypeIngress PolicyType = "Ingress"
	PolicyTypeEgress  PolicyType = "Egress"
)

// IsValid reports whether t is Ingress or Egress (case-sensitive).
func (t PolicyType) IsValid() bool { return t == PolicyTypeIngress || t == PolicyTypeEgress }

// StagedAction says what promoting a staged policy would do to the
// enforced policy of the same name. The empty value means Set, which is
// the CRD default.
type StagedAction string

// Staged actions. Learn and Ignore are markers of Calico Enterprise's
// policy recommendation and are documented nowhere in Calico OSS.
const (
	StagedActionSet    StagedAction = "Set"
	StagedActionDelete StagedAction = "Delete"
	StagedActionLearn  StagedAction = "Learn"
	StagedActionIgnore StagedAction = "Ignore"
)

// IsValid reports whether a is one of Set, Delete, Learn and Ignore. The
// empty value is not valid here, although a spec may omit the field (it
// then means Set).
func (a StagedAction) IsValid() bool {
	switch a {
	case StagedActionSet, StagedActionDelete, StagedActionLearn, StagedActionIgnore:
		return true
	}
	return false
}

// PerformanceHint is an entry of a policy's performanceHints list. Hints
// never change what a policy allows or denies.
type PerformanceHint string

// HintAssumeNeededOnEveryNode makes Felix load the policy on every node
// whether or not a local endpoint needs it. It is the only hint Calico
// defines.
const HintAssumeNeededOnEveryNode PerformanceHint = "AssumeNeededOnEveryNode"

// Rule is one ingress or egress rule of a Calico policy (Calico
// policy_common.go Rule). Every criterion that is present must hold for the
// rule to match; a criterion and its negated form (protocol and
// notProtocol, icmp and notICMP) may both be present.
//
// The zero Rule is invalid: it has no action. See [Rule.Validate].
type Rule struct {
	Action Action `json:"action"`
	// IPVersion, when set, is 4 or 6 and restricts the rule to that family.
	IPVersion *int `json:"ipVersion,omitempty"`
	// Protocol restricts the rule to one IP protocol. Numeric ports need
	// TCP, UDP or SCTP here.
	Protocol *Protocol `json:"protocol,omitempty"`
	// ICMP restricts an ICMP or ICMPv6 rule to a type and code.
	ICMP *ICMPFields `json:"icmp,omitempty"`
	// NotProtocol excludes one IP protocol.
	NotProtocol *Protocol `json:"notProtocol,omitempty"`
	// NotICMP excludes an ICMP type and code.
	NotICMP *ICMPFields `json:"notICMP,omitempty"`
	// Source is matched against the packet's source.
	Source EntityRule `json:"source,omitzero"`
	// Destination is matched against the packet's destination.
	Destination EntityRule `json:"destination,omitzero"`
	// HTTP restricts an Allow rule to HTTP requests; Calico enforces it only
	// with application layer policy enabled.
	HTTP *HTTPMatch `json:"http,omitempty"`
	// Metadata carries annotations that do not affect matching.
	Metadata *RuleMetadata `json:"metadata,omitempty"`
}

// ICMPFields matches an ICMP type (0-254) and, only together with a type,
// a code (0-255).
type ICMPFields struct {
	Type *int `json:"type,omitempty"`
	Code *int `json:"code,omitempty"`
}

// HTTPMatch restricts a rule to HTTP requests whose method is one of
// Methods and whose path matches one of Paths; an empty list does not
// restrict. Methods and paths are ANDed.
type HTTPMatch struct {
	Methods []string   `json:"methods,omitempty"`
	Paths   []HTTPPath `json:"paths,omitempty"`
}

// HTTPPath matches an HTTP path exactly or by prefix; exactly one of the
// two is set.
type HTTPPath struct {
	Exact  string `json:"exact,omitempty"`
	Prefix string `json:"prefix,omitempty"`
}

// RuleMetadata holds a rule's annotations.
type RuleMetadata struct {
	Annotations map[string]string `json:"annotations,omitempty"`
}

// EntityRule holds the criteria a rule applies to one end of a packet, the
// source or the destination (Calico policy_common.go EntityRule). All
// present criteria must hold. See docs/semantics.md §3.5 for what each means,
// in particular how selectors are scoped to the policy's namespace.
type EntityRule struct {
	// Nets lists CIDRs (or bare IPs, meaning /32 or /128); the address
	// must be in one of them.
	Nets []string `json:"nets,omitempty"`
	// Selector picks Calico endpoints and network sets by label.
	Selector string `json:"selector,omitempty"`
	// NamespaceSelector picks the namespaces of the entities; `global()`
	// picks the non-namespaced ones (host endpoints, global network sets).
	NamespaceSelector string `json:"namespaceSelector,omitempty"`
	// Services matches the endpoints of a Kubernetes Service. It excludes
	// nets, selectors, namespaceSelector and serviceAccounts.
	Services *ServiceMatch `json:"services,omitempty"`
	// Ports lists the ports the entity's port must be one of.
	Ports []Port `json:"ports,omitempty"`
	// NotNets lists CIDRs the address must be outside of.
	NotNets []string `json:"notNets,omitempty"`
	// NotSelector excludes Calico entities that match it.
	NotSelector string `json:"notSelector,omitempty"`
	// NotPorts lists ports the entity's port must not be.
	NotPorts []Port `json:"notPorts,omitempty"`
	// ServiceAccounts picks pods by service account.
	ServiceAccounts *ServiceAccountMatch `json:"serviceAccounts,omitempty"`
}

// ServiceMatch names a Kubernetes Service. An empty Namespace means the
// policy's own namespace; a GlobalNetworkPolicy must set it.
type ServiceMatch struct {
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// ServiceAccountMatch picks pods whose service account is one of Names
// (when set) and whose labels match Selector (when set).
type ServiceAccountMatch struct {
	Names    []string `json:"names,omitempty"`
	Selector string   `json:"selector,omitempty"`
}

// DefaultTypes returns the policy types Calico stores for a policy whose
// types field is types: types itself (copied) when it is not empty, and
// otherwise, by Calico's API defaulting (api/pkg/defaults/networkpolicy.go
// defaultPolicyTypesField):
//
//   - [Ingress] when there are no egress rules, even when there are no
//     ingress rules either;
//   - [Egress] when there are egress rules but no ingress rules;
//   - [Ingress, Egress] when there are both.
//
// This differs from Kubernetes NetworkPolicy, where every policy isolates
// ingress: a Calico policy with only egress rules does not.
func DefaultTypes(ingress, egress []Rule, types []PolicyType) []PolicyType {
	switch {
	case len(types) > 0:
		return append([]PolicyType(nil), types...)
	case len(egress) == 0:
		return []PolicyType{PolicyTypeIngress}
	case len(ingress) == 0:
		return []PolicyType{PolicyTypeEgress}
	default:
		return []PolicyType{PolicyTypeIngress, PolicyTypeEgress}
	}
}
