package audit

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/mesh"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// The service-mesh finding kinds [docs/mesh.md §6].
const (
	// MeshOnlyProtection: pods whose ingress only the mesh restricts:
	// network policy lets every source in.
	MeshOnlyProtection Kind = "mesh-only-protection"
	// MeshRuleNeverMatches: an AuthorizationPolicy rule that can never
	// match: it names identities no pod has, a namespace that does not
	// exist, or sources that network policy already blocks.
	MeshRuleNeverMatches Kind = "mesh-rule-never-matches"
	// MeshStrictUnreachable: pods outside the mesh that network policy
	// lets reach a STRICT mTLS destination: their connections fail.
	MeshStrictUnreachable Kind = "mesh-strict-plaintext-clients"
	// MeshPermissiveUnneeded: a PERMISSIVE destination whose every client
	// is in the mesh: STRICT would refuse nothing that works today.
	MeshPermissiveUnneeded Kind = "mesh-permissive-unneeded"
)

func init() {
	registerKinds(
		KindInfo{"NR018", MeshOnlyProtection, Low, "Pods protected only by the service mesh",
			"No network policy restricts ingress to these pods; only the mesh (mutual TLS and AuthorizationPolicy) does. Anything that bypasses the proxy — a port excluded from interception, a pod that opted out of injection, a misconfigured mesh — meets no second layer.",
			"Add NetworkPolicies for these pods too (defence in depth), allowing the same clients as the mesh."},
		KindInfo{"NR019", MeshRuleNeverMatches, Medium, "AuthorizationPolicy rule can never match",
			"The rule names a principal or service account no pod runs as, a namespace that does not exist, or sources that network policy already keeps from the workloads it protects: it has no effect, and its intent is likely lost (a renamed service account, a typo).",
			"Fix the identity or namespace the rule names, or open the network path it is meant for, or delete the rule."},
		KindInfo{"NR020", MeshStrictUnreachable, Medium, "Pods outside the mesh allowed to reach STRICT mTLS destinations",
			"Network policy lets these pods, which have no sidecar and are not in ambient mode, connect to destinations whose PeerAuthentication mode is STRICT: their plaintext connections will be refused. A missing sidecar (a namespace without the injection label, a pod opted out) is the usual cause.",
			"Add the clients to the mesh, or narrow the network policy to the clients that should connect, or (only if plaintext is intended) set PERMISSIVE for that port."},
		KindInfo{"NR021", MeshPermissiveUnneeded, Low, "PERMISSIVE mTLS where every client is in the mesh",
			"Every pod that network policy lets reach these destinations is in the mesh, so all their traffic is already mutual TLS: PERMISSIVE only leaves room for plaintext from elsewhere (and for identity-less requests that principal rules cannot see).",
			"Set the PeerAuthentication mode to STRICT for these workloads."},
	)
}

// meshFindings reports the mesh kinds when the matrix has the mesh layer
// on; they need the network layer, computed once (ctx cancels it).
func (a *analysis) meshFindings(ctx context.Context, iso [2]graph.Set) ([]Finding, error) {
	model := a.m.Mesh()
	if model == nil {
		return nil, nil
	}
	ls, err := a.m.ComputeLayers(ctx)
	if err != nil {
		return nil, err
	}
	ma := &meshAudit{a: a, model: model, net: ls.Matrix(reachability.LayerNetwork), ls: ls}
	ma.prepare()
	var fs []Finding
	fs = append(fs, ma.onlyMeshFindings(iso)...)
	fs = append(fs, ma.modeFindings()...)
	fs = append(fs, ma.deadRuleFindings()...)
	return fs, nil
}

// meshAudit holds what the mesh findings share.
type meshAudit struct {
	a     *analysis
	model *mesh.Model
	net   *reachability.Matrix // the network layer
	ls    *reachability.Layers
	// outside holds the network layer's entries outside the mesh: pods
	// without a sidecar or ambient mode, and external addresses.
	outside, outsidePods graph.Set
	netPort              []int // combined port atom -> network atom (-1: never restricted)
}

