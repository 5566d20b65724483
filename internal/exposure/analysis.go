package exposure

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/bdd"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// Options configure [Analyze]. The zero value means the defaults.
type Options struct {
	// Reach holds the semantic switches (mode, ipBlock and pod IPs, own
	// node, Calico version, staged view), as for reachability.Compute; an
	// analysis and a matrix computed with the same Reach agree.
	Reach reachability.Options
	// OwnSideOnly evaluates only the input endpoint's side of each
	// connection (what its own policies admit), ignoring the policies that
	// would select the hypothetical pod. The result then over-approximates
	// real connectivity; it is the reading of np-guard's exposure
	// analysis. The default (false) is exact.
	OwnSideOnly bool
	// MaxNodes bounds the decision diagrams (0: 4 million nodes, about
	// 300 MB); past it Analyze fails rather than approximate.
	MaxNodes int
	// Queries are the selections [Analysis.Find] will be asked about; their
	// predicates join the space so that the answers are exact.
	Queries []Query
}

// Analysis is the exposure of a snapshot's endpoints to hypothetical pods:
// for every endpoint, direction and port, the exact set of pods that could
// be created (in any namespace, with any labels) that would be allowed to
// connect. Its methods build decision-diagram nodes on demand, so an
// Analysis is not safe for concurrent use.
type Analysis struct {
	// meshIgnored is true when the input has a service-mesh layer, which
	// the analysis leaves out.
	meshIgnored bool
	orig        *policy.Snapshot // as given
	snap        *policy.Snapshot
	opts        Options
	mode        policy.Mode
	scope       reachability.Scope
	a           *analyzer
}

// analyzer holds the state of one analysis.
type analyzer struct {
	snap  *policy.Snapshot
	opts  Options
	prog  *policy.Program
	m     *bdd.Manager
	space *space
	comp  *compiler

	groups      []*portGroup
	others      reachability.Connections // the atom of the protocols no rule names
	conditional bool
	ext         []netipx.IPRange // external address atoms, IPv4 then IPv6
	classOf     []int
	classes     []*class
	extRes      []sides // per external atom: in = atom → pod, out = pod → atom

	subjects   map[*policy.Lowered]bdd.Node
	identities map[*policy.Identity]bdd.Node
	netsets    map[*policy.Identity]*netipx.IPSet
	addrSets   map[setKey]bdd.Node
	hypPeers   map[int]bdd.Node // by 2 × peer index + family index
	// polIndex numbers the policies; peerIndex numbers the distinct peers
	// (equal peers of different rules share a number), peerKeys has one
	// key per number.
	polIndex  map[*policy.Lowered]int
	peerIndex map[*policy.Peer]int
	peerKeys  []string
	applied   [][2]bdd.Node // per tier and direction, the hypothetical pods it applies to
}

// class is a set of endpoints that no policy tells apart.
type class struct {
	rep     *entity
	members []int
	res     sides
}

// sides holds, per port group, the hypothetical pods that may connect:
// in is "the pod to the endpoint", out "the endpoint to the pod". cert
// holds the pods allowed for sure, pos those allowed when every
// conditional rule matches.
type sides struct {
	in, out verdicts
}

type verdicts struct {
	cert, pos []bdd.Node
}

