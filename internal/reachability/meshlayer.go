package reachability

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/mesh"
	"github.com/netreach/netreach/internal/policy"
)

// MeshMode says whether the Istio service-mesh layer takes part in the
// verdict [docs/mesh.md §5].
type MeshMode uint8

// Mesh modes.
const (
	// MeshAuto turns the mesh layer on when the snapshot holds Istio
	// security objects (AuthorizationPolicy, PeerAuthentication).
	MeshAuto MeshMode = iota
	// MeshOff: network policy alone decides.
	MeshOff
	// MeshIstio: a connection is allowed when network policy allows it
	// and the Istio mesh allows it.
	MeshIstio
)

// String returns "auto", "off" or "istio".
func (m MeshMode) String() string {
	switch m {
	case MeshOff:
		return "off"
	case MeshIstio:
		return "istio"
	}
	return "auto"
}

// ParseMeshMode parses "auto", "off" or "istio".
func ParseMeshMode(s string) (MeshMode, error) {
	switch s {
	case "auto", "":
		return MeshAuto, nil
	case "off", "none":
		return MeshOff, nil
	case "istio":
		return MeshIstio, nil
	}
	return 0, fmt.Errorf("invalid mesh %q: expected auto, off or istio", s)
}

// Resolve turns MeshAuto into MeshIstio when the snapshot holds Istio
// security objects and MeshOff otherwise.
func (m MeshMode) Resolve(s *policy.Snapshot) MeshMode {
	if m != MeshAuto {
		return m
	}
	if s.Mesh.Present() {
		return MeshIstio
	}
	return MeshOff
}

// describeResolved describes options with the mesh mode as resolved.
func describeResolved(o Options, mode policy.Mode, resolved MeshMode) string {
	if resolved == MeshIstio {
		o.Mesh = MeshIstio
	}
	return o.Describe(mode)
}

// meshLayer computes the mesh layer for the engine: for every destination
// class in the mesh and every port atom, the sources the mesh allows for
// sure (def) and possibly (pos), as bit rows over the universe. Its rows
// are ANDed into the ingress rows of the destination [docs/mesh.md §9]. It is
// read-only once compiled, so workers share it.
type meshLayer struct {
	model *mesh.Model
	e     *engine
	// inMesh holds the universe entries in the mesh: they connect with
	// mutual TLS to a destination whose mode is not DISABLE.
	inMesh graph.Set
	// codes[c][a] is the mesh group of class c on port atom a (nil for a
	// class the mesh does not police); atoms of one group get the same
	// rows.
	codes [][]uint32
	// pols[stage][c] are the policies enforced at stage for class c.
	pols [3][][]compiledMeshPolicy
	// cond is true when the mesh can make a verdict conditional.
	cond bool
	// prefixSets caches address sets by prefix list; identity sets by
	// field and values.
	prefixSets map[string][2]graph.Set
	idSets     map[string]graph.Set
	// byID maps each identity attribute ("principal", "namespace",
	// "serviceAccount") and value to the pod classes that have it.
	byID map[string]map[string][]int
}

type compiledMeshPolicy struct {
	p     *policy.AuthorizationPolicy
	rules []compiledMeshRule
}

type compiledMeshRule struct {
	action   policy.MeshAction
	httpOnly bool
	from     []compiledMeshSource
	to       []policy.MeshOperation
	when     []compiledMeshCond
}

// compiledMeshSource holds one source's fields as sets of universe entries
// whose identity (before the mutual TLS mask) or address matches; nil when
// the field is absent.
type compiledMeshSource struct {
	ids, notIDs       []graph.Set
	ips, notIPs       [][2]graph.Set
	remote, notRemote [][2]graph.Set
	// requestPrin is true when the source names request principals.
	requestPrin bool
}

type compiledMeshCond struct {
	c      *policy.MeshCondition
	ids    graph.Set // source.namespace/principal/serviceAccount values
	notIDs graph.Set
	ips    [2]graph.Set // source.ip / remote.ip values
	notIPs [2]graph.Set
}

// newMeshLayer builds the mesh model when the mesh layer is on, else nil.
func newMeshLayer(s *policy.Snapshot, opts Options) *meshLayer {
	if opts.Mesh.Resolve(s) != MeshIstio {
		return nil
	}
	return &meshLayer{model: mesh.New(s, opts.MeshOptions)}
}

