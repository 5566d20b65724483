package policy

import (
	"fmt"
	"sync"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/selector"
)

// This file defines the internal rule model (IR) that every policy API is
// lowered into, and that the bitset engine evaluates. Evaluation of one
// direction at one endpoint walks the tiers in order:
//
//	tier 1 ──▶ tier 2 ──▶ … ──▶ profile (allow)
//	  │ no policy of the tier selects the endpoint: skip the tier
//	  │ otherwise rules in order, first match decides:
//	  │   Allow / Deny: final      Pass: go to the next tier
//	  │   Log: no verdict, keep going
//	  └ no rule matched: the tier's DefaultAction (Deny, or Pass)
//
// Kubernetes mode is the same machine with three tiers: Admin (default
// Pass, so no implicit isolation), NetworkPolicy (default Deny, all rules
// Allow: isolation plus union of rules) and Baseline (default Pass).

// Action is what a matching rule does.
type Action uint8

// Actions.
const (
	ActionNone Action = iota
	ActionAllow
	ActionDeny
	ActionPass
	ActionLog
)

// String returns "Allow", "Deny", "Pass" or "Log".
func (a Action) String() string {
	switch a {
	case ActionAllow:
		return "Allow"
	case ActionDeny:
		return "Deny"
	case ActionPass:
		return "Pass"
	case ActionLog:
		return "Log"
	}
	return "None"
}

// Program is a snapshot lowered for one mode: the ordered tiers every
// endpoint's traffic goes through. A Program is immutable and safe for
// concurrent use.
type Program struct {
	Mode Mode
	// Tiers in evaluation order.
	Tiers []*Tier
	// NetworkSets are the Calico (Global)NetworkSets whose addresses rule
	// selectors can match.
	NetworkSets []*NetworkSetIR

	// byFrom indexes the policies by the object they were lowered from,
	// for a later lowering to reuse (see LowerOptions.Previous); built
	// once, on first use.
	byFrom     reuser
	byFromOnce sync.Once
}

// Tier is an ordered group of policies with a default action.
type Tier struct {
	Name string
	// DefaultAction applies when at least one policy of the tier selects
	// the endpoint for the direction and no rule decided: ActionDeny
	// (Kubernetes isolation, Calico end-of-tier drop) or ActionPass.
	DefaultAction Action
	Policies      []*Lowered
}

// Lowered is one policy in IR form: whom it applies to and its rules per
// direction, in order.
type Lowered struct {
	// From is the object the policy was lowered from (*NetworkPolicy,
	// *AdminPolicy or *CalicoPolicy), so a later lowering can reuse it.
	From    any
	Ref     ObjectRef
	Subject Subject
	// Applies says per direction (index Ingress, Egress) whether the policy
	// takes part in that direction for the endpoints it selects.
	Applies [2]bool
	Rules   [2][]Rule

	diags Diagnostics // reported while lowering, repeated on reuse
}

// Subject selects the endpoints a policy applies to. Only pods on the pod
// network can be subjects. All present conditions must hold.
type Subject struct {
	// Namespace restricts subjects to one namespace; "" means any.
	Namespace string
	// NamespaceSelector, when set, must match the labels of the
	// endpoint's namespace.
	NamespaceSelector *selector.Selector
	// Selector must match the endpoint's labels (pod labels; in Calico
	// mode with Calico's implicit labels added).
	Selector selector.Selector
	// ServiceAccountSelector, when set, must match the labels of the
	// endpoint's service account (Calico).
	ServiceAccountSelector *selector.Selector
	// Hosts says whether Calico host endpoints can be subjects too
	// (docs/calico-host-endpoints.md); the zero value keeps to pods.
	Hosts HostScope
	// HostIDs, when not nil, makes the subject exactly the host endpoints
	// with these IDs ("host:<node>/<interface>"), whatever the other
	// fields say.
	HostIDs []string
}

// HostScope says which kinds of endpoint a policy's subject takes in.
type HostScope uint8

// Host scopes.
const (
	// PodsOnly: pods on the pod network (every API but Calico
	// GlobalNetworkPolicy).
	PodsOnly HostScope = iota
	// PodsAndHosts: pods and host endpoints (a GlobalNetworkPolicy).
	PodsAndHosts
	// HostsOnly: host endpoints only (preDNAT policies, failsafe rules).
	HostsOnly
	// NamedHostsOnly: host endpoints of one named interface, not
	// interfaceName "*" (doNotTrack policies).
	NamedHostsOnly
)

// TakesPods reports whether the scope includes pods.
func (h HostScope) TakesPods() bool { return h == PodsOnly || h == PodsAndHosts }

// Takes reports whether the scope includes the host endpoint he.
func (h HostScope) Takes(he *HostEndpoint) bool {
	switch h {
	case PodsAndHosts, HostsOnly:
		return true
	case NamedHostsOnly:
		return !he.AllInterfaces()
	}
	return false
}

// RuleRef locates a rule in its policy.
type RuleRef struct {
	Policy ObjectRef
	Dir    Direction
	// Index is the rule's position in the original object (before
	// lowering split it, when it did).
	Index  int
	Source Location
}