func (ma *meshAudit) prepare() {
	n := ma.net.Len()
	ma.outside, ma.outsidePods = graph.NewSet(n), graph.NewSet(n)
	for i := 0; i < n; i++ {
		e := ma.net.Endpoint(i)
		if e == nil || ma.model.Member(e).Dataplane == mesh.NoDataplane {
			ma.outside.Add(i)
			if e != nil {
				ma.outsidePods.Add(i)
			}
		}
	}
	for _, at := range ma.a.ports {
		ma.netPort = append(ma.netPort, ma.net.PortAtomIndex(at.Protocol, at.Lo))
	}
}

// meshClasses returns the endpoint classes in the mesh, with the entry
// standing for each.
func (ma *meshAudit) meshClasses() (classes, entries []int) {
	for c := 0; c < ma.a.nC; c++ {
		if len(ma.a.members[c]) == 0 || ma.a.rep[c].HostNetwork {
			continue
		}
		if ma.model.Member(ma.a.rep[c]).Dataplane != mesh.NoDataplane {
			classes = append(classes, c)
			entries = append(entries, ma.a.members[c][0])
		}
	}
	return classes, entries
}

// onlyMeshFindings: mesh pods that no network policy isolates for ingress
// while the mesh restricts who reaches them (STRICT, or an authorization
// policy that applies), one finding per namespace.
func (ma *meshAudit) onlyMeshFindings(iso [2]graph.Set) []Finding {
	byNS := map[string][]int{} // namespace -> classes
	classes, _ := ma.meshClasses()
	for _, c := range classes {
		if iso[policy.Ingress].Has(c) {
			continue
		}
		rep := ma.a.rep[c]
		restricted := len(ma.model.Policies(mesh.AtSidecar, rep))+len(ma.model.Policies(mesh.AtZtunnel, rep))+len(ma.model.Policies(mesh.AtWaypoint, rep)) > 0
		for _, at := range ma.a.ports {
			if at.Protocol == policy.TCP && ma.model.MTLS(rep, at.Lo).Mode == policy.MTLSStrict {
				restricted = true
				break
			}
		}
		if restricted {
			byNS[rep.Namespace] = append(byNS[rep.Namespace], c)
		}
	}
	var fs []Finding
	for _, ns := range slices.Sorted(maps.Keys(byNS)) {
		pods := ma.podsOf(byNS[ns])
		f := newFinding(MeshOnlyProtection, ns,
			fmt.Sprintf("%d pod%s in %s: no network policy restricts ingress, only the service mesh does", len(pods), plural(len(pods)), ns),
			"Add a default-deny ingress NetworkPolicy to "+ns+" and allow the clients the mesh allows.")
		f.Objects = ma.refs(pods, 5)
		fs = append(fs, f)
	}
	return fs
}

