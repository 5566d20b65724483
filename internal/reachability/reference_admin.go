package reachability

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/netreach/netreach/internal/policy"
)

// adminOutcome is how an Admin or Baseline stage ended for one flow.
type adminOutcome uint8

const (
	adminNoMatch adminOutcome = iota // no rule matched: next stage
	adminAllow
	adminDeny
	adminPass
)

// adminStage evaluates the cluster-wide policies of one tier (Admin or
// Baseline) for direction d at subj: policies by priority then name, rules
// top-down, the first matching rule decides; Pass skips the rest of the
// tier; no match falls through, as there is no implicit isolation
// [docs/semantics.md §4.1–4.3]. cond says whether conditional matches (domain
// names) count as matches.
func (ev *Evaluator) adminStage(tier policy.AdminTier, d policy.Direction, subj, remote Entity, f Flow, fam int, cond bool) (adminOutcome, StageTrace, *RuleTrace) {
	st := StageTrace{Name: tier.String() + " (AdminNetworkPolicy / ClusterNetworkPolicy)"}
	if tier == policy.TierBaseline {
		st.Name = "Baseline (BaselineAdminNetworkPolicy / ClusterNetworkPolicy)"
	}
	for _, p := range ev.snap.Admin.Policies {
		if p.Tier != tier {
			continue
		}
		pt := PolicyTrace{Policy: p.ObjectRef}
		rules := p.Rules(d)
		switch {
		case !ev.adminSubject(p.Subject, subj.Endpoint):
			pt.NotSelectedBecause = "subject does not select the pod"
		case len(rules) == 0:
			pt.NotSelectedBecause = fmt.Sprintf("no %s rules", d)
		default:
			pt.Selected = true
			st.Applied = true
		}
		if !pt.Selected {
			st.Policies = append(st.Policies, pt)
			continue
		}
		for i, r := range rules {
			rt := ev.adminRule(p, r, i, d, subj, remote, f, fam, cond)
			pt.Rules = append(pt.Rules, rt)
			if !rt.Matched {
				continue
			}
			st.Policies = append(st.Policies, pt)
			decider := rt
			switch r.Action {
			case policy.ActionAllow:
				st.Outcome = "allow"
				return adminAllow, st, &decider
			case policy.ActionDeny:
				st.Outcome = "deny"
				return adminDeny, st, &decider
			default:
				st.Outcome = "pass: the rest of the tier is skipped"
				return adminPass, st, &decider
			}
		}
		st.Policies = append(st.Policies, pt)
	}
	st.Outcome = "no rule matched: next stage"
	return adminNoMatch, st, nil
}

// adminSubject reports whether a cluster-wide policy's subject selects the
// pod (pods on the pod network only).
func (ev *Evaluator) adminSubject(s policy.AdminSubject, pod *policy.Endpoint) bool {
	if pod.HostNetwork {
		return false
	}
	nsl := ev.namespaceLabels(pod.Namespace)
	if s.Namespaces != nil {
		return s.Namespaces.Matches(nsl)
	}
	return s.Pods.NamespaceSelector.Matches(nsl) && s.Pods.PodSelector.Matches(ev.podLabels(pod))
}

