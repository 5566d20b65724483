package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
)

// IsolationVoided: pods a policy isolates, whose side of the connection
// still allows everything because a rule of a policy that applies to them
// allows every source (or destination) on every port.
const IsolationVoided Kind = "isolation-voided-by-allow-all"

func init() {
	registerKinds(KindInfo{"NR027", IsolationVoided, High, "Isolation voided by an allow-all rule",
		"Policies select these pods and isolate them (a default deny, or rules that allow only some flows), yet a rule of a policy that also applies to them allows every peer on every port. Kubernetes NetworkPolicies add up, so one allow-all rule makes every deny of that direction void: the pods are as open as if no policy selected them. A leftover debugging policy, or `ingress: [{}]` meant as a placeholder, is the usual cause.",
		"Narrow the allow-all rule to the peers and ports the pods need, or delete it."})
}

// voidedFindings reports, per allow-all rule, the pods that some policy
// selects for a direction but that are not isolated in it because the
// rule allows everything (NR027); it returns the classes it reported per
// direction, which the not-isolated findings leave out. A rule that
// decides nothing (an earlier tier decides first) voids nothing, as the
// isolation walk already says: only pods whose side allows everything
// count.
func (a *analysis) voidedFindings(iso [2]graph.Set) ([]Finding, [2]graph.Set) {
	var voided [2]graph.Set
	var out []Finding
	for d := policy.Ingress; d <= policy.Egress; d++ {
		voided[d] = graph.NewSet(a.nU)
		selected := graph.NewSet(a.nU)
		for _, t := range a.prog.Tiers {
			for _, l := range t.Policies {
				if l.Applies[d] {
					selected.Or(a.subject(l))
				}
			}
		}
		selected.AndNot(iso[d])
		selected.And(a.podNet)
		if selected.IsEmpty() {
			continue
		}
		for _, t := range a.prog.Tiers {
			for _, l := range t.Policies {
				if !l.Applies[d] {
					continue
				}
				for ri := range l.Rules[d] {
					r := &l.Rules[d][ri]
					if !a.matchesEverything(r, d, policy.ActionAllow) {
						continue
					}
					hit := graph.NewSet(a.nU)
					hit.CopyFrom(a.subject(l))
					hit.And(selected)
					hit.AndNot(voided[d])
					hit.And(a.selectedByOthers(l, d))
					if hit.IsEmpty() {
						continue
					}
					voided[d].Or(hit)
					out = append(out, a.voidedFinding(l, r, d, hit))
				}
			}
		}
	}
	return out, voided
}

// voidedFinding describes the pods hit whose isolation in direction d the
// allow-all rule r of policy l makes void, with the policies that
// isolate them otherwise.
func (a *analysis) voidedFinding(l *policy.Lowered, r *policy.Rule, d policy.Direction, hit graph.Set) Finding {
	pods := a.endpointsOf(hit)
	var isolating []policy.ObjectRef
	for _, t := range a.prog.Tiers {
		for _, o := range t.Policies {
			if o.Ref.Key() != l.Ref.Key() && o.Applies[d] && a.subject(o).Intersects(hit) && !hasRef(isolating, o.Ref) {
				isolating = append(isolating, o.Ref)
			}
		}
	}
	slices.SortFunc(isolating, func(x, y policy.ObjectRef) int { return strings.Compare(x.Key(), y.Key()) })
	peer := "every source"
	if d == policy.Egress {
		peer = "every destination"
	}
	names := make([]string, 0, min(len(isolating), 3))
	for _, o := range isolating[:min(len(isolating), 3)] {
		names = append(names, o.String())
	}
	by := joinMore(names, len(isolating))
	ns := l.Ref.Namespace
	if ns == "" && len(pods) > 0 {
		ns = a.m.Endpoint(pods[0]).Namespace
	}
	f := newFinding(IsolationVoided, ns, fmt.Sprintf("%s allows %s on every port to %s, so the %s isolation %s give them is void: %s",
		ruleName(r.Ref), peer, countOf(len(pods), "pod"), d, by, a.entryList(pods, 5)),
		fmt.Sprintf("Narrow %s to the peers and ports the pods need, or delete it.", ruleName(r.Ref)))
	f.Location = r.Ref.Source
	f.Rule = ruleRef(r.Ref)
	f.Objects = append(append([]policy.ObjectRef{l.Ref}, isolating...), a.endpointRefs(pods)...)
	f.Affected = int64(len(pods))
	return f
}

// selectedByOthers returns the classes a policy other than l applies to
// in direction d.
func (a *analysis) selectedByOthers(l *policy.Lowered, d policy.Direction) graph.Set {
	s := graph.NewSet(a.nU)
	for _, t := range a.prog.Tiers {
		for _, o := range t.Policies {
			if o.Ref.Key() != l.Ref.Key() && o.Applies[d] {
				s.Or(a.subject(o))
			}
		}
	}
	return s
}
