package reachability

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/selector"
)

// calicoSide is the Calico pipeline for one direction [docs/semantics.md §3.6]:
// tiers in order; a tier none of whose policies applies to the endpoint is
// skipped; otherwise its policies' rules are walked in order and the first
// matching rule that is not Log decides (Allow, Deny, or Pass to the next
// tier); a tier that applies but decides nothing ends with its default
// action (Deny, or Pass). After the last tier the pod's profile allows.
func (ev *Evaluator) calicoSide(st *SideTrace, d policy.Direction, subj, remote Entity, f Flow, fam int, cond bool) {
	applies := func(m policy.PlanMember) string { return ev.memberApplies(m, d, subj.Endpoint) }
	if ev.walkTiers(st, ev.plan, "", false, applies, d, subj, remote, f, fam, cond) {
		return
	}
	st.Verdict, st.Decision = Allow, Profile
}

// walkTiers walks tiers in order for the flow subj–remote, with applies
// saying whether (or why not) a member applies; it reports whether a final
// verdict was reached (set in st). A tier none of whose members applies is
// skipped; in a tier that applies, the first matching rule that is not Log
// decides (Allow, Deny, or Pass to the next tier); a tier that decides
// nothing ends with its default action, or passes on when noDrop is set
// (untracked and pre-DNAT tiers). prefix starts the stage names.
func (ev *Evaluator) walkTiers(st *SideTrace, tiers []*policy.PlanTier, prefix string, noDrop bool, applies func(policy.PlanMember) string, d policy.Direction, subj, remote Entity, f Flow, fam int, cond bool) bool {
	for _, t := range tiers {
		stage := StageTrace{Name: "tier " + prefix + t.Name}
		decided := policy.ActionNone
		var decider *RuleTrace
		for _, m := range t.Members {
			pt := PolicyTrace{Policy: m.Ref()}
			if why := applies(m); why != "" {
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
			stage.Outcome = "no policy of the tier applies: skipped"
			if len(stage.Policies) > 0 {
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
		if noDrop {
			stage.Outcome = "no rule decided: on to the next tier (no end-of-tier drop here)"
			st.Stages = append(st.Stages, stage)
			continue
		}
		if t.DefaultAction == policy.ActionPass {
			stage.Outcome = "no rule decided: the tier's default action passes to the next tier"
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

func actionOf(s string) policy.Action {
	switch s {
	case "Allow", "Accept":
		return policy.ActionAllow
	case "Deny":
		return policy.ActionDeny
	case "Pass":
		return policy.ActionPass
	case "Log":
		return policy.ActionLog
	}
	return policy.ActionNone
}

// memberApplies returns "" when the tier member applies to the pod in
// direction d, or why not.
func (ev *Evaluator) memberApplies(m policy.PlanMember, d policy.Direction, pod *policy.Endpoint) string {
	switch {
	case m.Kube != nil:
		if m.Kube.Namespace != pod.Namespace {
			return "in another namespace"
		}
		if !ev.selector(&m.Kube.Spec.PodSelector).Matches(ev.podLabels(pod)) {
			return "podSelector does not match the pod"
		}
		if !m.Kube.Applies(d) {
			return fmt.Sprintf("policyTypes does not include %s", directionType(d))
		}
	case m.Admin != nil:
		if !ev.adminSubject(m.Admin.Subject, pod) {
			return "subject does not select the pod"
		}
		if len(m.Admin.Rules(d)) == 0 {
			return fmt.Sprintf("no %s rules", d)
		}
	default:
		p := m.Calico
		if !p.Global && p.Namespace != pod.Namespace {
			return "in another namespace"
		}
		if p.Global && p.NamespaceSelector != nil && !calicoNamespaceSelectorMatches(*p.NamespaceSelector, true, ev.namespaceLabels(pod.Namespace)) {
			return "namespaceSelector does not match the pod's namespace"
		}
		if !p.Selector.Matches(ev.podLabels(pod)) {
			return "selector does not match the pod"
		}
		if p.ServiceAccountSelector != nil && !p.ServiceAccountSelector.Matches(ev.saLabels(pod)) {
			return "serviceAccountSelector does not match the pod's service account"
		}
		if !p.Types[d] {
			return fmt.Sprintf("types does not include %s", directionType(d))
		}
	}
	return ""
}

// memberRules evaluates the rules of a member for direction d, in order;
// it stops after the first match that is not Log.
func (ev *Evaluator) memberRules(m policy.PlanMember, d policy.Direction, subj, remote Entity, f Flow, fam int, cond bool) []RuleTrace {
	var out []RuleTrace
	switch {
	case m.Kube != nil:
		n := len(m.Kube.Spec.Ingress)
		if d == policy.Egress {
			n = len(m.Kube.Spec.Egress)
		}
		for i := 0; i < n; i++ {
			rt := ev.kubeRule(m.Kube, d, i, subj, remote, f, fam)
			out = append(out, rt)
			if rt.Matched {
				break
			}
		}
	case m.Admin != nil:
		for i, r := range m.Admin.Rules(d) {
			rt := ev.adminRule(m.Admin, r, i, d, subj, remote, f, fam, cond)
			out = append(out, rt)
			if rt.Matched {
				break
			}
		}
	default:
		src, dst := subj, remote
		if d == policy.Ingress {
			src, dst = remote, subj
		}
		for i, r := range m.Calico.Rules(d) {
			rt := ev.calicoRule(m.Calico, r, i, src, dst, f, fam, cond)
			out = append(out, rt)
			if rt.Matched && r.Action != policy.ActionLog {
				break
			}
		}
	}
	return out
}

// calicoRule matches one Calico rule against the flow src→dst [docs/semantics.md
// 3.4, 3.5]: every criterion present must hold.
func (ev *Evaluator) calicoRule(p *policy.CalicoPolicy, r policy.CalicoRule, i int, src, dst Entity, f Flow, fam int, cond bool) RuleTrace {
	rt := RuleTrace{Policy: p.ObjectRef, Index: i, Action: r.Action.String(), Source: r.Loc}
	fail := func(part, format string, args ...any) RuleTrace {
		rt.Failed, rt.Detail = part, fmt.Sprintf(format, args...)
		return rt
	}
	if r.Invalid {
		return fail("invalid", "the rule is invalid and left out of the evaluation")
	}
	if r.IPVersion != 0 && r.IPVersion != fam {
		return fail("protocol", "the rule is for IPv%d, the flow is IPv%d", r.IPVersion, fam)
	}
	if why := calicoFamilyDrop(r, fam); why != "" {
		return fail("peer", "%s, so Calico drops the rule for IPv%d", why, fam)
	}
	if r.Protocol != policy.AnyProtocol && r.Protocol != f.Protocol {
		return fail("protocol", "protocol %s does not match %s", r.Protocol, f.Protocol)
	}
	if r.NotProtocol != policy.AnyProtocol && r.NotProtocol == f.Protocol {
		return fail("protocol", "notProtocol %s excludes it", r.NotProtocol)
	}
	var conditional string
	if r.Source.Ports != nil || r.Source.NotPorts != nil {
		if r.Action != policy.ActionAllow {
			return fail("port", "source ports cannot be decided offline; a client can avoid them, so the rule does not match")
		}
		conditional = "the connection's source port matches the rule's source ports"
	}
	if part, why := ev.calicoEntity(p, &r.Source, src, fam, f, false); part != "" {
		return fail(part, "source: %s", why)
	}
	if part, why := ev.calicoEntity(p, &r.Destination, dst, fam, f, true); part != "" {
		return fail(part, "destination: %s", why)
	}
	if r.HTTP {
		conditional = "the HTTP request matches the rule's http match"
	}
	if conditional != "" {
		rt.Conditional = conditional
		if !cond {
			return fail("conditional", "matches only if %s", conditional)
		}
	}
	rt.Matched = true
	return rt
}

// calicoFamilyDrop says why Felix leaves the rule out of the family's
// tables: a non-empty nets or notNets list without a CIDR of the family,
// or a catch-all notNets.
func calicoFamilyDrop(r policy.CalicoRule, fam int) string {
	lists := []struct {
		name string
		nets []netip.Prefix
	}{{"source nets", r.Source.Nets}, {"source notNets", r.Source.NotNets}, {"destination nets", r.Destination.Nets}, {"destination notNets", r.Destination.NotNets}}
	for _, l := range lists {
		if len(l.nets) == 0 {
			continue
		}
		has := false
		for _, p := range l.nets {
			if p.Addr().Is4() == (fam == 4) {
				has = true
				if p.Bits() == 0 && (l.name == "source notNets" || l.name == "destination notNets") {
					return l.name + " holds the catch-all " + p.String()
				}
			}
		}
		if !has {
			return fmt.Sprintf("%s has no IPv%d CIDR", l.name, fam)
		}
	}
	return ""
}

// calicoEntity matches one EntityRule against entity x; it returns the
// failing part and why, or "" when every criterion holds. Ports are
// destination ports for the destination and ignored for the source (see
// calicoRule).
func (ev *Evaluator) calicoEntity(p *policy.CalicoPolicy, e *policy.CalicoEntity, x Entity, fam int, f Flow, isDst bool) (part, why string) {
	ip, hasIP := x.addr(fam)
	if e.Nets != nil {
		if !hasIP || !slices.ContainsFunc(e.Nets, func(n netip.Prefix) bool { return n.Contains(ip) }) {
			return "peer", fmt.Sprintf("%s is not in nets", x)
		}
	}
	if e.NotNets != nil && hasIP && slices.ContainsFunc(e.NotNets, func(n netip.Prefix) bool { return n.Contains(ip) }) {
		return "except", fmt.Sprintf("%s is in notNets", x)
	}
	if id := calicoIdentity(e, p); id != nil && !ev.knownEntityMatches(x, fam, id) {
		return "peer", fmt.Sprintf("%s is not a known entity matching the selectors", x)
	}
	if e.NotSelector != nil && ev.knownEntityMatches(x, fam, &policy.Identity{Kinds: policy.KindAllKnown, Selector: e.NotSelector}) {
		return "peer", fmt.Sprintf("%s matches notSelector %s", x, e.NotSelector)
	}
	if e.Service != nil {
		if !ev.serviceMember(e.Service, x) {
			return "peer", fmt.Sprintf("%s is not an endpoint of service %s/%s", x, e.Service.Namespace, e.Service.Name)
		}
		if isDst && !ev.serviceTargetPort(e.Service, x, f) {
			return "port", fmt.Sprintf("%d/%s is not a target port of service %s/%s", f.Port, f.Protocol, e.Service.Namespace, e.Service.Name)
		}
	}
	if !isDst {
		return "", ""
	}
	if e.Ports != nil && !slices.ContainsFunc(e.Ports, func(m policy.PortMatch) bool { return portMatchMatches(m, x, f) }) {
		return "port", fmt.Sprintf("%d/%s is not in ports", f.Port, f.Protocol)
	}
	if slices.ContainsFunc(e.NotPorts, func(m policy.PortMatch) bool { return portMatchMatches(m, x, f) }) {
		return "port", fmt.Sprintf("%d/%s is in notPorts", f.Port, f.Protocol)
	}
	return "", ""
}

// calicoIdentity returns the identity scope of an entity rule, or nil when
// it has none [docs/semantics.md §3.5 point 2].
func calicoIdentity(e *policy.CalicoEntity, p *policy.CalicoPolicy) *policy.Identity {
	id := &policy.Identity{Kinds: policy.KindAllKnown}
	scoped := false
	if e.NamespaceSelector != nil {
		id.NamespaceSelector = e.NamespaceSelector
		scoped = true
	} else if !p.Global && (e.Selector != nil || e.NotSelector != nil || e.ServiceAccounts != nil) {
		id.Namespace = p.Namespace
		scoped = true
	}
	if e.Selector != nil {
		id.Selector = e.Selector
		scoped = true
	}
	if e.ServiceAccounts != nil {
		id.ServiceAccountNames = e.ServiceAccounts.Names
		id.ServiceAccountSelector = e.ServiceAccounts.Selector
		scoped = true
	}
	if !scoped {
		return nil
	}
	return id
}

// knownEntityMatches reports whether x is a known entity satisfying id: a
// pod on the pod network whose namespace, labels and service account
// satisfy it, or an address inside a network set that does. The address
// test is what Felix's IP sets do, so a pod inside a matching network set
// matches too.
func (ev *Evaluator) knownEntityMatches(x Entity, fam int, id *policy.Identity) bool {
	if x.isPodNetwork() && id.Kinds&policy.KindPod != 0 {
		pod := x.Endpoint
		ok := (id.Namespace == "" || pod.Namespace == id.Namespace) &&
			(id.NamespaceSelector == nil || calicoNamespaceSelectorMatches(*id.NamespaceSelector, true, ev.namespaceLabels(pod.Namespace))) &&
			(id.Selector == nil || id.Selector.Matches(ev.podLabels(pod))) &&
			(len(id.ServiceAccountNames) == 0 || slices.Contains(id.ServiceAccountNames, pod.ServiceAccount)) &&
			(id.ServiceAccountSelector == nil || id.ServiceAccountSelector.Matches(ev.saLabels(pod)))
		if ok {
			return true
		}
	}
	if ev.hostAddressMatches(id, x, fam) {
		return true
	}
	ip, ok := x.addr(fam)
	if !ok {
		return false
	}
	for _, ns := range ev.snap.Calico.NetworkSets {
		if !slices.ContainsFunc(ns.Nets, func(n netip.Prefix) bool { return n.Contains(ip) }) {
			continue
		}
		namespaced := ns.Namespace != ""
		switch {
		case namespaced && id.Kinds&policy.KindNetworkSet == 0, !namespaced && id.Kinds&policy.KindGlobalNetworkSet == 0:
			continue
		case id.Namespace != "" && ns.Namespace != id.Namespace:
			continue
		case len(id.ServiceAccountNames) > 0:
			continue // network sets have no service account
		}
		if id.NamespaceSelector != nil {
			var nsl map[string]string
			if namespaced {
				nsl = ev.namespaceLabels(ns.Namespace)
			}
			if !calicoNamespaceSelectorMatches(*id.NamespaceSelector, namespaced, nsl) {
				continue
			}
		}
		if id.Selector != nil && !id.Selector.Matches(ns.CalicoLabels()) {
			continue
		}
		if id.ServiceAccountSelector != nil && !id.ServiceAccountSelector.Matches(nil) {
			continue
		}
		return true
	}
	return false
}

// calicoNamespaceSelectorMatches applies Calico's special cases: all() is
// "any namespaced entity", global() "any entity outside namespaces".
func calicoNamespaceSelectorMatches(sel selector.Selector, namespaced bool, labels map[string]string) bool {
	switch {
	case sel.IsAll():
		return namespaced
	case sel.IsGlobal():
		return !namespaced
	}
	return sel.Matches(labels)
}

// serviceMember reports whether x is a pod behind the service: in its
// namespace, matching its selector.
func (ev *Evaluator) serviceMember(ref *policy.ServiceRef, x Entity) bool {
	svc := ev.snap.Service(ref.Namespace, ref.Name)
	if svc == nil || len(svc.Selector) == 0 || !x.isPodNetwork() || x.Endpoint.Namespace != svc.Namespace {
		return false
	}
	for k, v := range svc.Selector {
		if got, ok := ev.podLabels(x.Endpoint)[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// serviceTargetPort reports whether the flow's port is one of the
// service's target ports on pod x (named target ports resolved on x).
func (ev *Evaluator) serviceTargetPort(ref *policy.ServiceRef, x Entity, f Flow) bool {
	svc := ev.snap.Service(ref.Namespace, ref.Name)
	for _, sp := range svc.Ports {
		proto := policy.TCP
		if sp.Protocol != "" {
			proto, _ = policy.ParseKubeProtocol(string(sp.Protocol))
		}
		if proto != f.Protocol {
			continue
		}
		switch {
		case sp.TargetPort.StrVal != "":
			if hasNamedPort(x, sp.TargetPort.StrVal, f.Protocol, f.Port) {
				return true
			}
		case sp.TargetPort.IntVal != 0:
			if int32(f.Port) == sp.TargetPort.IntVal {
				return true
			}
		default:
			if int32(f.Port) == sp.Port {
				return true
			}
		}
	}
	return false
}
