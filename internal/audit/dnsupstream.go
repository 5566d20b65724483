package audit

import (
	"fmt"
	"strings"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// DNSUpstreamBlocked: the cluster DNS pods cannot reach any address
// outside the cluster on 53/UDP, so they cannot forward queries to their
// upstream resolvers.
const DNSUpstreamBlocked Kind = "dns-upstream-blocked"

func init() {
	registerKinds(KindInfo{"NR028", DNSUpstreamBlocked, High, "DNS servers blocked from their upstream resolvers",
		"The cluster DNS pods cannot open connections to any address outside the cluster on 53/UDP: they answer for cluster names but cannot forward other queries to the upstream resolvers (the node's resolver, the cloud's, public ones), so every lookup of an external name fails in every pod. A cluster-wide default deny (an AdminNetworkPolicy, a Calico GlobalNetworkPolicy, a ClusterNetworkPolicy) that forgets the DNS pods is the usual cause.",
		"Allow egress from the DNS pods to the upstream resolvers' addresses on 53/UDP and 53/TCP, before the deny (a higher-priority Allow or Pass rule), or exempt the DNS pods from the deny."})
}

// dnsUpstreamFindings reports the cluster DNS pods (Options.DNSLabels, on
// the pod network) that can reach no external address on 53/UDP (NR028),
// located at the rule that denies a sample flow to a public address,
// when a rule does.
func (a *analysis) dnsUpstreamFindings() []Finding {
	p := a.m.PortAtomIndex(policy.UDP, 53)
	if p < 0 || len(a.atoms) == 0 {
		return nil
	}
	g53, _ := a.m.ClassGraph([]int{p}, false)
	dns := a.dnsClasses()
	external := graph.NewSet(a.nU)
	for i := range a.atoms {
		external.Add(a.nC + i)
	}
	tmp := graph.NewSet(a.nU)
	var blocked []int
	for c := range dns.All() {
		if c >= a.nC {
			break
		}
		tmp.CopyFrom(g53.Row(c))
		tmp.And(external)
		if tmp.IsEmpty() {
			blocked = append(blocked, a.members[c]...)
		}
	}
	if len(blocked) == 0 {
		return nil
	}
	e := a.m.Endpoint(blocked[0])
	f := newFinding(DNSUpstreamBlocked, e.Namespace, fmt.Sprintf("the cluster DNS pods (%s) cannot reach any address outside the cluster on 53/UDP, so they cannot forward queries to upstream resolvers and external names do not resolve",
		a.entryList(blocked, 3)), "")
	f.Objects = a.endpointRefs(blocked)
	f.Affected = int64(a.nE)
	denier := a.upstreamDenier(blocked[0], external)
	switch {
	case denier == nil:
		f.Remedy = fmt.Sprintf("Allow egress from the DNS pods in %s to the upstream resolvers' addresses on 53/UDP and 53/TCP.", e.Namespace)
	default:
		scope := "the policy"
		if denier.Policy.Namespace == "" {
			scope = "the cluster-wide policy"
		}
		f.Message += fmt.Sprintf("; egress is denied by %s %s egress rule %d", scope, denier.Policy, denier.Index)
		f.Remedy = fmt.Sprintf("Allow egress from the DNS pods in %s to the upstream resolvers on 53/UDP and 53/TCP before %s egress rule %d (a higher-priority Allow or Pass rule), or exempt the DNS pods from it.",
			e.Namespace, denier.Policy, denier.Index)
		f.Location = denier.Source
		f.Objects = append([]policy.ObjectRef{denier.Policy}, f.Objects...)
		f.Rule = &RuleRef{Direction: policy.Egress, Index: denier.Index}
	}
	return []Finding{f}
}

// dnsClasses returns the classes of the cluster DNS pods
// (Options.DNSLabels) on the pod network.
func (a *analysis) dnsClasses() graph.Set {
	return a.classSet("dns", func(c int) bool {
		for k, v := range a.opts.DNSLabels {
			if a.rep[c].Labels[k] != v {
				return false
			}
		}
		return a.podNet.Has(c)
	})
}

// upstreamDenier returns the rule that denies the egress of entry i to a
// public address (else any external address) on 53/UDP, as the
// reference evaluator traces it; nil when no rule decides (a tier's
// implicit deny, isolation without a matching rule).
func (a *analysis) upstreamDenier(i int, external graph.Set) *reachability.RuleTrace {
	target := -1
	public := a.publicAtoms()
	for u := range external.All() {
		if target < 0 || public.Has(u) && !public.Has(target) {
			target = u
		}
	}
	if target < 0 {
		return nil
	}
	if a.ev == nil {
		a.ev = reachability.NewEvaluator(a.orig, a.m.Options())
	}
	_, tr := a.ev.Evaluate(reachability.Flow{Src: a.flowEntity(i), Dst: a.flowEntity(a.entryOf(target)), Protocol: policy.UDP, Port: 53})
	if tr == nil || tr.Egress.Decision != reachability.ByRule || tr.Egress.Decider == nil || !strings.EqualFold(tr.Egress.Decider.Action, "deny") {
		return nil
	}
	return tr.Egress.Decider
}
