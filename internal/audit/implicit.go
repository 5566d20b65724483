package audit

import (
	"fmt"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
)

// ImplicitIngress: a NetworkPolicy with egress rules and no policyTypes,
// which the API server defaults to [Ingress, Egress], so it isolates its
// pods for ingress too.
const ImplicitIngress Kind = "implicit-ingress-isolation"

func init() {
	registerKinds(KindInfo{"NR026", ImplicitIngress, Medium, "Ingress isolated by defaulted policyTypes",
		"The NetworkPolicy has egress rules, no ingress rules and no policyTypes. The API server then sets policyTypes to [Ingress, Egress] (docs/semantics.md §2.2), so the policy also isolates its pods for ingress and, having no ingress rules, admits nothing: ingress to the pods is denied unless another policy allows it. An egress-only policy written without policyTypes is the usual cause.",
		"Add policyTypes: [Egress] to the policy if it is meant for egress only, or write policyTypes: [Ingress, Egress] to deny ingress on purpose."})
}

// implicitIngressFindings reports the NetworkPolicies with egress rules,
// no ingress rules and defaulted policyTypes (NR026): they isolate their
// pods for ingress without saying so. The finding is medium when some of
// those pods have no other policy for ingress (all their ingress is then
// denied), low otherwise.
func (a *analysis) implicitIngressFindings() []Finding {
	var out []Finding
	for _, np := range a.snap.NetworkPolicies {
		if !np.DefaultedTypes || len(np.Spec.Egress) == 0 || len(np.Spec.Ingress) > 0 {
			continue
		}
		subj, others := a.ingressSubjects(np.Key())
		if subj == nil || subj.IsEmpty() {
			continue
		}
		pods := a.endpointsOf(subj)
		tmp := graph.NewSet(a.nU)
		tmp.CopyFrom(subj)
		tmp.AndNot(others)
		alone := a.endpointsOf(tmp)
		msg := fmt.Sprintf("%s has egress rules and no policyTypes, so policyTypes defaults to [Ingress, Egress] and it also isolates %s for ingress: %s",
			np.ObjectRef, countOf(len(pods), "pod"), a.entryList(pods, 5))
		if len(alone) > 0 {
			msg += fmt.Sprintf("; no other policy admits ingress to %s, so all their ingress is denied", countOf(len(alone), "of them"))
		}
		f := newFinding(ImplicitIngress, np.Namespace, msg,
			fmt.Sprintf("Add policyTypes: [Egress] to %s if it is meant for egress only; write policyTypes: [Ingress, Egress] to deny ingress on purpose.", np.ObjectRef))
		if len(alone) == 0 {
			f.Severity = Low
		}
		f.Location = np.RuleSource[policy.RuleKey{Dir: policy.Egress, Index: 0}]
		f.Objects = append([]policy.ObjectRef{np.ObjectRef}, a.endpointRefs(pods)...)
		f.Affected = int64(len(pods))
		out = append(out, f)
	}
	return out
}

// ingressSubjects returns the classes the policy with key applies to for
// ingress, and the classes some other policy applies to for ingress; nil
// when the program does not evaluate the policy.
func (a *analysis) ingressSubjects(key string) (subj, others graph.Set) {
	others = graph.NewSet(a.nU)
	for _, t := range a.prog.Tiers {
		for _, l := range t.Policies {
			if !l.Applies[policy.Ingress] {
				continue
			}
			if l.Ref.Key() == key {
				if subj == nil {
					subj = graph.NewSet(a.nU)
				}
				subj.Or(a.subject(l))
				continue
			}
			others.Or(a.subject(l))
		}
	}
	return subj, others
}
