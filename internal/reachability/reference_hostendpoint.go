package reachability

import (
	"fmt"
	"slices"

	"github.com/netreach/netreach/internal/policy"
)

// hostSide is the Calico pipeline at a host endpoint for one direction,
// for traffic the host itself sends or receives
// [docs/calico-host-endpoints.md §3, "Summary of host endpoint policies"]:
//
//  1. Traffic between the host and its own node stays inside the host:
//     the host always reaches its own pods and its other interfaces; a pod
//     reaches its own host as defaultEndpointToHostAction says.
//  2. Failsafe ports are allowed before any policy.
//  3. Untracked (doNotTrack) policies, except on interfaceName "*"; an
//     Allow or Deny is final, a tier without a decision passes on.
//  4. Pre-DNAT policies (ingress only), the same way.
//  5. The normal tiers; only GlobalNetworkPolicies select host endpoints.
//  6. The profiles: projectcalico-default-allow allows, else deny.
func (ev *Evaluator) hostSide(st *SideTrace, d policy.Direction, subj, remote Entity, f Flow, fam int, cond bool) {
	h := subj.Endpoint
	if r := remote.Endpoint; r != nil && r != h && h.Node != "" && r.Node == h.Node {
		switch {
		case d == policy.Ingress && remote.isPodNetwork():
			st.Decision = EndpointToHost
			hs := ev.snap.HostSettings(h.Node)
			st.Note = fmt.Sprintf("a pod on the host's own node; %s", hs.From)
			if !hs.EndpointToHost.Allows() {
				st.Verdict = Deny
			}
		case remote.isPodNetwork():
			st.Decision = OwnNode
			st.Note = "traffic from a host to its own pods is always allowed"
		default:
			st.Decision = OwnNode
			st.Note = "traffic between a host's own interfaces and host-network pods stays inside the host"
		}
		return
	}
	hs := ev.snap.HostSettings(h.Node)
	list, dir := hs.FailsafeInbound, "inbound"
	if d == policy.Egress {
		list, dir = hs.FailsafeOutbound, "outbound"
	}
	remoteIP, _ := remote.addr(fam)
	for _, fp := range list {
		if fp.Matches(f.Protocol, f.Port, remoteIP) {
			st.Decision = Failsafe
			st.Note = fmt.Sprintf("failsafe %s port %s (%s)", dir, fp, hs.From)
			return
		}
	}
	all := func(*policy.CalicoPolicy) bool { return true }
	if ev.hostTiers(st, ev.untracked, policy.UntrackedPrefix, true, policy.NamedHostsOnly, all, h, d, subj, remote, f, fam, cond) {
		return
	}
	if d == policy.Ingress && ev.hostTiers(st, ev.preDNAT, policy.PreDNATPrefix, true, policy.HostsOnly, all, h, d, subj, remote, f, fam, cond) {
		return
	}
	if ev.hostTiers(st, ev.plan, "", false, policy.PodsAndHosts, all, h, d, subj, remote, f, fam, cond) {
		return
	}
	if h.Host.DefaultAllow() {
		st.Verdict, st.Decision = Allow, Profile
		st.Note = "profile " + policy.DefaultAllowProfile
		return
	}
	st.Verdict, st.Decision = Deny, NoProfile
}

// hostTiers walks tiers of policies that select the host endpoint sel
// (and that keep accepts) on the flow subj–remote, and reports whether
// they reached a final verdict (set in st). Untracked and preDNAT tiers
// (noDrop) have no end-of-tier drop: what they leave undecided goes on.
func (ev *Evaluator) hostTiers(st *SideTrace, tiers []*policy.PlanTier, prefix string, noDrop bool, scope policy.HostScope, keep func(*policy.CalicoPolicy) bool, sel *policy.Endpoint, d policy.Direction, subj, remote Entity, f Flow, fam int, cond bool) bool {
	applies := func(m policy.PlanMember) string {
		why := hostMemberApplies(m, d, sel, scope)
		if why == "" && !keep(m.Calico) {
			why = "applyOnForward is false: it does not apply to forwarded traffic"
		}
		return why
	}
	return ev.walkTiers(st, tiers, prefix, noDrop, applies, d, subj, remote, f, fam, cond)
}

