package audit

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// nonPublic holds the addresses that are not the public internet: private
// (RFC 1918, RFC 4193), shared (RFC 6598), loopback, link-local,
// "this network", multicast and reserved ranges.
var nonPublic = func() *netipx.IPSet {
	var b netipx.IPSetBuilder
	for _, p := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
		"172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
	} {
		b.AddPrefix(netip.MustParsePrefix(p))
	}
	s, _ := b.IPSet()
	return s
}()

// publicPart returns the first public address of an atom, if it has one.
func publicPart(r netipx.IPRange) (netip.Addr, bool) {
	var b netipx.IPSetBuilder
	b.AddRange(r)
	b.RemoveSet(nonPublic)
	s, _ := b.IPSet()
	rs := s.Ranges()
	if len(rs) == 0 {
		return netip.Addr{}, false
	}
	return rs[0].From(), true
}

// namespaceCounts counts the allowed pod pairs (any port, allowed for
// sure, a pod and itself excluded) between every two namespaces, working
// on classes: a bit (c, d) of the class graph stands for |c|·|d| pairs,
// or |c|·(|c|-1) when c = d.
func (a *analysis) namespaceCounts() [][]int {
	n := len(a.namespaces)
	flat := make([]int, n*n)
	out := make([][]int, n)
	for i := range out {
		out[i] = flat[i*n : (i+1)*n : (i+1)*n]
	}
	for c := range a.nC {
		if a.rep[c] == nil {
			continue
		}
		g := a.nsOfClass[c]
		sc := len(a.members[c])
		for d := range a.cg.Row(c).All() {
			if d >= a.nC {
				break
			}
			if a.rep[d] == nil {
				continue
			}
			k := sc * len(a.members[d])
			if c == d {
				k = sc * (sc - 1)
			}
			out[g][a.nsOfClass[d]] += k
		}
	}
	return out
}

// classesOfNamespace returns the classes of a namespace as a set.
func (a *analysis) classesOfNamespace(g int) graph.Set {
	return a.classSet(fmt.Sprintf("nsidx\x00%d", g), func(c int) bool { return a.nsOfClass[c] == g })
}

// flowFindings reports, per source namespace, the cross-tenant (NR005)
// and other cross-namespace (NR004) flows it takes part in.
func (a *analysis) flowFindings(counts [][]int) []Finding {
	var out []Finding
	for g, src := range a.namespaces {
		if a.shared(src) {
			continue
		}
		tg := a.tenant(src)
		var tenantDsts, nsDsts []int
		for h, dst := range a.namespaces {
			if g == h || counts[g][h] == 0 || a.shared(dst) {
				continue
			}
			if th := a.tenant(dst); tg != "" && th != "" && tg != th {
				tenantDsts = append(tenantDsts, h)
			} else {
				nsDsts = append(nsDsts, h)
			}
		}
		// One finding per destination tenant, in order of first
		// appearance, so that findings merge per ordered tenant pair.
		var tenants []string
		for _, h := range tenantDsts {
			if th := a.tenant(a.namespaces[h]); !slices.Contains(tenants, th) {
				tenants = append(tenants, th)
			}
		}
		for _, th := range tenants {
			var dsts []int
			for _, h := range tenantDsts {
				if a.tenant(a.namespaces[h]) == th {
					dsts = append(dsts, h)
				}
			}
			f := newFinding(CrossTenant, src, fmt.Sprintf("pods of namespace %s (tenant %s) can connect to %s of tenant %s: %s",
				src, tg, countOf(len(dsts), "namespace"), th, a.destinations(g, dsts, counts)),
				fmt.Sprintf("Allow egress from %s only to namespaces with %s=%s, and ingress to tenant %s's namespaces only from their own tenant.",
					src, a.opts.TenantLabel, tg, th))
			a.flowObjects(&f, g, dsts)
			f.Affected = pairSum(counts[g], dsts)
			out = append(out, f)
		}
		if len(nsDsts) > 0 {
			f := newFinding(CrossNamespace, src, fmt.Sprintf("pods of namespace %s can connect to %s: %s",
				src, countOf(len(nsDsts), "other namespace"), a.destinations(g, nsDsts, counts)),
				"Confirm these flows are intended; otherwise narrow the rules that allow them, or list shared namespaces with --shared.")
			a.flowObjects(&f, g, nsDsts)
			f.Affected = pairSum(counts[g], nsDsts)
			out = append(out, f)
		}
	}
	return out
}

// pairSum adds the pod pairs of a row of counts to the given namespaces.
func pairSum(row []int, dsts []int) int64 {
	var n int64
	for _, h := range dsts {
		n += int64(row[h])
	}
	return n
}