// adminRule matches one rule: some peer matches the remote end and some
// port matches the destination port (named ports on the destination pod).
func (ev *Evaluator) adminRule(p *policy.AdminPolicy, r policy.AdminRule, i int, d policy.Direction, subj, remote Entity, f Flow, fam int, cond bool) RuleTrace {
	rt := RuleTrace{Policy: p.ObjectRef, Index: i, Action: r.Action.String(), Source: r.Source}
	if r.Name != "" {
		rt.Detail = "rule " + r.Name
	}
	switch {
	case r.MatchNothing:
		rt.Failed, rt.Detail = "invalid", "an Allow rule with an invalid peer matches nothing"
		return rt
	case r.DenyAll:
		rt.Matched, rt.Detail = true, "a Deny or Pass rule with an invalid peer denies everything"
		return rt
	}
	matched := false
	var conditional []string
	for _, peer := range r.Peers {
		if len(peer.DomainNames) > 0 {
			if !remote.isPodNetwork() {
				conditional = append(conditional, peer.DomainNames...)
			}
			continue
		}
		if ev.adminPeer(p, peer, remote, fam) {
			matched = true
			break
		}
	}
	if !matched && (len(conditional) == 0 || !cond) {
		rt.Failed, rt.Detail = "peer", fmt.Sprintf("no peer matches %s", remote)
		if len(conditional) > 0 {
			rt.Conditional = "the destination is an address of " + strings.Join(conditional, ", ")
		}
		return rt
	}
	if !matched {
		rt.Conditional = "the destination is an address of " + strings.Join(conditional, ", ")
	}
	if r.Ports != nil {
		dst := subj
		if d == policy.Egress {
			dst = remote
		}
		ok := false
		for _, pm := range r.Ports {
			if portMatchMatches(pm, dst, f) {
				ok = true
				break
			}
		}
		if !ok {
			rt.Failed, rt.Detail = "port", fmt.Sprintf("no port matches %d/%s on %s", f.Port, f.Protocol, dst)
			return rt
		}
	}
	rt.Matched = true
	return rt
}

// adminPeer matches one peer against the remote entity. In calico mode a
// ClusterNetworkPolicy namespaces peer also matches the addresses of the
// NetworkSets in those namespaces, as Calico converts it [docs/semantics.md §4.4].
func (ev *Evaluator) adminPeer(p *policy.AdminPolicy, peer policy.AdminPeer, remote Entity, fam int) bool {
	switch {
	case peer.Namespaces != nil:
		if remote.isPodNetwork() && peer.Namespaces.Matches(ev.namespaceLabels(remote.Endpoint.Namespace)) {
			return true
		}
		return ev.mode == policy.ModeCalico && p.Kind == "ClusterNetworkPolicy" &&
			ev.knownEntityMatches(remote, fam, &policy.Identity{Kinds: policy.KindNetworkSet, NamespaceSelector: peer.Namespaces})
	case peer.Pods != nil:
		return remote.isPodNetwork() &&
			peer.Pods.NamespaceSelector.Matches(ev.namespaceLabels(remote.Endpoint.Namespace)) &&
			peer.Pods.PodSelector.Matches(ev.podLabels(remote.Endpoint))
	case peer.Networks != nil:
		ip, ok := remote.addr(fam)
		if !ok {
			return false
		}
		for _, n := range peer.Networks {
			if n.Contains(ip) {
				return true
			}
		}
		return false
	case peer.Nodes != nil:
		if remote.isPodNetwork() {
			return false
		}
		ip, ok := remote.addr(fam)
		return ok && ev.isNodeAddress(ip, func(n *policy.Node) bool { return peer.Nodes.Matches(n.Labels) })
	}
	return false
}

// isNodeAddress reports whether ip belongs to a node that pick accepts.
func (ev *Evaluator) isNodeAddress(ip netip.Addr, pick func(*policy.Node) bool) bool {
	for _, n := range ev.snap.Nodes {
		if !pick(n) {
			continue
		}
		for _, a := range n.Addresses {
			if a == ip {
				return true
			}
		}
	}
	return false
}

// portMatchMatches matches a protocol/port (or named port) against the
// flow's destination port; named ports resolve on the destination pod.
func portMatchMatches(pm policy.PortMatch, dst Entity, f Flow) bool {
	if pm.Name != "" {
		if pm.Protocol != policy.AnyProtocol && pm.Protocol != f.Protocol {
			return false
		}
		return f.Protocol.HasPorts() && hasNamedPort(dst, pm.Name, f.Protocol, f.Port)
	}
	if pm.Protocol != policy.AnyProtocol && pm.Protocol != f.Protocol {
		return false
	}
	return f.Protocol.HasPorts() && f.Port >= pm.Lo && f.Port <= pm.Hi
}
