package policy

import (
	"fmt"
	"math"
	"sort"

	"github.com/netreach/netreach/internal/policy/calicov3"
)

// CalicoVersion selects which objects a Calico cluster understands
// [docs/semantics.md §5.1]. The zero value is the latest profile, 3.32 and later.
type CalicoVersion uint8

// Calico version profiles.
const (
	// Calico332 (3.32 and later): tiers, ClusterNetworkPolicy in the
	// kube-admin and kube-baseline tiers; AdminNetworkPolicy and
	// BaselineAdminNetworkPolicy are ignored.
	Calico332 CalicoVersion = iota
	// CalicoPre329 (before 3.29, open source): one implicit tier; Tier
	// objects, tiers of policies and every cluster-wide policy are ignored.
	CalicoPre329
	// Calico329: tiers with defaultAction; AdminNetworkPolicy in the
	// adminnetworkpolicy tier.
	Calico329
	// Calico330 (3.30 and 3.31): as 3.29, plus BaselineAdminNetworkPolicy
	// in the baselineadminnetworkpolicy tier.
	Calico330
)

// String returns "3.32+", "pre-3.29", "3.29" or "3.30-3.31".
func (v CalicoVersion) String() string {
	switch v {
	case CalicoPre329:
		return "pre-3.29"
	case Calico329:
		return "3.29"
	case Calico330:
		return "3.30-3.31"
	}
	return "3.32+"
}

// ParseCalicoVersion reads a Calico version ("3.28", "3.29.2", "3.31",
// "3.32", "latest") and returns its profile.
func ParseCalicoVersion(s string) (CalicoVersion, error) {
	switch s {
	case "", "latest", "3.32+":
		return Calico332, nil
	case "pre-3.29":
		return CalicoPre329, nil
	case "3.30-3.31":
		return Calico330, nil
	}
	var major, minor int
	if _, err := fmt.Sscanf(s, "%d.%d", &major, &minor); err != nil || major != 3 {
		return 0, fmt.Errorf("invalid Calico version %q: expected 3.N such as 3.29 or 3.32, or latest", s)
	}
	switch {
	case minor < 29:
		return CalicoPre329, nil
	case minor == 29:
		return Calico329, nil
	case minor <= 31:
		return Calico330, nil
	}
	return Calico332, nil
}

// StagedView says how Calico staged policies take part [docs/semantics.md §3.8].
type StagedView uint8

// Staged views.
const (
	// StagedEnforced ignores staged policies: what the cluster enforces.
	StagedEnforced StagedView = iota
	// StagedPending is Calico's own preview: staged policies (but Delete)
	// are evaluated alongside the enforced ones as if enforced.
	StagedPending
	// StagedPromote is the what-if of promoting every staged policy: Set
	// replaces (or creates) the enforced policy of the same kind, namespace
	// and name; Delete removes it.
	StagedPromote
)

// String returns "enforced", "calico-pending" or "promote".
func (v StagedView) String() string {
	switch v {
	case StagedPending:
		return "calico-pending"
	case StagedPromote:
		return "promote"
	}
	return "enforced"
}

// ParseStagedView reads "enforced", "calico-pending" or "promote".
func ParseStagedView(s string) (StagedView, error) {
	switch s {
	case "", "enforced":
		return StagedEnforced, nil
	case "calico-pending", "pending":
		return StagedPending, nil
	case "promote":
		return StagedPromote, nil
	}
	return 0, fmt.Errorf("invalid staged view %q: expected enforced, calico-pending or promote", s)
}

// HasStaged reports whether the snapshot holds staged policies.
func (s *Snapshot) HasStaged() bool {
	for _, p := range s.Calico.Policies {
		if p.Staged {
			return true
		}
	}
	return len(s.Calico.StagedKubernetes) > 0
}