// ranges returns the address blocks mesh policies test, for the atoms.
func (ml *meshLayer) ranges() []netipx.IPRange {
	var out []netipx.IPRange
	for _, p := range ml.model.CutPrefixes() {
		out = append(out, netipx.RangeOfPrefix(p))
	}
	return out
}

// extendSignature makes endpoint classes tell apart what the mesh reads:
// the labels its selectors read, service accounts (identities), and each
// endpoint's membership and port protocols.
func (ml *meshLayer) extendSignature(sig *classSig) {
	for _, k := range ml.model.PolicyLabelKeys() {
		sig.keys[k] = true
	}
	sig.sa = true
	sig.mesh = ml.model.Key
}

// cutPorts cuts TCP port atoms at every port where the mesh's answer can
// change.
func cutPorts(atoms []PortAtom, ports []uint16) []PortAtom {
	cuts := map[int]bool{}
	for _, p := range ports {
		cuts[int(p)], cuts[int(p)+1] = true, true
	}
	var out []PortAtom
	for _, a := range atoms {
		if a.Protocol != policy.TCP || a.Others {
			out = append(out, a)
			continue
		}
		lo := int(a.Lo)
		for p := int(a.Lo) + 1; p <= int(a.Hi); p++ {
			if cuts[p] {
				out = append(out, PortAtom{Protocol: a.Protocol, Lo: uint16(lo), Hi: uint16(p - 1)})
				lo = p
			}
		}
		out = append(out, PortAtom{Protocol: a.Protocol, Lo: uint16(lo), Hi: a.Hi})
	}
	return out
}

// compile prepares the rows' ingredients over the engine's universe.
func (ml *meshLayer) compile(e *engine) {
	ml.e = e
	u := &e.u
	ml.prefixSets = map[string][2]graph.Set{}
	ml.idSets = map[string]graph.Set{}
	ml.byID = map[string]map[string][]int{"principal": {}, "namespace": {}, "serviceAccount": {}}
	for c, cl := range u.classes {
		ml.byID["principal"][ml.model.Principal(cl.rep)] = append(ml.byID["principal"][ml.model.Principal(cl.rep)], c)
		ml.byID["namespace"][cl.rep.Namespace] = append(ml.byID["namespace"][cl.rep.Namespace], c)
		sa := cl.rep.Namespace + "/" + cl.rep.ServiceAccount
		ml.byID["serviceAccount"][sa] = append(ml.byID["serviceAccount"][sa], c)
	}
	ml.inMesh = graph.NewSet(u.nU)
	for c, cl := range u.classes {
		if ml.model.Member(cl.rep).Dataplane != mesh.NoDataplane {
			ml.inMesh.Add(c)
		}
	}
	compiled := map[*policy.AuthorizationPolicy]compiledMeshPolicy{}
	ml.codes = make([][]uint32, u.nC)
	for st := range ml.pols {
		ml.pols[st] = make([][]compiledMeshPolicy, u.nC)
	}
	for c, cl := range u.classes {
		mb := ml.model.Member(cl.rep)
		if mb.Dataplane == mesh.NoDataplane {
			continue
		}
		for st := range ml.pols {
			for _, p := range ml.model.Policies(mesh.Stage(st), cl.rep) {
				cp, ok := compiled[p]
				if !ok {
					cp = ml.compilePolicy(p)
					compiled[p] = cp
				}
				ml.pols[st][c] = append(ml.pols[st][c], cp)
			}
		}
		ml.codes[c] = ml.groupAtoms(c)
	}
}

