package audit

import (
	"fmt"
	"slices"
	"strings"
)

// The per-namespace kinds have one remedy, applied to every namespace
// that needs it: their findings are generated per namespace (so waivers
// can name a namespace) and then merged into one finding per kind (per
// ordered tenant pair for cross-tenant flows) that lists the namespaces.
// A group of one keeps its per-namespace finding.

// maxItems bounds the namespaces (or endpoints) a merged message names;
// Namespaces and Objects list them all.
const maxItems = 8

// merger merges the per-namespace findings of one kind.
type merger struct {
	// group returns the key of the merged finding a per-namespace one
	// belongs to; nil means one merged finding per kind.
	group func(a *analysis, f *Finding) string
	// item describes one per-namespace finding in the merged message.
	item func(a *analysis, f *Finding) string
	// text returns the merged message's head (before the list of items)
	// and its remedy.
	text func(a *analysis, fs []Finding, group string) (head, remedy string)
}

var mergers = map[Kind]merger{
	IngressNotIsolated: {item: podsItem, text: func(a *analysis, fs []Finding, _ string) (string, string) {
		return fmt.Sprintf("%s in %s %s not isolated for ingress", countOf(int(sumAffected(fs)), "pod"), countOf(len(fs), "namespace"), isAre(int(sumAffected(fs)))),
			a.notIsolatedRemedy(fs, "Add a NetworkPolicy with podSelector: {} and policyTypes: [Ingress] to each of these namespaces, then allow the ingress the pods need.")
	}},
	EgressNotIsolated: {item: podsItem, text: func(a *analysis, fs []Finding, _ string) (string, string) {
		return fmt.Sprintf("%s in %s %s not isolated for egress", countOf(int(sumAffected(fs)), "pod"), countOf(len(fs), "namespace"), isAre(int(sumAffected(fs)))),
			a.notIsolatedRemedy(fs, "Add a NetworkPolicy with podSelector: {} and policyTypes: [Egress] to each of these namespaces, then allow DNS and the egress the pods need.")
	}},
	NoDefaultDeny: {item: func(a *analysis, f *Finding) string {
		_, what, _ := strings.Cut(f.Message, "no default-deny policy for ")
		what, _, _ = strings.Cut(what, ":")
		return f.Namespace + " (" + what + ")"
	}, text: func(a *analysis, fs []Finding, _ string) (string, string) {
		return fmt.Sprintf("%d namespaces have no default-deny policy", len(fs)),
			"Add a NetworkPolicy with podSelector: {}, the missing policyTypes and no rules to each of these namespaces."
	}},
	EgressInternet: {item: podsItem, text: func(a *analysis, fs []Finding, _ string) (string, string) {
		return fmt.Sprintf("%s in %s can open connections to the internet", countOf(int(sumAffected(fs)), "pod"), countOf(len(fs), "namespace")),
			"Restrict the egress of each of these namespaces to the addresses its pods need (or an egress gateway) instead of any address."
	}},
	IngressExternal: {item: podsItem, text: func(a *analysis, fs []Finding, _ string) (string, string) {
		from := "addresses outside the cluster"
		for _, f := range fs {
			if strings.Contains(f.Message, "from the internet") {
				from = "the internet"
			}
		}
		n := int(sumAffected(fs))
		return fmt.Sprintf("%s in %s %s connections from %s", countOf(n, "pod"), countOf(len(fs), "namespace"), verbS(n, "accept"), from),
			"Allow ingress to each of these namespaces only from the namespaces and load-balancer ranges that need it."
	}},
	BlastRadius: {item: func(a *analysis, f *Finding) string {
		// The per-class message reads "who can reach n of m other
		// endpoints (p%) by moving…".
		who, rest, _ := strings.Cut(f.Message, " can reach ")
		_, pct, _ := strings.Cut(rest, "(")
		pct, _, _ = strings.Cut(pct, ")")
		return who + " (" + pct + ")"
	}, text: func(a *analysis, fs []Finding, _ string) (string, string) {
		return fmt.Sprintf("%s can each reach at least %.0f%% of the other endpoints by moving from pod to pod", countOf(len(fs), "endpoint group"), 100*a.opts.BlastRadiusShare),
			"Isolate these endpoints' namespaces (default deny both ways) and allow only the flows they need, so that one compromised pod cannot reach most of the cluster."
	}},
	CrossTenant: {group: func(a *analysis, f *Finding) string {
		// Namespaces holds the source, then the destinations (of one
		// tenant).
		return a.tenant(f.Namespace) + " → " + a.tenant(f.Namespaces[len(f.Namespaces)-1])
	}, item: func(a *analysis, f *Finding) string {
		_, dsts, _ := strings.Cut(f.Message, ": ")
		return f.Namespace + " → " + dsts
	}, text: func(a *analysis, fs []Finding, group string) (string, string) {
		from, to, _ := strings.Cut(group, " → ")
		return fmt.Sprintf("pods of tenant %s (%s) can connect to tenant %s (%s)", from, countOf(len(fs), "namespace"), to, countOf(int(sumAffected(fs)), "pod pair")),
			fmt.Sprintf("Allow egress from tenant %s's namespaces only to namespaces with %s=%s, and ingress to tenant %s's namespaces only from %s=%s.",
				from, a.opts.TenantLabel, from, to, a.opts.TenantLabel, to)
	}},
	CrossNamespace: {item: func(a *analysis, f *Finding) string {
		_, dsts, _ := strings.Cut(f.Message, ": ")
		return f.Namespace + " → " + dsts
	}, text: func(a *analysis, fs []Finding, _ string) (string, string) {
		return fmt.Sprintf("pods of %s can connect to other namespaces of their tenant or without a tenant (%s)", countOf(len(fs), "namespace"), countOf(int(sumAffected(fs)), "pod pair")),
			"Confirm these flows are intended; otherwise narrow the rules that allow them, or list shared namespaces with --shared."
	}},
}

