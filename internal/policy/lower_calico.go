package policy

import (
	"fmt"
	"maps"
	"net/netip"

	"go4.org/netipx"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netreach/netreach/internal/selector"
)

// lowerCalico fills p with the tiers of the Calico plan.
func lowerCalico(s *Snapshot, opts LowerOptions, p *Program, reuse *lowering) Diagnostics {
	plan, diags := s.CalicoPlan(opts.CalicoVersion)
	for _, pt := range plan {
		t := &Tier{Name: pt.Name, DefaultAction: pt.DefaultAction}
		for _, m := range pt.Members {
			switch {
			case m.Calico != nil:
				t.Policies = append(t.Policies, reuse.lower(m.Calico, &diags, func() *Lowered {
					l, d := lowerCalicoPolicy(m.Calico, s)
					l.diags = d
					return l
				}))
			case m.Kube != nil:
				t.Policies = append(t.Policies, reuse.lower(m.Kube, &diags, func() *Lowered { return lowerKubeNetworkPolicy(m.Kube, opts) }))
			case m.Admin != nil:
				t.Policies = append(t.Policies, reuse.lower(m.Admin, &diags, func() *Lowered {
					return lowerAdminPolicy(m.Admin, s, m.Admin.Kind == "ClusterNetworkPolicy")
				}))
			}
		}
		p.Tiers = append(p.Tiers, t)
	}
	if hostTiers := lowerHostTiers(s, opts); hostTiers != nil {
		p.Tiers = append(append(hostTiers.front, p.Tiers...), hostTiers.back...)
	}
	for _, ns := range s.Calico.NetworkSets {
		p.NetworkSets = append(p.NetworkSets, &NetworkSetIR{Ref: ns.ObjectRef, Namespace: ns.Namespace, Labels: ns.CalicoLabels(), Nets: prefixSet(ns.Nets)})
	}
	return diags
}

// CalicoLabels returns the labels Calico's selectors see on a network set:
// its labels plus projectcalico.org/namespace for a namespaced set.
func (n *NetworkSet) CalicoLabels() map[string]string {
	l := maps.Clone(n.Labels)
	if l == nil {
		l = map[string]string{}
	}
	if n.Namespace != "" {
		l[CalicoNamespaceLabel] = n.Namespace
	}
	return l
}

// lowerCalicoPolicy lowers a Calico (Global)NetworkPolicy: its subject is
// the endpoints its selector picks (in its namespace for a NetworkPolicy;
// ANDed with namespaceSelector for a GlobalNetworkPolicy, and with
// serviceAccountSelector), for the directions of its defaulted types.
func lowerCalicoPolicy(cp *CalicoPolicy, s *Snapshot) (*Lowered, Diagnostics) {
	l := &Lowered{Ref: cp.ObjectRef, Applies: cp.Types}
	l.Subject = Subject{Selector: cp.Selector, ServiceAccountSelector: cp.ServiceAccountSelector}
	if cp.Global {
		l.Subject.NamespaceSelector = cp.NamespaceSelector
		l.Subject.Hosts = PodsAndHosts // docs/calico-host-endpoints.md §2
	} else {
		l.Subject.Namespace = cp.Namespace
	}
	var diags Diagnostics
	for d := Ingress; d <= Egress; d++ {
		for i, r := range cp.Rules(d) {
			if r.Invalid {
				continue
			}
			rule, ok, ds := lowerCalicoRule(cp, s, d, i, &r)
			diags = append(diags, ds...)
			if ok {
				l.Rules[d] = append(l.Rules[d], rule)
			}
		}
	}
	return l, diags
}

// lowerCalicoRule lowers one rule. ok is false for a rule that can never
// match (a non-Allow rule on source ports, which a client avoids by
// picking another port).
func lowerCalicoRule(cp *CalicoPolicy, s *Snapshot, d Direction, i int, r *CalicoRule) (rule Rule, ok bool, diags Diagnostics) {
	rule = Rule{
		Ref:      RuleRef{Policy: cp.ObjectRef, Dir: d, Index: i, Source: r.Loc},
		Action:   r.Action,
		Protocol: r.Protocol, NotProtocol: r.NotProtocol, IPVersion: r.IPVersion,
		SkipFamily: calicoFamilySkip(r),
	}
	if r.Source.Ports != nil || r.Source.NotPorts != nil {
		if r.Action != ActionAllow {
			return rule, false, nil
		}
		rule.Conditional = "the connection's source port matches the rule's source ports"
	}
	if r.HTTP {
		rule.Conditional = "the HTTP request matches the rule's http match"
	}
	var ds Diagnostics
	rule.Src.Peers, _, ds = calicoPeers(&r.Source, cp, s)
	diags = append(diags, ds...)
	var svcPorts []PortMatch
	rule.Dst.Peers, svcPorts, ds = calicoPeers(&r.Destination, cp, s)
	diags = append(diags, ds...)
	rule.Dst.Ports, rule.Dst.NotPorts = r.Destination.Ports, r.Destination.NotPorts
	if svcPorts != nil {
		rule.Dst.Ports = svcPorts
	}
	return rule, true, diags
}