func (ml *meshLayer) compilePolicy(p *policy.AuthorizationPolicy) compiledMeshPolicy {
	cp := compiledMeshPolicy{p: p}
	if p.Action == policy.MeshCustom {
		ml.cond = true
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		cr := compiledMeshRule{action: p.Action, httpOnly: mesh.HasHTTPOnly(r), to: r.To}
		if cr.httpOnly {
			ml.cond = true
		}
		for k := range r.From {
			s := &r.From[k]
			var cs compiledMeshSource
			td := ml.model.Options().TrustDomain
			addID := func(neg bool, set graph.Set) {
				if neg {
					cs.notIDs = append(cs.notIDs, set)
				} else {
					cs.ids = append(cs.ids, set)
				}
			}
			for _, f := range []struct {
				kind string
				vals []string
				neg  bool
			}{
				{"principal", s.Principals, false}, {"principal", s.NotPrincipals, true},
				{"namespace", s.Namespaces, false}, {"namespace", s.NotNamespaces, true},
				{"serviceAccount", s.ServiceAccounts, false}, {"serviceAccount", s.NotServiceAccounts, true},
			} {
				if len(f.vals) > 0 {
					addID(f.neg, ml.identitySet(f.kind, f.vals))
				}
			}
			for _, f := range []struct {
				vals []string
				neg  bool
			}{{s.TrustDomains, false}, {s.NotTrustDomains, true}} {
				if len(f.vals) > 0 {
					set := graph.NewSet(ml.e.u.nU)
					if slices.ContainsFunc(f.vals, func(v string) bool { return mesh.MatchString(v, td) }) {
						set.Fill(ml.e.u.nU)
					}
					addID(f.neg, set)
				}
			}
			if len(s.IPBlocks) > 0 {
				cs.ips = append(cs.ips, ml.prefixSet(s.IPBlocks))
			}
			if len(s.NotIPBlocks) > 0 {
				cs.notIPs = append(cs.notIPs, ml.prefixSet(s.NotIPBlocks))
			}
			if len(s.RemoteIPBlocks) > 0 {
				cs.remote = append(cs.remote, ml.prefixSet(s.RemoteIPBlocks))
				ml.cond = true
			}
			if len(s.NotRemoteIPBlocks) > 0 {
				cs.notRemote = append(cs.notRemote, ml.prefixSet(s.NotRemoteIPBlocks))
				ml.cond = true
			}
			cs.requestPrin = len(s.RequestPrincipals)+len(s.NotRequestPrincipals) > 0
			cr.from = append(cr.from, cs)
			if len(s.IPBlocks)+len(s.NotIPBlocks) > 0 {
				ml.cond = true // a waypoint's address is not known
			}
		}
		for k := range r.When {
			c := &r.When[k]
			cc := compiledMeshCond{c: c}
			switch c.Key {
			case "source.namespace", "source.principal", "source.serviceAccount":
				kind := strings.TrimPrefix(c.Key, "source.")
				if len(c.Values) > 0 {
					cc.ids = ml.identitySet(kind, c.Values)
				}
				if len(c.NotValues) > 0 {
					cc.notIDs = ml.identitySet(kind, c.NotValues)
				}
			case "source.ip", "remote.ip":
				if len(c.Prefixes) > 0 {
					cc.ips = ml.prefixSet(c.Prefixes)
				}
				if len(c.NotPrefixes) > 0 {
					cc.notIPs = ml.prefixSet(c.NotPrefixes)
				}
				ml.cond = true
			case "destination.ip", "destination.port":
			default:
				ml.cond = true
			}
			cr.when = append(cr.when, cc)
		}
		cp.rules = append(cp.rules, cr)
	}
	return cp
}

// identitySet returns the pod classes whose identity attribute (principal,
// namespace or "namespace/serviceAccount") matches one of the values;
// principal and namespace values are patterns, service accounts exact.
func (ml *meshLayer) identitySet(kind string, values []string) graph.Set {
	key := kind + "\x00" + strings.Join(values, "\x00")
	if s, ok := ml.idSets[key]; ok {
		return s
	}
	s := graph.NewSet(ml.e.u.nU)
	index := ml.byID[kind]
	for _, pat := range values {
		if kind == "serviceAccount" || !strings.Contains(pat, "*") {
			for _, c := range index[pat] {
				s.Add(c)
			}
			continue
		}
		for v, classes := range index {
			if mesh.MatchString(pat, v) {
				for _, c := range classes {
					s.Add(c)
				}
			}
		}
	}
	ml.idSets[key] = s
	return s
}

