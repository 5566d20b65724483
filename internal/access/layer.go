package access

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// Layer adds the access model's entries to a matrix, when the input has a
// proxied Service, an Ingress, a Gateway API route or a Route: "{internet}",
// "{ingress-controller}" (when the input has an Ingress, a Gateway API
// route or a Route) and one entry per proxied Service. Use it with
// [reachability.ComputeWith]. Its verdicts are derived from the matrix:
// every policy hop is a lookup of an endpoint or address verdict.
type Layer struct {
	Options Options
}

// Compute is [reachability.ComputeWith] with a Layer of these options.
func Compute(ctx context.Context, s *policy.Snapshot, ropts reachability.Options, opts Options) (*reachability.Matrix, error) {
	return reachability.ComputeWith(ctx, s, ropts, &Layer{Options: opts})
}

// PortCuts returns every port a derived verdict can change at: service
// ports, node ports (or the default node port range), and the target
// ports of every backend.
func (l *Layer) PortCuts(s *policy.Snapshot) []reachability.PortRange {
	var out []reachability.PortRange
	for _, svc := range sortedServices(s) {
		for _, sp := range svc.Ports {
			for _, f := range frontendsOf(svc, sp) {
				out = append(out, f.Ports)
			}
			proto := protocolOf(sp)
			out = append(out, reachability.PortRange{Protocol: proto, Lo: uint16(sp.Port), Hi: uint16(sp.Port)})
			for _, b := range backendsOf(s, svc, sp) {
				out = append(out, reachability.PortRange{Protocol: b.proto, Lo: b.port, Hi: b.port})
			}
		}
	}
	return out
}

// fastBackend is a backend with its matrix entry.
type fastBackend struct {
	backend
	entry int
}

// way is one way from outside to a backend: through a frontend of a
// Service, or through a route's controller.
type way struct {
	svc   *policy.Service
	front frontend
	route *routeTarget
	b     fastBackend
}

type fastClient struct {
	clientPart
	entry int
}

type memoKey struct{ src, dst, p int }

// fast holds the indexes the derived verdicts are computed from.
type fast struct {
	m       *reachability.Matrix
	opts    Options
	ports   []reachability.PortAtom
	base    int // first derived entry
	clients []fastClient
	// services are the entries' Services, in entry order after the
	// pseudo-entries; backends and fronts are by Service port.
	services []*policy.Service
	backends map[*policy.Service][][]fastBackend
	fronts   map[*policy.Service][][]frontend
	routes   []routeTarget
	rBacks   [][]fastBackend
	// ways are the ways to each endpoint entry from outside.
	ways map[int][]way
	// nodeEntries are the atoms of node addresses (by node name), for
	// source NAT.
	nodes       []nodeAtoms
	podEntry    map[*policy.Endpoint]int
	standIn     *reachability.Matrix
	standInSelf int
	internet    int
	controller  int // -1 without routes

	mu   sync.Mutex
	memo map[memoKey]reachability.Verdict
}

type nodeAtoms struct {
	name    string
	entries []int
	v4      []bool
}

