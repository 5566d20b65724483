package reachability

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/selector"
)

// Resolve finds the entities a name stands for: "namespace/name" of an
// endpoint; "namespace/name" of a workload (every endpoint it owns or
// stands for, e.g. the pods of Deployment web); or an IP address (the
// endpoint that has it, an error when several share it, or the address
// itself).
//
// In calico mode host endpoints are endpoints too ("host:<node>/<interface>",
// or one of their expected IPs).
func Resolve(s *policy.Snapshot, name string) ([]Entity, error) {
	if policy.ModeAuto.Resolve(s) == policy.ModeCalico {
		s, _ = s.WithHostEndpoints(policy.HostOptions{})
	}
	if ip, err := netip.ParseAddr(name); err == nil {
		ip = ip.Unmap()
		var owners []string
		var owner *policy.Endpoint
		for _, e := range s.Endpoints {
			if slices.Contains(e.IPs, ip) {
				owners = append(owners, e.ID())
				owner = e
			}
		}
		switch len(owners) {
		case 0:
			return []Entity{IPEntity(ip)}, nil
		case 1:
			return []Entity{EndpointEntity(owner)}, nil
		}
		// Several endpoints share the address (host-network pods on one
		// node, or pods whose recorded addresses collide): picking one
		// would explain a flow the user may not mean.
		return nil, fmt.Errorf("%q is the address of %d endpoints: %s; name one of them as namespace/name", name, len(owners), strings.Join(owners, ", "))
	}
	ns, n, ok := strings.Cut(name, "/")
	if !ok || ns == "" || n == "" {
		return nil, fmt.Errorf("%q: expected namespace/name of a pod or workload, or an IP address", name)
	}
	for _, e := range s.Endpoints {
		if e.Namespace == ns && e.Name == n {
			return []Entity{EndpointEntity(e)}, nil
		}
	}
	var out []Entity
	for _, e := range s.Endpoints {
		if e.Namespace == ns && e.Workload != "" && strings.HasSuffix(e.Workload, "/"+n) {
			out = append(out, EndpointEntity(e))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q: no pod or workload of that name in namespace %q", name, ns)
	}
	return out, nil
}

// ServiceTarget is one endpoint behind a Service, with the port a
// connection to the service port reaches on it.
type ServiceTarget struct {
	Endpoint *policy.Endpoint
	Protocol policy.Protocol
	// Port is the target port on this endpoint; 0 when the service port
	// names a container port the endpoint does not declare.
	Port uint16
	// ServicePort is the service port the target belongs to.
	ServicePort uint16
}

// ServiceTargets resolves a Service: its selector picks the backing
// endpoints (pods on the pod network in its namespace) and each service
// port maps to its targetPort — a number, or a named container port looked
// up per endpoint. When port is not nil only that service port (matched
// by number and protocol) is used.
func ServiceTargets(s *policy.Snapshot, namespace, name string, port *Port) ([]ServiceTarget, error) {
	svc := s.Service(namespace, name)
	if svc == nil {
		return nil, fmt.Errorf("service %s/%s is not in the input", namespace, name)
	}
	if len(svc.Selector) == 0 {
		return nil, fmt.Errorf("service %s/%s has no selector: its endpoints are not modelled", namespace, name)
	}
	sel, _ := selector.FromLabelSelector(&metav1.LabelSelector{MatchLabels: svc.Selector})
	var out []ServiceTarget
	matched := false
	for _, sp := range svc.Ports {
		proto := policy.TCP
		if sp.Protocol != "" {
			proto, _ = policy.ParseKubeProtocol(string(sp.Protocol))
		}
		if port != nil && (uint16(sp.Port) != port.Number || proto != port.Protocol) {
			continue
		}
		matched = true
		for _, e := range s.Endpoints {
			if e.Namespace != svc.Namespace || e.HostNetwork || !sel.Matches(e.Labels) {
				continue
			}
			t := ServiceTarget{Endpoint: e, Protocol: proto, ServicePort: uint16(sp.Port)}
			switch {
			case sp.TargetPort.StrVal != "":
				for _, cp := range e.Ports {
					if cp.Name == sp.TargetPort.StrVal && cp.Protocol == proto {
						t.Port = cp.Port
						break
					}
				}
			case sp.TargetPort.IntVal != 0:
				t.Port = uint16(sp.TargetPort.IntVal)
			default:
				t.Port = uint16(sp.Port)
			}
			out = append(out, t)
		}
	}
	if port != nil && !matched {
		return nil, fmt.Errorf("service %s/%s has no port %s", namespace, name, port)
	}
	return out, nil
}
