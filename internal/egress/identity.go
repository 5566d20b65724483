package egress

import (
	"fmt"
	"net/netip"
	"slices"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/selector"
)

// identities returns how e's traffic to dst leaves the cluster: through
// egress gateways when an annotation sends it there, else by the outgoing
// NAT setting of the pod's pool(s) [docs/calico-ipam.md §5].
func (an *analyzer) identities(e *policy.Endpoint, dst netipx.IPRange) []identity {
	fam := 6
	if dst.From().Is4() {
		fam = 4
	}
	if gw, ok := an.gatewayChoice(e, dst.From()); ok {
		if gw != nil {
			k := gatewayKey(e, gw) + "\x00" + fmt.Sprint(fam)
			id, ok := an.gateways[k]
			if !ok {
				id = an.gatewayIdentity(e, gw, fam)
				an.gateways[k] = id
			}
			return []identity{id}
		}
	}
	return an.natIdentities(e, fam)
}

// gatewayChoice finds the egress gateways for e's traffic to dst, from
// the annotations of the pod, else of its namespace: an
// EgressGatewayPolicy (longest-prefix rule holding dst; a rule without a
// gateway, or no rule, means directly) or the selector annotations. ok is
// false when no annotation applies; sel is nil when the traffic goes
// directly.
func (an *analyzer) gatewayChoice(e *policy.Endpoint, dst netip.Addr) (sel *policy.GatewaySelector, ok bool) {
	var nsAnn map[string]string
	if ns := an.snap.Namespace(e.Namespace); ns != nil {
		nsAnn = ns.CalicoAnnotations
	}
	for _, ann := range []map[string]string{e.CalicoAnnotations, nsAnn} {
		if name, found := ann[policy.AnnotationEgressGatewayPolicy]; found {
			p := an.snap.IPAM.EgressGatewayPolicy(name)
			if p == nil {
				return nil, false // reported by the caller's notes through natIdentities
			}
			var best *policy.EgressGatewayRule
			for i := range p.Rules {
				r := &p.Rules[i]
				if r.Destination.Contains(dst) && (best == nil || r.Destination.Bits() > best.Destination.Bits()) {
					best = r
				}
			}
			if best == nil || best.Gateway == nil {
				return nil, true
			}
			return best.Gateway, true
		}
		if s, found := ann[policy.AnnotationEgressSelector]; found {
			g := &policy.GatewaySelector{}
			var err error
			if g.Selector, err = selector.Parse(s); err != nil {
				return nil, false
			}
			if nss, found := ann[policy.AnnotationEgressNamespaceSelector]; found {
				ns, err := selector.Parse(nss)
				if err != nil {
					return nil, false
				}
				g.NamespaceSelector = &ns
			}
			return g, true
		}
	}
	return nil, false
}

// gatewayIdentity returns the addresses of the gateway pods gw selects
// (in client's namespace when it has no namespace selector): each
// gateway's own address, or its node's when the gateway's pool
// masquerades [docs/calico-ipam.md §5.3].
func (an *analyzer) gatewayIdentity(client *policy.Endpoint, gw *policy.GatewaySelector, fam int) identity {
	id := identity{via: ViaGateway}
	var b netipx.IPSetBuilder
	var names []string
	for _, g := range an.snap.Endpoints {
		if g.HostNetwork || g == client {
			continue
		}
		ns := an.snap.Namespace(g.Namespace)
		if gw.NamespaceSelector == nil {
			if g.Namespace != client.Namespace {
				continue
			}
		} else if ns == nil || !gw.NamespaceSelector.Matches(ns.CalicoLabels()) {
			continue
		}
		if !gw.Selector.Matches(g.CalicoLabels()) {
			continue
		}
		names = append(names, g.ID())
		for _, sub := range an.natIdentities(g, fam) {
			for _, p := range sub.sources {
				b.AddPrefix(p)
			}
			id.notes = append(id.notes, sub.notes...)
		}
	}
	set, _ := b.IPSet()
	id.sources = set.Prefixes()
	if len(names) == 0 {
		id.notes = append(id.notes, fmt.Sprintf("no pod of the input matches the egress gateway selector %s: the gateway addresses are not known", gw.Selector))
	} else {
		id.notes = append(id.notes, "through egress gateway "+joinNames(names))
	}
	return id
}