// WithStagedView returns the snapshot as the view sees it: staged policies
// removed, or turned into enforced ones. The result shares everything else
// with s. Without staged policies, s itself is returned.
func (s *Snapshot) WithStagedView(v StagedView) (*Snapshot, Diagnostics) {
	if !s.HasStaged() {
		return s, nil
	}
	out := *s
	out.src = nil // With and Without rebuild from the loaded objects, not from this view
	out.Calico.Policies = nil
	out.Calico.StagedKubernetes = nil
	out.NetworkPolicies = append([]*NetworkPolicy(nil), s.NetworkPolicies...)
	var diags Diagnostics
	for _, p := range s.Calico.Policies {
		if !p.Staged {
			out.Calico.Policies = append(out.Calico.Policies, p)
		}
	}
	if v == StagedEnforced {
		return &out, nil
	}
	note := func(ref ObjectRef, a calicov3.StagedAction) {
		if a == calicov3.StagedActionLearn || a == calicov3.StagedActionIgnore {
			diags = append(diags, Diagnostic{Severity: Info, Location: ref.Source, Kind: ref.Kind, Namespace: ref.Namespace, Name: ref.Name,
				Msg: fmt.Sprintf("stagedAction %s is a policy-recommendation marker; treated like Set", a)})
		}
	}
	for _, p := range s.Calico.Policies {
		if !p.Staged {
			continue
		}
		note(p.ObjectRef, p.StagedAction)
		enforcedKind := calicov3.KindNetworkPolicy
		if p.Global {
			enforcedKind = calicov3.KindGlobalNetworkPolicy
		}
		if v == StagedPromote {
			out.Calico.Policies = removeCalico(out.Calico.Policies, enforcedKind, p.Namespace, p.Name)
		}
		if p.StagedAction == calicov3.StagedActionDelete {
			continue
		}
		q := *p
		q.Staged = false
		if v == StagedPromote {
			q.Kind = enforcedKind
		}
		out.Calico.Policies = append(out.Calico.Policies, &q)
	}
	for _, p := range s.Calico.StagedKubernetes {
		note(p.ObjectRef, p.StagedAction)
		if v == StagedPromote {
			out.NetworkPolicies = removeKube(out.NetworkPolicies, p.Namespace, p.Name)
		}
		if p.StagedAction == calicov3.StagedActionDelete {
			continue
		}
		np := *p.NetworkPolicy
		if v == StagedPromote {
			np.Kind, np.Group = "NetworkPolicy", ""
		}
		out.NetworkPolicies = append(out.NetworkPolicies, &np)
	}
	sortRefs(out.NetworkPolicies)
	sortRefs(out.Calico.Policies)
	return &out, diags
}

func removeCalico(ps []*CalicoPolicy, kind, ns, name string) []*CalicoPolicy {
	out := ps[:0:0]
	for _, p := range ps {
		if !(p.Kind == kind && p.Namespace == ns && p.Name == name) {
			out = append(out, p)
		}
	}
	return out
}

func removeKube(ps []*NetworkPolicy, ns, name string) []*NetworkPolicy {
	out := ps[:0:0]
	for _, p := range ps {
		if !(p.Group == "" && p.Namespace == ns && p.Name == name) {
			out = append(out, p)
		}
	}
	return out
}

// PlanTier is one Calico tier of a [CalicoPlan], with its members in
// evaluation order.
type PlanTier struct {
	Name string
	// Order is nil for tiers without order (sorted after ordered ones).
	Order *float64
	// DefaultAction is ActionDeny or ActionPass.
	DefaultAction Action
	// Defined is false for a tier that policies name but no Tier object
	// declares.
	Defined bool
	Members []PlanMember
}

// PlanMember is one policy of a tier: exactly one of Calico, Kube and
// Admin is set.
type PlanMember struct {
	Calico *CalicoPolicy
	Kube   *NetworkPolicy
	Admin  *AdminPolicy
	// Order is the effective order within the tier (nil: last).
	Order *float64
	// SortName breaks ties of Order, as the Calico version does.
	SortName string
}

// Ref returns the member's object reference.
func (m PlanMember) Ref() ObjectRef {
	switch {
	case m.Calico != nil:
		return m.Calico.ObjectRef
	case m.Kube != nil:
		return m.Kube.ObjectRef
	}
	return m.Admin.ObjectRef
}

// CalicoPlan returns the tiers a Calico cluster of version v evaluates, in
// order, each with its policies in order [docs/semantics.md §3.6, 3.7, 5.1]:
// tiers by order (absent last), then name, with tiers that only policies
// name after all declared ones; policies by order (absent last), then the
// version's tie-break name. Kubernetes NetworkPolicies sit in the default
// tier at order 1000; AdminNetworkPolicies, BaselineAdminNetworkPolicies
// and ClusterNetworkPolicies in their built-in tiers as the version does.
// Diagnostics report ignored objects and order ties.
func (s *Snapshot) CalicoPlan(v CalicoVersion) ([]*PlanTier, Diagnostics) {
	return s.calicoPlan(v, planNormal)
}

