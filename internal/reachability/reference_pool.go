package reachability

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"go4.org/netipx"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netreach/netreach/internal/policy"
)

// PoolTrace tells, for a pod without an address in a traced flow, the
// ranges Calico IPAM would allocate its address from and how many
// addresses of them the policies can tell apart [docs/calico-ipam.md].
type PoolTrace struct {
	Endpoint string `json:"endpoint"`
	// Ranges are the pool CIDRs (or requested addresses).
	Ranges []string `json:"ranges"`
	// Pools names the IP pools; Source says how they were chosen.
	Pools  []string `json:"pools,omitempty"`
	Source string   `json:"source"`
	// Candidates counts the addresses evaluated: one per piece of the
	// ranges that every policy address treats alike.
	Candidates int `json:"candidates"`
}

// hasPoolRanges reports whether the entity is a pod on the pod network
// whose address is not known but whose pool ranges are.
func hasPoolRanges(e Entity) bool {
	ep := e.Endpoint
	return ep != nil && !ep.HostNetwork && len(ep.IPs) == 0 && len(ep.PoolRanges) > 0
}

// candidates returns one stand-in for every address of the entity's pool
// ranges that the policies can tell apart: the ranges are cut at every
// address boundary any policy or network set names, and each piece's first
// address stands for the piece (dual-stack: every pair of an IPv4 and an
// IPv6 piece).
func (ev *Evaluator) candidates(e Entity) []Entity {
	var pieces [2][]netip.Addr
	cuts := ev.policyCuts()
	for _, p := range e.Endpoint.PoolRanges {
		f := 0
		if p.Addr().Is6() {
			f = 1
		}
		r := netipx.RangeOfPrefix(p)
		pieces[f] = append(pieces[f], r.From())
		for _, c := range cuts {
			if r.Contains(c) && c != r.From() {
				pieces[f] = append(pieces[f], c)
			}
		}
	}
	for f := range pieces {
		slices.SortFunc(pieces[f], netip.Addr.Compare)
		pieces[f] = slices.Compact(pieces[f])
		if len(pieces[f]) == 0 {
			pieces[f] = []netip.Addr{{}}
		}
	}
	var out []Entity
	for _, a4 := range pieces[0] {
		for _, a6 := range pieces[1] {
			cp := *e.Endpoint
			cp.IPs, cp.PoolRanges = nil, nil
			for _, a := range []netip.Addr{a4, a6} {
				if a.IsValid() {
					cp.IPs = append(cp.IPs, a)
				}
			}
			out = append(out, Entity{Endpoint: &cp})
		}
	}
	return out
}

// policyCuts returns every address at which a CIDR that a policy or a
// network set names begins, or just past which it ends.
func (ev *Evaluator) policyCuts() []netip.Addr {
	ev.cutsOnce.Do(func() {
		var cuts []netip.Addr
		add := func(ps ...netip.Prefix) {
			for _, p := range ps {
				r := netipx.RangeOfPrefix(p)
				cuts = append(cuts, r.From())
				if n := r.To().Next(); n.IsValid() {
					cuts = append(cuts, n)
				}
			}
		}
		for _, np := range ev.snap.NetworkPolicies {
			for _, r := range np.Spec.Ingress {
				addIPBlocks(add, r.From)
			}
			for _, r := range np.Spec.Egress {
				addIPBlocks(add, r.To)
			}
		}
		for _, ap := range ev.snap.Admin.Policies {
			for _, rs := range [][]policy.AdminRule{ap.Ingress, ap.Egress} {
				for _, r := range rs {
					for _, p := range r.Peers {
						add(p.Networks...)
					}
				}
			}
		}
		for _, cp := range ev.snap.Calico.Policies {
			for _, rs := range [][]policy.CalicoRule{cp.Ingress, cp.Egress} {
				for _, r := range rs {
					add(r.Source.Nets...)
					add(r.Source.NotNets...)
					add(r.Destination.Nets...)
					add(r.Destination.NotNets...)
				}
			}
		}
		for _, ns := range ev.snap.Calico.NetworkSets {
			add(ns.Nets...)
		}
		ev.cuts = cuts
	})
	return ev.cuts
}

