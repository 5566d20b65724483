package reachability

import (
	"fmt"
	"slices"

	"github.com/netreach/netreach/policy"
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
	if ev.hostTiers(st, ev.untracked, policy.UntrackedPrefix, policy.NamedHostsOnly, d, subj, remote, f, fam, cond) {
		return
	}
	if d == policy.Ingress && ev.hostTiers(st, ev.preDNAT, policy.PreDNATPrefix, policy.HostsOnly, d, subj, remote, f, fam, cond) {
		return
	}
	if ev.hostTiers(st, ev.plan, "", policy.PodsAndHosts, d, subj, remote, f, fam, cond) {
		return
	}
	if h.Host.DefaultAllow() {
		st.Verdict, st.Decision = Allow, Profile
		st.Note = "profile " + policy.DefaultAllowProfile
		return
	}
	st.Verdict, st.Decision = Deny, NoProfile
}

// hostTiers walks tiers for a host endpoint and reports whether they
// reached a final verdict (set in st). Untracked and preDNAT tiers have no
// end-of-tier drop: what they leave undecided goes on.
func (ev *Evaluator) hostTiers(st *SideTrace, tiers []*policy.PlanTier, prefix string, scope policy.HostScope, d policy.Direction, subj, remote Entity, f Flow, fam int, cond bool) bool {
	for _, t := range tiers {
		stage := StageTrace{Name: "tier " + prefix + t.Name}
		decided := policy.ActionNone
		var decider *RuleTrace
		for _, m := range t.Members {
			pt := PolicyTrace{Policy: m.Ref()}
			if why := hostMemberApplies(m, d, subj.Endpoint, scope); why != "" {
				pt.NotSelectedBecause = why
				stage.Policies = append(stage.Policies, pt)
				continue
			}
			pt.Selected = true
			stage.Applied = true
			for _, rt := range ev.memberRules(m, d, subj, remote, f, fam, cond) {
				pt.Rules = append(pt.Rules, rt)
				if !rt.Matched || rt.Action == "Log" {
					continue
				}
				decided = actionOf(rt.Action)
				r := rt
				decider = &r
				break
			}
			stage.Policies = append(stage.Policies, pt)
			if decided != policy.ActionNone {
				break
			}
		}
		if !stage.Applied {
			if len(stage.Policies) > 0 {
				stage.Outcome = "no policy of the tier applies: skipped"
				st.Stages = append(st.Stages, stage)
			}
			continue
		}
		switch decided {
		case policy.ActionAllow, policy.ActionDeny:
			stage.Outcome = decided.String()
			st.Stages = append(st.Stages, stage)
			st.Verdict, st.Decision, st.Decider = Allow, ByRule, decider
			if decided == policy.ActionDeny {
				st.Verdict = Deny
			}
			return true
		case policy.ActionPass:
			stage.Outcome = "pass: next tier"
			st.Stages = append(st.Stages, stage)
			st.Decider = decider
			continue
		}
		if prefix != "" || t.DefaultAction == policy.ActionPass {
			stage.Outcome = "no rule decided: on to the next tier"
			st.Stages = append(st.Stages, stage)
			continue
		}
		stage.Outcome = "no rule decided: end of tier, deny"
		st.Stages = append(st.Stages, stage)
		st.Verdict, st.Decision, st.Decider = Deny, EndOfTier, nil
		return true
	}
	return false
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
