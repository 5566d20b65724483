package mesh

import (
	"net/netip"
	"strconv"

	"github.com/netreach/netreach/internal/policy"
)

// Stage is an enforcement point of the mesh on the way to a destination.
type Stage uint8

// Enforcement points.
const (
	// AtSidecar: the destination's sidecar.
	AtSidecar Stage = iota
	// AtZtunnel: the ztunnel of an ambient destination's node.
	AtZtunnel
	// AtWaypoint: the waypoint an ambient destination uses.
	AtWaypoint
)

// String returns "sidecar", "ztunnel" or "waypoint".
func (s Stage) String() string {
	switch s {
	case AtZtunnel:
		return "ztunnel"
	case AtWaypoint:
		return "waypoint"
	}
	return "sidecar"
}

// MarshalText returns the stage's name.
func (s Stage) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

const (
	gatewayGroup        = "gateway.networking.k8s.io"
	labelGatewayName    = "gateway.networking.k8s.io/gateway-name"
	waypointGatewayKind = "Gateway"
	waypointClass       = "istio-waypoint"
)

// modelledTarget reports whether a targetRef can act on pod-to-pod
// connections: a Gateway (a waypoint, or a Gateway API gateway's pods), a
// Service (at its waypoint), or the waypoint GatewayClass.
func (m *Model) modelledTarget(p *policy.AuthorizationPolicy, t policy.TargetRef) bool {
	switch {
	case t.Kind == waypointGatewayKind && t.Group == gatewayGroup:
		return true
	case t.Kind == "Service" && (t.Group == "" || t.Group == "core"):
		return true
	case t.Kind == "GatewayClass" && t.Group == gatewayGroup:
		return p.Namespace == m.opts.RootNamespace && t.Name == waypointClass
	}
	return false
}

// Policies returns the AuthorizationPolicies the proxy at a stage
// enforces for a destination, in the snapshot's order (namespace, name).
// Dry-run policies are never enforced.
//
// Sidecar and ztunnel: a policy without targetRefs in the root namespace
// applies to every workload, in another namespace to that namespace's
// workloads, in both cases only those its selector matches; ztunnel sees
// the waypoint's identity for traffic that came through one. A Gateway API gateway's pods (label
// gateway.networking.k8s.io/gateway-name) also enforce the policies
// attached to their Gateway. Waypoint: only policies attached with
// targetRefs to the waypoint's Gateway, to a Service selecting the
// destination, or (in the root namespace) to the istio-waypoint
// GatewayClass; selector policies are ignored there [docs/mesh.md §4.2].
// A policy with an istio.io/rev label applies
// only to proxies of that revision.
func (m *Model) Policies(stage Stage, dst *policy.Endpoint) []*policy.AuthorizationPolicy {
	mb := m.Member(dst)
	var out []*policy.AuthorizationPolicy
	for _, p := range m.authz {
		if p.Revision != "" && p.Revision != mb.Revision {
			continue
		}
		if m.appliesAt(stage, p, dst, mb) {
			out = append(out, p)
		}
	}
	return out
}

// appliesAt reports whether policy p is enforced at stage for dst; see
// [Model.Policies].
func (m *Model) appliesAt(stage Stage, p *policy.AuthorizationPolicy, dst *policy.Endpoint, mb Member) bool {
	if stage == AtWaypoint {
		if mb.Waypoint == nil {
			return false
		}
		for _, t := range p.TargetRefs {
			switch {
			case t.Kind == waypointGatewayKind && t.Group == gatewayGroup:
				if p.Namespace == mb.Waypoint.Namespace && t.Name == mb.Waypoint.Name {
					return true
				}
			case t.Kind == "Service" && (t.Group == "" || t.Group == "core"):
				if p.Namespace == dst.Namespace {
					for _, svc := range m.servicesOf(dst) {
						if svc.Name == t.Name {
							return true
						}
					}
				}
			case t.Kind == "GatewayClass" && t.Group == gatewayGroup:
				if p.Namespace == m.opts.RootNamespace && t.Name == waypointClass {
					return true
				}
			}
		}
		return false
	}
	if len(p.TargetRefs) > 0 {
		gw := dst.Labels[labelGatewayName]
		if gw == "" || p.Namespace != dst.Namespace {
			return false
		}
		for _, t := range p.TargetRefs {
			if t.Kind == waypointGatewayKind && t.Group == gatewayGroup && t.Name == gw {
				return true
			}
		}
		return false
	}
	if p.Namespace != m.opts.RootNamespace && p.Namespace != dst.Namespace {
		return false
	}
	return p.Selector == nil || labelsMatch(p.Selector, dst.Labels)
}

// CutPorts returns every TCP port at which the mesh's answer can change:
// ports of operations and destination.port conditions, port-level mTLS
// modes, ports Services declare a protocol for, and inbound ports sidecar
// annotations include or exclude. The engine cuts its port atoms there.
func (m *Model) CutPorts() []uint16 {
	out := m.MTLSPorts()
	out = append(out, m.ServicePorts()...)
	for _, p := range m.authz {
		for _, r := range p.Rules {
			for _, op := range r.To {
				out = append(out, op.Ports...)
				out = append(out, op.NotPorts...)
			}
			for _, c := range r.When {
				if c.Key != "destination.port" {
					continue
				}
				for _, v := range append(append([]string(nil), c.Values...), c.NotValues...) {
					if n, err := strconv.ParseUint(v, 10, 16); err == nil {
						out = append(out, uint16(n))
					}
				}
			}
		}
	}
	for _, mb := range m.members {
		for port := range mb.included {
			out = append(out, port)
		}
		for port := range mb.excluded {
			out = append(out, port)
		}
	}
	return out
}

// CutPrefixes returns every address block a policy tests a source or
// destination address against: the engine cuts its address atoms there.
func (m *Model) CutPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range m.authz {
		for _, r := range p.Rules {
			for _, s := range r.From {
				out = append(out, s.IPBlocks...)
				out = append(out, s.NotIPBlocks...)
				out = append(out, s.RemoteIPBlocks...)
				out = append(out, s.NotRemoteIPBlocks...)
			}
			for _, c := range r.When {
				out = append(out, c.Prefixes...)
				out = append(out, c.NotPrefixes...)
			}
		}
	}
	return out
}
