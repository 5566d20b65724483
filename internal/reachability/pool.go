package reachability

import (
	"strconv"
	"strings"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
)

// Pods without an address (workload templates) get from the loader the
// ranges Calico IPAM would allocate their address from
// (Endpoint.PoolRanges, docs/calico-ipam.md). The external atoms are cut at
// every pool boundary, so such a pod's address lies in one of the atoms
// inside its ranges: its variants. A pod with one variant is judged like a
// pod with an address in that atom. A pod with several is evaluated once
// per variant, and each side of a flow (the source's egress, the
// destination's ingress) is folded over every combination of the two
// ends' variants: allowed when allowed for every combination, denied when
// denied for every one, conditional otherwise [docs/calico-ipam.md,
// §4]. The reference evaluator does the same one flow at a time
// (candidates). Rows of a pool class cost one evaluation per variant of
// the class (when a rule tests its own address) times the most variants of
// any class (when a rule tests its peers' addresses).

// poolRanges returns the pool ranges of the endpoints without an address,
// so that the external atoms are cut at their boundaries.
func poolRanges(s *policy.Snapshot) []netipx.IPRange {
	var out []netipx.IPRange
	seen := map[string]bool{}
	for _, e := range s.Endpoints {
		if len(e.IPs) > 0 {
			continue
		}
		for _, p := range e.PoolRanges {
			if k := p.String(); !seen[k] {
				seen[k] = true
				out = append(out, netipx.RangeOfPrefix(p))
			}
		}
	}
	return out
}

// poolVariants returns the (IPv4, IPv6) atoms an endpoint's address may
// fall in, given its pool ranges, and a key naming them for the class
// signature; nil and "" for endpoints with addresses or without ranges. A
// family without ranges has atom -1.
func poolVariants(e *policy.Endpoint, atoms []ExternalAtom) ([][2]int, string) {
	if len(e.IPs) > 0 || len(e.PoolRanges) == 0 || e.HostNetwork {
		return nil, ""
	}
	var in [2][]int
	var b netipx.IPSetBuilder
	for _, p := range e.PoolRanges {
		b.AddPrefix(p)
	}
	set, _ := b.IPSet()
	for a, at := range atoms {
		if set.Contains(at.Range.From()) {
			f := 0
			if at.Family() == 6 {
				f = 1
			}
			in[f] = append(in[f], a)
		}
	}
	for f := range in {
		if len(in[f]) == 0 {
			in[f] = []int{-1}
		}
	}
	var out [][2]int
	var key strings.Builder
	key.WriteString("pool")
	for _, a4 := range in[0] {
		for _, a6 := range in[1] {
			out = append(out, [2]int{a4, a6})
			key.WriteString(":" + strconv.Itoa(a4) + "," + strconv.Itoa(a6))
		}
	}
	return out, key.String()
}

// maxClassVariants returns the largest number of variants of a class (1
// when no class has several).
func (u *universe) maxClassVariants() int {
	n := 1
	for i := range u.classes {
		n = max(n, len(u.classes[i].variants))
	}
	return n
}

// atomAt returns the class's atom of family f when its address is taken
// to be its variant v (the last variant when it has fewer).
func (cl *class) atomAt(f, v int) int {
	if len(cl.variants) == 0 {
		return cl.atom[f]
	}
	return cl.variants[min(v, len(cl.variants)-1)][f]
}

// compileVariants compiles, for every variant index v > 0, the peer sets
// of every rule again with each class at its variant v; a rule whose sets
// differ from variant 0 keeps them all (srcV, dstV). It returns whether
// some rule's sets differ.
func (e *engine) compileVariants(c *compiler) bool {
	nV := e.u.maxClassVariants()
	if nV == 1 {
		return false
	}
	varies := false
	for v := 1; v < nV; v++ {
		c.reset()
		c.byAtom = [2][][]int{}
		c.variant = v
		k := 0
		for _, t := range e.prog.Tiers {
			for _, p := range t.Policies {
				cp := &e.policies[k]
				k++
				if !cp.fresh {
					// reused from an earlier matrix over the same universe,
					// with its variant sets
					for d := range cp.rules {
						for i := range cp.rules[d] {
							if cp.rules[d][i].srcV != nil || cp.rules[d][i].dstV != nil {
								varies = true
							}
						}
					}
					continue
				}
				for d := range p.Rules {
					for i := range p.Rules[d] {
						r := &p.Rules[d][i]
						cr := &cp.rules[d][i]
						if !peersHaveNets(r.Src.Peers) && !peersHaveNets(r.Dst.Peers) && !hasNetworkSetIdentity(r) {
							continue
						}
						_, src := c.entity(&r.Src)
						_, dst := c.entity(&r.Dst)
						varies = setVariant(&cr.srcV, cr.srcSet, src, v, nV) || varies
						varies = setVariant(&cr.dstV, cr.dstSet, dst, v, nV) || varies
					}
				}
			}
		}
	}
	c.reset()
	c.byAtom = [2][][]int{}
	c.variant = 0
	return varies
}