// destinations lists destination namespaces with their pod-pair counts.
func (a *analysis) destinations(g int, dsts []int, counts [][]int) string {
	items := make([]string, 0, min(len(dsts), 5))
	for _, h := range dsts[:min(len(dsts), 5)] {
		items = append(items, fmt.Sprintf("%s (%s)", a.namespaces[h], countOf(counts[g][h], "pod pair")))
	}
	return joinMore(items, len(dsts))
}

// flowObjects adds the namespaces of a flow finding and evidence for the
// first destinations.
func (a *analysis) flowObjects(f *Finding, g int, dsts []int) {
	for _, h := range append([]int{g}, dsts...) {
		f.Namespaces = append(f.Namespaces, a.namespaces[h])
		if n := a.snap.Namespace(a.namespaces[h]); n != nil {
			f.Objects = append(f.Objects, n.ObjectRef)
		}
	}
	for _, h := range dsts[:min(len(dsts), 2)] {
		if c, d, ok := a.samplePair(a.classesOfNamespace(g), a.classesOfNamespace(h)); ok {
			a.addEvidence(f, a.members[c][0], a.entryOf(d))
		}
	}
}

// samplePair returns the first class (or atom) pair (c, d) with c in from,
// d in to and bit (c, d) set in the class graph.
func (a *analysis) samplePair(from, to graph.Set) (int, int, bool) {
	tmp := graph.NewSet(a.nU)
	for c := range from.All() {
		if c < a.nC && a.rep[c] == nil {
			continue
		}
		tmp.CopyFrom(a.cg.Row(c))
		tmp.And(to)
		if d, ok := tmp.Next(0); ok {
			if d == c && c < a.nC && len(a.members[c]) < 2 {
				if d, ok = tmp.Next(d + 1); !ok {
					continue
				}
			}
			return c, d, true
		}
	}
	return 0, 0, false
}

// entryOf returns an entry of universe index u: the first endpoint of a
// class, or the atom's entry.
func (a *analysis) entryOf(u int) int {
	if u < a.nC {
		return a.members[u][0]
	}
	return a.nE + (u - a.nC)
}

// flowEntity returns the flow entity of an entry; for an atom, its first
// public address when it has one (so samples read as the internet), else
// its first address.
func (a *analysis) flowEntity(i int) reachability.Entity {
	if e := a.m.Endpoint(i); e != nil {
		return reachability.EndpointEntity(e)
	}
	at, _ := a.m.ExternalAtom(i)
	if ip, ok := publicPart(at.Range); ok {
		return reachability.IPEntity(ip)
	}
	return reachability.IPEntity(at.Range.From())
}

// addEvidence records a sample flow from entry i to entry j: the
// connections it is allowed on (as [reachability.Connections] prints
// them), and how the reference evaluator decided each side on the first
// of them. The deciding policies join the finding's objects.
func (a *analysis) addEvidence(f *Finding, i, j int) {
	conns, _ := a.m.Connections(i, j)
	if conns.IsEmpty() {
		return
	}
	src, dst := a.flowEntity(i), a.flowEntity(j)
	line := fmt.Sprintf("%s → %s: %s", src, dst, conns)
	if a.ev == nil {
		a.ev = reachability.NewEvaluator(a.orig, a.m.Options())
	}
	var proto policy.Protocol
	var port uint16
	sample := ""
	if rs := conns.Ranges(); len(rs) > 0 {
		proto, port = rs[0].Protocol, rs[0].Lo
		sample = fmt.Sprintf("%d/%s", port, proto)
	} else if ps := conns.Protocols(); len(ps) > 0 {
		proto = ps[0]
		sample = proto.String()
	}
	_, tr := a.ev.Evaluate(reachability.Flow{Src: src, Dst: dst, Protocol: proto, Port: port})
	if tr != nil && tr.Reason == "" {
		line += fmt.Sprintf(" (on %s: %s)", sample, strings.Join(traceParts(f, tr), "; "))
	}
	f.Evidence = append(f.Evidence, line)
}

// traceParts says how each side of a traced flow decided, egress then
// ingress, and adds the deciding policies to the finding's objects.
func traceParts(f *Finding, tr *reachability.Trace) []string {
	var parts []string
	for _, side := range []*reachability.SideTrace{&tr.Egress, &tr.Ingress} {
		txt, ref := sideText(side)
		parts = append(parts, side.Direction.String()+" "+txt)
		if ref != nil && !hasRef(f.Objects, *ref) {
			f.Objects = append(f.Objects, *ref)
		}
	}
	return parts
}

