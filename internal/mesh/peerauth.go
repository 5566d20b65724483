package mesh

import (
	"fmt"

	"github.com/netreach/netreach/internal/policy"
)

// olderPeer orders PeerAuthentications oldest first: by creation
// timestamp when both have one, a policy with a timestamp before one
// without, then by name (Istio keeps the oldest of competing policies).
func olderPeer(a, b *policy.PeerAuthentication) bool {
	switch {
	case !a.Created.IsZero() && !b.Created.IsZero() && !a.Created.Equal(b.Created):
		return a.Created.Before(b.Created)
	case a.Created.IsZero() != b.Created.IsZero():
		return !a.Created.IsZero()
	}
	return a.Name < b.Name
}

// checkCompeting warns when several namespace-wide (or mesh-wide)
// PeerAuthentications compete in one namespace: Istio uses the oldest and
// ignores the others.
func (m *Model) checkCompeting(ns string, list []*policy.PeerAuthentication) {
	var wide []*policy.PeerAuthentication
	for _, p := range list {
		if p.Selector == nil {
			wide = append(wide, p)
		}
	}
	if len(wide) < 2 {
		return
	}
	scope := "namespace-wide"
	if ns == m.opts.RootNamespace {
		scope = "mesh-wide"
	}
	for _, p := range wide[1:] {
		how := "older"
		if wide[0].Created.IsZero() || p.Created.IsZero() {
			how = "first by name (creation timestamps are missing, so the one Istio keeps cannot be known)"
		}
		m.warn(p.ObjectRef, fmt.Sprintf("several %s PeerAuthentications: Istio uses only the oldest, so this one is ignored in favour of %s, which is %s", scope, wide[0].Name, how))
	}
}

// MTLSResult is the mutual TLS mode in force on one port of a workload,
// and the policy that set it.
type MTLSResult struct {
	Mode policy.MTLSMode
	// Policy set the mode; nil when no policy did (the mesh default,
	// PERMISSIVE).
	Policy *policy.PeerAuthentication
	// Scope is "port", "workload", "namespace", "mesh" or "default".
	Scope string
}

// MTLS returns the mTLS mode a workload accepts on a port: the narrowest
// PeerAuthentication that sets a mode wins — the workload's port-level
// mode, its workload policy's mode, the namespace policy, the mesh policy
// in the root namespace — and UNSET inherits from the next; with nothing
// set the mode is PERMISSIVE [docs/mesh.md §3.2]. Among competing
// policies of one scope the oldest counts. An ambient workload ignores
// DISABLE, which ztunnel does not support [docs/mesh.md §3.4].
func (m *Model) MTLS(dst *policy.Endpoint, port uint16) MTLSResult {
	ambient := m.Member(dst).Dataplane == Ambient
	usable := func(mode policy.MTLSMode) bool {
		return mode != policy.MTLSUnset && !(ambient && mode == policy.MTLSDisable)
	}
	rev := m.Member(dst).Revision
	inRevision := func(p *policy.PeerAuthentication) bool { return p.Revision == "" || p.Revision == rev }
	// Workload: the oldest policy of the namespace whose selector matches.
	for _, p := range m.peer[dst.Namespace] {
		if p.Selector == nil || !inRevision(p) || !labelsMatch(p.Selector, dst.Labels) {
			continue
		}
		if mode, ok := p.PortLevel[port]; ok && usable(mode) {
			return MTLSResult{Mode: mode, Policy: p, Scope: "port"}
		}
		if usable(p.Mode) {
			return MTLSResult{Mode: p.Mode, Policy: p, Scope: "workload"}
		}
		break
	}
	for _, scope := range []struct{ ns, name string }{{dst.Namespace, "namespace"}, {m.opts.RootNamespace, "mesh"}} {
		if scope.name == "namespace" && scope.ns == m.opts.RootNamespace {
			continue // the root namespace's own policy is the mesh policy
		}
		for _, p := range m.peer[scope.ns] {
			if p.Selector != nil || !inRevision(p) {
				continue
			}
			if usable(p.Mode) {
				return MTLSResult{Mode: p.Mode, Policy: p, Scope: scope.name}
			}
			break
		}
	}
	return MTLSResult{Mode: policy.MTLSPermissive, Scope: "default"}
}

// MTLSPorts returns every port some PeerAuthentication sets a port-level
// mode for: the engine cuts port atoms there.
func (m *Model) MTLSPorts() []uint16 {
	var out []uint16
	for _, list := range m.peer {
		for _, p := range list {
			for port := range p.PortLevel {
				out = append(out, port)
			}
		}
	}
	return out
}
