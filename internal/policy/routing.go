package policy

import (
	"fmt"
	"net/netip"

	networkingv1 "k8s.io/api/networking/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// API groups of the objects that route traffic to Services.
const (
	GatewayGroup   = "gateway.networking.k8s.io"
	OpenShiftGroup = "route.openshift.io"
)

// RoutingObjects are the objects that route connections to Services and
// pods from elsewhere: EndpointSlices, Ingress and IngressClass, the
// Gateway API (GatewayClass, Gateway, the route kinds and ReferenceGrant)
// and OpenShift Routes. Package access evaluates them; see
// docs/exposure-outside.md.
type RoutingObjects struct {
	EndpointSlices  []*EndpointSlice
	IngressClasses  []*IngressClass
	Ingresses       []*IngressResource
	GatewayClasses  []*GatewayClass
	Gateways        []*Gateway
	Routes          []*GatewayRoute
	ReferenceGrants []*ReferenceGrant
	OpenShiftRoutes []*OpenShiftRoute
}

// Present reports whether any routing object was loaded.
func (r *RoutingObjects) Present() bool {
	return len(r.EndpointSlices)+len(r.IngressClasses)+len(r.Ingresses)+len(r.GatewayClasses)+len(r.Gateways)+
		len(r.Routes)+len(r.ReferenceGrants)+len(r.OpenShiftRoutes) > 0
}

func (r *RoutingObjects) add(o any) bool {
	switch v := o.(type) {
	case *EndpointSlice:
		r.EndpointSlices = append(r.EndpointSlices, v)
	case *IngressClass:
		r.IngressClasses = append(r.IngressClasses, v)
	case *IngressResource:
		r.Ingresses = append(r.Ingresses, v)
	case *GatewayClass:
		r.GatewayClasses = append(r.GatewayClasses, v)
	case *Gateway:
		r.Gateways = append(r.Gateways, v)
	case *GatewayRoute:
		r.Routes = append(r.Routes, v)
	case *ReferenceGrant:
		r.ReferenceGrants = append(r.ReferenceGrants, v)
	case *OpenShiftRoute:
		r.OpenShiftRoutes = append(r.OpenShiftRoutes, v)
	default:
		return false
	}
	return true
}

func (r *RoutingObjects) sort() {
	sortRefs(r.EndpointSlices)
	sortRefs(r.IngressClasses)
	sortRefs(r.Ingresses)
	sortRefs(r.GatewayClasses)
	sortRefs(r.Gateways)
	sortRefs(r.Routes)
	sortRefs(r.ReferenceGrants)
	sortRefs(r.OpenShiftRoutes)
}

func (r *RoutingObjects) each(fn func(ObjectRef)) {
	for _, x := range r.EndpointSlices {
		fn(x.ObjectRef)
	}
	for _, x := range r.IngressClasses {
		fn(x.ObjectRef)
	}
	for _, x := range r.Ingresses {
		fn(x.ObjectRef)
	}
	for _, x := range r.GatewayClasses {
		fn(x.ObjectRef)
	}
	for _, x := range r.Gateways {
		fn(x.ObjectRef)
	}
	for _, x := range r.Routes {
		fn(x.ObjectRef)
	}
	for _, x := range r.ReferenceGrants {
		fn(x.ObjectRef)
	}
	for _, x := range r.OpenShiftRoutes {
		fn(x.ObjectRef)
	}
}

// merge returns the objects of r with those of over replacing or adding
// to them by key, without the deleted keys (see [Snapshot.Apply]).
func (r *RoutingObjects) merge(over *RoutingObjects, del deletion) RoutingObjects {
	return RoutingObjects{
		EndpointSlices:  mergeByKey(r.EndpointSlices, over.EndpointSlices, del),
		IngressClasses:  mergeByKey(r.IngressClasses, over.IngressClasses, del),
		Ingresses:       mergeByKey(r.Ingresses, over.Ingresses, del),
		GatewayClasses:  mergeByKey(r.GatewayClasses, over.GatewayClasses, del),
		Gateways:        mergeByKey(r.Gateways, over.Gateways, del),
		Routes:          mergeByKey(r.Routes, over.Routes, del),
		ReferenceGrants: mergeByKey(r.ReferenceGrants, over.ReferenceGrants, del),
		OpenShiftRoutes: mergeByKey(r.OpenShiftRoutes, over.OpenShiftRoutes, del),
	}
}

// EndpointSlice is a discovery.k8s.io/v1 EndpointSlice: the addresses
// kube-proxy sends a Service's connections to.
type EndpointSlice struct {
	ObjectRef
	// Service is the value of the kubernetes.io/service-name label: the
	// Service the slice belongs to ("" when the label is missing).
	Service string
	Ports   []SlicePort
	// Endpoints are the ready endpoints; not-ready ones are left out, as
	// kube-proxy leaves them out.
	Endpoints []SliceEndpoint
	// NotReady counts the endpoints left out because they are not ready.
	NotReady int
}

// SlicePort is one port of an EndpointSlice. A port with no number means
// every port (as the API documents it).
type SlicePort struct {
	Name     string
	Protocol Protocol
	Port     uint16 // 0: every port
}

// SliceEndpoint is one ready endpoint of an EndpointSlice.
type SliceEndpoint struct {
	Addresses []netip.Addr
	// Pod names the targetRef when it is a Pod in the slice's namespace.
	Pod string
	// Node is nodeName, when given.
	Node string
}

// IngressClass is a networking.k8s.io/v1 IngressClass.
type IngressClass struct {
	ObjectRef
	Controller string
	// Default is true when the ingressclass.kubernetes.io/is-default-class
	// annotation is "true".
	Default bool
}

// IngressResource is a networking.k8s.io/v1 Ingress. Class is spec.ingressClassName
// or, when absent, the deprecated kubernetes.io/ingress.class annotation.
type IngressResource struct {
	ObjectRef
	Class string
	Spec  networkingv1.IngressSpec
}

// EachBackend calls fn with every backend of the Ingress and its field
// path: the default backend, then every path's backend in order.
func (in *IngressResource) EachBackend(fn func(path string, b *networkingv1.IngressBackend)) {
	if b := in.Spec.DefaultBackend; b != nil {
		fn("spec.defaultBackend", b)
	}
	for i, r := range in.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for k := range r.HTTP.Paths {
			fn(fmt.Sprintf("spec.rules[%d].http.paths[%d].backend", i, k), &r.HTTP.Paths[k].Backend)
		}
	}
}