// Derive builds the derived entries of m.
func (l *Layer) Derive(ctx context.Context, m *reachability.Matrix) (reachability.Derived, error) {
	s := m.Snapshot()
	if len(sortedServices(s)) == 0 && len(s.Routing.Ingresses)+len(s.Routing.Routes)+len(s.Routing.OpenShiftRoutes) == 0 {
		return reachability.Derived{}, nil // nothing leads in: no entries
	}
	f := &fast{m: m, opts: l.Options, ports: m.PortAtoms(), base: m.Len(), memo: map[memoKey]reachability.Verdict{},
		backends: map[*policy.Service][][]fastBackend{}, fronts: map[*policy.Service][][]frontend{}, ways: map[int][]way{},
		podEntry: map[*policy.Endpoint]int{}, controller: -1}
	for i := 0; i < m.NumEndpoints(); i++ {
		f.podEntry[m.Endpoint(i)] = i
	}
	entryOf := func(e reachability.Entity) int {
		if e.Endpoint != nil {
			return f.podEntry[e.Endpoint]
		}
		return m.EntryOf(e)
	}
	for _, c := range clientParts(s, m.ExternalAtoms()) {
		f.clients = append(f.clients, fastClient{clientPart: c, entry: m.ExternalEntry(c.Addr)})
	}
	for _, n := range s.Nodes {
		na := nodeAtoms{name: n.Name}
		for _, a := range n.Addresses {
			if e := m.ExternalEntry(a); e >= 0 {
				na.entries = append(na.entries, e)
				na.v4 = append(na.v4, a.Is4())
			}
		}
		f.nodes = append(f.nodes, na)
	}
	entries := []reachability.DerivedEntry{{Name: Internet, Kind: KindInternet, Source: true}}
	f.internet = f.base
	var notes []string
	f.routes, notes = resolveRoutes(s, l.Options)
	_ = notes
	if len(f.routes) > 0 || len(s.Routing.Ingresses)+len(s.Routing.Routes)+len(s.Routing.OpenShiftRoutes) > 0 {
		f.controller = f.base + len(entries)
		entries = append(entries, reachability.DerivedEntry{Name: IngressController, Kind: KindIngressController, Source: true})
	}
	for _, svc := range sortedServices(s) {
		f.services = append(f.services, svc)
		entries = append(entries, reachability.DerivedEntry{Name: ServiceEntry(svc.Namespace, svc.Name), Kind: KindService, Namespace: svc.Namespace, Destination: true})
		var bs [][]fastBackend
		var fs [][]frontend
		for _, sp := range svc.Ports {
			var list []fastBackend
			for _, b := range backendsOf(s, svc, sp) {
				fb := fastBackend{backend: b, entry: entryOf(b.ent)}
				list = append(list, fb)
				fronts := frontendsOf(svc, sp)
				for _, fr := range fronts {
					if b.ent.Endpoint != nil {
						f.ways[fb.entry] = append(f.ways[fb.entry], way{svc: svc, front: fr, b: fb})
					}
				}
			}
			bs = append(bs, list)
			fs = append(fs, frontendsOf(svc, sp))
		}
		f.backends[svc], f.fronts[svc] = bs, fs
	}
	needStandIn := false
	for k := range f.routes {
		rt := &f.routes[k]
		var list []fastBackend
		for _, b := range backendsOf(s, rt.Service, rt.Port) {
			if rt.TargetPort != 0 && b.port != rt.TargetPort {
				continue
			}
			fb := fastBackend{backend: b, entry: entryOf(b.ent)}
			list = append(list, fb)
			if b.ent.Endpoint != nil {
				f.ways[fb.entry] = append(f.ways[fb.entry], way{route: rt, b: fb})
			}
		}
		f.rBacks = append(f.rBacks, list)
		needStandIn = needStandIn || rt.Controller.StandIn
	}
	if needStandIn {
		s2, ep := withStandIn(s)
		m2, err := reachability.Compute(ctx, s2, m.Options())
		if err != nil {
			return reachability.Derived{}, err
		}
		f.standIn, f.standInSelf = m2, m2.EntryOf(reachability.EndpointEntity(ep))
	}
	x := &explainer{f: f, opts: l.Options}
	return reachability.Derived{Entries: entries, At: f.at, Describe: l.Options.describe(), Explain: x.explain}, nil
}

// policy is the verdict of the hop from entry src to backend b, read from
// the matrix.
func (f *fast) policy(src int, b fastBackend) reachability.Verdict {
	p := f.m.PortAtomIndex(b.proto, b.port)
	if p < 0 {
		return reachability.Allow // no policy can restrict the protocol
	}
	return f.m.At(src, b.entry, p)
}

// standInPolicy is the verdict from the stand-in controller to b.
func (f *fast) standInPolicy(b fastBackend) reachability.Verdict {
	m2 := f.standIn
	p := m2.PortAtomIndex(b.proto, b.port)
	if p < 0 {
		return reachability.Allow
	}
	return m2.At(f.standInSelf, m2.EntryOf(b.ent), p)
}

func (f *fast) at(src, dst, p int) reachability.Verdict {
	a := f.ports[p]
	if a.Others || !a.Protocol.HasPorts() {
		return reachability.Deny
	}
	proto, port := a.Protocol, a.Lo
	var svc *policy.Service
	if dst >= f.base {
		k := dst - f.base - (f.controllerOffset())
		svc = f.services[k]
	}
	if src < f.base {
		return f.endpointToService(src, svc, proto, port)
	}
	key := memoKey{src, dst, p}
	f.mu.Lock()
	v, ok := f.memo[key]
	f.mu.Unlock()
	if ok {
		return v
	}
	switch {
	case src == f.internet && svc != nil:
		v = f.internetToService(svc, proto, port)
	case src == f.internet:
		v = f.internetToEndpoint(dst, proto, port)
	default:
		v = f.controllerTo(dst, svc, proto, port)
	}
	f.mu.Lock()
	f.memo[key] = v
	f.mu.Unlock()
	return v
}

// controllerOffset is the number of pseudo-entries before the Services.
func (f *fast) controllerOffset() int {
	if f.controller >= 0 {
		return 2
	}
	return 1
}