// CalicoHostPlan returns the tiers of the policies that act only on host
// endpoints, in the order of [Snapshot.CalicoPlan]: the doNotTrack
// (untracked) ones and the preDNAT ones [docs/calico-host-endpoints.md §3].
// Tiers without such a policy are left out.
func (s *Snapshot) CalicoHostPlan(v CalicoVersion) (untracked, preDNAT []*PlanTier) {
	keep := func(ts []*PlanTier) []*PlanTier {
		var out []*PlanTier
		for _, t := range ts {
			if len(t.Members) > 0 {
				out = append(out, t)
			}
		}
		return out
	}
	u, _ := s.calicoPlan(v, planUntracked)
	p, _ := s.calicoPlan(v, planPreDNAT)
	return keep(u), keep(p)
}

// planKind says which policies a plan holds.
type planKind uint8

const (
	planNormal    planKind = iota // every policy but doNotTrack and preDNAT ones
	planUntracked                 // doNotTrack GlobalNetworkPolicies
	planPreDNAT                   // preDNAT GlobalNetworkPolicies
)

func (s *Snapshot) calicoPlan(v CalicoVersion, kind planKind) ([]*PlanTier, Diagnostics) {
	var diags Diagnostics
	warn := func(ref ObjectRef, format string, args ...any) {
		diags = append(diags, Diagnostic{Severity: Warning, Location: ref.Source, Kind: ref.Kind, Namespace: ref.Namespace, Name: ref.Name, Msg: fmt.Sprintf(format, args...)})
	}
	tiers := map[string]*PlanTier{}
	f := func(x float64) *float64 { return &x }
	tier := func(name string) *PlanTier {
		if t := tiers[name]; t != nil {
			return t
		}
		t := &PlanTier{Name: name, DefaultAction: ActionDeny}
		tiers[name] = t
		return t
	}
	def := tier(calicov3.DefaultTierName)
	def.Order, def.Defined = f(calicov3.DefaultTierOrder), true

	if v == CalicoPre329 {
		for _, t := range s.Calico.Tiers {
			if t.Name != calicov3.DefaultTierName {
				warn(t.ObjectRef, "Calico %s has no tiers: the Tier is ignored", v)
			}
		}
	} else {
		for _, t := range s.Calico.Tiers {
			pt := tier(t.Name)
			if t.Name == calicov3.DefaultTierName {
				continue // fixed: order 1,000,000, Deny
			}
			pt.Order, pt.DefaultAction, pt.Defined = t.Order, t.DefaultAction, true
		}
	}
	adminTier, baselineTier := "", ""
	switch v {
	case Calico329, Calico330:
		adminTier, baselineTier = "adminnetworkpolicy", "baselineadminnetworkpolicy"
	case Calico332:
		adminTier, baselineTier = calicov3.KubeAdminTierName, calicov3.KubeBaselineTierName
	}
	for _, name := range []string{adminTier, baselineTier} {
		if name == "" {
			continue
		}
		t := tier(name)
		t.DefaultAction, t.Defined = ActionPass, true
		t.Order = f(calicov3.KubeAdminTierOrder)
		if name == baselineTier {
			t.Order = f(calicov3.KubeBaselineTierOrder)
		}
	}

	for _, p := range s.Calico.Policies {
		if p.Staged {
			continue // views turn staged policies into enforced ones first
		}
		switch kind {
		case planNormal:
			if p.HostOnly {
				continue
			}
		case planUntracked:
			if !p.DoNotTrack {
				continue
			}
		case planPreDNAT:
			if !p.PreDNAT || p.DoNotTrack {
				continue
			}
		}
		name := p.Tier
		if v == CalicoPre329 && name != calicov3.DefaultTierName {
			warn(p.ObjectRef, "Calico %s has no tiers: the policy's tier %q is ignored and it is evaluated in the single tier", v, name)
			name = calicov3.DefaultTierName
		}
		t := tier(name)
		if !t.Defined && len(t.Members) == 0 {
			warn(p.ObjectRef, "tier %q is not declared: it is evaluated after every declared tier, with default action Deny", name)
		}
		t.Members = append(t.Members, PlanMember{Calico: p, Order: p.Order, SortName: calicoSortName(v, p.ObjectRef, p.Global, "")})
	}
	if kind != planNormal {
		return sortPlan(tiers, nil), nil
	}
	for _, np := range s.NetworkPolicies {
		def.Members = append(def.Members, PlanMember{Kube: np, Order: f(1000), SortName: calicoSortName(v, np.ObjectRef, false, "knp.default.")})
	}
	for _, ap := range s.Admin.Policies {
		var name, prefix string
		kind := ap.Kind
		switch {
		case kind == "ClusterNetworkPolicy" && v == Calico332:
			name = adminTier
			if ap.Tier == TierBaseline {
				name = baselineTier
			}
		case kind == "AdminNetworkPolicy" && (v == Calico329 || v == Calico330):
			name, prefix = adminTier, "kanp.adminnetworkpolicy."
		case kind == "BaselineAdminNetworkPolicy" && v == Calico330:
			name, prefix = baselineTier, "kbanp.baselineadminnetworkpolicy."
		default:
			warn(ap.ObjectRef, "Calico %s does not enforce %s: it is ignored (see --calico-version)", v, kind)
			continue
		}
		order := float64(ap.Priority)
		tier(name).Members = append(tier(name).Members, PlanMember{Admin: ap, Order: &order, SortName: calicoSortName(v, ap.ObjectRef, true, prefix)})
	}

	return sortPlan(tiers, warn), diags
}

