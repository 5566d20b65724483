package access

import (
	"fmt"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/selector"
)

// wellKnown are labels that identify the pods of common ingress
// controllers [docs/exposure-outside.md §3.4].
var wellKnown = []struct {
	name   string
	labels map[string]string
	// forRoutes is true for OpenShift's router, false for Ingress
	// controllers.
	forRoutes bool
}{
	{"ingress-nginx", map[string]string{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}, false},
	{"traefik", map[string]string{"app.kubernetes.io/name": "traefik"}, false},
	{"OpenShift router", map[string]string{"ingresscontroller.operator.openshift.io/deployment-ingresscontroller": "default"}, true},
}

// gatewayNameLabel is the label the Gateway API asks implementations to
// put on the pods they deploy for a Gateway (GEP-1762).
const gatewayNameLabel = "gateway.networking.k8s.io/gateway-name"

// resolver turns the snapshot's Ingresses, Gateway API routes and
// OpenShift Routes into route targets, finding each controller once.
type resolver struct {
	s           *policy.Snapshot
	opts        Options
	controllers map[string]*controller
	notes       []string
}

// resolveRoutes returns every Service port the snapshot's Ingresses,
// Gateway API routes and OpenShift Routes send connections to, and notes
// on what was left out and why.
func resolveRoutes(s *policy.Snapshot, opts Options) ([]routeTarget, []string) {
	r := &resolver{s: s, opts: opts, controllers: map[string]*controller{}}
	var out []routeTarget
	out = append(out, r.ingresses()...)
	out = append(out, r.gatewayRoutes()...)
	out = append(out, r.openShiftRoutes()...)
	return out, r.notes
}

func (r *resolver) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// controller finds the pods of a controller: by the --ingress-controller
// flags for its class (or for every class), else by well-known labels,
// else the stand-in.
func (r *resolver) controller(key, name, class string, known func(e *policy.Endpoint) bool) *controller {
	if c := r.controllers[key]; c != nil {
		return c
	}
	c := &controller{Name: name}
	for _, flag := range r.opts.Controllers {
		if flag.Class != "" && flag.Class != class {
			continue
		}
		for _, e := range r.s.Endpoints {
			if e.Namespace == flag.Namespace && !e.HostNetwork && flag.Selector.Matches(e.Labels) && !slices.Contains(c.Pods, e) {
				c.Pods = append(c.Pods, e)
			}
		}
		c.How = "--ingress-controller " + flag.Text
	}
	if len(c.Pods) == 0 && known != nil {
		for _, e := range r.s.Endpoints {
			if known(e) {
				c.Pods = append(c.Pods, e)
			}
		}
		c.How = "well-known labels"
	}
	if len(c.Pods) == 0 {
		c.StandIn, c.How = true, "not found: "+IngressController+" stands for its pods"
	}
	r.controllers[key] = c
	return c
}

