package access

import (
	"net/netip"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/internal/selector"
)

// Names of the pseudo-entries.
const (
	Internet          = "{internet}"
	IngressController = "{ingress-controller}"
)

// Kinds of the derived entries, as outputs print them.
const (
	KindInternet          = "Internet"
	KindIngressController = "IngressController"
	KindService           = "Service"
)

// ServiceEntry returns the name of a Service's entry, "ns/name[Service]":
// the suffix keeps it apart from a workload of the same name.
func ServiceEntry(namespace, name string) string { return namespace + "/" + name + "[Service]" }

// backend is where a Service port sends a connection: an endpoint (or an
// address outside the cluster's endpoints) and the port on it.
type backend struct {
	ent   reachability.Entity
	proto policy.Protocol
	port  uint16
	node  string // the endpoint's node, "" when unknown
}

// protocolOf returns a Service port's protocol (defaulted to TCP by the
// loader).
func protocolOf(sp corev1.ServicePort) policy.Protocol {
	p, err := policy.ParseKubeProtocol(string(sp.Protocol))
	if err != nil {
		return policy.TCP
	}
	return p
}

// isProxied reports whether kube-proxy gives the Service a virtual IP and
// forwards its ports: not for headless and ExternalName Services
// [docs/exposure-outside.md §1].
func isProxied(svc *policy.Service) bool {
	return !svc.Headless && svc.Type != corev1.ServiceTypeExternalName
}

// backendsOf returns the backends of one port of a Service. When
// EndpointSlices of the Service are given they are what kube-proxy uses:
// their ready endpoints on the slice port of the same name and protocol
// (an address is the endpoint that owns it, else an address outside the
// cluster). Otherwise the selector picks the endpoints of the Service's
// namespace and the target port is resolved on each (a name through its
// container ports; an endpoint that does not declare it gets nothing)
// [docs/exposure-outside.md §1.2].
func backendsOf(s *policy.Snapshot, svc *policy.Service, sp corev1.ServicePort) []backend {
	proto := protocolOf(sp)
	var slices []*policy.EndpointSlice
	for _, es := range s.Routing.EndpointSlices {
		if es.Namespace == svc.Namespace && es.Service == svc.Name {
			slices = append(slices, es)
		}
	}
	var out []backend
	if len(slices) > 0 {
		for _, es := range slices {
			for _, p := range es.Ports {
				if p.Name != sp.Name || p.Protocol != proto {
					continue
				}
				port := p.Port
				if port == 0 {
					n, ok := numericTarget(sp)
					if !ok {
						continue // "every port" with a named target: nothing to resolve it against
					}
					port = n
				}
				for _, e := range es.Endpoints {
					for _, a := range e.Addresses {
						out = append(out, backend{ent: addressEntity(s, es.Namespace, e.Pod, a), proto: proto, port: port, node: e.Node})
					}
				}
			}
		}
		return dedupe(out)
	}
	if len(svc.Selector) == 0 {
		return nil // endpoints managed by someone else, and none given
	}
	sel, err := selector.FromLabelSelector(&metav1.LabelSelector{MatchLabels: svc.Selector})
	if err != nil {
		return nil
	}
	for _, e := range s.Endpoints {
		if e.Namespace != svc.Namespace || !sel.Matches(e.Labels) {
			continue
		}
		port, ok := policy.TargetPort(sp, e)
		if !ok {
			continue
		}
		out = append(out, backend{ent: reachability.EndpointEntity(e), proto: proto, port: port, node: e.Node})
	}
	return out
}

func numericTarget(sp corev1.ServicePort) (uint16, bool) {
	if sp.TargetPort.StrVal != "" {
		return 0, false
	}
	return uint16(sp.TargetPort.IntVal), true
}

// addressEntity returns the endpoint an EndpointSlice address stands for:
// the endpoint that owns the address, else the pod its targetRef names,
// else the address itself.
func addressEntity(s *policy.Snapshot, ns, pod string, a netip.Addr) reachability.Entity {
	for _, e := range s.Endpoints {
		if slices.Contains(e.IPs, a) {
			return reachability.EndpointEntity(e)
		}
	}
	if pod != "" {
		for _, e := range s.Endpoints {
			if e.Namespace == ns && e.Name == pod {
				return reachability.EndpointEntity(e)
			}
		}
	}
	return reachability.IPEntity(a)
}

func dedupe(bs []backend) []backend {
	var out []backend
	for _, b := range bs {
		if !slices.ContainsFunc(out, func(x backend) bool { return sameEntity(x.ent, b.ent) && x.port == b.port && x.proto == b.proto }) {
			out = append(out, b)
		}
	}
	return out
}