// modeFindings reports STRICT destinations that network policy opens to
// pods outside the mesh, and PERMISSIVE destinations whose every allowed
// client is in the mesh.
func (ma *meshAudit) modeFindings() []Finding {
	type key struct{ ns, scope string }
	strict := map[string]map[int]bool{}      // destination namespace -> clients outside the mesh
	strictDst := map[string]map[int]bool{}   // destination namespace -> destinations
	strictPorts := map[string]map[int]bool{} // destination namespace -> port atoms
	permissive := map[key]map[int]bool{}     // policy scope -> destinations
	permissiveBad := map[key]bool{}          // some destination of the scope has clients outside the mesh
	permissivePol := map[key]policy.ObjectRef{}
	classes, entries := ma.meshClasses()
	for k, c := range classes {
		rep, entry := ma.a.rep[c], entries[k]
		mb := ma.model.Member(rep)
		cols := map[int]graph.Set{} // network atom -> its column
		for p, at := range ma.a.ports {
			q := ma.netPort[p]
			if at.Protocol != policy.TCP || q < 0 || !mb.Captures(at.Protocol, at.Lo) {
				continue
			}
			col, ok := cols[q]
			if !ok {
				col = ma.net.Column(entry, q)
				col.Remove(entry)
				cols[q] = col
			}
			mt := ma.model.MTLS(rep, at.Lo)
			switch mt.Mode {
			case policy.MTLSStrict:
				bad := false
				for i := range col.All() {
					if ma.outsidePods.Has(i) {
						if strict[rep.Namespace] == nil {
							strict[rep.Namespace], strictDst[rep.Namespace] = map[int]bool{}, map[int]bool{}
						}
						strict[rep.Namespace][i] = true
						bad = true
					}
				}
				if bad {
					strictDst[rep.Namespace][c] = true
					if strictPorts[rep.Namespace] == nil {
						strictPorts[rep.Namespace] = map[int]bool{}
					}
					strictPorts[rep.Namespace][p] = true
				}
			case policy.MTLSPermissive:
				kk := key{rep.Namespace, mt.Scope}
				if mt.Policy != nil {
					kk.scope = mt.Policy.Key()
					permissivePol[kk] = mt.Policy.ObjectRef
				}
				if permissive[kk] == nil {
					permissive[kk] = map[int]bool{}
				}
				if col.Intersects(ma.outside) {
					permissiveBad[kk] = true
				} else if !col.IsEmpty() {
					permissive[kk][c] = true
				}
			}
		}
	}
	var fs []Finding
	for _, ns := range slices.Sorted(maps.Keys(strict)) {
		clients := slices.Sorted(maps.Keys(strict[ns]))
		dsts := ma.podsOf(slices.Sorted(maps.Keys(strictDst[ns])))
		f := newFinding(MeshStrictUnreachable, ns,
			fmt.Sprintf("%d pod%s outside the mesh may connect by network policy to %d STRICT pod%s in %s (%s): their plaintext connections will be refused",
				len(clients), plural(len(clients)), len(dsts), plural(len(dsts)), ns, ma.a.portsText(slices.Sorted(maps.Keys(strictPorts[ns])))),
			"Add the clients to the mesh (a missing injection label or an opted-out pod?), or narrow the NetworkPolicy to the clients that should connect.")
		f.Objects = append(ma.refs(dsts, 3), ma.refs(clients, 5)...)
		fs = append(fs, f)
	}
	keys := make([]key, 0, len(permissive))
	for k := range permissive {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].ns < keys[j].ns || keys[i].ns == keys[j].ns && keys[i].scope < keys[j].scope
	})
	for _, k := range keys {
		if permissiveBad[k] || len(permissive[k]) == 0 {
			continue
		}
		pods := ma.podsOf(slices.Sorted(maps.Keys(permissive[k])))
		from := "the mesh default (no PeerAuthentication sets a mode)"
		if ref, ok := permissivePol[k]; ok {
			from = ref.String()
		}
		f := newFinding(MeshPermissiveUnneeded, k.ns,
			fmt.Sprintf("%d pod%s in %s accept plaintext (PERMISSIVE from %s) although every client network policy lets in is in the mesh", len(pods), plural(len(pods)), k.ns, from),
			"Set mtls.mode: STRICT in a PeerAuthentication for these workloads (or the namespace).")
		if ref, ok := permissivePol[k]; ok {
			f.Objects = append(f.Objects, ref)
		}
		f.Objects = append(f.Objects, ma.refs(pods, 5)...)
		fs = append(fs, f)
	}
	return fs
}

// deadRuleFindings reports AuthorizationPolicy rules that can never match.
func (ma *meshAudit) deadRuleFindings() []Finding {
	snap := ma.a.snap
	principals, accounts, namespaces := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, e := range snap.Endpoints {
		principals[ma.model.Principal(e)] = true
		accounts[e.Namespace+"/"+e.ServiceAccount] = true
	}
	for _, ns := range snap.Namespaces {
		namespaces[ns.Name] = true
	}
	// The endpoints each policy protects, found once.
	protects := map[*policy.AuthorizationPolicy][]int{}
	for i, e := range snap.Endpoints {
		seen := map[*policy.AuthorizationPolicy]bool{}
		for _, st := range []mesh.Stage{mesh.AtSidecar, mesh.AtZtunnel, mesh.AtWaypoint} {
			for _, p := range ma.model.Policies(st, e) {
				if !seen[p] {
					seen[p] = true
					protects[p] = append(protects[p], i)
				}
			}
		}
	}
	var fs []Finding
	for _, p := range snap.Mesh.AuthorizationPolicies {
		if p.DryRun || p.Action == policy.MeshAudit {
			continue
		}
		for ri := range p.Rules {
			r := &p.Rules[ri]
			if len(r.From) == 0 {
				continue
			}
			var reasons []string
			for _, s := range r.From {
				var unknown []string
				unknown = append(unknown, missing(s.Principals, principals)...)
				unknown = append(unknown, missing(s.ServiceAccounts, accounts)...)
				unknown = append(unknown, missing(s.Namespaces, namespaces)...)
				if len(unknown) > 0 && len(unknown) == len(s.Principals)+len(s.ServiceAccounts)+len(s.Namespaces) {
					reasons = append(reasons, "names "+strings.Join(unknown, ", ")+", which no pod runs as or no namespace is")
				} else {
					reasons = nil
					break
				}
			}
			if len(reasons) == len(r.From) {
				fs = append(fs, ma.deadRule(p, ri, strings.Join(reasons, "; ")))
				continue
			}
			if why := ma.networkBlocks(r, protects[p]); why != "" {
				fs = append(fs, ma.deadRule(p, ri, why))
			}
		}
	}
	return fs
}

