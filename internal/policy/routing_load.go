package policy

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func init() {
	register("discovery.k8s.io/v1", "EndpointSlice", (*Loader).addEndpointSlice)
	register("networking.k8s.io/v1", "Ingress", (*Loader).addIngress)
	register("networking.k8s.io/v1", "IngressClass", (*Loader).addIngressClass)
	register("route.openshift.io/v1", "Route", (*Loader).addOpenShiftRoute)
	// The Gateway API: v1 is the current version of every kind; the older
	// versions that v1.6 still serves have the same fields.
	for _, v := range []string{"v1", "v1beta1"} {
		register(GatewayGroup+"/"+v, "GatewayClass", (*Loader).addGatewayClass)
		register(GatewayGroup+"/"+v, "Gateway", (*Loader).addGateway)
		register(GatewayGroup+"/"+v, "HTTPRoute", routeHandler(func() routeObject { return &gwv1.HTTPRoute{} }))
		register(GatewayGroup+"/"+v, "ReferenceGrant", (*Loader).addReferenceGrant)
	}
	register(GatewayGroup+"/v1alpha2", "ReferenceGrant", (*Loader).addReferenceGrant)
	for _, v := range []string{"v1", "v1alpha2"} {
		register(GatewayGroup+"/"+v, "GRPCRoute", routeHandler(func() routeObject { return &gwv1.GRPCRoute{} }))
		register(GatewayGroup+"/"+v, "TCPRoute", routeHandler(func() routeObject { return &gwv1.TCPRoute{} }))
		register(GatewayGroup+"/"+v, "UDPRoute", routeHandler(func() routeObject { return &gwv1.UDPRoute{} }))
		register(GatewayGroup+"/"+v, "TLSRoute", routeHandler(func() routeObject { return &gwv1.TLSRoute{} }))
	}
	register(GatewayGroup+"/v1alpha3", "TLSRoute", routeHandler(func() routeObject { return &gwv1.TLSRoute{} }))
	for _, k := range []string{"IngressClass", "GatewayClass"} {
		clusterScoped[k] = true
	}
	for k, v := range map[string]string{
		"EndpointSlice": "discovery.k8s.io/v1", "Ingress": "networking.k8s.io/v1", "IngressClass": "networking.k8s.io/v1",
		"Route": "route.openshift.io/v1", "GatewayClass": GatewayGroup + "/v1", "Gateway": GatewayGroup + "/v1",
		"HTTPRoute": GatewayGroup + "/v1", "GRPCRoute": GatewayGroup + "/v1", "TLSRoute": GatewayGroup + "/v1",
		"TCPRoute": GatewayGroup + "/v1", "UDPRoute": GatewayGroup + "/v1", "ReferenceGrant": GatewayGroup + "/v1",
	} {
		inventoryKinds[k] = v
	}
}

// refIn returns the reference of the object being decoded, in group g.
func (c *decodeCtx) refIn(g string) ObjectRef {
	r := c.ref()
	r.Group = g
	return r
}

// serviceNameLabel names the Service an EndpointSlice belongs to.
const serviceNameLabel = "kubernetes.io/service-name"