func sameEntity(a, b reachability.Entity) bool {
	if a.Endpoint != nil || b.Endpoint != nil {
		return a.Endpoint == b.Endpoint
	}
	return a.IP == b.IP
}

// frontend is one way a Service port is reached from outside the cluster.
type frontend struct {
	// Kind is "LoadBalancer", "NodePort" or "ExternalIP".
	Kind string
	// Addr is the load balancer's or the external address; invalid for a
	// node port and for a load balancer whose address is not in the input.
	Addr netip.Addr
	// Ports are the ports clients connect to: the service port, or the
	// node port (the whole default node port range 30000-32767 when the
	// input does not give the allocated one).
	Ports reachability.PortRange
	// SourceRanges restrict the clients of a load balancer; empty: all.
	SourceRanges []netip.Prefix
}

// nodePortRange is the API server's default --service-node-port-range.
var nodePortRange = [2]uint16{30000, 32767}

// frontendsOf returns the ways a Service port is reached from outside the
// cluster [docs/exposure-outside.md §1.3]: its load balancer (type
// LoadBalancer), its node port (NodePort, and LoadBalancer unless node
// ports are not allocated; loadBalancerSourceRanges do not apply to it)
// and each external IP.
func frontendsOf(svc *policy.Service, sp corev1.ServicePort) []frontend {
	if !isProxied(svc) {
		return nil
	}
	proto := protocolOf(sp)
	single := reachability.PortRange{Protocol: proto, Lo: uint16(sp.Port), Hi: uint16(sp.Port)}
	var out []frontend
	if svc.Type == corev1.ServiceTypeLoadBalancer {
		if len(svc.LoadBalancerIPs) == 0 {
			out = append(out, frontend{Kind: "LoadBalancer", Ports: single, SourceRanges: svc.LoadBalancerSourceRanges})
		}
		for _, ip := range svc.LoadBalancerIPs {
			out = append(out, frontend{Kind: "LoadBalancer", Addr: ip, Ports: single, SourceRanges: svc.LoadBalancerSourceRanges})
		}
	}
	if svc.NodePorts {
		np := reachability.PortRange{Protocol: proto, Lo: nodePortRange[0], Hi: nodePortRange[1]}
		if sp.NodePort != 0 {
			np.Lo, np.Hi = uint16(sp.NodePort), uint16(sp.NodePort)
		}
		out = append(out, frontend{Kind: "NodePort", Ports: np})
	}
	for _, ip := range svc.ExternalIPs {
		out = append(out, frontend{Kind: "ExternalIP", Addr: ip, Ports: single})
	}
	return out
}

// String names the frontend: "LoadBalancer 203.0.113.7:443/TCP".
func (f frontend) String() string {
	s := f.Kind
	if f.Addr.IsValid() {
		s += " " + f.Addr.String()
	}
	return s + " " + f.Ports.String()
}

// controller is the set of pods that forwards the connections of a group
// of routes (an IngressClass, a Gateway, OpenShift's router).
type controller struct {
	// Name says which controller, for reports: "IngressClass nginx",
	// "Gateway shop/web", "OpenShift router".
	Name string
	// Pods are the controller's pods; empty when StandIn.
	Pods []*policy.Endpoint
	// StandIn is true when the pods are unknown and "{ingress-controller}"
	// stands for them.
	StandIn bool
	// How says how the pods were found.
	How string
}

// routeTarget is one Service port a route sends connections to, through
// a controller.
type routeTarget struct {
	// Object is the Ingress, route or Route, and Rule the field of the
	// backend in it.
	Object policy.ObjectRef
	Rule   string
	// Via is the object the controller is found by (IngressClass,
	// Gateway), when there is one.
	Via        string
	Controller *controller
	Service    *policy.Service
	Port       corev1.ServicePort
	// TargetPort, when not 0, overrides the Service's target port: an
	// OpenShift Route with a numeric targetPort names the port of the
	// endpoints directly.
	TargetPort uint16
}

// sortedServices returns the snapshot's proxied Services in order.
func sortedServices(s *policy.Snapshot) []*policy.Service {
	var out []*policy.Service
	for _, svc := range s.Services {
		if isProxied(svc) {
			out = append(out, svc)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// gatewayRef returns the Gateway a parentRef names, with its namespace
// defaulted to the route's; ok is false for another kind of parent.
func gatewayRef(routeNS string, p gwv1.ParentReference) (ns, name string, ok bool) {
	if p.Group != nil && string(*p.Group) != policy.GatewayGroup || p.Kind != nil && *p.Kind != "Gateway" {
		return "", "", false
	}
	ns = routeNS
	if p.Namespace != nil {
		ns = string(*p.Namespace)
	}
	return ns, string(p.Name), true
}
