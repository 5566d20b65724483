package policy

import (
	"strings"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/selector"
)

// lowerAdminPolicy lowers an AdminNetworkPolicy, BaselineAdminNetworkPolicy
// or ClusterNetworkPolicy: first-match rules with Allow, Deny and Pass,
// applying to the pods of the subject in every direction that has rules
// (a policy without rules for a direction does not take part in it)
// [docs/semantics.md §4.1–4.3]. nsSetsMatch makes namespace peers also match the
// addresses of Calico NetworkSets in those namespaces (Calico's CNP
// conversion, [docs/semantics.md §4.4]).
func lowerAdminPolicy(p *AdminPolicy, s *Snapshot, nsSetsMatch bool) *Lowered {
	l := &Lowered{Ref: p.ObjectRef, Applies: [2]bool{len(p.Ingress) > 0, len(p.Egress) > 0}}
	if p.Subject.Namespaces != nil {
		l.Subject = Subject{NamespaceSelector: p.Subject.Namespaces}
	} else {
		ns := p.Subject.Pods.NamespaceSelector
		l.Subject = Subject{NamespaceSelector: &ns, Selector: p.Subject.Pods.PodSelector}
	}
	for d := Ingress; d <= Egress; d++ {
		for i, r := range p.Rules(d) {
			ref := RuleRef{Policy: p.ObjectRef, Dir: d, Index: i, Source: r.Source}
			if r.MatchNothing {
				continue
			}
			if r.DenyAll {
				l.Rules[d] = append(l.Rules[d], Rule{Ref: ref, Action: ActionDeny})
				continue
			}
			var peers []Peer
			var domains []string
			for _, ap := range r.Peers {
				if len(ap.DomainNames) > 0 {
					domains = append(domains, ap.DomainNames...)
					continue
				}
				peers = append(peers, lowerAdminPeer(ap, s, nsSetsMatch))
			}
			rule := Rule{Ref: ref, Action: r.Action}
			ports := r.Ports
			if d == Ingress {
				rule.Src = EntityMatch{Peers: nothingIfEmpty(peers)}
				rule.Dst = EntityMatch{Ports: ports}
			} else {
				rule.Dst = EntityMatch{Peers: nothingIfEmpty(peers), Ports: ports}
			}
			if len(peers) > 0 {
				l.Rules[d] = append(l.Rules[d], rule)
			}
			if len(domains) > 0 {
				// A domain name resolves to addresses outside the pod
				// network that cannot be known offline: such flows are
				// conditional [docs/semantics.md §4.1].
				cond := rule
				cond.Dst = EntityMatch{Peers: []Peer{{NotIdentity: &Identity{Kinds: KindPod}}}, Ports: ports}
				cond.Conditional = "the destination is an address of " + strings.Join(domains, ", ")
				l.Rules[d] = append(l.Rules[d], cond)
			}
		}
	}
	return l
}

// nothingIfEmpty keeps a rule whose every peer was lowered elsewhere from
// meaning "any peer".
func nothingIfEmpty(peers []Peer) []Peer {
	if len(peers) == 0 {
		return []Peer{{Nothing: true}}
	}
	return peers
}

// lowerAdminPeer lowers one peer. namespaces and pods match pods on the
// pod network; networks match any address, pods included [docs/semantics.md
// 4.1]; nodes match the addresses of the selected Node objects (and so
// host-network pods on them), and nothing when no Node objects were given.
func lowerAdminPeer(ap AdminPeer, s *Snapshot, nsSetsMatch bool) Peer {
	switch {
	case ap.Namespaces != nil:
		kinds := KindPod
		if nsSetsMatch {
			kinds |= KindNetworkSet
		}
		return Peer{Identity: &Identity{Kinds: kinds, NamespaceSelector: ap.Namespaces}}
	case ap.Pods != nil:
		ns, pod := ap.Pods.NamespaceSelector, ap.Pods.PodSelector
		return Peer{Identity: &Identity{Kinds: KindPod, NamespaceSelector: &ns, Selector: &pod}}
	case ap.Networks != nil:
		return Peer{Nets: prefixSet(ap.Networks)}
	case ap.Nodes != nil:
		return Peer{Nets: NodeAddresses(s, *ap.Nodes), NetsSkipPods: true}
	}
	return Peer{Nothing: true}
}

// NodeAddresses returns the addresses of the nodes whose labels match sel.
func NodeAddresses(s *Snapshot, sel selector.Selector) *netipx.IPSet {
	var b netipx.IPSetBuilder
	for _, n := range s.Nodes {
		if sel.Matches(n.Labels) {
			for _, a := range n.Addresses {
				b.Add(a)
			}
		}
	}
	set, _ := b.IPSet()
	return set
}
