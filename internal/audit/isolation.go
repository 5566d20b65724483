package audit

import (
	"fmt"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
)

// isolation returns, per direction, the pod classes that are isolated:
// their own side of the flow (ingress at the destination, egress at the
// source) denies something. A class is not isolated when its side allows
// every endpoint and every address on every port: usually no policy
// selects it, but in Calico every tier may also pass its traffic on to
// the profile, and a policy may allow everything. The shadowing walk
// (see shadow.go) decides this while it evaluates the rules.
func (a *analysis) isolation() [2]graph.Set {
	a.walkAll()
	return a.restricted
}

// hasDenyAll reports whether the policy has, for direction d, an
// unconditional Deny rule that matches every flow of its subjects.
func (a *analysis) hasDenyAll(l *policy.Lowered, d policy.Direction) bool {
	for i := range l.Rules[d] {
		if a.isDenyAll(&l.Rules[d][i], d) {
			return true
		}
	}
	return false
}

func (a *analysis) isDenyAll(r *policy.Rule, d policy.Direction) bool {
	return a.matchesEverything(r, d, policy.ActionDeny)
}

// matchesEverything reports whether rule r of direction d has the given
// action and matches every flow of every subject of its policy:
// unconditional, any protocol and port, every remote entity.
func (a *analysis) matchesEverything(r *policy.Rule, d policy.Direction, action policy.Action) bool {
	if r.Action != action || r.Conditional != "" || r.Protocol != policy.AnyProtocol ||
		r.NotProtocol != policy.AnyProtocol || r.IPVersion != 0 || r.SkipFamily != [2]bool{} ||
		r.Dst.Ports != nil || r.Dst.NotPorts != nil || r.Src.Ports != nil || r.Src.NotPorts != nil {
		return false
	}
	local, remote := sides(r, d)
	if local.Peers != nil {
		return false
	}
	sets := a.entity(remote)
	return sets[0].Equal(a.familyAll(0)) && sets[1].Equal(a.familyAll(1))
}

// sides returns the local (subject) and remote side of a rule.
func sides(r *policy.Rule, d policy.Direction) (local, remote *policy.EntityMatch) {
	if d == policy.Ingress {
		return &r.Dst, &r.Src
	}
	return &r.Src, &r.Dst
}

// defaultDeny reports, per direction, whether namespace ns has a policy
// that isolates every pod it holds or will hold: walking the tiers in
// order, a policy whose subject is every pod of the namespace, in a tier
// whose default is Deny and where no policy passes traffic on, or with a
// deny-all rule. A tier that passes traffic on defers the question to the
// next tiers.
func (a *analysis) defaultDeny(ns string) (dd [2]bool) {
	n := a.snap.Namespace(ns)
	var nsLabels map[string]string
	if n != nil {
		nsLabels = n.Labels
		if a.calico {
			nsLabels = n.CalicoLabels()
		}
	}
	catchAll := func(l *policy.Lowered) bool {
		s := &l.Subject
		return s.Selector.IsAll() && s.ServiceAccountSelector == nil && (s.Namespace == "" || s.Namespace == ns) &&
			(s.NamespaceSelector == nil || policy.MatchNamespaceSelector(*s.NamespaceSelector, true, nsLabels))
	}
	for d := policy.Ingress; d <= policy.Egress; d++ {
	tiers:
		for _, t := range a.prog.Tiers {
			found, passes := false, false
			for _, l := range t.Policies {
				if !l.Applies[d] {
					continue
				}
				if catchAll(l) {
					if a.hasDenyAll(l, d) {
						dd[d] = true
						break tiers
					}
					found = true
				}
				for _, r := range l.Rules[d] {
					if r.Action == policy.ActionPass && (l.Subject.Namespace == "" || l.Subject.Namespace == ns) {
						passes = true
					}
				}
			}
			if found && t.DefaultAction == policy.ActionDeny && !passes {
				dd[d] = true
				break
			}
		}
	}
	return dd
}