// hostMemberApplies returns "" when the tier member applies to the host
// endpoint in direction d, or why not [docs/calico-host-endpoints.md §2].
func hostMemberApplies(m policy.PlanMember, d policy.Direction, e *policy.Endpoint, scope policy.HostScope) string {
	p := m.Calico
	switch {
	case p == nil:
		return "selects pods only"
	case !p.Global:
		return "a namespaced policy selects only pods of its namespace"
	case !scope.Takes(e.Host):
		return "doNotTrack policies do not apply to a host endpoint with interfaceName *"
	case p.NamespaceSelector != nil && !calicoNamespaceSelectorMatches(*p.NamespaceSelector, false, nil):
		return "namespaceSelector does not match a host endpoint (it is in no namespace)"
	case !p.Selector.Matches(e.CalicoLabels()):
		return "selector does not match the host endpoint"
	case p.ServiceAccountSelector != nil && (p.ServiceAccountSelector.IsAll() || !p.ServiceAccountSelector.Matches(nil)):
		return "serviceAccountSelector does not match a host endpoint (it has no service account)"
	case !p.Types[d]:
		return fmt.Sprintf("types does not include %s", directionType(d))
	}
	return ""
}

// hostAddressMatches reports whether ip is an expected IP of a host
// endpoint that is a known entity satisfying id: Calico resolves a
// selector to the addresses of the host endpoints it matches.
func (ev *Evaluator) hostAddressMatches(id *policy.Identity, x Entity, fam int) bool {
	ip, ok := x.addr(fam)
	if !ok {
		return false
	}
	for _, e := range ev.snap.Endpoints {
		if e.Host != nil && slices.Contains(e.IPs, ip) && hostIdentityMatches(e.Host, id) {
			return true
		}
	}
	return false
}

// forwardSide checks the traffic of a pod with anything outside its node
// at the node's interfaceName "*" host endpoint, which the traffic crosses
// [docs/calico-host-endpoints.md §7; "Apply on forwarded traffic", "Pre-DNAT
// policy", "Summary of host endpoint policies"]: inbound, the pre-DNAT
// policies (an Allow skips the normal ones, no default drop), then the
// normal policies with applyOnForward; outbound, those normal policies.
// The policies are chosen by the host endpoint and matched against the
// flow itself. When none applies, or no tier decides, forwarded traffic is
// allowed; a tier that applies and decides nothing drops it. The pod's own
// side verdict in st is combined with this check.
func (ev *Evaluator) forwardSide(st *SideTrace, d policy.Direction, subj, remote Entity, f Flow, fam int, cond bool) {
	pod := subj.Endpoint
	if !subj.isPodNetwork() || pod.Node == "" || ev.onOwnNode(remote, pod) {
		return
	}
	if r := remote.Endpoint; r != nil && r.Node == pod.Node {
		return
	}
	h := ev.forwardHost(pod.Node)
	if h == nil {
		return
	}
	ft := SideTrace{Verdict: Allow}
	name := "forward via " + h.ID() + ": "
	aof := func(p *policy.CalicoPolicy) bool { return p.ApplyOnForward }
	all := func(*policy.CalicoPolicy) bool { return true }
	decided := d == policy.Ingress && ev.hostTiers(&ft, ev.preDNAT, name+policy.PreDNATPrefix, true, policy.HostsOnly, all, h, d, subj, remote, f, fam, cond)
	if !decided {
		ev.hostTiers(&ft, ev.plan, name, false, policy.PodsAndHosts, aof, h, d, subj, remote, f, fam, cond)
	}
	st.Stages = append(st.Stages, ft.Stages...)
	if ft.Verdict == Deny && st.Verdict != Deny {
		st.Verdict, st.Decision, st.Decider = Deny, ft.Decision, ft.Decider
		st.Note = "denied where the traffic crosses " + hostEndpointNote(h)
	}
}

// forwardHost returns the interfaceName "*" host endpoint of a node, or
// nil.
func (ev *Evaluator) forwardHost(node string) *policy.Endpoint {
	for _, e := range ev.snap.Endpoints {
		if e.Host != nil && e.Node == node && e.Host.AllInterfaces() {
			return e
		}
	}
	return nil
}
