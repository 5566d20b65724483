package policy

import (
	"context"

	"go4.org/netipx"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/netreach/netreach/internal/selector"
)

// LowerOptions configure [Lower].
type LowerOptions struct {
	// Mode must be resolved (ModeK8s or ModeCalico); ModeAuto is resolved
	// against the snapshot.
	Mode Mode
	// IPBlockIgnoresPodIPs makes Kubernetes ipBlock peers skip pods on
	// the pod network [docs/semantics.md §2.6].
	IPBlockIgnoresPodIPs bool
	// CalicoVersion selects the objects Calico understands (calico mode).
	CalicoVersion CalicoVersion
	// Previous, when set, is the program of an earlier version of the same
	// snapshot lowered with the same options: policies lowered from the
	// very same objects are reused rather than lowered again (the result
	// is identical; objects are immutable), unless their lowering reads
	// other objects that may have changed (see [readsInventory]).
	Previous *Program
}

// reuser hands out the previous lowering of an object, when there is one.
type reuser map[any]*Lowered

func newReuser(prev *Program) reuser {
	if prev == nil {
		return nil
	}
	prev.byFromOnce.Do(func() {
		prev.byFrom = reuser{}
		for _, t := range prev.Tiers {
			for _, p := range t.Policies {
				if p.From != nil {
					prev.byFrom[p.From] = p
				}
			}
		}
	})
	return prev.byFrom
}

// lowering is the state of one Lower: the previous lowerings it may
// reuse and its context.
type lowering struct {
	prev reuser
	ctx  context.Context
	n    int   // policies lowered so far
	err  error // ctx's error once it is cancelled
}

// lower returns the previous lowering of obj, or lowers it with fn. Once
// the context is cancelled (it looks every 16 policies) it lowers nothing
// more and returns an empty policy: the caller discards the program.
func (r *lowering) lower(obj any, diags *Diagnostics, fn func() *Lowered) *Lowered {
	if r.n%16 == 0 && r.err == nil {
		r.err = r.ctx.Err()
	}
	r.n++
	if r.err != nil {
		return &Lowered{From: obj}
	}
	l, ok := r.prev[obj]
	if !ok || readsInventory(obj) {
		l = fn()
		l.From = obj
	}
	*diags = append(*diags, l.diags...)
	return l
}

// readsInventory reports whether lowering obj reads objects other than the
// policy itself, so that an unchanged policy object may lower differently
// in another snapshot: nodes peers (the Nodes' addresses) and Calico
// services rules (the Service's selector and ports).
func readsInventory(obj any) bool {
	switch p := obj.(type) {
	case *AdminPolicy:
		for d := Ingress; d <= Egress; d++ {
			for _, r := range p.Rules(d) {
				for _, pe := range r.Peers {
					if pe.Nodes != nil {
						return true
					}
				}
			}
		}
	case *CalicoPolicy:
		for _, rs := range [][]CalicoRule{p.Ingress, p.Egress} {
			for _, r := range rs {
				if r.Source.Service != nil || r.Destination.Service != nil {
					return true
				}
			}
		}
	}
	return false
}

// Lower turns the snapshot's policies into the [Program] of the mode.
// Diagnostics report what the lowering had to approximate.
func Lower(s *Snapshot, opts LowerOptions) (*Program, Diagnostics) {
	p, diags, _ := LowerContext(context.Background(), s, opts)
	return p, diags
}

// LowerContext is [Lower] with a context: once ctx is cancelled (it looks
// every 16 policies) it returns ctx's error and no program.
func LowerContext(ctx context.Context, s *Snapshot, opts LowerOptions) (*Program, Diagnostics, error) {
	mode := opts.Mode.Resolve(s)
	p := &Program{Mode: mode}
	var diags Diagnostics
	reuse := &lowering{prev: newReuser(opts.Previous), ctx: ctx}
	switch mode {
	case ModeK8s:
		// Admin → NetworkPolicy → Baseline → allow [docs/semantics.md §5.1].
		admin := &Tier{Name: "Admin", DefaultAction: ActionPass}
		baseline := &Tier{Name: "Baseline", DefaultAction: ActionPass}
		for _, ap := range s.Admin.Policies {
			t := admin
			if ap.Tier == TierBaseline {
				t = baseline
			}
			t.Policies = append(t.Policies, reuse.lower(ap, &diags, func() *Lowered { return lowerAdminPolicy(ap, s, false) }))
		}
		npTier := &Tier{Name: "NetworkPolicy", DefaultAction: ActionDeny}
		for _, np := range s.NetworkPolicies {
			npTier.Policies = append(npTier.Policies, reuse.lower(np, &diags, func() *Lowered { return lowerKubeNetworkPolicy(np, opts) }))
		}
		p.Tiers = append(p.Tiers, admin, npTier, baseline)
		if s.Calico.Present() {
			diags = append(diags, Diagnostic{Severity: Warning, Msg: "k8s mode: projectcalico.org/v3 objects are ignored (use --mode calico to evaluate them)"})
		}
	case ModeCalico:
		diags = append(diags, lowerCalico(s, opts, p, reuse)...)
	}
	if reuse.err != nil {
		return nil, nil, reuse.err
	}
	return p, diags, nil
}