func (l *Loader) addEndpointSlice(c *decodeCtx, j []byte) {
	var obj discoveryv1.EndpointSlice
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, true) {
		return
	}
	es := &EndpointSlice{ObjectRef: c.ref(), Service: obj.Labels[serviceNameLabel]}
	if es.Service == "" {
		c.warnf("metadata.labels", "no %s label: the slice belongs to no Service and is not used", serviceNameLabel)
	}
	switch obj.AddressType {
	case discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6:
	case discoveryv1.AddressTypeFQDN:
		c.warnf("addressType", "FQDN endpoints cannot be resolved offline; the slice is not used")
		l.store(&loaded{ref: es.ObjectRef, obj: es, doc: c.doc, at: c.at}, es.Key())
		return
	default:
		c.errorf("addressType", "invalid addressType %s: expected IPv4, IPv6 or FQDN", quote(string(obj.AddressType)))
		return
	}
	for i, p := range obj.Ports {
		at := fmt.Sprintf("ports[%d]", i)
		sp := SlicePort{Protocol: TCP}
		if p.Name != nil {
			sp.Name = *p.Name
		}
		if p.Protocol != nil {
			proto, err := ParseKubeProtocol(string(*p.Protocol))
			if err != nil {
				c.errorf(at+".protocol", "%v", err)
				continue
			}
			sp.Protocol = proto
		}
		if p.Port != nil {
			if *p.Port < 1 || *p.Port > 65535 {
				c.errorf(at+".port", "invalid port %d: expected 1-65535", *p.Port)
				continue
			}
			sp.Port = uint16(*p.Port)
		}
		es.Ports = append(es.Ports, sp)
	}
	for i, e := range obj.Endpoints {
		// Ready nil means ready [discovery/v1 EndpointConditions.Ready].
		if e.Conditions.Ready != nil && !*e.Conditions.Ready {
			es.NotReady++
			continue
		}
		se := SliceEndpoint{}
		if e.NodeName != nil {
			se.Node = *e.NodeName
		}
		if r := e.TargetRef; r != nil && r.Kind == "Pod" && (r.Namespace == "" || r.Namespace == es.Namespace) {
			se.Pod = r.Name
		}
		for k, a := range e.Addresses {
			ip, err := netip.ParseAddr(a)
			if err != nil {
				c.errorf(fmt.Sprintf("endpoints[%d].addresses[%d]", i, k), "invalid IP address %s", quote(a))
				continue
			}
			se.Addresses = append(se.Addresses, ip.Unmap())
		}
		es.Endpoints = append(es.Endpoints, se)
	}
	l.store(&loaded{ref: es.ObjectRef, obj: es, doc: c.doc, at: c.at}, es.Key())
}

// ingressClassAnnotation is the class annotation of Ingresses written
// before spec.ingressClassName existed; controllers still read it.
const ingressClassAnnotation = "kubernetes.io/ingress.class"

func (l *Loader) addIngress(c *decodeCtx, j []byte) {
	var obj networkingv1.Ingress
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, true) {
		return
	}
	in := &IngressResource{ObjectRef: c.ref(), Spec: obj.Spec, Class: obj.Annotations[ingressClassAnnotation]}
	if obj.Spec.IngressClassName != nil {
		in.Class = *obj.Spec.IngressClassName
	}
	check := func(path string, b *networkingv1.IngressBackend) {
		switch {
		case b.Service != nil && b.Resource != nil:
			c.errorf(path, "a backend names either a service or a resource, not both")
		case b.Service != nil:
			if b.Service.Port.Name != "" && b.Service.Port.Number != 0 {
				c.errorf(path+".service.port", "give either name or number, not both")
			}
			if b.Service.Port.Name == "" && b.Service.Port.Number == 0 {
				c.errorf(path+".service.port", "missing port: give a name or a number")
			}
		case b.Resource != nil:
			c.diag(Info, path+".resource", fmt.Sprintf("a resource backend (%s %s) does not lead to pods; it is not evaluated", b.Resource.Kind, quote(b.Resource.Name)))
		default:
			c.errorf(path, "a backend needs a service or a resource")
		}
	}
	in.EachBackend(check)
	l.store(&loaded{ref: in.ObjectRef, obj: in, doc: c.doc, at: c.at}, in.Key())
}

// defaultClassAnnotation marks the IngressClass that Ingresses without a
// class get.
const defaultClassAnnotation = "ingressclass.kubernetes.io/is-default-class"

func (l *Loader) addIngressClass(c *decodeCtx, j []byte) {
	var obj networkingv1.IngressClass
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, false) {
		return
	}
	ic := &IngressClass{ObjectRef: c.ref(), Controller: obj.Spec.Controller, Default: obj.Annotations[defaultClassAnnotation] == "true"}
	l.store(&loaded{ref: ic.ObjectRef, obj: ic, doc: c.doc, at: c.at}, ic.Key())
}