// hasLabels reports whether labels hold every key and value of want.
func hasLabels(labels, want map[string]string) bool {
	for k, v := range want {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// ingresses resolves networking.k8s.io/v1 Ingresses: the default backend
// and every path's backend, a Service of the Ingress's namespace and one
// of its ports by number or name [docs/exposure-outside.md §3.1].
func (r *resolver) ingresses() []routeTarget {
	var defaults []string
	for _, ic := range r.s.Routing.IngressClasses {
		if ic.Default {
			defaults = append(defaults, ic.Name)
		}
	}
	var out []routeTarget
	for _, in := range r.s.Routing.Ingresses {
		class := in.Class
		if class == "" && len(defaults) == 1 {
			class = defaults[0]
		}
		name, via := "Ingress controller", ""
		if class != "" {
			name, via = "IngressClass "+class, "IngressClass "+class
		}
		c := r.controller("ingress/"+class, name, class, func(e *policy.Endpoint) bool {
			for _, w := range wellKnown {
				if !w.forRoutes && hasLabels(e.Labels, w.labels) {
					return true
				}
			}
			return false
		})
		add := func(path string, b *networkingv1.IngressBackend) {
			if b.Service == nil {
				return // a resource backend, reported while loading
			}
			svc := r.s.Service(in.Namespace, b.Service.Name)
			if svc == nil {
				r.note("%s %s: Service %s/%s is not in the input", in.ObjectRef, path, in.Namespace, b.Service.Name)
				return
			}
			found := false
			for _, sp := range svc.Ports {
				if b.Service.Port.Name != "" && sp.Name == b.Service.Port.Name || b.Service.Port.Number != 0 && sp.Port == b.Service.Port.Number {
					if protocolOf(sp) == policy.TCP {
						out = append(out, routeTarget{Object: in.ObjectRef, Rule: path, Via: via, Controller: c, Service: svc, Port: sp})
						found = true
					}
				}
			}
			if !found {
				r.note("%s %s: Service %s/%s has no TCP port %s", in.ObjectRef, path, in.Namespace, svc.Name, ingressPort(b.Service.Port))
			}
		}
		in.EachBackend(add)
	}
	return out
}

func ingressPort(p networkingv1.ServiceBackendPort) string {
	if p.Name != "" {
		return p.Name
	}
	return fmt.Sprint(p.Number)
}

// routeKinds are the route kinds a listener accepts when allowedRoutes
// does not list them, by listener protocol [Gateway API AllowedRoutes.Kinds;
// docs/exposure-outside.md §3.2].
var routeKinds = map[gwv1.ProtocolType][]string{
	gwv1.HTTPProtocolType:  {"HTTPRoute", "GRPCRoute"},
	gwv1.HTTPSProtocolType: {"HTTPRoute", "GRPCRoute"},
	gwv1.TLSProtocolType:   {"TLSRoute"},
	gwv1.TCPProtocolType:   {"TCPRoute"},
	gwv1.UDPProtocolType:   {"UDPRoute"},
}

// routeProtocol is the protocol the backends of a route kind are reached
// with.
func routeProtocol(kind string) policy.Protocol {
	if kind == "UDPRoute" {
		return policy.UDP
	}
	return policy.TCP
}

// accepts reports whether a listener of gw lets the route attach through
// parentRef p: the listener's name and port match what p names, the
// route's kind is allowed, and the route's namespace is allowed (Same by
// default, All, or a Selector) [Gateway API ParentReference,
// AllowedRoutes].
func (r *resolver) accepts(gw *policy.Gateway, ls gwv1.Listener, rt *policy.GatewayRoute, p gwv1.ParentReference) bool {
	if p.SectionName != nil && *p.SectionName != ls.Name || p.Port != nil && *p.Port != ls.Port {
		return false
	}
	kinds := routeKinds[ls.Protocol]
	from := gwv1.NamespacesFromSame
	var nsSel *metav1.LabelSelector
	if ar := ls.AllowedRoutes; ar != nil {
		if len(ar.Kinds) > 0 {
			kinds = nil
			for _, k := range ar.Kinds {
				if k.Group == nil || string(*k.Group) == policy.GatewayGroup {
					kinds = append(kinds, string(k.Kind))
				}
			}
		}
		if ar.Namespaces != nil && ar.Namespaces.From != nil {
			from = *ar.Namespaces.From
			nsSel = ar.Namespaces.Selector
		}
	}
	if !slices.Contains(kinds, rt.Kind) {
		return false
	}
	switch from {
	case gwv1.NamespacesFromAll:
		return true
	case gwv1.NamespacesFromSame:
		return rt.Namespace == gw.Namespace
	case gwv1.NamespacesFromSelector:
		if nsSel == nil {
			return false
		}
		sel, err := selector.FromLabelSelector(nsSel)
		ns := r.s.Namespace(rt.Namespace)
		return err == nil && ns != nil && sel.Matches(ns.Labels)
	}
	return false
}

// granted reports whether a ReferenceGrant in the Service's namespace lets
// routes of this kind in the route's namespace refer to the Service
// [Gateway API ReferenceGrant].
func (r *resolver) granted(rt *policy.GatewayRoute, svcNS, svcName string) bool {
	for _, g := range r.s.Routing.ReferenceGrants {
		if g.Namespace != svcNS {
			continue
		}
		from := slices.ContainsFunc(g.Spec.From, func(f gwv1.ReferenceGrantFrom) bool {
			return string(f.Group) == policy.GatewayGroup && string(f.Kind) == rt.Kind && string(f.Namespace) == rt.Namespace
		})
		to := slices.ContainsFunc(g.Spec.To, func(t gwv1.ReferenceGrantTo) bool {
			return t.Group == "" && t.Kind == "Service" && (t.Name == nil || string(*t.Name) == svcName)
		})
		if from && to {
			return true
		}
	}
	return false
}

// gatewayRoutes resolves the Gateway API routes: each route attached to
// a Gateway (through a listener that accepts it) sends connections to the
// Service ports of its backendRefs; a backend in another namespace needs
// a ReferenceGrant there [docs/exposure-outside.md §3.2].
func (r *resolver) gatewayRoutes() []routeTarget {
	var out []routeTarget
	for _, rt := range r.s.Routing.Routes {
		var gws []*policy.Gateway
		for _, p := range rt.ParentRefs {
			ns, name, ok := gatewayRef(rt.Namespace, p)
			if !ok {
				r.note("%s: a parent that is not a Gateway is not evaluated", rt.ObjectRef)
				continue
			}
			gw := r.gateway(ns, name)
			if gw == nil {
				r.note("%s: Gateway %s/%s is not in the input", rt.ObjectRef, ns, name)
				continue
			}
			if !slices.ContainsFunc(gw.Spec.Listeners, func(ls gwv1.Listener) bool { return r.accepts(gw, ls, rt, p) }) {
				r.note("%s: no listener of Gateway %s/%s accepts it", rt.ObjectRef, ns, name)
				continue
			}
			if !slices.Contains(gws, gw) {
				gws = append(gws, gw)
			}
		}
		for _, gw := range gws {
			gwName := gw.Namespace + "/" + gw.Name
			class := string(gw.Spec.GatewayClassName)
			c := r.controller("gateway/"+gwName, "Gateway "+gwName, class, func(e *policy.Endpoint) bool {
				return e.Namespace == gw.Namespace && e.Labels[gatewayNameLabel] == gw.Name
			})
			for _, rule := range rt.Rules {
				for k, b := range rule.BackendRefs {
					path := fmt.Sprintf("%s.backendRefs[%d]", rule.Path, k)
					ts, _ := r.backendRef(rt, path, b)
					for _, t := range ts {
						t.Via, t.Controller = "Gateway "+gwName, c
						out = append(out, t)
					}
				}
			}
		}
	}
	return out
}

func (r *resolver) gateway(ns, name string) *policy.Gateway {
	for _, gw := range r.s.Routing.Gateways {
		if gw.Namespace == ns && gw.Name == name {
			return gw
		}
	}
	return nil
}

// backendRef resolves one backendRef of a route to Service ports.
func (r *resolver) backendRef(rt *policy.GatewayRoute, path string, b gwv1.BackendRef) (targetsFor, bool) {
	if !isServiceBackend(b) {
		r.note("%s %s: a backend that is not a Service is not evaluated", rt.ObjectRef, path)
		return nil, false
	}
	if b.Weight != nil && *b.Weight == 0 {
		r.note("%s %s: weight 0: no connection is sent to it", rt.ObjectRef, path)
		return nil, false
	}
	ns := rt.Namespace
	if b.Namespace != nil {
		ns = string(*b.Namespace)
	}
	if ns != rt.Namespace && !r.granted(rt, ns, string(b.Name)) {
		r.note("%s %s: Service %s/%s is in another namespace and no ReferenceGrant there allows it: the reference is refused", rt.ObjectRef, path, ns, b.Name)
		return nil, false
	}
	svc := r.s.Service(ns, string(b.Name))
	if svc == nil || b.Port == nil {
		if svc == nil {
			r.note("%s %s: Service %s/%s is not in the input", rt.ObjectRef, path, ns, b.Name)
		}
		return nil, false
	}
	var out targetsFor
	proto := routeProtocol(rt.Kind)
	for _, sp := range svc.Ports {
		if sp.Port == *b.Port && protocolOf(sp) == proto {
			out = append(out, routeTarget{Object: rt.ObjectRef, Rule: path, Service: svc, Port: sp})
		}
	}
	if len(out) == 0 {
		r.note("%s %s: Service %s/%s has no %s port %d", rt.ObjectRef, path, ns, svc.Name, proto, *b.Port)
		return nil, false
	}
	return out, true
}

// targetsFor is the targets of one backend reference, before the
// controller is filled in.
type targetsFor []routeTarget

func isServiceBackend(b gwv1.BackendRef) bool {
	return (b.Group == nil || *b.Group == "") && (b.Kind == nil || *b.Kind == "Service")
}

// openShiftRoutes resolves route.openshift.io/v1 Routes: spec.to and the
// alternate backends, Services of the Route's namespace; a named
// targetPort is a Service port's name, a numeric one the port on the
// endpoints, and no targetPort means every port [docs/exposure-outside.md
// §3.3].
func (r *resolver) openShiftRoutes() []routeTarget {
	var out []routeTarget
	for _, rt := range r.s.Routing.OpenShiftRoutes {
		c := r.controller("openshift", "OpenShift router", "openshift", func(e *policy.Endpoint) bool {
			for _, w := range wellKnown {
				if w.forRoutes && hasLabels(e.Labels, w.labels) {
					return true
				}
			}
			return false
		})
		targets := append([]policy.OpenShiftRouteTarget{rt.Spec.To}, rt.Spec.AlternateBackends...)
		for i, t := range targets {
			path := "spec.to"
			if i > 0 {
				path = fmt.Sprintf("spec.alternateBackends[%d]", i-1)
			}
			if t.Kind != "" && t.Kind != "Service" {
				continue // reported while loading
			}
			if t.Weight != nil && *t.Weight == 0 {
				r.note("%s %s: weight 0: no connection is sent to it", rt.ObjectRef, path)
				continue
			}
			svc := r.s.Service(rt.Namespace, t.Name)
			if svc == nil {
				r.note("%s %s: Service %s/%s is not in the input", rt.ObjectRef, path, rt.Namespace, t.Name)
				continue
			}
			n := len(out)
			for _, sp := range svc.Ports {
				if protocolOf(sp) != policy.TCP {
					continue
				}
				tgt := routeTarget{Object: rt.ObjectRef, Rule: path, Via: "OpenShift router", Controller: c, Service: svc, Port: sp}
				switch p := rt.Spec.Port; {
				case p == nil:
				case p.TargetPort.StrVal != "":
					if sp.Name != p.TargetPort.StrVal {
						continue
					}
				default:
					tgt.TargetPort = uint16(p.TargetPort.IntVal)
				}
				out = append(out, tgt)
			}
			if len(out) == n {
				r.note("%s %s: Service %s/%s has no TCP port the Route's targetPort names", rt.ObjectRef, path, rt.Namespace, svc.Name)
			}
		}
	}
	return out
}