// setVariant records the sets of variant v in *vs when they differ from
// base (variant 0's) or earlier variants already differed, and reports
// whether *vs is in use.
func setVariant(vs *[][2]graph.Set, base, sets [2]graph.Set, v, nV int) bool {
	if *vs == nil {
		if sameSets(sets, base) {
			return false
		}
		*vs = make([][2]graph.Set, nV)
		for j := 0; j < v; j++ {
			(*vs)[j] = base
		}
	}
	(*vs)[v] = sets
	return true
}

// peersHaveNets reports whether some peer tests addresses.
func peersHaveNets(peers []policy.Peer) bool {
	for _, p := range peers {
		if p.Nets != nil || p.NotNets != nil {
			return true
		}
	}
	return false
}

// hasNetworkSetIdentity reports whether a rule's selectors can match
// network sets, whose members are addresses.
func hasNetworkSetIdentity(r *policy.Rule) bool {
	for _, em := range []*policy.EntityMatch{&r.Src, &r.Dst} {
		for _, p := range em.Peers {
			for _, id := range []*policy.Identity{p.Identity, p.NotIdentity} {
				if id != nil && id.Kinds&(policy.KindNetworkSet|policy.KindGlobalNetworkSet) != 0 {
					return true
				}
			}
		}
	}
	return false
}

func sameSets(a, b [2]graph.Set) bool {
	for f := range a {
		if (a[f] == nil) != (b[f] == nil) || a[f] != nil && !a[f].Equal(b[f]) {
			return false
		}
	}
	return true
}

// srcAt and dstAt return the rule's source (destination) set of family f
// with every class at its variant v.
func (r *compiledRule) srcAt(f, v int) graph.Set {
	if r.srcV != nil {
		return r.srcV[v][f]
	}
	return r.srcSet[f]
}

func (r *compiledRule) dstAt(f, v int) graph.Set {
	if r.dstV != nil {
		return r.dstV[v][f]
	}
	return r.dstSet[f]
}

// variantLoops returns how many variants of the subject class s and of its
// peers the rows of direction d must be evaluated for: the subject's own
// variants when a rule applying to it tests its own address, the largest
// number of variants when a rule tests its peers' addresses.
func (e *engine) variantLoops(d policy.Direction, s int) (self, peer int) {
	self, peer = 1, 1
	if !e.variants {
		return
	}
	for _, pi := range e.applicable[d][s] {
		for ri := range e.policies[pi].rules[d] {
			r := &e.policies[pi].rules[d][ri]
			own, other := r.srcV, r.dstV
			if d == policy.Ingress {
				own, other = r.dstV, r.srcV
			}
			if own != nil {
				self = max(1, len(e.u.classes[s].variants))
			}
			if other != nil {
				peer = len(other)
			}
		}
	}
	return self, peer
}

// addPoolJSON fills an endpoint entry's pool ranges.
func addPoolJSON(ej *EntryJSON, e *policy.Endpoint) {
	if len(e.IPs) > 0 || e.HostNetwork {
		return
	}
	for _, p := range e.PoolRanges {
		ej.AddressRanges = append(ej.AddressRanges, p.String())
	}
	ej.AddressRangesFrom = string(e.PoolSource)
}

// ClassOf returns the equivalence class of entry i, an endpoint: entries
// of one class have the same verdicts with every other entry. Analyses
// that query many entries (package egress) compute once per class. It
// returns -1 for other entries.
func (m *Matrix) ClassOf(i int) int {
	if i < 0 || i >= len(m.snap.Endpoints) {
		return -1
	}
	return m.classOf[i]
}