func joinNames(xs []string) string {
	if len(xs) > 3 {
		return fmt.Sprintf("%s, %s, %s and %d more", xs[0], xs[1], xs[2], len(xs)-3)
	}
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

// natIdentities returns e's identity per pool its address comes (or will
// come) from: the node's addresses when the pool has natOutgoing (the
// destination is outside every pool), the pod's address (or pool range)
// otherwise [docs/calico-ipam.md §5.1-5.2].
func (an *analyzer) natIdentities(e *policy.Endpoint, fam int) []identity {
	ipam := &an.snap.IPAM
	type poolAddr struct {
		pool *policy.IPPool
		addr netip.Prefix
	}
	var pas []poolAddr
	for _, ip := range e.IPs {
		if (ip.Is4()) == (fam == 4) {
			pas = append(pas, poolAddr{ipam.PoolOf(ip), netip.PrefixFrom(ip, ip.BitLen())})
		}
	}
	if len(e.IPs) == 0 {
		for k, r := range e.PoolRanges {
			if r.Addr().Is4() != (fam == 4) {
				continue
			}
			var p *policy.IPPool
			if k < len(e.Pools) {
				p = ipam.Pool(e.Pools[k])
			} else {
				p = ipam.PoolOf(r.Addr())
			}
			pas = append(pas, poolAddr{p, r})
		}
	}
	if len(pas) == 0 {
		return []identity{{via: ViaUnknown, notes: []string{"the pod has no address of this family and no IP pool range: its source address is not known"}}}
	}
	var out []identity
	addTo := func(via Via, srcs []netip.Prefix, note string) {
		for i := range out {
			if out[i].via == via {
				for _, s := range srcs {
					if !slices.Contains(out[i].sources, s) {
						out[i].sources = append(out[i].sources, s)
					}
				}
				if note != "" && !slices.Contains(out[i].notes, note) {
					out[i].notes = append(out[i].notes, note)
				}
				return
			}
		}
		id := identity{via: via, sources: srcs}
		if note != "" {
			id.notes = []string{note}
		}
		out = append(out, id)
	}
	for _, pa := range pas {
		switch {
		case pa.pool == nil:
			addTo(ViaUnknown, []netip.Prefix{pa.addr}, "no IP pool of the input holds "+pa.addr.String()+": whether Calico masquerades it is not known")
		case pa.pool.NATOutgoing:
			srcs, note := an.nodeAddrs(e, fam)
			addTo(ViaNode, srcs, note)
		default:
			addTo(ViaPod, []netip.Prefix{pa.addr}, "")
		}
	}
	for i := range out {
		slices.SortFunc(out[i].sources, comparePrefix)
	}
	return out
}

// nodeAddrs returns the InternalIP addresses of e's node, or of every node
// when e's node is not known.
func (an *analyzer) nodeAddrs(e *policy.Endpoint, fam int) ([]netip.Prefix, string) {
	pick := func(n *policy.Node, out []netip.Prefix) []netip.Prefix {
		for _, a := range n.InternalIPs {
			if a.Is4() == (fam == 4) {
				if p := netip.PrefixFrom(a, a.BitLen()); !slices.Contains(out, p) {
					out = append(out, p)
				}
			}
		}
		return out
	}
	if n := an.snap.Node(e.Node); n != nil {
		out := pick(n, nil)
		if len(out) == 0 {
			return nil, "node " + n.Name + " has no InternalIP address of this family: the source address is not known"
		}
		return out, ""
	}
	if len(an.snap.Nodes) == 0 {
		return nil, "no Node in the input: the node addresses the traffic leaves with are not known"
	}
	var out []netip.Prefix
	for _, n := range an.snap.Nodes {
		out = pick(n, out)
	}
	why := "the pod's node is not known"
	if e.Node != "" {
		why = "the pod's node " + e.Node + " is not in the input"
	}
	return out, why + ": any node's address"
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

// idKey says what a pod's identity towards a destination piece depends
// on besides the pod: the family and the egress gateway rule that applies.
type idKey struct {
	fam  int
	rule string
}

// identityKey returns the key under which a pod's identities towards dst
// can be cached: pieces of the same family under the same gateway choice
// give the same identities.
func (an *analyzer) identityKey(e *policy.Endpoint, dst netipx.IPRange) idKey {
	k := idKey{fam: 6}
	if dst.From().Is4() {
		k.fam = 4
	}
	if gw, ok := an.gatewayChoice(e, dst.From()); ok {
		k.rule = "direct"
		if gw != nil {
			k.rule = gatewayKey(e, gw)
		}
	}
	return k
}

// gatewayKey names the gateways gw selects for client: the selectors, and
// the client's namespace when gw has no namespace selector.
func gatewayKey(client *policy.Endpoint, gw *policy.GatewaySelector) string {
	k := gw.Selector.String() + "\x00"
	if gw.NamespaceSelector != nil {
		return k + gw.NamespaceSelector.String()
	}
	return k + "\x00ns=" + client.Namespace
}
