package reachability

import (
	"github.com/netreach/netreach/internal/mesh"
	"github.com/netreach/netreach/internal/policy"
)

// Decision says what settled one side (egress or ingress) of a flow.
type Decision uint8

// Decisions.
const (
	// NotPoliced: the side is not subject to policy (an address outside
	// the cluster, a host-network pod, a pod on the pod network with no
	// policy engine in front of it for this direction).
	NotPoliced Decision = iota
	// ByRule: a rule decided (allow, deny or, at the end, pass).
	ByRule
	// NotSelected: no policy selects the endpoint for this direction, so
	// it is not isolated and everything is allowed.
	NotSelected
	// Isolated: Kubernetes NetworkPolicies select the endpoint for this
	// direction and none of their rules matched.
	Isolated
	// EndOfTier: a Calico tier applied to the endpoint and no rule of it
	// decided, so the tier's default action (deny) dropped the flow.
	EndOfTier
	// Profile: every tier passed or did not apply; the endpoint's profile
	// (allow for Kubernetes pods) decided.
	Profile
	// OwnNode: ingress from the endpoint's own node is always allowed.
	OwnNode
	// DefaultAllow: the Kubernetes-mode pipeline ended without a verdict
	// (an ANP Pass with no NetworkPolicy and no matching baseline).
	DefaultAllow
	// Failsafe: a Calico failsafe port of a host endpoint allowed the
	// flow before any policy (docs/calico-host-endpoints.md §5).
	Failsafe
	// EndpointToHost: a pod connects to its own host; Felix's
	// defaultEndpointToHostAction decides, not the host endpoint's
	// policy.
	EndpointToHost
	// NoProfile: no tier decided for a host endpoint and it has no
	// profile that allows: denied.
	NoProfile
)

var decisionText = [...]string{
	NotPoliced:     "not subject to policy",
	ByRule:         "decided by a rule",
	NotSelected:    "no policy selects it for this direction: allowed",
	Isolated:       "isolated by NetworkPolicy and no rule matched: denied",
	EndOfTier:      "end of tier: denied",
	Profile:        "no tier decided: the profile allows",
	OwnNode:        "from its own node: allowed",
	DefaultAllow:   "no policy decided: allowed by default",
	Failsafe:       "a failsafe port: allowed",
	EndpointToHost: "from a pod on the host's own node: defaultEndpointToHostAction decides",
	NoProfile:      "no tier decided and no profile allows: denied",
}

// String describes the decision in words.
func (d Decision) String() string {
	if int(d) < len(decisionText) {
		return decisionText[d]
	}
	return "unknown decision"
}

// Trace explains one verdict: the egress side at the source and the
// ingress side at the destination, each with every stage (tier), policy
// and rule consulted, in evaluation order.
type Trace struct {
	Flow    Flow        `json:"flow"`
	Verdict Verdict     `json:"verdict"`
	Mode    policy.Mode `json:"mode"`
	// Reason is set when the verdict needed no policy at all ("a pod can
	// always reach itself").
	Reason  string    `json:"reason,omitempty"`
	Egress  SideTrace `json:"egress"`
	Ingress SideTrace `json:"ingress"`
	// Network is the verdict of network policy alone and Mesh the
	// service-mesh layer's evaluation, when the mesh layer is on; Verdict
	// then combines both [docs/mesh.md §5.3].
	Network *Verdict    `json:"network,omitempty"`
	Mesh    *mesh.Trace `json:"mesh,omitempty"`
	// Pools describes the ends of the flow that have no address yet: the
	// verdict covers every address their IP pools can give them
	// [docs/calico-ipam.md].
	Pools []PoolTrace `json:"pools,omitempty"`
}

// SideTrace is the evaluation of one direction at one endpoint.
type SideTrace struct {
	Direction policy.Direction `json:"direction"`
	// Subject is the endpoint the policies were evaluated for.
	Subject  string   `json:"subject"`
	Verdict  Verdict  `json:"verdict"`
	Decision Decision `json:"decision"`
	// Note adds detail to the decision ("host-network pod: treated as its
	// node").
	Note string `json:"note,omitempty"`
	// Decider is the rule that decided, for Decision ByRule.
	Decider *RuleTrace   `json:"decider,omitempty"`
	Stages  []StageTrace `json:"stages,omitempty"`
}

// StageTrace is one stage of the evaluation: a Calico tier, or in
// Kubernetes mode the Admin, NetworkPolicy and Baseline stages.
type StageTrace struct {
	Name string `json:"name"`
	// Applied is true when at least one policy of the stage selected the
	// endpoint for this direction.
	Applied  bool          `json:"applied"`
	Policies []PolicyTrace `json:"policies,omitempty"`
	// Outcome says how the stage ended: "allow", "deny", "pass", "no
	// match", "end of tier".
	Outcome string `json:"outcome"`
}

// PolicyTrace is one policy consulted in a stage.
type PolicyTrace struct {
	Policy policy.ObjectRef `json:"policy"`
	// Selected is true when the policy applies to the endpoint in this
	// direction; only then are its rules evaluated.
	Selected bool `json:"selected"`
	// NotSelectedBecause explains why a policy did not apply.
	NotSelectedBecause string `json:"notSelectedBecause,omitempty"`
	// Note explains a selection that is easy to miss: a NetworkPolicy
	// without policyTypes that applies to ingress only because
	// policyTypes defaults to include Ingress.
	Note  string      `json:"note,omitempty"`
	Rules []RuleTrace `json:"rules,omitempty"`
}

// RuleTrace is one rule of a policy and whether it matched the flow.
type RuleTrace struct {
	Policy policy.ObjectRef `json:"policy"`
	// Index is the rule's position in its direction's list.
	Index  int    `json:"index"`
	Action string `json:"action"`
	// Matched is true when every part of the rule matched.
	Matched bool `json:"matched"`
	// Failed names the part that did not match: "peer", "port",
	// "protocol", "except", "invalid" (left out of the evaluation).
	Failed string `json:"failed,omitempty"`
	// Detail explains the failure or the match in words.
	Detail string `json:"detail,omitempty"`
	// Conditional is set for a rule that matches only under a condition
	// that cannot be checked offline.
	Conditional string          `json:"conditional,omitempty"`
	Source      policy.Location `json:"source"`
}

// MarshalText returns the decision in words.
func (d Decision) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