func (l *Loader) addGatewayClass(c *decodeCtx, j []byte) {
	var obj gwv1.GatewayClass
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, false) {
		return
	}
	gc := &GatewayClass{ObjectRef: c.refIn(GatewayGroup), Controller: string(obj.Spec.ControllerName)}
	l.store(&loaded{ref: gc.ObjectRef, obj: gc, doc: c.doc, at: c.at}, gc.Key())
}

func (l *Loader) addGateway(c *decodeCtx, j []byte) {
	var obj gwv1.Gateway
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, true) {
		return
	}
	gw := &Gateway{ObjectRef: c.refIn(GatewayGroup), Spec: obj.Spec}
	add := func(path string, t *gwv1.AddressType, v string) {
		if t != nil && *t != gwv1.IPAddressType {
			return // a hostname or an implementation-specific address
		}
		ip, err := netip.ParseAddr(v)
		if err != nil {
			if t != nil {
				c.errorf(path, "invalid IP address %s", quote(v))
			}
			return
		}
		gw.Addresses = append(gw.Addresses, ip.Unmap())
	}
	for i, a := range obj.Spec.Addresses {
		add(fmt.Sprintf("spec.addresses[%d].value", i), a.Type, a.Value)
	}
	for i, a := range obj.Status.Addresses {
		add(fmt.Sprintf("status.addresses[%d].value", i), a.Type, a.Value)
	}
	for i, ls := range obj.Spec.Listeners {
		if ls.Port < 1 || ls.Port > 65535 {
			c.errorf(fmt.Sprintf("spec.listeners[%d].port", i), "invalid port %d: expected 1-65535", ls.Port)
		}
		if ar := ls.AllowedRoutes; ar != nil && ar.Namespaces != nil && ar.Namespaces.From != nil &&
			*ar.Namespaces.From == gwv1.NamespacesFromSelector && ar.Namespaces.Selector == nil {
			c.errorf(fmt.Sprintf("spec.listeners[%d].allowedRoutes.namespaces.selector", i), "from: Selector needs a selector; no route can attach")
		}
	}
	l.store(&loaded{ref: gw.ObjectRef, obj: gw, doc: c.doc, at: c.at}, gw.Key())
}

// routeObject is one of the Gateway API route types.
type routeObject = any

// routeHandler decodes a route kind and keeps its parents and backends.
func routeHandler(newObj func() routeObject) kindHandler {
	return func(l *Loader, c *decodeCtx, j []byte) {
		obj := newObj()
		if !c.decode(j, obj) {
			return
		}
		r := &GatewayRoute{}
		if !c.meta(routeMeta(obj, r), true) {
			return
		}
		r.ObjectRef = c.refIn(GatewayGroup)
		for _, rule := range r.Rules {
			for k, b := range rule.BackendRefs {
				at := fmt.Sprintf("%s.backendRefs[%d]", rule.Path, k)
				if isServiceRef(b.Group, b.Kind) && b.Port == nil {
					c.errorf(at+".port", "a backendRef to a Service needs a port (the service port); the backend is left out")
				}
				if b.Port != nil && (*b.Port < 1 || *b.Port > 65535) {
					c.errorf(at+".port", "invalid port %d: expected 1-65535", *b.Port)
				}
				if b.Weight != nil && *b.Weight < 0 {
					c.errorf(at+".weight", "invalid weight %d: expected 0 or more", *b.Weight)
				}
			}
		}
		l.store(&loaded{ref: r.ObjectRef, obj: r, doc: c.doc, at: c.at}, r.Key())
	}
}

// isServiceRef reports whether a backend reference's group and kind
// (defaulted: group "", kind Service) name a core Service.
func isServiceRef(g *gwv1.Group, k *gwv1.Kind) bool {
	return (g == nil || *g == "") && (k == nil || *k == "Service")
}

