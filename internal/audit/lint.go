package audit

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/selector"
)

// evaluated returns the keys of the policies the program evaluates.
func (a *analysis) evaluated() map[string]bool {
	keys := map[string]bool{}
	for _, t := range a.prog.Tiers {
		for _, l := range t.Policies {
			keys[l.Ref.Key()] = true
		}
	}
	return keys
}

// isWide reports whether an allow rule's prefix is broader than the
// configured threshold of its family.
func (a *analysis) isWide(p netip.Prefix) bool {
	if p.Addr().Is4() {
		return p.Bits() < a.opts.WidePrefix
	}
	return p.Bits() < a.opts.WidePrefix6
}

// wideCIDRFindings reports allow rules whose CIDRs are broader than the
// threshold (NR007): Kubernetes ipBlock, cluster-wide networks, Calico
// nets on the remote side.
func (a *analysis) wideCIDRFindings() []Finding {
	keys := a.evaluated()
	var out []Finding
	add := func(ref policy.ObjectRef, d policy.Direction, idx int, loc policy.Location, wide []string) {
		if len(wide) == 0 {
			return
		}
		what := "egress to"
		if d == policy.Ingress {
			what = "ingress from"
		}
		f := newFinding(WideCIDR, ref.Namespace, fmt.Sprintf("%s %s rule %d allows %s %s", ref, d, idx, what, strings.Join(wide, ", ")),
			fmt.Sprintf("Replace %s with the narrow ranges the pods actually need (at least /%d for IPv4, /%d for IPv6).",
				strings.Join(wide, ", "), a.opts.WidePrefix, a.opts.WidePrefix6))
		f.Location = loc
		f.Rule = &RuleRef{Direction: d, Index: idx}
		f.Objects = []policy.ObjectRef{ref}
		out = append(out, f)
	}
	for _, np := range a.snap.NetworkPolicies {
		if !keys[np.Key()] {
			continue
		}
		for d := policy.Ingress; d <= policy.Egress; d++ {
			if !np.Applies(d) {
				continue
			}
			for i, peers := range kubePeers(np, d) {
				var wide []string
				for _, p := range peers {
					if p.IPBlock == nil {
						continue
					}
					if pfx, _, err := policy.ParseCIDR(p.IPBlock.CIDR); err == nil && a.isWide(pfx) {
						wide = append(wide, pfx.String())
					}
				}
				add(np.ObjectRef, d, i, np.RuleSource[policy.RuleKey{Dir: d, Index: i}], wide)
			}
		}
	}
	for _, ap := range a.snap.Admin.Policies {
		if !keys[ap.Key()] {
			continue
		}
		for d := policy.Ingress; d <= policy.Egress; d++ {
			for i, r := range ap.Rules(d) {
				if r.Action != policy.ActionAllow {
					continue
				}
				var wide []string
				for _, p := range r.Peers {
					for _, n := range p.Networks {
						if a.isWide(n) {
							wide = append(wide, n.String())
						}
					}
				}
				add(ap.ObjectRef, d, i, r.Source, wide)
			}
		}
	}
	for _, cp := range a.snap.Calico.Policies {
		if !keys[cp.Key()] {
			continue
		}
		for d := policy.Ingress; d <= policy.Egress; d++ {
			if !cp.Types[d] {
				continue
			}
			for i, r := range cp.Rules(d) {
				if r.Action != policy.ActionAllow || r.Invalid {
					continue
				}
				remote := &r.Destination
				if d == policy.Ingress {
					remote = &r.Source
				}
				var wide []string
				for _, n := range remote.Nets {
					if a.isWide(n) {
						wide = append(wide, n.String())
					}
				}
				add(cp.ObjectRef, d, i, r.Loc, wide)
			}
		}
	}
	return out
}

// kubePeers returns the peer lists of a NetworkPolicy's rules of one
// direction.
func kubePeers(np *policy.NetworkPolicy, d policy.Direction) [][]networkingv1.NetworkPolicyPeer {
	var out [][]networkingv1.NetworkPolicyPeer
	if d == policy.Ingress {
		for _, r := range np.Spec.Ingress {
			out = append(out, r.From)
		}
	} else {
		for _, r := range np.Spec.Egress {
			out = append(out, r.To)
		}
	}
	return out
}