// GatewayClass is a gateway.networking.k8s.io GatewayClass.
type GatewayClass struct {
	ObjectRef
	Controller string
}

// Gateway is a gateway.networking.k8s.io Gateway.
type Gateway struct {
	ObjectRef
	Spec gwv1.GatewaySpec
	// Addresses are the IP addresses of spec.addresses and
	// status.addresses.
	Addresses []netip.Addr
}

// GatewayRoute is one of the Gateway API route kinds (HTTPRoute,
// GRPCRoute, TLSRoute, TCPRoute, UDPRoute), reduced to what decides
// where connections go: the parents it attaches to and the backends of
// its rules.
type GatewayRoute struct {
	ObjectRef
	ParentRefs []gwv1.ParentReference
	Hostnames  []string
	Rules      []GatewayRouteRule
}

// GatewayRouteRule is one rule of a route: its backends.
type GatewayRouteRule struct {
	BackendRefs []gwv1.BackendRef
	// Path is the field path of the rule, for reports.
	Path string
}

// ReferenceGrant is a gateway.networking.k8s.io ReferenceGrant: it lets
// objects of other namespaces refer to objects of its own.
type ReferenceGrant struct {
	ObjectRef
	Spec gwv1.ReferenceGrantSpec
}

// OpenShiftRoute is a route.openshift.io/v1 Route.
type OpenShiftRoute struct {
	ObjectRef
	Spec OpenShiftRouteSpec
}