// isolationFindings reports, per namespace and direction, the pods that
// are not isolated (NR001, NR002; those an allow-all rule voids are
// NR027's) and the namespaces without a default deny (NR003).
func (a *analysis) isolationFindings(iso, voided [2]graph.Set) []Finding {
	var out []Finding
	allowAll := [2][]allowAllRule{a.allowAllRules(policy.Ingress), a.allowAllRules(policy.Egress)}
	a.openByAllowAll = map[string][]string{}
	for _, ns := range a.namespaces {
		var pods, open [2][]int
		var anyOpen [2]bool // voided pods included
		for c := range a.nC {
			if a.rep[c] == nil || a.rep[c].Namespace != ns || !a.podNet.Has(c) {
				continue
			}
			for d := range 2 {
				pods[d] = append(pods[d], a.members[c]...)
				if !iso[d].Has(c) {
					anyOpen[d] = true
					if !voided[d].Has(c) {
						open[d] = append(open[d], a.members[c]...)
					}
				}
			}
		}
		if len(pods[0]) == 0 {
			continue
		}
		for d := policy.Ingress; d <= policy.Egress; d++ {
			if len(open[d]) == 0 {
				continue
			}
			kind, remedy := IngressNotIsolated, fmt.Sprintf("Add a NetworkPolicy to %s with podSelector: {} and policyTypes: [Ingress], then allow the ingress the pods need.", ns)
			if d == policy.Egress {
				kind, remedy = EgressNotIsolated, fmt.Sprintf("Add a NetworkPolicy to %s with podSelector: {} and policyTypes: [Egress], then allow DNS and the egress the pods need.", ns)
			}
			rules, all := a.openedBy(allowAll[d], open[d])
			if len(rules) > 0 {
				// A default deny adds nothing to an allow-all rule
				// (policies add up): the rule is what to change, as
				// for NR027.
				a.openByAllowAll[allowAllKey(kind, ns)] = ruleNames(rules)
				narrow := narrowRemedy(rules)
				if all {
					remedy = narrow
				} else {
					remedy = "For the pods no policy selects: " + lowerFirst(remedy) + " For the others: " + lowerFirst(narrow)
				}
			}
			f := newFinding(kind, ns, fmt.Sprintf("%s of %d in namespace %s %s not isolated for %s: %s",
				countOf(len(open[d]), "pod"), len(pods[d]), ns, isAre(len(open[d])), d, a.entryList(open[d], 5)), remedy)
			for _, r := range rules {
				if !hasRef(f.Objects, r.policy) {
					f.Objects = append(f.Objects, r.policy)
				}
			}
			f.Objects = append(f.Objects, a.endpointRefs(open[d])...)
			a.locateAtNamespace(&f, ns)
			if all && len(rules) == 1 {
				f.Location = rules[0].ref.Source
				f.Rule = ruleRef(rules[0].ref)
			}
			out = append(out, f)
		}
		// A namespace whose pods are not (all) isolated in a direction is
		// NR001's or NR002's, with the same remedy: NR003 is for the
		// namespaces whose pods are isolated today, while a pod deployed
		// there tomorrow would not be.
		dd := a.defaultDeny(ns)
		var missing []string
		for d := policy.Ingress; d <= policy.Egress; d++ {
			if !dd[d] && !anyOpen[d] {
				missing = append(missing, d.String())
			}
		}
		if len(missing) > 0 {
			types := "Ingress, Egress"
			what := "ingress or egress"
			if len(missing) == 1 {
				types = capitalize(missing[0])
				what = missing[0]
			}
			f := newFinding(NoDefaultDeny, ns, fmt.Sprintf("namespace %s has no default-deny policy for %s: its pods are isolated today, but a new pod that the current policies do not select would start unprotected", ns, what),
				fmt.Sprintf("Add a NetworkPolicy to %s with podSelector: {}, policyTypes: [%s] and no rules.", ns, types))
			if n := a.snap.Namespace(ns); n != nil {
				f.Objects = []policy.ObjectRef{n.ObjectRef}
				f.Location = n.Source
			}
			f.Affected = int64(len(pods[0]))
			out = append(out, f)
		}
	}
	return out
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// locateAtNamespace locates a finding whose remedy adds something to
// namespace ns at the namespace, when the input declares it: that is
// where the missing policy goes.
func (a *analysis) locateAtNamespace(f *Finding, ns string) {
	if n := a.snap.Namespace(ns); n != nil && n.Source.IsValid() {
		f.Location = n.Source
	}
}

// allowAllRule is a rule that allows every peer on every port, with the
// classes of the policy it belongs to.
type allowAllRule struct {
	ref     policy.RuleRef
	policy  policy.ObjectRef
	subject graph.Set
}

// allowAllRules returns the allow-all rules of direction d, in the order
// of the tiers.
func (a *analysis) allowAllRules(d policy.Direction) []allowAllRule {
	var out []allowAllRule
	for _, t := range a.prog.Tiers {
		for _, l := range t.Policies {
			if !l.Applies[d] {
				continue
			}
			for ri := range l.Rules[d] {
				if r := &l.Rules[d][ri]; a.matchesEverything(r, d, policy.ActionAllow) {
					out = append(out, allowAllRule{ref: r.Ref, policy: l.Ref, subject: a.subject(l)})
				}
			}
		}
	}
	return out
}

// openedBy returns the allow-all rules that apply to some of the entries
// (pods not isolated in their direction), and whether every entry has
// one: the pods a policy selects that are still open because one of its
// rules allows everything.
func (a *analysis) openedBy(rules []allowAllRule, entries []int) (hit []allowAllRule, all bool) {
	if len(rules) == 0 {
		return nil, false
	}
	used := make([]bool, len(rules))
	all = true
	for _, e := range entries {
		c := a.classOf[e]
		found := false
		for i, r := range rules {
			if r.subject.Has(c) {
				used[i], found = true, true
			}
		}
		all = all && found
	}
	for i, r := range rules {
		if used[i] {
			hit = append(hit, r)
		}
	}
	return hit, all && len(hit) > 0
}

// narrowRemedy is the remedy for pods an allow-all rule leaves open, the
// same as NR027's.
func narrowRemedy(rules []allowAllRule) string {
	names := ruleNames(rules)
	it := "it"
	if len(names) > 1 {
		it = "them"
	}
	return fmt.Sprintf("Narrow %s to the peers and ports the pods need, or delete %s: a default deny would not help, since NetworkPolicies add up and an allow-all rule allows everything whatever else denies.",
		joinMore(names[:min(len(names), 3)], len(names)), it)
}

func ruleNames(rules []allowAllRule) []string {
	out := make([]string, len(rules))
	for i, r := range rules {
		out[i] = ruleName(r.ref)
	}
	return out
}

// allowAllKey keys analysis.openByAllowAll.
func allowAllKey(k Kind, ns string) string { return string(k) + "\x00" + ns }

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]-'A'+'a') + s[1:]
}