// selectsNothingFindings reports policies whose subject matches no pod
// (NR009).
func (a *analysis) selectsNothingFindings() []Finding {
	var out []Finding
	seen := map[string]bool{}
	for _, t := range a.prog.Tiers {
		for _, l := range t.Policies {
			if seen[l.Ref.Key()] || !(l.Applies[0] || l.Applies[1]) {
				continue
			}
			seen[l.Ref.Key()] = true
			if !a.subject(l).IsEmpty() {
				continue
			}
			why := "its selector " + l.Subject.Selector.String()
			switch {
			case l.Subject.Namespace != "" && a.namespaceSet(l.Subject.Namespace).IsEmpty():
				why = fmt.Sprintf("namespace %s has no pods", l.Subject.Namespace)
			case l.Subject.Namespace != "":
				why += " matches no pod in namespace " + l.Subject.Namespace
			default:
				why += " matches no pod"
			}
			f := newFinding(PolicySelectsNothing, l.Ref.Namespace, fmt.Sprintf("%s selects no pod: %s", l.Ref, why),
				fmt.Sprintf("Fix the selector of %s so that it matches the intended pods, or delete it.", l.Ref))
			f.Objects = []policy.ObjectRef{l.Ref}
			out = append(out, f)
		}
	}
	return out
}

var eqRE = regexp.MustCompile(`([A-Za-z0-9./_-]+) == "([^"]*)"`)

// peerFindings reports rule peers that match no endpoint and no network
// set (NR010).
func (a *analysis) peerFindings() []Finding {
	var out []Finding
	seen := map[string]bool{}
	for _, t := range a.prog.Tiers {
		for _, l := range t.Policies {
			for d := policy.Ingress; d <= policy.Egress; d++ {
				if !l.Applies[d] {
					continue
				}
				for ri := range l.Rules[d] {
					r := &l.Rules[d][ri]
					for _, side := range []*policy.EntityMatch{&r.Src, &r.Dst} {
						for pi := range side.Peers {
							p := &side.Peers[pi]
							if p.Nothing || p.Identity == nil {
								continue
							}
							key := fmt.Sprintf("%s\x00%d\x00%d\x00%p", l.Ref.Key(), d, r.Ref.Index, p)
							if seen[key] {
								continue
							}
							seen[key] = true
							if f, ok := a.deadPeer(l, r, p.Identity); ok {
								out = append(out, f)
							}
						}
					}
				}
			}
		}
	}
	return out
}

// deadPeer builds the finding for a peer identity that matches nothing.
func (a *analysis) deadPeer(l *policy.Lowered, r *policy.Rule, id *policy.Identity) (Finding, bool) {
	if !a.identityClasses(id).IsEmpty() || len(a.identityNetworkSets(id)) > 0 || hasEmptyValue(id) {
		// A selector on an empty value is NR029's, with the remedy that
		// fits it (a lost template variable).
		return Finding{}, false
	}
	var why, remedy string
	switch {
	case id.NamespaceSelector != nil && !a.anyNamespaceMatches(*id.NamespaceSelector):
		sel := id.NamespaceSelector.String()
		why = fmt.Sprintf("namespaceSelector %s matches no namespace", sel)
		remedy = "Select the namespace by a label it carries, such as kubernetes.io/metadata.name."
		for _, m := range eqRE.FindAllStringSubmatch(sel, -1) {
			if m[1] != "kubernetes.io/metadata.name" && a.snap.Namespace(m[2]) != nil {
				remedy = fmt.Sprintf("No namespace has the label %s=%s; select the namespace by kubernetes.io/metadata.name: %s instead.", m[1], m[2], m[2])
				break
			}
		}
	case id.Namespace != "" && a.namespaceSet(id.Namespace).IsEmpty():
		why = fmt.Sprintf("namespace %s has no pods", id.Namespace)
		remedy = "Add a namespaceSelector if the peer is meant to be in another namespace, or remove the peer."
	default:
		sel := "the peer"
		if id.Selector != nil {
			sel = "selector " + id.Selector.String()
		}
		scope := "in any selected namespace"
		if id.Namespace != "" {
			scope = "in namespace " + id.Namespace
		}
		why = fmt.Sprintf("%s matches no pod %s", sel, scope)
		remedy = "Fix the labels of the selector so that they match the intended pods, or remove the peer."
	}
	f := newFinding(PeerMatchesNothing, l.Ref.Namespace, fmt.Sprintf("%s: a peer matches nothing: %s", ruleName(r.Ref), why), remedy)
	f.Location = r.Ref.Source
	f.Rule = ruleRef(r.Ref)
	f.Objects = []policy.ObjectRef{l.Ref}
	return f, true
}

// anyNamespaceMatches reports whether a namespace selector matches some
// namespace of the inventory.
func (a *analysis) anyNamespaceMatches(sel selector.Selector) bool {
	for _, ns := range a.snap.Namespaces {
		labels := ns.Labels
		if a.calico {
			labels = ns.CalicoLabels()
		}
		if policy.MatchNamespaceSelector(sel, true, labels) {
			return true
		}
	}
	return false
}

var misplacedPortsRE = regexp.MustCompile(`^spec\.(ingress|egress)\[\d+\]\.(from|to)\[\d+\]\.ports$`)

// MisplacedPorts reports whether field, the path of an unknown field of a
// NetworkPolicy (Finding.Field), is a ports: list written under a peer
// ("spec.ingress[0].from[1].ports"), which the API server drops.
func MisplacedPorts(field string) bool { return misplacedPortsRE.MatchString(field) }