// evaluatePools decides a flow with an end whose address is not known:
// each side (the source's egress, the destination's ingress) is evaluated
// for every combination of the candidate addresses of both ends (and, with
// conditional rules, both values of the conditions); a side is allowed
// when allowed for all of them, denied when denied for all, conditional
// otherwise [docs/calico-ipam.md].
func (ev *Evaluator) evaluatePools(f Flow) (Verdict, *Trace) {
	srcs, dsts := []Entity{f.Src}, []Entity{f.Dst}
	t := &Trace{Flow: f, Mode: ev.mode}
	for _, x := range []struct {
		e    Entity
		list *[]Entity
	}{{f.Src, &srcs}, {f.Dst, &dsts}} {
		if !hasPoolRanges(x.e) {
			continue
		}
		*x.list = ev.candidates(x.e)
		ep := x.e.Endpoint
		pt := PoolTrace{Endpoint: ep.ID(), Pools: ep.Pools, Source: string(ep.PoolSource), Candidates: len(*x.list)}
		for _, p := range ep.PoolRanges {
			pt.Ranges = append(pt.Ranges, p.String())
		}
		t.Pools = append(t.Pools, pt)
	}
	var eg, in verdictSet
	first := true
	for _, s := range srcs {
		for _, d := range dsts {
			fam := family(s, d)
			for c := 0; c < 2; c++ {
				if c == 1 && !ev.conditional {
					break
				}
				e := ev.side(policy.Egress, s, d, f, fam, c == 0)
				i := ev.side(policy.Ingress, d, s, f, fam, c == 0)
				if first {
					t.Egress, t.Ingress, first = e, i, false
				}
				eg.add(e.Verdict)
				in.add(i.Verdict)
			}
		}
	}
	t.Egress.Verdict, t.Ingress.Verdict = eg.verdict(), in.verdict()
	for _, st := range []*SideTrace{&t.Egress, &t.Ingress} {
		if st.Verdict == Conditional {
			note := "the verdict differs between addresses the pod may get from its IP pools (trace shown for the first)"
			if st.Note != "" {
				note = st.Note + "; " + note
			}
			st.Note = note
		}
	}
	t.Verdict = combine(t.Egress.Verdict, t.Ingress.Verdict)
	if ev.mesh != nil {
		ev.meshLayer(t, f, family(f.Src, f.Dst))
	}
	return t.Verdict, t
}

// verdictSet gathers verdicts: allowed when all allow, denied when all
// deny, conditional otherwise.
type verdictSet struct{ allow, deny, cond bool }

func (v *verdictSet) add(x Verdict) {
	switch x {
	case Allow:
		v.allow = true
	case Deny:
		v.deny = true
	default:
		v.cond = true
	}
}

func (v *verdictSet) verdict() Verdict {
	switch {
	case v.cond || v.allow && v.deny:
		return Conditional
	case v.deny:
		return Deny
	}
	return Allow
}

// String returns the ranges and their source, "10.0.0.0/24 (pod annotation)".
func (p PoolTrace) String() string {
	return fmt.Sprintf("%s: address from %s (%s; %d distinguishable addresses)", p.Endpoint, strings.Join(p.Ranges, ", "), p.Source, p.Candidates)
}

// addIPBlocks passes the CIDR and except blocks of every ipBlock peer to
// add.
func addIPBlocks(add func(...netip.Prefix), peers []networkingv1.NetworkPolicyPeer) {
	for _, p := range peers {
		if p.IPBlock == nil {
			continue
		}
		if c, _, err := policy.ParseCIDR(p.IPBlock.CIDR); err == nil {
			add(c)
		}
		for _, e := range p.IPBlock.Except {
			if c, _, err := policy.ParseCIDR(e); err == nil {
				add(c)
			}
		}
	}
}