func sumAffected(fs []Finding) int64 {
	var n int64
	for _, f := range fs {
		n += f.Affected
	}
	return n
}

// podsItem names a namespace and its pods a finding lists.
func podsItem(a *analysis, f *Finding) string {
	names := make([]string, 0, 3)
	n := 0
	for _, o := range f.Objects {
		if isEndpointKind(o.Kind) {
			if len(names) < 3 {
				names = append(names, o.Name)
			}
			n++
		}
	}
	return fmt.Sprintf("%s (%s)", f.Namespace, joinMore(names, n))
}

// groupKey returns the kind and group of a finding's merged finding, and
// whether its kind merges at all.
func (a *analysis) groupKey(f *Finding) (string, bool) {
	m, ok := mergers[f.Kind]
	if !ok || f.Namespace == "" {
		return "", false
	}
	g := ""
	if m.group != nil {
		g = m.group(a, f)
	}
	return g, true
}

// merge merges the per-namespace findings of the merging kinds into one
// finding per kind and group, keeping the others as they are. The merged
// finding takes the place of the group's first finding.
func (a *analysis) merge(fs []Finding) []Finding {
	type group struct {
		first   int
		members []Finding
	}
	groups := map[string]*group{}
	for i := range fs {
		g, ok := a.groupKey(&fs[i])
		if !ok {
			continue
		}
		k := string(fs[i].Kind) + "\x00" + g
		if groups[k] == nil {
			groups[k] = &group{first: i}
		}
		groups[k].members = append(groups[k].members, fs[i])
	}
	out := make([]Finding, 0, len(fs))
	for i := range fs {
		g, ok := a.groupKey(&fs[i])
		if !ok {
			out = append(out, fs[i])
			continue
		}
		grp := groups[string(fs[i].Kind)+"\x00"+g]
		if grp.first != i {
			continue
		}
		if len(grp.members) == 1 {
			f := fs[i]
			if f.Namespaces == nil {
				f.Namespaces = []string{f.Namespace}
			}
			out = append(out, f)
			continue
		}
		out = append(out, a.merged(grp.members, g))
	}
	return out
}

// merged builds the finding that stands for several per-namespace
// findings of one kind and group.
func (a *analysis) merged(fs []Finding, group string) Finding {
	m := mergers[fs[0].Kind]
	slices.SortStableFunc(fs, func(x, y Finding) int { return strings.Compare(x.Namespace, y.Namespace) })
	head, remedy := m.text(a, fs, group)
	items := make([]string, 0, min(len(fs), maxItems))
	for i := range fs[:min(len(fs), maxItems)] {
		items = append(items, m.item(a, &fs[i]))
	}
	f := newFinding(fs[0].Kind, "", head+": "+joinMore(items, len(fs)), remedy)
	f.Severity = fs[0].Severity
	// The group shares one fingerprint (see fingerprints) and, for
	// waived findings, the first one's waiver.
	f.Fingerprint, f.Waiver = fs[0].Fingerprint, fs[0].Waiver
	seen := map[string]bool{}
	// Sources first, then the other namespaces the findings name
	// (destinations of flows, of one tenant for cross-tenant flows).
	for _, x := range fs {
		f.Namespaces = append(f.Namespaces, x.Namespace)
	}
	for _, x := range fs {
		for _, ns := range x.Namespaces {
			if !slices.Contains(f.Namespaces, ns) {
				f.Namespaces = append(f.Namespaces, ns)
			}
		}
	}
	// The namespaces that need the remedy come first.
	for _, ns := range f.Namespaces {
		if n := a.snap.Namespace(ns); n != nil {
			seen[n.Key()] = true
			f.Objects = append(f.Objects, n.ObjectRef)
		}
	}
	for _, x := range fs {
		f.Affected += x.Affected
		for _, o := range x.Objects {
			if !seen[o.Key()] {
				seen[o.Key()] = true
				f.Objects = append(f.Objects, o)
			}
		}
		if len(f.Evidence) < 2 && len(x.Evidence) > 0 {
			f.Evidence = append(f.Evidence, x.Evidence[0])
		}
	}
	return f
}

// notIsolatedRemedy is the remedy of a merged NR001 or NR002: add a
// default deny, except where an allow-all rule leaves the pods open,
// which a default deny would not close (see isolationFindings).
func (a *analysis) notIsolatedRemedy(fs []Finding, deny string) string {
	var nss, rules []string
	for _, f := range fs {
		if r := a.openByAllowAll[allowAllKey(f.Kind, f.Namespace)]; len(r) > 0 {
			nss = append(nss, f.Namespace)
			for _, x := range r {
				if !slices.Contains(rules, x) {
					rules = append(rules, x)
				}
			}
		}
	}
	if len(nss) == 0 {
		return deny
	}
	narrow := fmt.Sprintf("In %s, pods are open because %s allows everything: narrow it to the peers and ports the pods need, or delete it; a default deny would not help there, since NetworkPolicies add up.",
		joinMore(nss[:min(len(nss), maxItems)], len(nss)), joinMore(rules[:min(len(rules), 3)], len(rules)))
	if len(nss) == len(fs) {
		return narrow
	}
	return narrow + " In the other namespaces: " + lowerFirst(strings.Replace(deny, "each of these namespaces", "each of them", 1))
}