// calicoFamilySkip reports, per family, whether Felix drops the rule for
// that family: a non-empty nets or notNets list with no CIDR of the family,
// or a notNets list holding the family's catch-all [docs/semantics.md §3.4, 6(g)].
func calicoFamilySkip(r *CalicoRule) (skip [2]bool) {
	lists := [][]netip.Prefix{r.Source.Nets, r.Source.NotNets, r.Destination.Nets, r.Destination.NotNets}
	for f, is4 := range []bool{true, false} {
		for k, list := range lists {
			if len(list) == 0 {
				continue
			}
			has := false
			for _, p := range list {
				if p.Addr().Is4() == is4 {
					has = true
					if k%2 == 1 && p.Bits() == 0 { // catch-all in notNets
						skip[f] = true
					}
				}
			}
			if !has {
				skip[f] = true
			}
		}
	}
	return skip
}

// calicoPeers lowers an EntityRule to at most one peer (nil: any entity)
// following Calico's scoping [docs/semantics.md §3.5]: a namespaceSelector scopes
// identity matches; without it, selectors of a namespaced policy stay in
// its namespace; notSelector is cluster-wide. For services it also
// returns the destination ports.
func calicoPeers(e *CalicoEntity, cp *CalicoPolicy, s *Snapshot) ([]Peer, []PortMatch, Diagnostics) {
	var peer Peer
	any := false
	if e.Nets != nil {
		peer.Nets = prefixSet(e.Nets)
		any = true
	}
	if e.NotNets != nil {
		peer.NotNets = prefixSet(e.NotNets)
		any = true
	}
	id := &Identity{Kinds: KindAllKnown}
	scoped := false
	switch {
	case e.NamespaceSelector != nil:
		id.NamespaceSelector = e.NamespaceSelector
		scoped = true
	case !cp.Global && (e.Selector != nil || e.NotSelector != nil || e.ServiceAccounts != nil):
		id.Namespace = cp.Namespace
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
	if scoped {
		peer.Identity = id
		any = true
	}
	if e.NotSelector != nil {
		peer.NotIdentity = &Identity{Kinds: KindAllKnown, Selector: e.NotSelector}
		any = true
	}
	var ports []PortMatch
	var diags Diagnostics
	if e.Service != nil {
		svcPeer, svcPorts, d := servicePeer(e.Service, s, cp)
		peer, ports, diags = svcPeer, svcPorts, d
		any = true
	}
	if !any {
		return nil, nil, nil
	}
	return []Peer{peer}, ports, diags
}

// servicePeer matches the pods behind a Service (by its selector, as its
// endpoints would) and, as destination ports, its target ports.
func servicePeer(ref *ServiceRef, s *Snapshot, cp *CalicoPolicy) (Peer, []PortMatch, Diagnostics) {
	svc := s.Service(ref.Namespace, ref.Name)
	if svc == nil || len(svc.Selector) == 0 {
		why := "is not in the input"
		if svc != nil {
			why = "has no selector (its endpoints are not modelled)"
		}
		return Peer{Nothing: true}, nil, Diagnostics{{Severity: Warning, Location: cp.Source, Kind: cp.Kind, Namespace: cp.Namespace, Name: cp.Name,
			Msg: fmt.Sprintf("service %s/%s %s: rules naming it match nothing", ref.Namespace, ref.Name, why)}}
	}
	sel, _ := selector.FromLabelSelector(&metav1.LabelSelector{MatchLabels: svc.Selector})
	var ports []PortMatch
	for _, sp := range svc.Ports {
		proto := TCP
		if sp.Protocol != "" {
			proto, _ = ParseKubeProtocol(string(sp.Protocol))
		}
		switch {
		case sp.TargetPort.StrVal != "":
			ports = append(ports, PortMatch{Protocol: proto, Name: sp.TargetPort.StrVal})
		case sp.TargetPort.IntVal != 0:
			ports = append(ports, PortMatch{Protocol: proto, Lo: uint16(sp.TargetPort.IntVal), Hi: uint16(sp.TargetPort.IntVal)})
		default:
			ports = append(ports, PortMatch{Protocol: proto, Lo: uint16(sp.Port), Hi: uint16(sp.Port)})
		}
	}
	if ports == nil {
		ports = []PortMatch{{Protocol: TCP, Lo: 1, Hi: 0}} // no ports: matches nothing
	}
	return Peer{Identity: &Identity{Kinds: KindPod, Namespace: svc.Namespace, Selector: &sel}}, ports, nil
}

func prefixSet(ps []netip.Prefix) *netipx.IPSet {
	var b netipx.IPSetBuilder
	for _, p := range ps {
		b.AddPrefix(p)
	}
	set, _ := b.IPSet()
	return set
}