// Analyze computes the exposure of every endpoint of the snapshot to
// hypothetical pods. It fails, instead of approximating, when the
// decision diagrams outgrow Options.MaxNodes or a label's string
// predicates are too many to decide; ctx cancels it.
func Analyze(ctx context.Context, snap *policy.Snapshot, opts Options) (an *Analysis, err error) {
	// The service mesh's layer (Istio AuthorizationPolicy, mTLS) is not
	// part of the model: the analysis describes network policy alone, as
	// a matrix computed with the mesh off (docs/exposure.md §1).
	meshIgnored := opts.Reach.Mesh.Resolve(snap) == reachability.MeshIstio
	if meshIgnored {
		opts.Reach.Mesh = reachability.MeshOff
	}
	mode := opts.Reach.Mode.Resolve(snap)
	s, _ := snap.WithStagedView(opts.Reach.Staged)
	prog, _ := policy.Lower(s, policy.LowerOptions{Mode: mode, IPBlockIgnoresPodIPs: opts.Reach.IPBlockIgnoresPodIPs, CalicoVersion: opts.Reach.CalicoVersion})
	a := &analyzer{snap: s, opts: opts, prog: prog, m: bdd.New(opts.MaxNodes),
		subjects: map[*policy.Lowered]bdd.Node{}, identities: map[*policy.Identity]bdd.Node{},
		netsets: map[*policy.Identity]*netipx.IPSet{}, addrSets: map[setKey]bdd.Node{}, hypPeers: map[int]bdd.Node{}}
	var runErr error
	guard := bdd.Guard(func() { runErr = a.run(ctx) })
	if guard != nil {
		return nil, fmt.Errorf("exposure: the policies' selectors combine into %w; narrow the input (fewer namespaces or policies) or raise the limit", guard)
	}
	if runErr != nil {
		return nil, runErr
	}
	return &Analysis{orig: snap, snap: s, opts: opts, mode: mode, scope: a.scope(), a: a, meshIgnored: meshIgnored}, nil
}

// Stats are sizes of an analysis.
type Stats struct {
	// Classes are the endpoint classes (endpoints no policy tells
	// apart), each analysed once; PortGroups the groups of ports every
	// rule treats alike.
	Classes, PortGroups int
	// Variables are the predicates on a hypothetical pod; Nodes the
	// decision-diagram nodes built so far.
	Variables, Nodes int
}

// Stats returns sizes of the analysis.
func (an *Analysis) Stats() Stats {
	return Stats{Classes: len(an.a.classes), PortGroups: len(an.a.groups), Variables: an.a.space.nvars, Nodes: an.a.m.Size()}
}

// MeshIgnored reports whether the input holds Istio security objects,
// whose layer the analysis leaves out: it describes network policy alone,
// as a matrix computed with Options.Reach.Mesh = reachability.MeshOff.
func (an *Analysis) MeshIgnored() bool { return an.meshIgnored }

// Mode returns the resolved mode.
func (an *Analysis) Mode() policy.Mode { return an.mode }

// Snapshot returns the snapshot analysed (with the staged view applied).
func (an *Analysis) Snapshot() *policy.Snapshot { return an.snap }

// Describe returns the mode and switches, as reachability.Options.Describe.
func (an *Analysis) Describe() string {
	d := an.opts.Reach.Describe(an.mode)
	if an.opts.OwnSideOnly {
		d += " exposureSides=own"
	}
	return d
}

func (a *analyzer) run(ctx context.Context) error {
	// The address atoms are the engine's: cut at every CIDR a rule or
	// network set mentions and at node addresses; IPv6 when the input uses
	// it anywhere.
	for _, at := range reachability.CutExternalAtoms(a.prog, a.snap) {
		a.ext = append(a.ext, at.Range)
	}
	sp, err := newSpace(a.m, a.snap, a.prog, a.ext, a.opts.Queries)
	if err != nil {
		return fmt.Errorf("exposure: %w", err)
	}
	a.space = sp
	a.comp = newCompiler(sp)
	for _, t := range a.prog.Tiers {
		for _, p := range t.Policies {
			for d := range p.Rules {
				for _, r := range p.Rules[d] {
					if r.Conditional != "" {
						a.conditional = true
					}
				}
			}
		}
	}
	a.index()
	a.groups = portGroups(a.prog, a.snap.Endpoints, a.scope())
	var atoms []reachability.PortAtom
	for _, g := range a.groups {
		atoms = append(atoms, g.atoms...)
	}
	a.others = othersConnections(atoms, a.scope())
	a.buildClasses()
	hyp := &entity{hyp: true}
	for i, c := range a.classes {
		if i%16 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		c.res = a.endpointSides(hyp, c.rep)
		c.rep.dropCaches() // keep memory to one class's worth
	}
	if !a.opts.OwnSideOnly {
		a.extRes = make([]sides, len(a.ext))
		for i, r := range a.ext {
			if err := ctx.Err(); err != nil {
				return err
			}
			a.extRes[i] = a.addressSides(hyp, a.addressEntity(r.From()), famOfAddr(r.From()))
		}
	}
	return nil
}