// prefixSet returns, per family (0: IPv4, 1: IPv6), the universe entries
// whose address of that family lies in one of the blocks. Classes and
// atoms lie wholly inside or outside each block (the atoms are cut at
// them); an endpoint without an address of the family is in neither.
func (ml *meshLayer) prefixSet(blocks []netip.Prefix) [2]graph.Set {
	var b strings.Builder
	for _, p := range blocks {
		b.WriteString(p.String())
		b.WriteByte(',')
	}
	key := b.String()
	if s, ok := ml.prefixSets[key]; ok {
		return s
	}
	u := &ml.e.u
	var out [2]graph.Set
	contains := func(ip netip.Addr) bool {
		for _, p := range blocks {
			if p.Contains(ip) {
				return true
			}
		}
		return false
	}
	for f := 0; f < 2; f++ {
		out[f] = graph.NewSet(u.nU)
		for c, cl := range u.classes {
			if ip, ok := cl.rep.IP(famOf(f)); ok && contains(ip) {
				out[f].Add(c)
			}
		}
		for a, at := range u.atoms {
			if at.Family() == famOf(f) && contains(at.Range.From()) {
				out[f].Add(u.atomIndex(a))
			}
		}
	}
	ml.prefixSets[key] = out
	return out
}

// groupAtoms gives the port atoms of destination class c their mesh group
// (1-based): atoms on which every mesh check reads alike share one.
func (ml *meshLayer) groupAtoms(c int) []uint32 {
	e := ml.e
	rep := e.u.classes[c].rep
	mb := ml.model.Member(rep)
	codes := make([]uint32, len(e.ports))
	var reps [][]byte
	for a, at := range e.ports {
		sig := ml.atomSignature(c, rep, mb, at)
		g := slices.IndexFunc(reps, func(r []byte) bool { return string(r) == string(sig) })
		if g < 0 {
			g = len(reps)
			reps = append(reps, sig)
		}
		codes[a] = uint32(g) + 1
	}
	return codes
}

// atomSignature lists what the mesh's rows of class c depend on at one
// port atom: interception, mTLS mode, protocol, every applicable rule's
// port-dependent parts, and the ztunnel check behind a waypoint.
func (ml *meshLayer) atomSignature(c int, rep *policy.Endpoint, mb mesh.Member, at PortAtom) []byte {
	if !mb.Captures(at.Protocol, at.Lo) {
		return []byte{0}
	}
	sig := []byte{1, byte(ml.model.MTLS(rep, at.Lo).Mode), byte(ml.model.Protocol(rep, at.Lo))}
	for st := range ml.pols {
		for _, cp := range ml.pols[st][c] {
			for ri := range cp.rules {
				r := &cp.rules[ri]
				for _, ctx := range []bool{true, false} {
					sig = append(sig, byte(r.portPart(ctx, at.Lo)))
				}
			}
		}
	}
	if mb.Waypoint != nil {
		for f := 0; f < 2; f++ {
			ip, _ := rep.IP(famOf(f))
			sig = append(sig, byte(ml.model.BehindWaypoint(rep, ip, at.Lo)))
		}
	}
	return sig
}

// portPart is the part of a rule that depends only on the destination's
// port and the kind of traffic (http true: HTTP requests; false: a byte
// stream): its operations and its destination.port and request.*
// conditions. On a byte stream an ALLOW rule with HTTP-only fields never
// matches; DENY and CUSTOM rules take those fields as matching.
func (r *compiledMeshRule) portPart(http bool, port uint16) mesh.Tri {
	if !http && r.httpOnly && (r.action == policy.MeshAllow || r.action == policy.MeshAudit) {
		return mesh.False
	}
	t := mesh.True
	if len(r.to) > 0 {
		best := mesh.False
		for i := range r.to {
			best = max(best, opPart(&r.to[i], http, port))
		}
		t = min(t, best)
	}
	for _, cc := range r.when {
		c := cc.c
		switch {
		case c.Key == "destination.port":
			ok := len(c.Values) == 0 || slices.ContainsFunc(c.Values, func(v string) bool { return portEquals(v, port) })
			if slices.ContainsFunc(c.NotValues, func(v string) bool { return portEquals(v, port) }) {
				ok = false
			}
			if !ok {
				t = mesh.False
			}
		case mesh.IsHTTPCondition(c.Key):
			if http {
				t = min(t, mesh.Maybe)
			}
		case c.Key == "connection.sni" || strings.HasPrefix(c.Key, "experimental."):
			t = min(t, mesh.Maybe)
		}
	}
	return t
}