// Rule is one ordered rule. It matches a flow when every present condition
// holds.
type Rule struct {
	Ref    RuleRef
	Action Action
	// Protocol restricts the flow's protocol (AnyProtocol: no
	// restriction); NotProtocol excludes one (AnyProtocol: none).
	Protocol, NotProtocol Protocol
	// IPVersion restricts the flow's family: 0, 4 or 6.
	IPVersion int
	// SkipFamily marks families (index 0 for IPv4, 1 for IPv6) for which
	// the whole rule is skipped: Calico drops a rule whose nets are all of
	// the other family [docs/semantics.md §3.4].
	SkipFamily [2]bool
	// Src and Dst match the flow's source and destination.
	Src, Dst EntityMatch
	// Conditional, when set, says the rule matches only under a condition
	// that cannot be checked offline (an HTTP match, DNS names, source
	// ports); the flow's verdict is then reported as conditional.
	Conditional string
}

// EntityMatch matches one end of a flow.
type EntityMatch struct {
	// Peers are ORed; nil means any entity.
	Peers []Peer
	// Ports are ORed; nil means any port. For the destination they are
	// destination ports; for the source, source ports (see
	// Rule.Conditional).
	Ports []PortMatch
	// NotPorts: the port must match none of these.
	NotPorts []PortMatch
}

// Peer is a conjunction of conditions on an entity.
type Peer struct {
	// Nets, when set, requires the entity's address in the set.
	Nets *netipx.IPSet
	// NotNets, when set, requires the entity's address outside the set.
	NotNets *netipx.IPSet
	// NetsSkipPods makes Nets never match pods on the pod network
	// (Kubernetes ipBlock with the IPBlockIgnoresPodIPs option).
	NetsSkipPods bool
	// Identity, when set, requires the entity to be a known entity (a pod,
	// or an address of a network set) satisfying it.
	Identity *Identity
	// NotIdentity, when set, requires the entity NOT to be a known entity
	// satisfying it (Calico notSelector).
	NotIdentity *Identity
	// Nothing makes the peer match no entity (a fail-closed peer).
	Nothing bool
}

// EntityKind is a bit set of the kinds of known entities an [Identity] can
// match.
type EntityKind uint8

// Entity kinds.
const (
	KindPod EntityKind = 1 << iota
	KindNetworkSet
	KindGlobalNetworkSet
	// KindHostEndpoint: the expected IPs of Calico host endpoints.
	KindHostEndpoint
	KindAllKnown = KindPod | KindNetworkSet | KindGlobalNetworkSet | KindHostEndpoint
)

// Identity matches known entities by their labels and namespace.
type Identity struct {
	Kinds EntityKind
	// Namespace restricts matches to entities of one namespace.
	Namespace string
	// NamespaceSelector matches the labels of the entity's namespace with
	// Calico's rules: all() means "any namespaced entity", global() "any
	// entity outside namespaces", anything else is evaluated on the
	// namespace's labels (empty for entities outside namespaces).
	NamespaceSelector *selector.Selector
	// Selector matches the entity's own labels.
	Selector *selector.Selector
	// ServiceAccountNames and ServiceAccountSelector match the entity's
	// service account (Calico serviceAccounts).
	ServiceAccountNames    []string
	ServiceAccountSelector *selector.Selector
}

// PortMatch matches a protocol and port.
type PortMatch struct {
	// Protocol restricts the protocol; AnyProtocol for none.
	Protocol Protocol
	// Lo and Hi are an inclusive range of port numbers, used when Name is
	// empty.
	Lo, Hi uint16
	// Name is a named port, resolved on the entity's container ports with
	// the flow's protocol and port.
	Name string
}

// String returns "80/TCP", "8000-8100/TCP", "http" or "TCP".
func (m PortMatch) String() string {
	var s string
	switch {
	case m.Name != "":
		s = m.Name
	case m.Lo == 0 && m.Hi == 65535:
		s = ""
	case m.Lo == m.Hi:
		s = fmt.Sprint(m.Lo)
	default:
		s = fmt.Sprintf("%d-%d", m.Lo, m.Hi)
	}
	if m.Protocol != AnyProtocol {
		if s == "" {
			return m.Protocol.String()
		}
		return s + "/" + m.Protocol.String()
	}
	if s == "" {
		return "any"
	}
	return s
}

// NetworkSetIR is a Calico NetworkSet (Namespace set) or GlobalNetworkSet
// (Namespace empty) in the form the engine uses.
type NetworkSetIR struct {
	Ref       ObjectRef
	Namespace string
	Labels    map[string]string
	Nets      *netipx.IPSet
}

// MatchNamespaceSelector applies an Identity's (or a Subject's) namespace
// selector to an entity with Calico's rules: all() matches any namespaced
// entity, global() any entity outside namespaces, and anything else is
// evaluated on the labels of the entity's namespace (none outside
// namespaces) [docs/semantics.md §3.5].
func MatchNamespaceSelector(sel selector.Selector, namespaced bool, nsLabels map[string]string) bool {
	switch {
	case sel.IsAll():
		return namespaced
	case sel.IsGlobal():
		return !namespaced
	}
	return sel.Matches(nsLabels)
}
