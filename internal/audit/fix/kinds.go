package fix

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/policy"
)

const metadataName = "kubernetes.io/metadata.name"

// networkPolicy returns the Kubernetes NetworkPolicy a finding is about
// (its first object), or the reason there is no mechanical fix.
func (g *generator) networkPolicy(f *audit.Finding) (*policy.NetworkPolicy, error) {
	if len(f.Objects) == 0 {
		return nil, noFix("the finding names no policy")
	}
	ref := f.Objects[0]
	if ref.Group == policy.CalicoGroup {
		return nil, noFixf("%s is a Calico policy: its rules are ordered across tiers, so no edit is mechanical", ref)
	}
	if ref.Kind != "NetworkPolicy" {
		return nil, noFixf("%s is not a Kubernetes NetworkPolicy; only those are edited mechanically", ref)
	}
	for _, np := range g.snap.NetworkPolicies {
		if np.Namespace == ref.Namespace && np.Name == ref.Name {
			return np, nil
		}
	}
	return nil, noFixf("%s is not an evaluated policy", ref)
}

// source returns the Kubernetes NetworkPolicy a finding is about and its
// source document read back (see [sources.object]); with rule, the
// finding must name one of its rules.
func (g *generator) source(f *audit.Finding, rule bool) (*policy.NetworkPolicy, map[string]any, error) {
	np, err := g.networkPolicy(f)
	if err != nil {
		return nil, nil, err
	}
	if rule && f.Rule == nil {
		return nil, nil, noFix("the finding names no rule")
	}
	obj, err := g.src.object(np.ObjectRef, np)
	if err != nil {
		return nil, nil, err
	}
	return np, obj, nil
}

// edited returns the patch that replaces np with obj.
func (g *generator) edited(k Kind, np *policy.NetworkPolicy, obj map[string]any, title string) ([]*patch, error) {
	forApply(obj)
	if meta, ok := obj["metadata"].(map[string]any); ok {
		meta["namespace"] = np.Namespace
	}
	out, err := yaml.Marshal(obj)
	if err != nil {
		return nil, noFixf("cannot encode the edited %s: %v", np.ObjectRef, err)
	}
	return []*patch{{kind: k, title: title, obj: np.ObjectRef, replaces: true, yaml: string(out)}}, nil
}

// created returns the patch that creates a NetworkPolicy in ns named
// after base (with a number added when the name is taken).
func (g *generator) created(k Kind, ns, base string, spec map[string]any, title string) (*patch, error) {
	name := base
	for n := 2; g.hasPolicy(ns, name); n++ {
		name = fmt.Sprintf("%s-%d", base, n)
	}
	obj := map[string]any{
		"apiVersion": "networking.k8s.io/v1",
		"kind":       "NetworkPolicy",
		"metadata": map[string]any{
			"name":      name,
			"namespace": ns,
			"labels":    map[string]any{"app.kubernetes.io/managed-by": "netreach-fix"},
		},
		"spec": spec,
	}
	out, err := yaml.Marshal(obj)
	if err != nil {
		return nil, err
	}
	ref := policy.ObjectRef{Kind: "NetworkPolicy", Namespace: ns, Name: name}
	return &patch{kind: k, title: title, obj: ref, yaml: string(out)}, nil
}

func (g *generator) hasPolicy(ns, name string) bool {
	for _, np := range g.snap.NetworkPolicies {
		if np.Namespace == ns && np.Name == name {
			return true
		}
	}
	return false
}