// lowerKubeNetworkPolicy lowers a Kubernetes NetworkPolicy: a policy of
// Allow rules that applies to the pods its podSelector picks in its own
// namespace, for the directions of its defaulted policyTypes. Invalid
// rules are left out [docs/semantics.md §2.10].
func lowerKubeNetworkPolicy(np *NetworkPolicy, opts LowerOptions) *Lowered {
	sel, _ := selector.FromLabelSelector(&np.Spec.PodSelector)
	l := &Lowered{
		Ref:     np.ObjectRef,
		Subject: Subject{Namespace: np.Namespace, Selector: sel},
		Applies: [2]bool{np.Applies(Ingress), np.Applies(Egress)},
	}
	for i, r := range np.Spec.Ingress {
		key := RuleKey{Ingress, i}
		if np.Invalid[key] {
			continue
		}
		l.Rules[Ingress] = append(l.Rules[Ingress], Rule{
			Ref:    RuleRef{Policy: np.ObjectRef, Dir: Ingress, Index: i, Source: np.RuleSource[key]},
			Action: ActionAllow,
			Src:    EntityMatch{Peers: lowerKubePeers(np.Namespace, r.From, opts)},
			Dst:    EntityMatch{Ports: lowerKubePorts(r.Ports)},
		})
	}
	for i, r := range np.Spec.Egress {
		key := RuleKey{Egress, i}
		if np.Invalid[key] {
			continue
		}
		l.Rules[Egress] = append(l.Rules[Egress], Rule{
			Ref:    RuleRef{Policy: np.ObjectRef, Dir: Egress, Index: i, Source: np.RuleSource[key]},
			Action: ActionAllow,
			Dst:    EntityMatch{Peers: lowerKubePeers(np.Namespace, r.To, opts), Ports: lowerKubePorts(r.Ports)},
		})
	}
	return l
}

// lowerKubePeers lowers from/to. An empty list means every entity,
// addresses outside the cluster included [docs/semantics.md §2.3].
func lowerKubePeers(ns string, peers []networkingv1.NetworkPolicyPeer, opts LowerOptions) []Peer {
	if len(peers) == 0 {
		return nil
	}
	out := make([]Peer, 0, len(peers))
	for _, p := range peers {
		if p.IPBlock != nil {
			out = append(out, Peer{Nets: ipBlockSet(p.IPBlock), NetsSkipPods: opts.IPBlockIgnoresPodIPs})
			continue
		}
		id := &Identity{Kinds: KindPod}
		if p.NamespaceSelector != nil {
			s, _ := selector.FromLabelSelector(p.NamespaceSelector)
			id.NamespaceSelector = &s
		} else {
			id.Namespace = ns
		}
		if p.PodSelector != nil {
			s, _ := selector.FromLabelSelector(p.PodSelector)
			id.Selector = &s
		}
		out = append(out, Peer{Identity: id})
	}
	return out
}

// ipBlockSet is cidr minus every except.
func ipBlockSet(b *networkingv1.IPBlock) *netipx.IPSet {
	var sb netipx.IPSetBuilder
	cidr, _, _ := ParseCIDR(b.CIDR)
	sb.AddPrefix(cidr)
	for _, e := range b.Except {
		ex, _, _ := ParseCIDR(e)
		sb.RemovePrefix(ex)
	}
	set, _ := sb.IPSet()
	return set
}

// lowerKubePorts lowers the ports of a rule; an empty list means every
// port of every protocol [docs/semantics.md §2.3, 2.7].
func lowerKubePorts(ports []networkingv1.NetworkPolicyPort) []PortMatch {
	if len(ports) == 0 {
		return nil
	}
	out := make([]PortMatch, 0, len(ports))
	for _, p := range ports {
		proto, _ := ParseKubeProtocol(string(*p.Protocol))
		m := PortMatch{Protocol: proto, Lo: 0, Hi: 65535}
		if p.Port != nil {
			if p.Port.Type == intstr.String {
				m.Name = p.Port.StrVal
			} else {
				m.Lo, m.Hi = uint16(p.Port.IntVal), uint16(p.Port.IntVal)
				if p.EndPort != nil {
					m.Hi = uint16(*p.EndPort)
				}
			}
		}
		out = append(out, m)
	}
	return out
}