func (ma *meshAudit) deadRule(p *policy.AuthorizationPolicy, i int, why string) Finding {
	f := newFinding(MeshRuleNeverMatches, p.Namespace,
		fmt.Sprintf("%s rule %d can never match: it %s", p.ObjectRef, i, why),
		"Fix the identities or namespaces the rule names, or delete the rule.")
	f.Location = p.Rules[i].Loc
	f.Objects = []policy.ObjectRef{p.ObjectRef}
	return f
}

// missing returns the exact values (no wildcard) that are not in known.
func missing(values []string, known map[string]bool) []string {
	var out []string
	for _, v := range values {
		if !strings.Contains(v, "*") && !known[v] {
			out = append(out, v)
		}
	}
	return out
}

// networkBlocks reports, for a rule whose every source names identities,
// that network policy keeps every pod with such an identity from every
// workload (dsts) the policy protects.
func (ma *meshAudit) networkBlocks(r *policy.MeshRule, dsts []int) string {
	var srcs []int
	for i, e := range ma.a.snap.Endpoints {
		for _, s := range r.From {
			if len(s.Principals)+len(s.ServiceAccounts)+len(s.Namespaces) == 0 {
				return "" // a source by address: it may be outside the cluster
			}
			if matchesIdentity(ma.model, &s, e) {
				srcs = append(srcs, i)
				break
			}
		}
	}
	if len(srcs) == 0 || len(dsts) == 0 {
		return ""
	}
	for _, d := range dsts {
		for q := range ma.net.PortAtoms() {
			if ma.net.PortAtoms()[q].Protocol != policy.TCP {
				continue
			}
			col := ma.net.Column(d, q)
			for _, s := range srcs {
				if s != d && col.Has(s) {
					return ""
				}
			}
		}
	}
	return fmt.Sprintf("names %d pod%s by identity, but network policy keeps all of them from the %d pod%s the policy protects", len(srcs), plural(len(srcs)), len(dsts), plural(len(dsts)))
}

// matchesIdentity reports whether a pod's identity matches a source's
// principals, service accounts and namespaces (all given ones).
func matchesIdentity(model *mesh.Model, s *policy.MeshSource, e *policy.Endpoint) bool {
	anyOf := func(values []string, v string, pattern bool) bool {
		if len(values) == 0 {
			return true
		}
		for _, x := range values {
			if pattern && mesh.MatchString(x, v) || !pattern && x == v {
				return true
			}
		}
		return false
	}
	return anyOf(s.Principals, model.Principal(e), true) && anyOf(s.Namespaces, e.Namespace, true) &&
		anyOf(s.ServiceAccounts, e.Namespace+"/"+e.ServiceAccount, false)
}

// podsOf lists the endpoint entries of classes.
func (ma *meshAudit) podsOf(classes []int) []int {
	var out []int
	for _, c := range classes {
		out = append(out, ma.a.members[c]...)
	}
	sort.Ints(out)
	return out
}

// refs returns the objects of up to max endpoint entries.
func (ma *meshAudit) refs(entries []int, max int) []policy.ObjectRef {
	var out []policy.ObjectRef
	for _, i := range entries {
		if len(out) == max {
			break
		}
		if e := ma.a.m.Endpoint(i); e != nil {
			out = append(out, e.ObjectRef)
		}
	}
	return out
}

// plural returns "s" unless n is 1.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