// portsText describes a set of port atoms compactly: "any port" for all
// of them, else contiguous atoms merged per protocol ("53/UDP",
// "80-90/TCP", "TCP" for every TCP port).
func (a *analysis) portsText(ps []int) string {
	if len(ps) == len(a.ports) {
		return "any port"
	}
	var items []string
	for k := 0; k < len(ps); {
		at := a.ports[ps[k]]
		lo, hi := at.Lo, at.Hi
		k++
		for k < len(ps) && a.ports[ps[k]].Protocol == at.Protocol && at.Protocol.HasPorts() && a.ports[ps[k]].Lo == hi+1 {
			hi = a.ports[ps[k]].Hi
			k++
		}
		switch {
		case !at.Protocol.HasPorts() || lo <= 1 && hi == 65535:
			items = append(items, at.Protocol.String())
		case lo == hi:
			items = append(items, fmt.Sprintf("%d/%s", lo, at.Protocol))
		default:
			items = append(items, fmt.Sprintf("%d-%d/%s", lo, hi, at.Protocol))
		}
	}
	return joinMore(items[:min(4, len(items))], len(items))
}

func hasRef(refs []policy.ObjectRef, r policy.ObjectRef) bool {
	for _, x := range refs {
		if x.Key() == r.Key() {
			return true
		}
	}
	return false
}

// publicAtoms returns the atoms (as universe indexes) that hold public
// internet addresses.
func (a *analysis) publicAtoms() graph.Set {
	s := graph.NewSet(a.nU)
	for i, at := range a.atoms {
		if _, ok := publicPart(at.Range); ok {
			s.Add(a.nC + i)
		}
	}
	return s
}

// externalFindings reports pods that can reach the internet (NR006) and
// pods that addresses outside the cluster can reach (NR008).
func (a *analysis) externalFindings() []Finding {
	public := a.publicAtoms()
	atoms := graph.NewSet(a.nU)
	for i := range a.atoms {
		atoms.Add(a.nC + i)
	}
	// Column view of the atoms' rows: which classes each atom reaches.
	reached := graph.NewSet(a.nU)
	reachedPublic := graph.NewSet(a.nU)
	for u := range atoms.All() {
		reached.Or(a.cg.Row(u))
		if public.Has(u) {
			reachedPublic.Or(a.cg.Row(u))
		}
	}
	var out []Finding
	tmp := graph.NewSet(a.nU)
	for g, ns := range a.namespaces {
		var egress, ingress []int
		var egressClass, ingressClass = -1, -1
		anyPublicIn := false
		for c := range a.classesOfNamespace(g).All() {
			if !a.podNet.Has(c) {
				continue
			}
			tmp.CopyFrom(a.cg.Row(c))
			tmp.And(public)
			if !tmp.IsEmpty() {
				egress = append(egress, a.members[c]...)
				if egressClass < 0 {
					egressClass = c
				}
			}
			if reached.Has(c) {
				ingress = append(ingress, a.members[c]...)
				if ingressClass < 0 || (!anyPublicIn && reachedPublic.Has(c)) {
					ingressClass = c
				}
				anyPublicIn = anyPublicIn || reachedPublic.Has(c)
			}
		}
		if len(egress) > 0 {
			f := newFinding(EgressInternet, ns, fmt.Sprintf("%s in namespace %s can open connections to the internet: %s",
				countOf(len(egress), "pod"), ns, a.entryList(egress, 5)),
				fmt.Sprintf("Restrict egress of %s to the addresses it needs (or an egress gateway) instead of any address.", ns))
			f.Objects = a.endpointRefs(egress)
			a.locateAtNamespace(&f, ns)
			tmp.CopyFrom(a.cg.Row(egressClass))
			tmp.And(public)
			u, _ := tmp.Next(0)
			a.addEvidence(&f, a.members[egressClass][0], a.entryOf(u))
			out = append(out, f)
		}
		if len(ingress) > 0 {
			from := "addresses outside the cluster"
			if anyPublicIn {
				from = "the internet"
			}
			f := newFinding(IngressExternal, ns, fmt.Sprintf("%s in namespace %s %s connections from %s: %s",
				countOf(len(ingress), "pod"), ns, verbS(len(ingress), "accept"), from, a.entryList(ingress, 5)),
				fmt.Sprintf("Allow ingress to %s only from the namespaces and load-balancer ranges that need it.", ns))
			f.Objects = a.endpointRefs(ingress)
			a.locateAtNamespace(&f, ns)
			src := -1
			for u := range atoms.All() {
				if a.cg.Has(u, ingressClass) && (src < 0 || (public.Has(u) && !public.Has(src))) {
					src = u
				}
			}
			if src >= 0 {
				a.addEvidence(&f, a.entryOf(src), a.members[ingressClass][0])
			}
			out = append(out, f)
		}
	}
	return out
}
