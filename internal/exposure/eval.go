package exposure

import (
	"net/netip"
	"slices"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/bdd"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// This file evaluates the lowered policy program (policy.Program) for one
// direction at one end of a connection, when one end is the hypothetical
// pod: the answer is the set of hypothetical pods for which the side
// allows the connection, as a BDD. It follows the same machine as the
// engine and the reference evaluator [docs/semantics.md §3.6, §5.2]:
//
//	tier ──▶ tier ──▶ … ──▶ allow (profile, or no policy)
//	  no policy of the tier applies to the subject: skip the tier
//	  otherwise rules in order, first match decides:
//	    Allow / Deny: final    Pass: next tier    Log: keep going
//	  no rule matched: the tier's default action (Deny, or Pass)
//
// With a symbolic end every "applies" and "matches" is a set of
// hypothetical pods, and the walk keeps the set still undecided.

// entity is one end of a connection: the hypothetical pod, an input
// endpoint, or an address outside the cluster's endpoints.
type entity struct {
	hyp bool
	ep  *policy.Endpoint
	ip  netip.Addr // for an address
	// The label sets selectors see on an endpoint.
	labels, nsl, sal map[string]string
	// Caches of what the policies decide about a concrete entity: per
	// policy (analyzer.polIndex) whether it selects it, per distinct peer
	// and family (analyzer.peerIndex) whether it matches; 0 unknown, 1
	// no, 2 yes.
	subjects   []int8
	peers      []int8
	selecting  [2][][]relPolicy
	candidates [2][][]relPolicy
}

func (e *entity) podNetwork() bool { return e.hyp || e.ep != nil && !e.ep.HostNetwork }

// addr returns a concrete entity's address of the family.
func (e *entity) addr(fam int) (netip.Addr, bool) {
	if e.ep == nil {
		if e.ip.IsValid() && e.ip.Is4() == (fam == 4) {
			return e.ip, true
		}
		return netip.Addr{}, false
	}
	return e.ep.IP(fam)
}

// dropCaches forgets what was cached about a concrete entity; the caches
// are rebuilt on demand.
func (e *entity) dropCaches() {
	clear(e.subjects)
	clear(e.peers)
	e.selecting, e.candidates = [2][][]relPolicy{}, [2][][]relPolicy{}
}

// tri caches a bool: 0 unknown, 1 false, 2 true.
func tri(b bool) int8 {
	if b {
		return 2
	}
	return 1
}

func (a *analyzer) endpointEntity(ep *policy.Endpoint) *entity {
	e := &entity{ep: ep, subjects: make([]int8, len(a.polIndex)), peers: make([]int8, 2*len(a.peerKeys))}
	if a.space.calico {
		e.labels = ep.CalicoLabels()
		e.sal = a.snap.CalicoServiceAccountLabels(ep.Namespace, ep.ServiceAccount)
	} else {
		e.labels = ep.Labels
		e.sal = a.snap.ServiceAccountLabels(ep.Namespace, ep.ServiceAccount)
	}
	e.nsl = a.space.nsLabelsOf(ep.Namespace)
	return e
}

// flowCtx is what a side evaluation is about: a port group, the address
// family, and whether conditional rules count as matching.
type flowCtx struct {
	g    *portGroup
	fam  int
	cond bool
}

func famIndex(fam int) int {
	if fam == 6 {
		return 1
	}
	return 0
}

// side returns the hypothetical pods for which direction d at subj allows
// the connection with remote. Exactly one of subj and remote may be the
// hypothetical pod (or neither).
func (a *analyzer) side(d policy.Direction, subj, remote *entity, c flowCtx) bdd.Node {
	m := a.m
	if !subj.hyp && (subj.ep == nil || subj.ep.HostNetwork) {
		return bdd.True // addresses and host-network pods are not policy subjects
	}
	exempt := bdd.False
	if d == policy.Ingress || a.opts.Reach.OwnNodeEgressUnpoliced {
		exempt = a.ownNode(remote, subj)
		if exempt == bdd.True {
			return bdd.True
		}
	}
	undecided, allow := bdd.True, bdd.False
	for ti, t := range a.prog.Tiers {
		var applied bdd.Node
		var pols []relPolicy
		if subj.hyp {
			applied, pols = a.appliedH(ti, d), a.candidates(d, remote)[ti]
		} else {
			pols = a.selecting(d, subj)[ti]
			applied = boolNode(len(pols) > 0)
		}
		if applied == bdd.False {
			continue // the tier does not apply: skipped
		}
		inTier := undecided // still walking this tier
		passed := bdd.False
		for _, rp := range pols {
			live := m.And(inTier, a.subject(rp.pol, subj))
			for _, i := range rp.rules {
				if live == bdd.False {
					break
				}
				r := &rp.pol.Rules[d][i]
				hit := m.And(live, a.rule(r, d, subj, remote, c))
				if hit == bdd.False {
					continue
				}
				switch r.Action {
				case policy.ActionAllow:
					allow = m.Or(allow, hit)
				case policy.ActionPass:
					passed = m.Or(passed, hit)
				}
				live = m.AndNot(live, hit)
				inTier = m.AndNot(inTier, hit)
			}
		}
		// Undecided after the tier: those it passed on, those it does not
		// apply to, and, with a Pass default, those it applies to but did
		// not decide.
		next := m.Or(passed, m.AndNot(inTier, applied))
		if t.DefaultAction == policy.ActionPass {
			next = m.Or(next, m.And(inTier, applied))
		}
		undecided = next
		if undecided == bdd.False {
			break
		}
	}
	return m.OrAll(exempt, allow, undecided)
}

// relPolicy is a policy of a tier with the rules (indexes, in order, Log
// rules left out) that can decide a flow of one side.
type relPolicy struct {
	pol   *policy.Lowered
	rules []int
}

// appliedH returns the hypothetical pods that tier ti applies to in
// direction d.
func (a *analyzer) appliedH(ti int, d policy.Direction) bdd.Node {
	if a.applied == nil {
		a.applied = make([][2]bdd.Node, len(a.prog.Tiers))
		for i, t := range a.prog.Tiers {
			for dd := policy.Ingress; dd <= policy.Egress; dd++ {
				n := bdd.False
				for _, pol := range t.Policies {
					if pol.Applies[dd] {
						n = a.m.Or(n, a.subject(pol, &entity{hyp: true}))
					}
				}
				a.applied[i][dd] = n
			}
		}
	}
	return a.applied[ti][d]
}

// selecting returns, per tier, the policies that apply to concrete
// endpoint e in direction d, with all their rules: only they can decide
// its side.
func (a *analyzer) selecting(d policy.Direction, e *entity) [][]relPolicy {
	if e.selecting[d] != nil {
		return e.selecting[d]
	}
	out := make([][]relPolicy, len(a.prog.Tiers))
	for ti, t := range a.prog.Tiers {
		for _, pol := range t.Policies {
			if pol.Applies[d] && a.subject(pol, e) == bdd.True {
				out[ti] = append(out[ti], relPolicy{pol, decidingRules(pol.Rules[d], nil)})
			}
		}
	}
	e.selecting[d] = out
	return out
}

// candidates returns, per tier, the policies with a rule that can match a
// flow of direction d at the hypothetical pod with the concrete remote
// end: the rule's peers on the remote's side must match it (for either
// family). A rule that cannot match decides nothing, so the walk skips
// the others: the result is the same.
func (a *analyzer) candidates(d policy.Direction, remote *entity) [][]relPolicy {
	if remote.candidates[d] != nil {
		return remote.candidates[d]
	}
	out := make([][]relPolicy, len(a.prog.Tiers))
	for ti, t := range a.prog.Tiers {
		for _, pol := range t.Policies {
			if !pol.Applies[d] {
				continue
			}
			rules := decidingRules(pol.Rules[d], func(r *policy.Rule) bool {
				peers := r.Dst.Peers
				if d == policy.Ingress {
					peers = r.Src.Peers
				}
				return a.peers(peers, remote, 4) != bdd.False || a.space.addr[1] != nil && a.peers(peers, remote, 6) != bdd.False
			})
			if len(rules) > 0 {
				out[ti] = append(out[ti], relPolicy{pol, rules})
			}
		}
	}
	remote.candidates[d] = out
	return out
}

// decidingRules returns the indexes of the rules that are not Log (Log
// decides nothing) and that keep accepts (nil: all).
func decidingRules(rules []policy.Rule, keep func(*policy.Rule) bool) []int {
	var out []int
	for i := range rules {
		if rules[i].Action != policy.ActionLog && (keep == nil || keep(&rules[i])) {
			out = append(out, i)
		}
	}
	return out
}

// ownNode returns "from is pod's own node" [docs/semantics.md §2.9]: a
// host-network endpoint on that node, or one of the node's addresses.
func (a *analyzer) ownNode(from, pod *entity) bdd.Node {
	if from.hyp {
		return bdd.False // a pod on the pod network is never a node
	}
	node := ""
	switch {
	case from.ep != nil:
		if !from.ep.HostNetwork {
			return bdd.False
		}
		node = from.ep.Node
	default:
		node = a.space.nodeAddrs[from.ip]
	}
	if node == "" {
		return bdd.False
	}
	if pod.hyp {
		return a.comp.nodeIs(node)
	}
	return boolNode(pod.ep.Node == node)
}

// subject returns the pods (or whether the endpoint) the policy applies to.
func (a *analyzer) subject(pol *policy.Lowered, e *entity) bdd.Node {
	sub := &pol.Subject
	if e.hyp {
		if n, ok := a.subjects[pol]; ok {
			return n
		}
		c, m := a.comp, a.m
		n := m.AndAll(c.namespaceIs(sub.Namespace), c.namespaceSelector(sub.NamespaceSelector),
			c.selector(&sub.Selector, podLabels))
		if sub.ServiceAccountSelector != nil {
			n = m.And(n, c.selector(sub.ServiceAccountSelector, saLabels))
		}
		a.subjects[pol] = n
		return n
	}
	pi, indexed := a.polIndex[pol]
	if v := e.subjects[pi]; indexed && v != 0 {
		return boolNode(v == 2)
	}
	ep := e.ep
	ok := !ep.HostNetwork &&
		(sub.Namespace == "" || ep.Namespace == sub.Namespace) &&
		(sub.NamespaceSelector == nil || policy.MatchNamespaceSelector(*sub.NamespaceSelector, true, e.nsl)) &&
		sub.Selector.Matches(e.labels) &&
		(sub.ServiceAccountSelector == nil || sub.ServiceAccountSelector.Matches(e.sal))
	if indexed {
		e.subjects[pi] = tri(ok)
	}
	return boolNode(ok)
}

// rule returns "the rule matches the connection" [docs/semantics.md §2.3,
// §3.4, §3.5, §4.1]: every present condition holds. The source side's
// ports are not matched: a rule with source ports is conditional.
func (a *analyzer) rule(r *policy.Rule, d policy.Direction, subj, remote *entity, c flowCtx) bdd.Node {
	if r.Conditional != "" && !c.cond ||
		r.IPVersion != 0 && r.IPVersion != c.fam ||
		r.SkipFamily[famIndex(c.fam)] ||
		r.Protocol != policy.AnyProtocol && r.Protocol != c.g.proto ||
		r.NotProtocol != policy.AnyProtocol && r.NotProtocol == c.g.proto {
		return bdd.False
	}
	src, dst := remote, subj
	if d == policy.Egress {
		src, dst = subj, remote
	}
	m := a.m
	n := a.peers(r.Src.Peers, src, c.fam)
	if n == bdd.False {
		return n
	}
	if n = m.And(n, a.peers(r.Dst.Peers, dst, c.fam)); n == bdd.False {
		return n
	}
	if r.Dst.Ports != nil {
		if n = m.And(n, a.ports(r.Dst.Ports, dst, c)); n == bdd.False {
			return n
		}
	}
	if len(r.Dst.NotPorts) > 0 {
		n = m.AndNot(n, a.ports(r.Dst.NotPorts, dst, c))
	}
	return n
}

// peers returns "some peer matches x"; nil peers match every entity.
func (a *analyzer) peers(ps []policy.Peer, x *entity, fam int) bdd.Node {
	if ps == nil {
		return bdd.True
	}
	r := bdd.False
	for i := range ps {
		if r = a.m.Or(r, a.peer(&ps[i], x, fam)); r == bdd.True {
			break
		}
	}
	return r
}

func (a *analyzer) peer(p *policy.Peer, x *entity, fam int) bdd.Node {
	if p.Nothing {
		return bdd.False
	}
	id, indexed := a.peerIndex[p]
	if !indexed {
		return a.peerMatch(p, x, fam) // not a peer of the program: no cache
	}
	k := 2*id + famIndex(fam)
	if x.hyp {
		if n, seen := a.hypPeers[k]; seen {
			return n
		}
		n := a.peerMatch(p, x, fam)
		a.hypPeers[k] = n
		return n
	}
	if v := x.peers[k]; v != 0 {
		return boolNode(v == 2)
	}
	r := a.peerMatch(p, x, fam)
	x.peers[k] = tri(r == bdd.True)
	return r
}

func (a *analyzer) peerMatch(p *policy.Peer, x *entity, fam int) bdd.Node {
	m := a.m
	r := bdd.True
	if p.Nets != nil {
		if p.NetsSkipPods && x.podNetwork() {
			return bdd.False
		}
		r = a.addrIn(x, p.Nets, fam)
	}
	if p.NotNets != nil {
		r = m.AndNot(r, a.addrIn(x, p.NotNets, fam))
	}
	if p.Identity != nil && r != bdd.False {
		r = m.And(r, a.identity(p.Identity, x, fam))
	}
	if p.NotIdentity != nil && r != bdd.False {
		r = m.AndNot(r, a.identity(p.NotIdentity, x, fam))
	}
	return r
}

type setKey struct {
	set *netipx.IPSet
	fam int
}

// addrIn returns "x has an address of the family inside set".
func (a *analyzer) addrIn(x *entity, set *netipx.IPSet, fam int) bdd.Node {
	if !x.hyp {
		ip, ok := x.addr(fam)
		return boolNode(ok && set.Contains(ip))
	}
	k := setKey{set, fam}
	if n, ok := a.addrSets[k]; ok {
		return n
	}
	d := a.space.addr[famIndex(fam)]
	n := bdd.False
	if d != nil {
		var in []int
		for i, r := range d.atoms {
			if set.Contains(r.From()) {
				in = append(in, i)
			}
		}
		n = a.space.idxIn(d.bits, in)
	}
	a.addrSets[k] = n
	return n
}

// identity returns "x is a known entity satisfying id": a pod whose
// namespace, labels and service account satisfy it, or an address inside
// a network set that does [docs/semantics.md §3.5].
func (a *analyzer) identity(id *policy.Identity, x *entity, fam int) bdd.Node {
	m := a.m
	pod := bdd.False
	if id.Kinds&policy.KindPod != 0 && x.podNetwork() {
		if x.hyp {
			var ok bool
			if pod, ok = a.identities[id]; !ok {
				c := a.comp
				pod = m.AndAll(c.namespaceIs(id.Namespace), c.namespaceSelector(id.NamespaceSelector),
					c.selector(id.Selector, podLabels))
				if len(id.ServiceAccountNames) > 0 {
					pod = m.And(pod, c.serviceAccountNamed(id.ServiceAccountNames))
				}
				if id.ServiceAccountSelector != nil {
					pod = m.And(pod, c.selector(id.ServiceAccountSelector, saLabels))
				}
				a.identities[id] = pod
			}
		} else {
			ep := x.ep
			pod = boolNode((id.Namespace == "" || ep.Namespace == id.Namespace) &&
				(id.NamespaceSelector == nil || policy.MatchNamespaceSelector(*id.NamespaceSelector, true, x.nsl)) &&
				(id.Selector == nil || id.Selector.Matches(x.labels)) &&
				(len(id.ServiceAccountNames) == 0 || slices.Contains(id.ServiceAccountNames, ep.ServiceAccount)) &&
				(id.ServiceAccountSelector == nil || id.ServiceAccountSelector.Matches(x.sal)))
		}
	}
	if pod == bdd.True {
		return pod
	}
	if sets := a.networkSets(id); sets != nil {
		pod = m.Or(pod, a.addrIn(x, sets, fam))
	}
	return pod
}

// networkSets returns the addresses of the network sets that satisfy id
// (nil when none do), as the engine decides it [docs/semantics.md §3.5].
func (a *analyzer) networkSets(id *policy.Identity) *netipx.IPSet {
	if set, ok := a.netsets[id]; ok {
		return set
	}
	var b netipx.IPSetBuilder
	any := false
	for _, ns := range a.prog.NetworkSets {
		if reachability.NetworkSetMatches(a.snap, ns, id, a.space.calico) {
			b.AddSet(ns.Nets)
			any = true
		}
	}
	var set *netipx.IPSet
	if any {
		set, _ = b.IPSet()
	}
	a.netsets[id] = set
	return set
}

// ports returns "some port match matches the connection's destination
// port on dst" [docs/semantics.md §2.7]: numbers against the port group,
// names against dst's container ports (for the hypothetical pod, the
// variable "the port is declared under this name").
func (a *analyzer) ports(pms []policy.PortMatch, dst *entity, c flowCtx) bdd.Node {
	r := bdd.False
	g := c.g
	for _, pm := range pms {
		if pm.Protocol != policy.AnyProtocol && pm.Protocol != g.proto || !g.proto.HasPorts() {
			continue
		}
		var n bdd.Node
		switch {
		case pm.Name == "":
			n = boolNode(g.port >= pm.Lo && g.port <= pm.Hi)
		case dst.hyp:
			n = a.m.Var(a.space.decl[pm.Name])
		default:
			n = boolNode(hasNamedPort(dst, pm.Name, g.proto, g.port))
		}
		if r = a.m.Or(r, n); r == bdd.True {
			break
		}
	}
	return r
}

// hasNamedPort reports whether an endpoint on the pod network declares a
// container port with that name, protocol and number.
func hasNamedPort(e *entity, name string, proto policy.Protocol, port uint16) bool {
	if e.ep == nil || e.ep.HostNetwork {
		return false
	}
	for _, cp := range e.ep.Ports {
		if cp.Name == name && cp.Protocol == proto && cp.Port == port {
			return true
		}
	}
	return false
}