// index numbers the program's policies and distinct peers, for the
// caches of concrete entities.
func (a *analyzer) index() {
	a.polIndex, a.peerIndex = map[*policy.Lowered]int{}, map[*policy.Peer]int{}
	byKey := map[string]int{}
	for _, t := range a.prog.Tiers {
		for _, pol := range t.Policies {
			a.polIndex[pol] = len(a.polIndex)
			for d := range pol.Rules {
				for i := range pol.Rules[d] {
					r := &pol.Rules[d][i]
					for _, e := range []*policy.EntityMatch{&r.Src, &r.Dst} {
						for k := range e.Peers {
							p := &e.Peers[k]
							key := p.Key()
							id, ok := byKey[key]
							if !ok {
								id = len(a.peerKeys)
								byKey[key] = id
								a.peerKeys = append(a.peerKeys, key)
							}
							a.peerIndex[p] = id
						}
					}
				}
			}
		}
	}
}

// addressEntity returns the entity of an address outside the cluster's
// endpoints.
func (a *analyzer) addressEntity(ip netip.Addr) *entity {
	return &entity{ip: ip, peers: make([]int8, 2*len(a.peerKeys))}
}

func famOfAddr(ip netip.Addr) int {
	if ip.Is4() {
		return 4
	}
	return 6
}

// atomIndex returns the index of the external atom holding ip, or -1.
func (a *analyzer) atomIndex(ip netip.Addr) int {
	i, found := slices.BinarySearchFunc(a.ext, ip, func(r netipx.IPRange, ip netip.Addr) int {
		if r.From().Is4() != ip.Is4() {
			if r.From().Is4() {
				return -1
			}
			return 1
		}
		switch {
		case r.To().Less(ip):
			return -1
		case ip.Less(r.From()):
			return 1
		}
		return 0
	})
	if !found {
		return -1
	}
	return i
}