func (f *fast) seen(c fastClient, svc *policy.Service, b fastBackend) []int {
	out := []int{c.entry}
	if keepsClient(f.opts, svc) {
		return out
	}
	if len(f.nodes) == 0 {
		for _, x := range f.clients {
			out = append(out, x.entry)
		}
		return out
	}
	for _, n := range f.nodes {
		if n.name == b.node && b.node != "" {
			continue
		}
		for k, e := range n.entries {
			if n.v4[k] == c.Addr.Is4() {
				out = append(out, e)
			}
		}
	}
	return out
}

func (f *fast) throughFrontend(c fastClient, svc *policy.Service, fr frontend, b fastBackend) reachability.Verdict {
	if fr.Addr.IsValid() && fr.Addr.Is4() != c.Addr.Is4() || !admits(fr.SourceRanges, c.Addr) {
		return reachability.Deny
	}
	var o outcomes
	for _, src := range f.seen(c, svc, b) {
		o.add(f.policy(src, b))
	}
	return o.verdict()
}

func (f *fast) toControllerPod(c fastClient, k *policy.Endpoint) reachability.Verdict {
	entry := f.podEntry[k]
	v, exposed := reachability.Deny, false
	for _, w := range f.ways[entry] {
		if w.svc == nil {
			continue
		}
		exposed = true
		v = best(v, f.throughFrontend(c, w.svc, w.front, w.b))
	}
	if !exposed {
		return reachability.Allow
	}
	return v
}

func (f *fast) controllerReach(c *fastClient, rt *routeTarget, b fastBackend) reachability.Verdict {
	if rt.Controller.StandIn {
		return f.standInPolicy(b)
	}
	var o outcomes
	for _, k := range rt.Controller.Pods {
		v := reachability.Allow
		if c != nil {
			v = f.toControllerPod(*c, k)
		}
		o.add(worst(v, f.policy(f.podEntry[k], b)))
	}
	return o.verdict()
}

func (f *fast) internetToEndpoint(x int, proto policy.Protocol, port uint16) reachability.Verdict {
	ways := f.ways[x]
	var o outcomes
	for _, c := range f.clients {
		v := reachability.Deny
		for _, w := range ways {
			if w.b.proto != proto || w.b.port != port {
				continue
			}
			if w.svc != nil {
				v = best(v, f.throughFrontend(c, w.svc, w.front, w.b))
			} else {
				v = best(v, f.controllerReach(&c, w.route, w.b))
			}
		}
		o.add(v)
	}
	return o.verdict()
}

func (f *fast) internetToService(svc *policy.Service, proto policy.Protocol, port uint16) reachability.Verdict {
	var o outcomes
	for _, c := range f.clients {
		v := reachability.Deny
		for k, sp := range svc.Ports {
			if protocolOf(sp) != proto {
				continue
			}
			for _, fr := range f.fronts[svc][k] {
				if port < fr.Ports.Lo || port > fr.Ports.Hi {
					continue
				}
				var ob outcomes
				for _, b := range f.backends[svc][k] {
					ob.add(f.throughFrontend(c, svc, fr, b))
				}
				if fr.Ports.Lo != fr.Ports.Hi {
					ob.add(reachability.Deny)
				}
				v = best(v, ob.verdict())
			}
		}
		o.add(v)
	}
	return o.verdict()
}

func (f *fast) controllerTo(dst int, svc *policy.Service, proto policy.Protocol, port uint16) reachability.Verdict {
	v := reachability.Deny
	if svc == nil {
		for _, w := range f.ways[dst] {
			if w.route != nil && w.b.proto == proto && w.b.port == port {
				v = best(v, f.controllerReach(nil, w.route, w.b))
			}
		}
		return v
	}
	for k := range f.routes {
		rt := &f.routes[k]
		if rt.Service != svc || uint16(rt.Port.Port) != port || protocolOf(rt.Port) != proto {
			continue
		}
		var o outcomes
		for _, b := range f.rBacks[k] {
			o.add(f.controllerReach(nil, rt, b))
		}
		v = best(v, o.verdict())
	}
	return v
}

func (f *fast) endpointToService(src int, svc *policy.Service, proto policy.Protocol, port uint16) reachability.Verdict {
	e := f.m.Endpoint(src)
	var o outcomes
	for k, sp := range svc.Ports {
		if protocolOf(sp) != proto || uint16(sp.Port) != port {
			continue
		}
		for _, b := range f.backends[svc][k] {
			if svc.InternalTrafficPolicy == corev1.ServiceInternalTrafficPolicyLocal {
				switch {
				case e.Node == "" || b.node == "":
					o.add(reachability.Deny)
				case e.Node != b.node:
					continue
				}
			}
			o.add(f.policy(src, b))
		}
	}
	return o.verdict()
}