// sortPlan sorts the members of each tier and the tiers; warn, when set,
// reports ties on order that change verdicts.
func sortPlan(tiers map[string]*PlanTier, warn func(ObjectRef, string, ...any)) []*PlanTier {
	var out []*PlanTier
	for _, t := range tiers {
		sort.SliceStable(t.Members, func(i, j int) bool { return memberLess(t.Members[i], t.Members[j]) })
		for i := 1; warn != nil && i < len(t.Members); i++ {
			a, b := t.Members[i-1], t.Members[i]
			if orderOf(a.Order) == orderOf(b.Order) && (hasNonAllow(a) || hasNonAllow(b)) {
				warn(b.Ref(), "same order as %s in tier %s: Calico breaks the tie by name (%q before %q), and the naming scheme changed in v3.32", a.Ref(), t.Name, a.SortName, b.SortName)
			}
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return tierLess(out[i], out[j]) })
	return out
}

// calicoSortName is the name Calico compares when orders are equal: from
// v3.32 "name/namespace/kind"; before, the internal key name, where
// Kubernetes and cluster-wide policies carry a prefix [docs/semantics.md §3.3].
func calicoSortName(v CalicoVersion, ref ObjectRef, global bool, legacyPrefix string) string {
	if v == Calico332 {
		kind := ref.Kind
		if ref.Group == "" && kind == "NetworkPolicy" {
			kind = "KubernetesNetworkPolicy"
		}
		return ref.Name + "/" + ref.Namespace + "/" + kind
	}
	name := legacyPrefix + ref.Name
	if global || ref.Namespace == "" {
		return name
	}
	return ref.Namespace + "/" + name
}

func orderOf(o *float64) float64 {
	if o == nil {
		return math.Inf(1)
	}
	return *o
}

func memberLess(a, b PlanMember) bool {
	if oa, ob := orderOf(a.Order), orderOf(b.Order); oa != ob {
		return oa < ob
	}
	return a.SortName < b.SortName
}

// tierLess orders tiers: declared tiers by order (absent last) then name,
// then undeclared tiers by name [C-SORT TierLess].
func tierLess(a, b *PlanTier) bool {
	if a.Defined != b.Defined {
		return a.Defined
	}
	if oa, ob := orderOf(a.Order), orderOf(b.Order); oa != ob {
		return oa < ob
	}
	return a.Name < b.Name
}

// hasNonAllow reports whether a member has Deny or Pass rules, which make
// its position relative to another policy matter.
func hasNonAllow(m PlanMember) bool {
	switch {
	case m.Calico != nil:
		for _, rs := range [][]CalicoRule{m.Calico.Ingress, m.Calico.Egress} {
			for _, r := range rs {
				if r.Action == ActionDeny || r.Action == ActionPass {
					return true
				}
			}
		}
	case m.Admin != nil:
		for _, rs := range [][]AdminRule{m.Admin.Ingress, m.Admin.Egress} {
			for _, r := range rs {
				if r.Action != ActionAllow {
					return true
				}
			}
		}
	}
	return false
}