// routeMeta fills r's parents, hostnames and rules from a decoded route
// and returns its metadata.
func routeMeta(obj routeObject, r *GatewayRoute) *metav1.ObjectMeta {
	addRules := func(n int, refs func(i int) []gwv1.BackendRef) {
		for i := 0; i < n; i++ {
			r.Rules = append(r.Rules, GatewayRouteRule{BackendRefs: refs(i), Path: fmt.Sprintf("spec.rules[%d]", i)})
		}
	}
	hostnames := func(hs []gwv1.Hostname) {
		for _, h := range hs {
			r.Hostnames = append(r.Hostnames, string(h))
		}
	}
	switch o := obj.(type) {
	case *gwv1.HTTPRoute:
		r.ParentRefs = o.Spec.ParentRefs
		hostnames(o.Spec.Hostnames)
		addRules(len(o.Spec.Rules), func(i int) []gwv1.BackendRef {
			var out []gwv1.BackendRef
			for _, b := range o.Spec.Rules[i].BackendRefs {
				out = append(out, b.BackendRef)
			}
			return out
		})
		return &o.ObjectMeta
	case *gwv1.GRPCRoute:
		r.ParentRefs = o.Spec.ParentRefs
		hostnames(o.Spec.Hostnames)
		addRules(len(o.Spec.Rules), func(i int) []gwv1.BackendRef {
			var out []gwv1.BackendRef
			for _, b := range o.Spec.Rules[i].BackendRefs {
				out = append(out, b.BackendRef)
			}
			return out
		})
		return &o.ObjectMeta
	case *gwv1.TLSRoute:
		r.ParentRefs = o.Spec.ParentRefs
		hostnames(o.Spec.Hostnames)
		addRules(len(o.Spec.Rules), func(i int) []gwv1.BackendRef { return o.Spec.Rules[i].BackendRefs })
		return &o.ObjectMeta
	case *gwv1.TCPRoute:
		r.ParentRefs = o.Spec.ParentRefs
		addRules(len(o.Spec.Rules), func(i int) []gwv1.BackendRef { return o.Spec.Rules[i].BackendRefs })
		return &o.ObjectMeta
	case *gwv1.UDPRoute:
		r.ParentRefs = o.Spec.ParentRefs
		addRules(len(o.Spec.Rules), func(i int) []gwv1.BackendRef { return o.Spec.Rules[i].BackendRefs })
		return &o.ObjectMeta
	}
	panic(fmt.Sprintf("routeMeta: unexpected %T", obj))
}

func (l *Loader) addReferenceGrant(c *decodeCtx, j []byte) {
	var obj gwv1.ReferenceGrant
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, true) {
		return
	}
	rg := &ReferenceGrant{ObjectRef: c.refIn(GatewayGroup), Spec: obj.Spec}
	l.store(&loaded{ref: rg.ObjectRef, obj: rg, doc: c.doc, at: c.at}, rg.Key())
}

func (l *Loader) addOpenShiftRoute(c *decodeCtx, j []byte) {
	var obj openShiftRoute
	if !c.decode(j, &obj) || !c.meta(&obj.ObjectMeta, true) {
		return
	}
	r := &OpenShiftRoute{ObjectRef: c.refIn(OpenShiftGroup), Spec: obj.Spec}
	check := func(path string, t OpenShiftRouteTarget) {
		if t.Kind != "" && t.Kind != "Service" {
			c.warnf(path+".kind", "a Route backend of kind %s is not evaluated; only Services lead to pods", quote(t.Kind))
		}
		if errs := validation.IsDNS1035Label(t.Name); t.Name == "" || len(errs) > 0 {
			c.errorf(path+".name", "invalid Service name %s", quote(t.Name))
		}
	}
	check("spec.to", r.Spec.To)
	for i, b := range r.Spec.AlternateBackends {
		check(fmt.Sprintf("spec.alternateBackends[%d]", i), b)
	}
	if p := r.Spec.Port; p != nil && p.TargetPort.StrVal == "" && p.TargetPort.IntVal == 0 {
		c.errorf("spec.port.targetPort", "missing targetPort: give a Service port name or a target port number")
	}
	if t := r.Spec.TLS; t != nil && !slices.Contains([]string{"edge", "passthrough", "reencrypt"}, strings.ToLower(t.Termination)) {
		c.errorf("spec.tls.termination", "invalid termination %s: expected edge, passthrough or reencrypt", quote(t.Termination))
	}
	l.store(&loaded{ref: r.ObjectRef, obj: r, doc: c.doc, at: c.at}, r.Key())
}