// portEquals compares a destination.port value with a port.
func portEquals(v string, port uint16) bool {
	n, err := strconv.ParseUint(v, 10, 16)
	return err == nil && n == uint64(port)
}

// opPart matches one operation's port and HTTP fields.
func opPart(o *policy.MeshOperation, http bool, port uint16) mesh.Tri {
	if len(o.Ports) > 0 && !slices.Contains(o.Ports, port) || slices.Contains(o.NotPorts, port) {
		return mesh.False
	}
	t := mesh.True
	for _, h := range []struct {
		vals        []string
		neg, always bool
	}{
		{o.Hosts, false, false}, {o.NotHosts, true, false},
		{o.Methods, false, true}, {o.NotMethods, true, true},
		{o.Paths, false, true}, {o.NotPaths, true, true},
	} {
		if len(h.vals) == 0 || !http {
			continue // on a byte stream only DENY and CUSTOM rules get here: the field matches
		}
		switch {
		case h.always && slices.Contains(h.vals, "*") && h.neg:
			return mesh.False // every request has a method and a path
		case h.always && slices.Contains(h.vals, "*"):
		default:
			t = min(t, mesh.Maybe)
		}
	}
	return t
}

// meshScratch holds the scratch rows of one worker.
type meshScratch struct {
	t, p, st, sp, rt, rp, xt, xp, zt, zp, ft, fp, tmp, tmp2 graph.Set
}

func newMeshScratch(n int) *meshScratch {
	s := &meshScratch{}
	for _, x := range []*graph.Set{&s.t, &s.p, &s.st, &s.sp, &s.rt, &s.rp, &s.xt, &s.xp, &s.zt, &s.zp, &s.ft, &s.fp, &s.tmp, &s.tmp2} {
		*x = graph.NewSet(n)
	}
	return s
}

// applies reports whether the mesh polices ingress to class s.
func (ml *meshLayer) applies(s int) bool { return ml != nil && s < len(ml.codes) && ml.codes[s] != nil }

// and ANDs the mesh rows of destination class s on port atom a into the
// definite and possible ingress rows.
func (ml *meshLayer) and(sc *meshScratch, s, a int, def, pos graph.Set) {
	ml.rows(sc, s, a)
	def.And(sc.t)
	if pos != nil {
		pos.And(sc.p)
	}
}

// rows computes into sc.t and sc.p the sources the mesh allows for sure
// and possibly to destination class s on port atom a [docs/mesh.md §5.2]: the
// mTLS mode, then the policies of each enforcement point, as
// [mesh.Model.Evaluate] does one flow at a time.
func (ml *meshLayer) rows(sc *meshScratch, s, a int) {
	e := ml.e
	nU := e.u.nU
	rep := e.u.classes[s].rep
	mb := ml.model.Member(rep)
	at := e.ports[a]
	if !mb.Captures(at.Protocol, at.Lo) {
		sc.t.Fill(nU)
		sc.p.Fill(nU)
		return
	}
	mode := ml.model.MTLS(rep, at.Lo).Mode
	mtls := sc.tmp2 // sources that connect with mutual TLS
	mtls.Clear()
	if mode != policy.MTLSDisable {
		mtls.CopyFrom(ml.inMesh)
	}
	proto := ml.model.Protocol(rep, at.Lo)
	switch {
	case mb.Dataplane == mesh.Sidecar:
		ml.stage(sc, mesh.AtSidecar, s, at, proto, mtls, sc.t, sc.p)
	case mb.Waypoint != nil:
		// Mesh sources pass the waypoint, then ztunnel sees the
		// waypoint; other sources reach ztunnel directly.
		ml.stage(sc, mesh.AtZtunnel, s, at, mesh.Opaque, mtls, sc.zt, sc.zp)
		sc.zt.AndNot(ml.inMesh)
		sc.zp.AndNot(ml.inMesh)
		ml.stage(sc, mesh.AtWaypoint, s, at, proto, mtls, sc.t, sc.p)
		sc.t.And(ml.inMesh)
		sc.p.And(ml.inMesh)
		capable := 0
		if e.u.classes[s].v4 {
			capable = 1
		}
		for f := 0; f < 2; f++ {
			ip, _ := rep.IP(famOf(f))
			v := ml.model.BehindWaypoint(rep, ip, at.Lo)
			if v != mesh.Allow {
				sc.t.AndNot(e.famCols[capable][f])
			}
			if v == mesh.Deny {
				sc.p.AndNot(e.famCols[capable][f])
			}
		}
		sc.t.Or(sc.zt)
		sc.p.Or(sc.zp)
	default:
		ml.stage(sc, mesh.AtZtunnel, s, at, mesh.Opaque, mtls, sc.t, sc.p)
	}
	if mode == policy.MTLSStrict {
		sc.t.And(mtls)
		sc.p.And(mtls)
	}
}

