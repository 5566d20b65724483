package access

import (
	"fmt"
	"slices"
	"strings"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// Exposed is one workload (endpoint) or Service that a source outside the
// cluster reaches: what it may open, and the ways in.
type Exposed struct {
	// From is [Internet] or [IngressController].
	From string
	// To is the endpoint ("ns/name") or the Service ("ns/name[Service]").
	To string
	// Kind is the endpoint's kind (Pod, Deployment...) or "Service".
	Kind      string
	Namespace string
	// Allowed are the connections every client (and every choice along
	// the way) gets through; Conditional those only some get through
	// [docs/exposure-outside.md §2.3]. Ports are the destination's: the
	// target port on an endpoint, the service or node port on a Service.
	Allowed, Conditional reachability.Connections
	// Via are the ways in that lead to the destination, for people:
	// "Service web/api-lb: LoadBalancer 80/TCP", "Ingress shop/web
	// spec.rules[0].http.paths[0] (IngressClass nginx) → Service shop/web
	// 80/TCP". A way is listed when it leads there, whether or not policy
	// lets the connection through.
	Via []string
}

// OutsideExposure lists what the internet and the ingress controllers
// reach in m, which must have been computed with a [Layer] of these
// options ([Compute]): every endpoint and Service with at least one
// allowed or conditional connection from "{internet}" or
// "{ingress-controller}", in the order of the sources, then of the
// matrix's entries. A matrix without these entries (nothing leads in, or
// computed without the layer) exposes nothing. It costs O(destinations
// reached by some way × port atoms).
func OutsideExposure(m *reachability.Matrix, opts Options) []Exposed {
	s := m.Snapshot()
	internet, controller := -1, -1
	var services []int
	for i := m.Len() - m.NumDerived(); i < m.Len(); i++ {
		d, _ := m.Derived(i)
		switch d.Kind {
		case KindInternet:
			internet = i
		case KindIngressController:
			controller = i
		case KindService:
			services = append(services, i)
		}
	}
	if internet < 0 && controller < 0 {
		return nil
	}
	ways := waysIn(s, opts)
	entry := map[*policy.Endpoint]int{}
	for i := 0; i < m.NumEndpoints(); i++ {
		entry[m.Endpoint(i)] = i
	}
	var out []Exposed
	for _, src := range []int{internet, controller} {
		if src < 0 {
			continue
		}
		from := m.Name(src)
		var dsts []int
		for e := range ways.toEndpoint {
			dsts = append(dsts, entry[e])
		}
		slices.Sort(dsts)
		dsts = append(dsts, services...)
		for _, dst := range dsts {
			var via []string
			if e := m.Endpoint(dst); e != nil {
				via = ways.toEndpoint[e].list(src == controller)
			} else {
				via = ways.toService[m.Name(dst)].list(src == controller)
			}
			if len(via) == 0 {
				continue
			}
			allowed, conditional := m.Connections(src, dst)
			if allowed.IsEmpty() && conditional.IsEmpty() {
				continue
			}
			d, _ := m.Derived(dst)
			out = append(out, Exposed{From: from, To: m.Name(dst), Kind: m.EntryKind(dst), Namespace: namespaceOf(m, dst, d),
				Allowed: allowed, Conditional: conditional, Via: via})
		}
	}
	return out
}

func namespaceOf(m *reachability.Matrix, i int, d reachability.DerivedEntry) string {
	if e := m.Endpoint(i); e != nil {
		return e.Namespace
	}
	return d.Namespace
}

// viaSet holds the ways into one destination: through a Service's
// frontends (the internet only) and through routes (both sources).
type viaSet struct{ frontends, routes []string }

// list returns the ways a source takes: routes only for the controllers.
func (v *viaSet) list(controllerOnly bool) []string {
	if v == nil {
		return nil
	}
	out := slices.Clone(v.routes)
	if !controllerOnly {
		out = append(slices.Clone(v.frontends), out...)
	}
	return out
}

func (v *viaSet) add(frontend bool, text string) {
	list := &v.routes
	if frontend {
		list = &v.frontends
	}
	if !slices.Contains(*list, text) {
		*list = append(*list, text)
	}
}

type waysInto struct {
	toEndpoint map[*policy.Endpoint]*viaSet
	toService  map[string]*viaSet // by entry name
}

// waysIn finds every way from outside the cluster to endpoints and
// Services: the frontends of proxied Services (docs/exposure-outside.md
// §1.3) and the routes (§3).
func waysIn(s *policy.Snapshot, opts Options) waysInto {
	w := waysInto{toEndpoint: map[*policy.Endpoint]*viaSet{}, toService: map[string]*viaSet{}}
	get := func(m map[*policy.Endpoint]*viaSet, e *policy.Endpoint) *viaSet {
		if m[e] == nil {
			m[e] = &viaSet{}
		}
		return m[e]
	}
	getS := func(name string) *viaSet {
		if w.toService[name] == nil {
			w.toService[name] = &viaSet{}
		}
		return w.toService[name]
	}
	for _, svc := range sortedServices(s) {
		name := ServiceEntry(svc.Namespace, svc.Name)
		for _, sp := range svc.Ports {
			for _, f := range frontendsOf(svc, sp) {
				text := fmt.Sprintf("Service %s/%s: %s", svc.Namespace, svc.Name, f)
				getS(name).add(true, text)
				for _, b := range backendsOf(s, svc, sp) {
					if b.ent.Endpoint != nil {
						get(w.toEndpoint, b.ent.Endpoint).add(true, fmt.Sprintf("%s → %d/%s", text, b.port, b.proto))
					}
				}
			}
		}
	}
	routes, _ := resolveRoutes(s, opts)
	for _, rt := range routes {
		text := routeText(rt)
		getS(ServiceEntry(rt.Service.Namespace, rt.Service.Name)).add(false, text)
		for _, b := range backendsOf(s, rt.Service, rt.Port) {
			if b.ent.Endpoint != nil && (rt.TargetPort == 0 || b.port == rt.TargetPort) {
				get(w.toEndpoint, b.ent.Endpoint).add(false, fmt.Sprintf("%s → %d/%s", text, b.port, b.proto))
			}
		}
	}
	return w
}

// routeText names a route target: "Ingress shop/web spec.rules[0]...
// (IngressClass nginx, pods by well-known labels) → Service shop/web
// 80/TCP".
func routeText(rt routeTarget) string {
	var b strings.Builder
	b.WriteString(rt.Object.String())
	if rt.Rule != "" {
		b.WriteString(" " + rt.Rule)
	}
	var how []string
	if rt.Via != "" {
		how = append(how, rt.Via)
	}
	if rt.Controller != nil && rt.Controller.How != "" {
		how = append(how, "controller "+rt.Controller.How)
	}
	if len(how) > 0 {
		b.WriteString(" (" + strings.Join(how, "; ") + ")")
	}
	fmt.Fprintf(&b, " → Service %s/%s %d/%s", rt.Service.Namespace, rt.Service.Name, rt.Port.Port, protocolOf(rt.Port))
	return b.String()
}