// buildClasses groups endpoints by everything a policy can observe of
// them: namespace, service account, host networking, node, address atoms,
// whether they can take part in IPv4 flows, the label keys selectors read
// and the named ports rules use.
func (a *analyzer) buildClasses() {
	keys := make([]string, 0, len(a.space.pod))
	for k := range a.space.pod {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	index := map[string]int{}
	a.classOf = make([]int, len(a.snap.Endpoints))
	var b strings.Builder
	for i, e := range a.snap.Endpoints {
		b.Reset()
		b.WriteString(e.Namespace + "\x00")
		if a.space.sa != nil { // only Calico rules read service accounts
			b.WriteString(e.ServiceAccount)
		}
		b.WriteByte(0)
		if a.space.node != nil { // only own-node traffic reads the node
			b.WriteString(e.Node)
		}
		b.WriteByte(0)
		if e.HostNetwork {
			b.WriteString("host")
		}
		for _, fam := range []int{4, 6} {
			if ip, ok := e.IP(fam); ok {
				b.WriteString("\x00" + strconv.Itoa(a.atomIndex(ip)))
			} else {
				b.WriteString("\x00-")
			}
		}
		b.WriteString("\x00" + strconv.FormatBool(v4Capable(e)) + "\x01")
		for _, k := range keys {
			if v, ok := e.Labels[k]; ok {
				b.WriteString(k + "=" + v + "\x00")
			}
		}
		b.WriteByte(1)
		var ports []string
		for _, cp := range e.Ports {
			if _, used := a.space.decl[cp.Name]; used {
				ports = append(ports, cp.Name+"/"+cp.Protocol.String()+"/"+strconv.Itoa(int(cp.Port)))
			}
		}
		slices.Sort(ports)
		b.WriteString(strings.Join(ports, ","))
		k := b.String()
		c, ok := index[k]
		if !ok {
			c = len(a.classes)
			index[k] = c
			a.classes = append(a.classes, &class{rep: a.endpointEntity(e)})
		}
		a.classes[c].members = append(a.classes[c].members, i)
		a.classOf[i] = c
	}
}

// v4Capable reports whether an endpoint can take part in an IPv4 flow: it
// has an IPv4 address, or no address at all (a workload template).
func v4Capable(e *policy.Endpoint) bool {
	if len(e.IPs) == 0 {
		return true
	}
	_, ok := e.IP(4)
	return ok
}

// has4 returns "the hypothetical pod has an IPv4 address".
func (a *analyzer) has4() bdd.Node {
	d := a.space.addr[0]
	return a.m.Not(a.space.idxEq(d.bits, d.none()))
}

// endpointSides evaluates both directions between the hypothetical pod
// and endpoint w, per port group. The connection uses IPv4 unless one
// side has no IPv4 address [docs/semantics.md §1.2].
func (a *analyzer) endpointSides(hyp, w *entity) sides {
	m := a.m
	fams := []int{4}
	famCond := map[int]bdd.Node{4: bdd.True}
	if a.space.addr[1] != nil {
		fams = append(fams, 6)
		four := bdd.False
		if v4Capable(w.ep) {
			four = a.has4()
		}
		famCond[4], famCond[6] = four, m.Not(four)
	}
	return a.perGroup(func(g *portGroup, cond bool) (in, out bdd.Node) {
		in, out = bdd.False, bdd.False
		for _, fam := range fams {
			if famCond[fam] == bdd.False {
				continue
			}
			f := flowCtx{g: g, fam: fam, cond: cond}
			var i, o bdd.Node
			if a.opts.OwnSideOnly {
				i = a.side(policy.Ingress, w, hyp, f)
				o = a.side(policy.Egress, w, hyp, f)
			} else {
				i = m.And(a.side(policy.Egress, hyp, w, f), a.side(policy.Ingress, w, hyp, f))
				o = m.And(a.side(policy.Egress, w, hyp, f), a.side(policy.Ingress, hyp, w, f))
			}
			in = m.Or(in, m.And(famCond[fam], i))
			out = m.Or(out, m.And(famCond[fam], o))
		}
		return in, out
	})
}

// addressSides evaluates both directions between the hypothetical pod and
// an address outside the cluster's endpoints; only the pod's side is
// policed. in is address → pod, out pod → address.
func (a *analyzer) addressSides(hyp, x *entity, fam int) sides {
	return a.perGroup(func(g *portGroup, cond bool) (in, out bdd.Node) {
		f := flowCtx{g: g, fam: fam, cond: cond}
		return a.side(policy.Ingress, hyp, x, f), a.side(policy.Egress, hyp, x, f)
	})
}

// perGroup collects eval's two directions per port group, for sure and
// with every conditional rule matching.
func (a *analyzer) perGroup(eval func(g *portGroup, cond bool) (in, out bdd.Node)) sides {
	var res sides
	for _, g := range a.groups {
		var in, out [2]bdd.Node
		for ci, cond := range a.condModes() {
			in[ci], out[ci] = eval(g, cond)
		}
		if !a.conditional {
			in[1], out[1] = in[0], out[0]
		}
		res.in.cert = append(res.in.cert, in[0])
		res.in.pos = append(res.in.pos, in[1])
		res.out.cert = append(res.out.cert, out[0])
		res.out.pos = append(res.out.pos, out[1])
	}
	return res
}

// scope is the protocols the mode's policies restrict.
func (a *analyzer) scope() reachability.Scope {
	if a.prog.Mode == policy.ModeCalico {
		return reachability.ScopeAllProtocols
	}
	return reachability.ScopeKubernetes
}

// condModes is [false] without conditional rules, else [false, true].
func (a *analyzer) condModes() []bool {
	if a.conditional {
		return []bool{false, true}
	}
	return []bool{false}
}

// errNotInSpace reports a hypothetical pod outside the analysed space.
var errNotInSpace = errors.New("the pod is outside the space of hypothetical pods the analysis covers")
