package policy

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// ServiceExposure is how a Service is reached, after the API server's
// defaulting (see docs/exposure-outside.md §1).
type ServiceExposure struct {
	// Type is ClusterIP (the default), NodePort, LoadBalancer or
	// ExternalName.
	Type corev1.ServiceType
	// ExternalName is the DNS name of an ExternalName Service.
	ExternalName string
	// Headless is true for clusterIP: None: no virtual IP, no proxying.
	Headless bool
	// ExternalIPs are spec.externalIPs: addresses the nodes accept the
	// Service's ports on.
	ExternalIPs []netip.Addr
	// LoadBalancerIPs are status.loadBalancer.ingress[].ip and the
	// deprecated spec.loadBalancerIP.
	LoadBalancerIPs []netip.Addr
	// LoadBalancerSourceRanges are spec.loadBalancerSourceRanges or, when
	// empty, the service.beta.kubernetes.io/load-balancer-source-ranges
	// annotation; empty means every client.
	LoadBalancerSourceRanges []netip.Prefix
	// ExternalTrafficPolicy is Cluster or Local; defaulted to Cluster.
	ExternalTrafficPolicy corev1.ServiceExternalTrafficPolicy
	// InternalTrafficPolicy is Cluster or Local; defaulted to Cluster.
	InternalTrafficPolicy corev1.ServiceInternalTrafficPolicy
	// NodePorts is false for a LoadBalancer Service with
	// allocateLoadBalancerNodePorts: false, and for ClusterIP and
	// ExternalName Services.
	NodePorts bool
}

// sourceRangesAnnotation is the annotation cloud providers read when
// spec.loadBalancerSourceRanges is empty.
const sourceRangesAnnotation = "service.beta.kubernetes.io/load-balancer-source-ranges"

