package audit

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Risk is one entry of a report's ranked list of top risks: findings of
// one kind grouped by what a reviewer would fix at once — a tenant pair
// (cross-tenant flows), a policy (its rules' mistakes), or the kind's
// one remedy applied to every namespace that needs it ("no default deny
// in 87 namespaces").
type Risk struct {
	// Rank is the 1-based position in the list.
	Rank int `json:"rank"`
	// Kind is the finding kind's ID ("NR005").
	Kind     string   `json:"kind"`
	Title    string   `json:"title"`
	Severity Severity `json:"severity"`
	// Score is the severity's weight times Affected; see [RiskScore].
	Score float64 `json:"score"`
	// Affected counts what the risk reaches: allowed pod pairs for flow
	// findings, endpoints for the others.
	Affected int64 `json:"affected"`
	// Scope says what the entry groups: "tenant a → tenant b", "policy
	// NetworkPolicy shop/web", "87 namespaces".
	Scope string `json:"scope"`
	// Findings are indexes into the report's Findings.
	Findings []int `json:"findings"`
}

// maxRisks bounds the top-risks list; every finding stays in the
// report's findings.
const maxRisks = 20

// severityWeight is the factor of a severity in a risk's score: each
// step is worth ten times the one below, so that severity orders the list
// unless the affected counts differ by an order of magnitude or more.
var severityWeight = [...]float64{Info: 1, Low: 10, Medium: 100, High: 1000, Critical: 10000}

// RiskScore returns the score of a risk of severity s reaching affected
// pod pairs or endpoints: the severity's weight (1 for info, 10 for low,
// 100 for medium, 1,000 for high, 10,000 for critical) times affected (at
// least 1).
func RiskScore(s Severity, affected int64) float64 {
	if affected < 1 {
		affected = 1
	}
	w := 1.0
	if int(s) < len(severityWeight) {
		w = severityWeight[s]
	}
	return w * float64(affected)
}

// riskGroup is a risk being built.
type riskGroup struct {
	kind     Kind
	severity Severity
	scope    string
	affected int64
	findings []int
	units    map[string]bool // namespaces, for scopes counted in namespaces
}

// topRisks groups the (sorted) findings into ranked risks: cross-tenant
// flows by ordered tenant pair, shadowed rules by the policy that shadows
// them, other findings about a policy's rules by policy and kind, the per-namespace kinds (isolation, default deny,
// egress to the internet, DNS, blast radius…) by kind with the namespaces
// they concern, and anything else one finding per risk. Info findings are
// context and are left out.
func (a *analysis) topRisks(fs []Finding) []Risk {
	var groups []*riskGroup
	index := map[string]*riskGroup{}
	get := func(key string, k Kind, s Severity, scope string) *riskGroup {
		if g, ok := index[key]; ok {
			if s > g.severity {
				g.severity = s
			}
			return g
		}
		g := &riskGroup{kind: k, severity: s, scope: scope, units: map[string]bool{}}
		index[key] = g
		groups = append(groups, g)
		return g
	}
	for i := range fs {
		f := &fs[i]
		if f.Severity == Info {
			continue
		}
		switch {
		case f.Kind == CrossTenant:
			from, to := a.tenantPair(f)
			g := get(string(f.Kind)+"\x00"+from+"\x00"+to, f.Kind, f.Severity, "tenant "+from+" → tenant "+to)
			g.affected += f.Affected
			g.findings = append(g.findings, i)
		case f.Kind == RuleShadowed && len(f.Objects) > 1:
			// The fix is usually at the rule that shadows: group the
			// rules one policy shadows.
			by := f.Objects[1]
			g := get(string(f.Kind)+"\x00by\x00"+by.Key(), f.Kind, f.Severity, "rules shadowed by "+by.String())
			g.affected = min(g.affected+f.Affected, int64(a.nE))
			g.findings = append(g.findings, i)
		case f.Rule != nil || isPolicyKind(f):
			ref := f.Objects[0]
			g := get(string(f.Kind)+"\x00"+ref.Key(), f.Kind, f.Severity, "policy "+ref.String())
			g.affected = max(g.affected, f.Affected)
			g.findings = append(g.findings, i)
		case f.Namespace != "" || len(f.Namespaces) > 0:
			g := get(string(f.Kind)+"\x00ns", f.Kind, f.Severity, "")
			g.affected += f.Affected
			g.findings = append(g.findings, i)
			if f.Namespace != "" {
				g.units[f.Namespace] = true
			}
			for _, ns := range f.Namespaces {
				g.units[ns] = true
			}
		default:
			scope := "cluster"
			if l := f.PrimaryLocation(); l.IsValid() {
				scope = l.String()
			}
			g := get(fmt.Sprintf("%s\x00#%d", f.Kind, i), f.Kind, f.Severity, scope)
			g.affected = f.Affected
			g.findings = append(g.findings, i)
		}
	}
	out := make([]Risk, 0, len(groups))
	for _, g := range groups {
		scope := g.scope
		if scope == "" {
			scope = countOf(len(g.units), "namespace")
			if len(g.units) <= 3 {
				scope = strings.Join(slices.Sorted(mapsKeys(g.units)), ", ")
			}
		}
		info := g.kind.Info()
		out = append(out, Risk{Kind: info.ID, Title: info.Title, Severity: g.severity, Score: RiskScore(g.severity, g.affected),
			Affected: max(g.affected, 1), Scope: scope, Findings: g.findings})
	}
	slices.SortStableFunc(out, func(x, y Risk) int {
		if c := cmp.Compare(y.Score, x.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(y.Severity, x.Severity); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Kind, y.Kind); c != 0 {
			return c
		}
		return cmp.Compare(x.Scope, y.Scope)
	})
	out = out[:min(len(out), maxRisks)]
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}

// isPolicyKind reports whether a finding is about a policy (its first
// object), rather than about pods or namespaces.
func isPolicyKind(f *Finding) bool {
	if len(f.Objects) == 0 {
		return false
	}
	k := f.Objects[0].Kind
	return strings.HasSuffix(k, "NetworkPolicy") || strings.HasSuffix(k, "Policy") && k != "Pod"
}

// tenantPair returns the ordered tenant pair of a cross-tenant finding:
// its namespaces list a source first and a destination last.
func (a *analysis) tenantPair(f *Finding) (from, to string) {
	if len(f.Namespaces) == 0 {
		return "", ""
	}
	return a.tenant(f.Namespaces[0]), a.tenant(f.Namespaces[len(f.Namespaces)-1])
}

// fillAffected sets each finding's Affected where its generator left it
// zero: the endpoints among its objects, or the endpoints its policy
// applies to.
func (a *analysis) fillAffected(fs []Finding) {
	subjects := map[string]int64{}
	for _, t := range a.prog.Tiers {
		for _, l := range t.Policies {
			n := int64(0)
			for c := range a.subject(l).All() {
				if c < a.nC {
					n += int64(len(a.members[c]))
				}
			}
			subjects[l.Ref.Key()] = max(subjects[l.Ref.Key()], n)
		}
	}
	for i := range fs {
		f := &fs[i]
		if f.Affected > 0 {
			continue
		}
		var n int64
		for _, o := range f.Objects {
			if isEndpointKind(o.Kind) {
				n++
			}
		}
		if n == 0 && len(f.Objects) > 0 {
			n = subjects[f.Objects[0].Key()]
		}
		f.Affected = n
	}
}

func isEndpointKind(k string) bool {
	switch k {
	case "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController", "HostEndpoint", "WorkloadEndpoint":
		return true
	}
	return false
}