// defaultDeny adds to namespace ns a default-deny NetworkPolicy for the
// directions in which the namespace has none (audit.MissingDefaultDeny):
// one patch per namespace, shared by its NR001, NR002 and NR003 findings.
func (g *generator) defaultDeny(_ *audit.Finding, ns string) (*patch, error) {
	if g.missing == nil {
		g.missing = audit.MissingDefaultDeny(g.m, g.opts.Audit)
	}
	miss := g.missing[ns]
	var types []string
	if miss[policy.Ingress] {
		types = append(types, "Ingress")
	}
	if miss[policy.Egress] {
		types = append(types, "Egress")
	}
	if len(types) == 0 {
		return nil, noFix("a policy isolates every pod of the namespace already; its pods are open because a policy allows everything or passes their traffic on, which a default deny would not change: narrow that policy by hand")
	}
	name := "default-deny-" + strings.ToLower(strings.Join(types, "-"))
	spec := map[string]any{"podSelector": map[string]any{}, "policyTypes": types}
	return g.created(AddDefaultDeny, ns, name, spec,
		fmt.Sprintf("Add NetworkPolicy %s/%s: every pod of %s isolated for %s, nothing allowed", ns, name, ns, strings.ToLower(strings.Join(types, " and "))))
}

// findingNamespaces returns the namespaces a finding is about: its own,
// those it lists (a merged finding) and those of its objects (a Namespace
// object names itself), sorted.
func findingNamespaces(f *audit.Finding) []string {
	seen := map[string]bool{}
	if f.Namespace != "" {
		seen[f.Namespace] = true
	}
	for _, ns := range f.Namespaces {
		seen[ns] = true
	}
	for _, o := range f.Objects {
		switch {
		case o.Kind == "Namespace" && o.Group == "":
			seen[o.Name] = true
		case o.Namespace != "":
			seen[o.Namespace] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// rulePeers returns rule idx of direction d of the raw policy, with its
// peers under from (ingress) or to (egress).
func rulePeers(obj map[string]any, d policy.Direction, idx int) (rule map[string]any, peerKey string, err error) {
	spec, _ := obj["spec"].(map[string]any)
	dir, peerKey := "ingress", "from"
	if d == policy.Egress {
		dir, peerKey = "egress", "to"
	}
	rules, _ := spec[dir].([]any)
	if idx < 0 || idx >= len(rules) {
		return nil, "", noFixf("the source has no %s rule %d", dir, idx)
	}
	rule, _ = rules[idx].(map[string]any)
	if rule == nil {
		return nil, "", noFixf("%s rule %d of the source is not an object", dir, idx)
	}
	return rule, peerKey, nil
}

// namespaceSelector corrects a peer whose namespaceSelector asks for a
// label no namespace carries, with a value that names a namespace:
// "namespace: web" becomes "kubernetes.io/metadata.name: web".
func (g *generator) namespaceSelector(f *audit.Finding) ([]*patch, error) {
	np, obj, err := g.source(f, true)
	if err != nil {
		return nil, err
	}
	rule, peerKey, err := rulePeers(obj, f.Rule.Direction, f.Rule.Index)
	if err != nil {
		return nil, err
	}
	peers, _ := rule[peerKey].([]any)
	var changed []string
	for _, p := range peers {
		peer, _ := p.(map[string]any)
		nsSel, _ := peer["namespaceSelector"].(map[string]any)
		if nsSel == nil || g.matchesSomeNamespace(nsSel) {
			continue
		}
		if _, ok := nsSel["matchExpressions"]; ok {
			continue
		}
		ml, _ := nsSel["matchLabels"].(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(ml)) {
			v := str(ml[k])
			if k == metadataName || g.snap.Namespace(v) == nil {
				continue
			}
			if _, taken := ml[metadataName]; taken {
				break
			}
			delete(ml, k)
			ml[metadataName] = v
			changed = append(changed, fmt.Sprintf("%s: %s → %s: %s", k, v, metadataName, v))
			break
		}
	}
	if len(changed) == 0 {
		return nil, noFix("no namespaceSelector of the rule asks for a label whose value names a namespace (matchLabels only); fix the selector by hand")
	}
	return g.edited(CorrectNamespaceSelector, np, obj,
		fmt.Sprintf("Correct the namespaceSelector of %s %s rule %d: %s", np.ObjectRef, f.Rule.Direction, f.Rule.Index, strings.Join(changed, ", ")))
}

// matchesSomeNamespace reports whether a raw LabelSelector matches the
// labels of some namespace of the inventory.
func (g *generator) matchesSomeNamespace(raw map[string]any) bool {
	j, err := yaml.Marshal(raw)
	if err != nil {
		return true
	}
	var ls metav1.LabelSelector
	if err := yaml.Unmarshal(j, &ls); err != nil {
		return true
	}
	sel, err := metav1.LabelSelectorAsSelector(&ls)
	if err != nil {
		return true
	}
	for _, ns := range g.snap.Namespaces {
		if sel.Matches(labels.Set(ns.Labels)) {
			return true
		}
	}
	return false
}

// movePorts moves ports: written under the peers of a rule up to the rule,
// when that is unambiguous: every peer of the rule carries the same list
// and the rule has no ports of its own.
func (g *generator) movePorts(f *audit.Finding) ([]*patch, error) {
	if !audit.MisplacedPorts(f.Field) {
		return nil, noFix("only a ports: list misplaced under a peer has a mechanical fix; rename or move this field by hand")
	}
	np, obj, err := g.source(f, false)
	if err != nil {
		return nil, err
	}
	spec, _ := obj["spec"].(map[string]any)
	var moved []string
	for _, dir := range []struct{ key, peers string }{{"ingress", "from"}, {"egress", "to"}} {
		rules, _ := spec[dir.key].([]any)
		for i, r := range rules {
			rule, _ := r.(map[string]any)
			peers, _ := rule[dir.peers].([]any)
			var ports any
			with, without := 0, 0
			for _, p := range peers {
				peer, _ := p.(map[string]any)
				pp, ok := peer["ports"]
				if !ok {
					without++
					continue
				}
				if with > 0 && !reflect.DeepEqual(pp, ports) {
					return nil, noFixf("the peers of %s rule %d carry different ports: split the rule by hand", dir.key, i)
				}
				ports = pp
				with++
			}
			if with == 0 {
				continue
			}
			if without > 0 {
				return nil, noFixf("only some peers of %s rule %d carry ports:; moving them would restrict the others too: decide by hand", dir.key, i)
			}
			if _, ok := rule["ports"]; ok {
				return nil, noFixf("%s rule %d has ports: of its own besides the misplaced ones: merge them by hand", dir.key, i)
			}
			var kept []any
			for _, p := range peers {
				peer := p.(map[string]any)
				delete(peer, "ports")
				if len(peer) > 0 {
					kept = append(kept, peer)
				}
			}
			if len(kept) == 0 {
				delete(rule, dir.peers)
			} else {
				rule[dir.peers] = kept
			}
			rule["ports"] = ports
			moved = append(moved, fmt.Sprintf("%s rule %d", dir.key, i))
		}
	}
	if len(moved) == 0 {
		return nil, noFix("the source has no ports: under a peer (it may have changed since it was loaded)")
	}
	return g.edited(MovePorts, np, obj, fmt.Sprintf("Move the misplaced ports: of %s up to the rule (%s)", np.ObjectRef, strings.Join(moved, ", ")))
}

// dnsEgress adds to namespace ns a NetworkPolicy that lets every pod of the namespace reach the cluster
// DNS pods (or, when the inventory has none, any address) on 53/UDP and
// 53/TCP. It applies only when the pods' own egress blocks DNS; when the
// DNS pods' ingress does, the fix belongs to their policy.
func (g *generator) dnsEgress(f *audit.Finding, ns string) (*patch, error) {
	if f.BlockedAt == nil || *f.BlockedAt != policy.Egress {
		return nil, noFix("the DNS pods' own ingress policy does not admit these pods; allow them in that policy by hand")
	}
	dnsNS := map[string]bool{}
	for _, e := range g.snap.Endpoints {
		match := true
		for k, v := range g.opts.Audit.DNSLabels {
			if e.Labels[k] != v {
				match = false
				break
			}
		}
		if match && !e.HostNetwork {
			dnsNS[e.Namespace] = true
		}
	}
	podSel := map[string]any{}
	for k, v := range g.opts.Audit.DNSLabels {
		podSel[k] = v
	}
	rule := map[string]any{"ports": []any{
		map[string]any{"protocol": "UDP", "port": 53},
		map[string]any{"protocol": "TCP", "port": 53},
	}}
	target := "any address"
	if len(dnsNS) > 0 {
		var to []any
		for _, n := range slices.Sorted(maps.Keys(dnsNS)) {
			to = append(to, map[string]any{
				"namespaceSelector": map[string]any{"matchLabels": map[string]any{metadataName: n}},
				"podSelector":       map[string]any{"matchLabels": podSel},
			})
		}
		rule["to"] = to
		target = "the DNS pods in " + strings.Join(slices.Sorted(maps.Keys(dnsNS)), ", ")
	}
	spec := map[string]any{
		"podSelector": map[string]any{},
		"policyTypes": []string{"Egress"},
		"egress":      []any{rule},
	}
	if g.snap.Namespace(ns) == nil {
		return nil, noFix("the namespace is not in the inventory")
	}
	return g.created(AddDNSEgress, ns, "allow-dns-egress", spec,
		fmt.Sprintf("Add NetworkPolicy %s/allow-dns-egress: every pod of %s may reach %s on 53/UDP and 53/TCP", ns, ns, target))
}

// removeRule deletes a redundant rule of a Kubernetes NetworkPolicy,
// writing policyTypes out so that removing the last rule of a direction
// does not change which directions the policy isolates.
func (g *generator) removeRule(f *audit.Finding) ([]*patch, error) {
	np, obj, err := g.source(f, true)
	if err != nil {
		return nil, err
	}
	if _, _, err := rulePeers(obj, f.Rule.Direction, f.Rule.Index); err != nil {
		return nil, err
	}
	spec := obj["spec"].(map[string]any)
	dir := "ingress"
	if f.Rule.Direction == policy.Egress {
		dir = "egress"
	}
	rules := spec[dir].([]any)
	spec[dir] = append(slices.Clone(rules[:f.Rule.Index]), rules[f.Rule.Index+1:]...)
	if _, ok := spec["policyTypes"]; !ok {
		var types []any
		for _, t := range np.Spec.PolicyTypes {
			types = append(types, string(t))
		}
		spec["policyTypes"] = types
	}
	return g.edited(RemoveRedundantRule, np, obj, fmt.Sprintf("Remove the redundant %s rule %d of %s", dir, f.Rule.Index, np.ObjectRef))
}

// egressOnly writes policyTypes: [Egress] into a NetworkPolicy that has
// egress rules, no ingress rules and no policyTypes: the API server
// defaults its policyTypes to [Ingress, Egress], so it isolates its pods
// for ingress and admits nothing (docs/semantics.md §2.2). The patch makes
// it egress-only, what such a policy usually means; the flows it opens are
// the ingress the defaulting denied.
func (g *generator) egressOnly(f *audit.Finding) ([]*patch, error) {
	np, obj, err := g.source(f, false)
	if err != nil {
		return nil, err
	}
	spec, _ := obj["spec"].(map[string]any)
	if _, ok := spec["policyTypes"]; ok {
		return nil, noFixf("%s writes its policyTypes already", np.ObjectRef)
	}
	if ing, _ := spec["ingress"].([]any); len(ing) > 0 {
		return nil, noFixf("%s has ingress rules: it isolates ingress on purpose", np.ObjectRef)
	}
	if eg, _ := spec["egress"].([]any); len(eg) == 0 {
		return nil, noFixf("%s has no egress rules", np.ObjectRef)
	}
	spec["policyTypes"] = []any{"Egress"}
	return g.edited(EgressOnly, np, obj, fmt.Sprintf("Make %s egress-only (policyTypes: [Egress]): its defaulted policyTypes isolated ingress too", np.ObjectRef))
}