// stage computes the verdict rows of one enforcement point into t and p:
// any possible CUSTOM or DENY match keeps a source from being allowed for
// sure, a certain DENY match denies, and when ALLOW policies apply a source
// must match one of them.
func (ml *meshLayer) stage(sc *meshScratch, st mesh.Stage, s int, at PortAtom, proto mesh.AppProtocol, mtls, t, p graph.Set) {
	nU := ml.e.u.nU
	t.Fill(nU)
	p.Fill(nU)
	allowT, allowP := sc.st, sc.sp
	allowPresent := false
	for _, cp := range ml.pols[st][s] {
		switch cp.p.Action {
		case policy.MeshAudit:
			continue
		case policy.MeshAllow:
			if !allowPresent {
				allowT.Clear()
				allowP.Clear()
				allowPresent = true
			}
		}
		for ri := range cp.rules {
			r := &cp.rules[ri]
			ml.ruleRows(sc, r, s, at, proto, mtls)
			switch cp.p.Action {
			case policy.MeshAllow:
				allowT.Or(sc.rt)
				allowP.Or(sc.rp)
			case policy.MeshDeny:
				t.AndNot(sc.rp)
				p.AndNot(sc.rt)
			case policy.MeshCustom:
				t.AndNot(sc.rp)
			}
		}
	}
	if allowPresent {
		t.And(allowT)
		p.And(allowP)
	}
}

// ruleRows computes into sc.rt and sc.rp the sources a rule matches for
// sure and possibly. A port without a declared protocol may carry HTTP or
// not: a source matches for sure only when it does either way.
func (ml *meshLayer) ruleRows(sc *meshScratch, r *compiledMeshRule, s int, at PortAtom, proto mesh.AppProtocol, mtls graph.Set) {
	switch proto {
	case mesh.HTTP:
		ml.ruleCtx(sc, r, s, at, true, mtls, sc.rt, sc.rp)
	case mesh.Opaque:
		ml.ruleCtx(sc, r, s, at, false, mtls, sc.rt, sc.rp)
	default:
		ml.ruleCtx(sc, r, s, at, true, mtls, sc.rt, sc.rp)
		ml.ruleCtx(sc, r, s, at, false, mtls, sc.xt, sc.xp)
		sc.rt.And(sc.xt)
		sc.rp.Or(sc.xp)
	}
}

// ruleCtx matches a rule in one kind of traffic: (no source, or some
// source) and the port part and every source condition.
func (ml *meshLayer) ruleCtx(sc *meshScratch, r *compiledMeshRule, s int, at PortAtom, http bool, mtls, t, p graph.Set) {
	nU := ml.e.u.nU
	part := r.portPart(http, at.Lo)
	if part == mesh.False {
		t.Clear()
		p.Clear()
		return
	}
	if len(r.from) == 0 {
		t.Fill(nU)
		p.Fill(nU)
	} else {
		t.Clear()
		p.Clear()
		for i := range r.from {
			ml.sourceRows(sc, &r.from[i], s, http, mtls, sc.ft, sc.fp)
			t.Or(sc.ft)
			p.Or(sc.fp)
		}
	}
	for i := range r.when {
		ml.condRows(sc, &r.when[i], s, http, mtls, t, p)
	}
	if part == mesh.Maybe {
		t.Clear()
	}
}