var didYouMeanRE = regexp.MustCompile(`did you mean ([A-Za-z]+)\?`)

// unknownFieldFindings reports unknown fields in the spec of a policy
// (NR013): the API server drops them, so the policy does not mean what it
// says.
func (a *analysis) unknownFieldFindings() []Finding {
	refs := map[string]policy.ObjectRef{}
	addRef := func(r policy.ObjectRef) { refs[r.Kind+"/"+r.Namespace+"/"+r.Name] = r }
	for _, np := range a.orig.NetworkPolicies {
		addRef(np.ObjectRef)
	}
	for _, ap := range a.orig.Admin.Policies {
		addRef(ap.ObjectRef)
	}
	for _, cp := range a.orig.Calico.Policies {
		addRef(cp.ObjectRef)
	}
	for _, sk := range a.orig.Calico.StagedKubernetes {
		addRef(sk.ObjectRef)
	}
	for _, t := range a.orig.Calico.Tiers {
		addRef(t.ObjectRef)
	}
	var out []Finding
	for _, d := range a.orig.Diagnostics {
		if d.Severity < policy.Warning || d.Code != policy.CodeUnknownField || !strings.HasPrefix(d.Field, "spec") ||
			!(strings.HasSuffix(d.Kind, "NetworkPolicy") || d.Kind == "Tier") {
			continue
		}
		ref, ok := refs[d.Kind+"/"+d.Namespace+"/"+d.Name]
		if !ok {
			ref = policy.ObjectRef{Kind: d.Kind, Namespace: d.Namespace, Name: d.Name, Source: d.Location}
		}
		var remedy string
		switch {
		case misplacedPortsRE.MatchString(d.Field):
			remedy = "Indent ports: one level up, beside from/to, so it restricts the rule's ports."
		case d.Field == "spec.ports":
			remedy = "Move ports: into the ingress or egress rule it is meant to restrict."
		default:
			if m := didYouMeanRE.FindStringSubmatch(d.Msg); m != nil {
				remedy = fmt.Sprintf("Rename the field to %s (field names are case-sensitive).", m[1])
			} else {
				remedy = "Move the field to where the API defines it, or remove it: the API server ignores it."
			}
		}
		f := newFinding(UnknownField, d.Namespace, fmt.Sprintf("%s: %s: %s", ref, d.Field, d.Msg), remedy)
		f.Location = d.Location
		f.Field = d.Field
		f.Objects = []policy.ObjectRef{ref}
		out = append(out, f)
	}
	return out
}

// dnsFindings reports pods that cannot reach cluster DNS on 53/UDP
// (NR014): the kube-dns pods when the inventory has any, else any
// address.
func (a *analysis) dnsFindings(iso [2]graph.Set) []Finding {
	p := a.m.PortAtomIndex(policy.UDP, 53)
	if p < 0 {
		return nil
	}
	g53, _ := a.m.ClassGraph([]int{p}, false)
	dns := a.dnsClasses()
	targets := dns
	target := "the cluster DNS pods (" + a.entryList(a.endpointsOf(dns), 3) + ")"
	if dns.IsEmpty() {
		targets = graph.NewSet(a.nU)
		targets.Fill(a.nU)
		target = "any address"
	}
	var out []Finding
	tmp := graph.NewSet(a.nU)
	for g, ns := range a.namespaces {
		var blocked []int
		egressIsolated := false
		for c := range a.classesOfNamespace(g).All() {
			if !a.podNet.Has(c) || dns.Has(c) {
				continue
			}
			tmp.CopyFrom(g53.Row(c))
			tmp.And(targets)
			if tmp.IsEmpty() {
				blocked = append(blocked, a.members[c]...)
				egressIsolated = egressIsolated || iso[policy.Egress].Has(c)
			}
		}
		if len(blocked) == 0 {
			continue
		}
		why := "the DNS pods' ingress policy does not admit them"
		remedy := fmt.Sprintf("Allow ingress to the DNS pods on 53/UDP and 53/TCP from namespace %s.", ns)
		at := policy.Ingress
		if egressIsolated {
			at = policy.Egress
			why = "their egress is restricted and no rule allows it"
			remedy = fmt.Sprintf("Add an egress rule in %s allowing 53/UDP and 53/TCP to the kube-dns pods (namespaceSelector kubernetes.io/metadata.name: kube-system, podSelector k8s-app: kube-dns).", ns)
		}
		f := newFinding(DNSBlocked, ns, fmt.Sprintf("%s in namespace %s cannot reach %s on 53/UDP, so they cannot resolve names (%s): %s",
			countOf(len(blocked), "pod"), ns, target, why, a.entryList(blocked, 5)), remedy)
		f.Objects = a.endpointRefs(blocked)
		f.BlockedAt = &at
		if egressIsolated {
			a.locateAtNamespace(&f, ns)
		}
		out = append(out, f)
	}
	return out
}