// fillServiceExposure reads the exposure fields of a Service and applies
// the API server's defaults (SetDefaults_Service, SetDefaults_ServicePort):
// type ClusterIP, port protocol TCP, targetPort equal to port, traffic
// policies Cluster, node ports allocated for NodePort and LoadBalancer.
func fillServiceExposure(c *decodeCtx, s *Service, svc *corev1.Service) {
	spec := &svc.Spec
	x := &s.ServiceExposure
	x.Type = spec.Type
	if x.Type == "" {
		x.Type = corev1.ServiceTypeClusterIP
	}
	switch x.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName:
	default:
		c.errorf("spec.type", "invalid type %s: expected ClusterIP, NodePort, LoadBalancer or ExternalName; the Service is treated as ClusterIP", quote(string(x.Type)))
		x.Type = corev1.ServiceTypeClusterIP
	}
	x.ExternalName = spec.ExternalName
	if x.Type == corev1.ServiceTypeExternalName && x.ExternalName == "" {
		c.errorf("spec.externalName", "an ExternalName Service needs externalName")
	}
	if x.Type == corev1.ServiceTypeExternalName {
		// A DNS alias: kube-proxy does not forward it, so no connection
		// reaches a pod through it (docs/exposure-outside.md §1.3).
		c.warnf("spec.type", "an ExternalName Service is a DNS alias, not proxied: it is not evaluated and gets no entry")
	}
	x.Headless = spec.ClusterIP == corev1.ClusterIPNone
	x.NodePorts = x.Type == corev1.ServiceTypeNodePort ||
		x.Type == corev1.ServiceTypeLoadBalancer && (spec.AllocateLoadBalancerNodePorts == nil || *spec.AllocateLoadBalancerNodePorts)
	for i := range spec.Ports {
		p := &spec.Ports[i]
		at := fmt.Sprintf("spec.ports[%d]", i)
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		if _, err := ParseKubeProtocol(string(p.Protocol)); err != nil {
			c.errorf(at+".protocol", "%v", err)
		}
		if p.Port < 1 || p.Port > 65535 {
			c.errorf(at+".port", "invalid port %d: expected 1-65535", p.Port)
		}
		if p.TargetPort.Type == intstr.Int && p.TargetPort.IntVal == 0 || p.TargetPort.Type == intstr.String && p.TargetPort.StrVal == "" {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
		if p.TargetPort.Type == intstr.String {
			if errs := validation.IsValidPortName(p.TargetPort.StrVal); len(errs) > 0 {
				c.errorf(at+".targetPort", "invalid port name %s: %s", quote(p.TargetPort.StrVal), strings.Join(errs, "; "))
			}
		} else if p.TargetPort.IntVal < 1 || p.TargetPort.IntVal > 65535 {
			c.errorf(at+".targetPort", "invalid port %d: expected 1-65535", p.TargetPort.IntVal)
		}
		if p.NodePort != 0 && (p.NodePort < 1 || p.NodePort > 65535) {
			c.errorf(at+".nodePort", "invalid port %d: expected 1-65535", p.NodePort)
			p.NodePort = 0
		}
		if p.NodePort != 0 && !x.NodePorts {
			c.warnf(at+".nodePort", "nodePort is set but the Service of type %s allocates no node ports; it is ignored", x.Type)
			p.NodePort = 0
		}
	}
	s.Ports = spec.Ports
	addrs := func(path string, list []string) []netip.Addr {
		var out []netip.Addr
		for i, a := range list {
			ip, err := netip.ParseAddr(a)
			if err != nil {
				c.errorf(fmt.Sprintf("%s[%d]", path, i), "invalid IP address %s", quote(a))
				continue
			}
			out = append(out, ip.Unmap())
		}
		return out
	}
	x.ExternalIPs = addrs("spec.externalIPs", spec.ExternalIPs)
	if spec.LoadBalancerIP != "" {
		x.LoadBalancerIPs = addrs("spec.loadBalancerIP", []string{spec.LoadBalancerIP})
	}
	for i, in := range svc.Status.LoadBalancer.Ingress {
		if in.IP != "" {
			x.LoadBalancerIPs = append(x.LoadBalancerIPs, addrs(fmt.Sprintf("status.loadBalancer.ingress[%d].ip", i), []string{in.IP})...)
		}
	}
	ranges, path := spec.LoadBalancerSourceRanges, "spec.loadBalancerSourceRanges"
	if len(ranges) == 0 && svc.Annotations[sourceRangesAnnotation] != "" {
		path = "metadata.annotations." + sourceRangesAnnotation
		for _, r := range strings.Split(svc.Annotations[sourceRangesAnnotation], ",") {
			ranges = append(ranges, strings.TrimSpace(r))
		}
	}
	for i, r := range ranges {
		p, err := netip.ParsePrefix(strings.TrimSpace(r))
		if err != nil {
			c.errorf(fmt.Sprintf("%s[%d]", path, i), "invalid CIDR %s; the range is left out, which admits fewer clients", quote(r))
			continue
		}
		x.LoadBalancerSourceRanges = append(x.LoadBalancerSourceRanges, p.Masked())
	}
	if len(x.LoadBalancerSourceRanges) > 0 && x.Type != corev1.ServiceTypeLoadBalancer {
		c.warnf(path, "loadBalancerSourceRanges has effect only on a LoadBalancer Service; ignored for type %s", x.Type)
		x.LoadBalancerSourceRanges = nil
	}
	x.ExternalTrafficPolicy = spec.ExternalTrafficPolicy
	switch x.ExternalTrafficPolicy {
	case "", corev1.ServiceExternalTrafficPolicyCluster:
		x.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	case corev1.ServiceExternalTrafficPolicyLocal:
	default:
		c.errorf("spec.externalTrafficPolicy", "invalid value %s: expected Cluster or Local; Cluster is used", quote(string(x.ExternalTrafficPolicy)))
		x.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	}
	var itp corev1.ServiceInternalTrafficPolicy
	if spec.InternalTrafficPolicy != nil {
		itp = *spec.InternalTrafficPolicy
	}
	switch itp {
	case "", corev1.ServiceInternalTrafficPolicyCluster:
		x.InternalTrafficPolicy = corev1.ServiceInternalTrafficPolicyCluster
	case corev1.ServiceInternalTrafficPolicyLocal:
		x.InternalTrafficPolicy = itp
	default:
		c.errorf("spec.internalTrafficPolicy", "invalid value %s: expected Cluster or Local; Cluster is used", quote(string(itp)))
		x.InternalTrafficPolicy = corev1.ServiceInternalTrafficPolicyCluster
	}
}

// TargetPort returns the target port of a Service port on an endpoint:
// the number, or the named container port of the endpoint with the
// port's protocol (init containers' ports do not count: the EndpointSlice
// controller looks up named ports in spec.containers). ok is false when the endpoint declares no such named
// port (the connection then goes nowhere).
func TargetPort(sp corev1.ServicePort, e *Endpoint) (port uint16, ok bool) {
	if sp.TargetPort.Type != intstr.String {
		return uint16(sp.TargetPort.IntVal), true
	}
	proto, err := ParseKubeProtocol(string(sp.Protocol))
	if err != nil {
		return 0, false
	}
	for _, cp := range e.Ports {
		if cp.Name == sp.TargetPort.StrVal && cp.Protocol == proto && !cp.Init {
			return cp.Port, true
		}
	}
	return 0, false
}