// famAddr writes into out the entries whose address, in the family their
// flow with destination class s uses, is in the per-family sets.
func (ml *meshLayer) famAddr(sets [2]graph.Set, s int, out graph.Set) {
	e := ml.e
	capable := 0
	if e.u.classes[s].v4 {
		capable = 1
	}
	c0, c1 := e.famCols[capable][0], e.famCols[capable][1]
	for k := range out {
		out[k] = sets[0][k]&c0[k] | sets[1][k]&c1[k]
	}
}

// sourceRows matches one source (its fields ANDed) into t and p.
func (ml *meshLayer) sourceRows(sc *meshScratch, cs *compiledMeshSource, s int, http bool, mtls, t, p graph.Set) {
	nU := ml.e.u.nU
	t.Fill(nU)
	p.Fill(nU)
	for _, id := range cs.ids {
		ml.andIdentity(sc, id, mtls, false, t, p)
	}
	for _, id := range cs.notIDs {
		ml.andIdentity(sc, id, mtls, true, t, p)
	}
	for _, ip := range cs.ips {
		ml.andAddress(sc, ip, s, false, t, p)
	}
	for _, ip := range cs.notIPs {
		ml.andAddress(sc, ip, s, true, t, p)
	}
	if http && (len(cs.remote) > 0 || len(cs.notRemote) > 0) {
		t.Clear() // X-Forwarded-For: set by the request
	} else {
		for _, ip := range cs.remote {
			ml.andAddress(sc, ip, s, false, t, p)
		}
		for _, ip := range cs.notRemote {
			ml.andAddress(sc, ip, s, true, t, p)
		}
	}
	if http && cs.requestPrin {
		t.Clear() // a JWT of the request
	}
}

// andIdentity ANDs into t and p the sources whose identity is in id (or,
// negated, is not): an identity is known only over mutual TLS (mtls).
func (ml *meshLayer) andIdentity(sc *meshScratch, id, mtls graph.Set, negated bool, t, p graph.Set) {
	sc.tmp.CopyFrom(id)
	sc.tmp.And(mtls)
	if negated {
		t.AndNot(sc.tmp)
		p.AndNot(sc.tmp)
		return
	}
	t.And(sc.tmp)
	p.And(sc.tmp)
}

// andAddress ANDs into t and p the sources whose address is in the
// per-family sets (or, negated, is not).
func (ml *meshLayer) andAddress(sc *meshScratch, sets [2]graph.Set, s int, negated bool, t, p graph.Set) {
	ml.famAddr(sets, s, sc.tmp)
	if negated {
		t.AndNot(sc.tmp)
		p.AndNot(sc.tmp)
		return
	}
	t.And(sc.tmp)
	p.And(sc.tmp)
}

// condRows ANDs the source-dependent conditions of a rule into t and p.
func (ml *meshLayer) condRows(sc *meshScratch, cc *compiledMeshCond, s int, http bool, mtls, t, p graph.Set) {
	c := cc.c
	switch c.Key {
	case "source.namespace", "source.principal", "source.serviceAccount":
		if cc.ids != nil {
			ml.andIdentity(sc, cc.ids, mtls, false, t, p)
		}
		if cc.notIDs != nil {
			ml.andIdentity(sc, cc.notIDs, mtls, true, t, p)
		}
	case "remote.ip":
		if http {
			t.Clear()
			return
		}
		fallthrough
	case "source.ip":
		if cc.ips[0] != nil {
			ml.andAddress(sc, cc.ips, s, false, t, p)
		}
		if cc.notIPs[0] != nil {
			ml.andAddress(sc, cc.notIPs, s, true, t, p)
		}
	case "destination.ip":
		// Which address of the destination a flow uses depends on the
		// source's family.
		e := ml.e
		cap := 0
		if e.u.classes[s].v4 {
			cap = 1
		}
		rep := e.u.classes[s].rep
		for f := 0; f < 2; f++ {
			ip, ok := rep.IP(famOf(f))
			in := func(list []netip.Prefix) bool {
				return ok && slices.ContainsFunc(list, func(b netip.Prefix) bool { return b.Contains(ip) })
			}
			match := (len(c.Prefixes) == 0 || in(c.Prefixes)) && !in(c.NotPrefixes)
			if !match {
				t.AndNot(e.famCols[cap][f])
				p.AndNot(e.famCols[cap][f])
			}
		}
	}
}
