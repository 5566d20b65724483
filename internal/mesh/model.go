package mesh

import (
	"fmt"
	"sort"

	"github.com/netreach/netreach/internal/policy"
)

// Model is the mesh as the manifests describe it: who is in it, with
// which identity, and which policies its proxies enforce. The zero Model
// is not usable; build one with [New]. A Model is immutable and safe for
// concurrent use.
type Model struct {
	opts    Options
	snap    *policy.Snapshot
	members map[*policy.Endpoint]Member
	// services by namespace, with their selectors converted once.
	services map[string][]*policy.Service
	// svcOf caches the Services selecting each endpoint.
	svcOf map[*policy.Endpoint][]*policy.Service
	// authz holds the enforced AuthorizationPolicies (dry-run ones left
	// out); peer the PeerAuthentications by namespace, oldest first.
	authz []*policy.AuthorizationPolicy
	peer  map[string][]*policy.PeerAuthentication
	diags policy.Diagnostics
}

// New builds the mesh model of a snapshot. The diagnostics say what the
// model could not take into account or had to choose (competing
// PeerAuthentications, policies attached to resources that are not
// modelled).
func New(s *policy.Snapshot, opts Options) *Model {
	m := &Model{opts: opts.withDefaults(), snap: s, members: make(map[*policy.Endpoint]Member, len(s.Endpoints)),
		services: map[string][]*policy.Service{}, peer: map[string][]*policy.PeerAuthentication{}}
	for _, svc := range s.Services {
		m.services[svc.Namespace] = append(m.services[svc.Namespace], svc)
	}
	m.svcOf = make(map[*policy.Endpoint][]*policy.Service, len(s.Endpoints))
	for _, e := range s.Endpoints {
		m.svcOf[e] = m.selectingServices(e)
	}
	for _, e := range s.Endpoints {
		m.members[e] = m.member(e)
	}
	for _, p := range s.Mesh.AuthorizationPolicies {
		if p.DryRun {
			continue
		}
		m.authz = append(m.authz, p)
		for _, t := range p.TargetRefs {
			if !m.modelledTarget(p, t) {
				m.warn(p.ObjectRef, fmt.Sprintf("targetRefs %s: policies attached to this kind of resource do not act on pod-to-pod connections, so this target is not modelled", t))
			}
		}
		if p.Namespace == m.opts.RootNamespace && len(p.TargetRefs) > 0 {
			for _, t := range p.TargetRefs {
				if t.Kind == "Gateway" {
					m.warn(p.ObjectRef, fmt.Sprintf("targetRefs %s: a Gateway is looked up in the policy's own namespace (the root namespace)", t))
				}
			}
		}
	}
	for _, p := range s.Mesh.PeerAuthentications {
		if p.Namespace == m.opts.RootNamespace && p.Selector != nil {
			m.warn(p.ObjectRef, "a PeerAuthentication with a workload selector in the root namespace is ignored by Istio")
			continue
		}
		m.peer[p.Namespace] = append(m.peer[p.Namespace], p)
	}
	for ns, list := range m.peer {
		sort.SliceStable(list, func(i, j int) bool { return olderPeer(list[i], list[j]) })
		m.checkCompeting(ns, list)
	}
	return m
}

// Options returns the options the model was built with, defaults filled
// in.
func (m *Model) Options() Options { return m.opts }

// Diagnostics returns what the model reported.
func (m *Model) Diagnostics() policy.Diagnostics { return append(policy.Diagnostics(nil), m.diags...) }

func (m *Model) warn(r policy.ObjectRef, msg string) {
	m.diags = append(m.diags, policy.Diagnostic{Severity: policy.Warning, Location: r.Source, Kind: r.Kind,
		Namespace: r.Namespace, Name: r.Name, Msg: msg})
}

// Member returns the endpoint's place in the mesh; an endpoint of another
// snapshot is not in the mesh.
func (m *Model) Member(e *policy.Endpoint) Member {
	if e == nil {
		return Member{Why: "an address outside the cluster's endpoints"}
	}
	return m.members[e]
}

// Principal returns the endpoint's SPIFFE identity as AuthorizationPolicy
// principals name it: "<trust domain>/ns/<namespace>/sa/<service account>"
// [docs/mesh.md §2.1].
func (m *Model) Principal(e *policy.Endpoint) string {
	return m.opts.TrustDomain + "/ns/" + e.Namespace + "/sa/" + e.ServiceAccount
}

// WaypointPrincipal returns the identity of a waypoint proxy: its service
// account is named after the waypoint (Istio deploys it so).
func (m *Model) WaypointPrincipal(w Waypoint) string {
	return m.opts.TrustDomain + "/ns/" + w.Namespace + "/sa/" + w.Name
}

// namespaceLabels returns a namespace's labels (the name label alone for
// an unknown namespace).
func (m *Model) namespaceLabels(ns string) map[string]string {
	if n := m.snap.Namespace(ns); n != nil {
		return n.Labels
	}
	return map[string]string{"kubernetes.io/metadata.name": ns}
}

// servicesOf returns the Services of e's namespace whose selector picks
// e, by name.
func (m *Model) servicesOf(e *policy.Endpoint) []*policy.Service {
	if list, ok := m.svcOf[e]; ok {
		return list
	}
	return m.selectingServices(e)
}

// selectingServices finds the Services of e's namespace whose selector
// picks e.
func (m *Model) selectingServices(e *policy.Endpoint) []*policy.Service {
	var out []*policy.Service
	if e.HostNetwork {
		return nil
	}
	for _, svc := range m.services[e.Namespace] {
		if len(svc.Selector) > 0 && labelsMatch(svc.Selector, e.Labels) {
			out = append(out, svc)
		}
	}
	return out
}

// labelsMatch reports whether every key=value of sel is in labels (a
// matchLabels selector; an empty one matches everything).
func labelsMatch(sel, labels map[string]string) bool {
	for k, v := range sel {
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	return true
}

// Key returns a string equal for two endpoints the mesh cannot tell apart
// as destinations beyond their labels, namespace and addresses: their
// membership and the application protocol of each port. The engine adds
// it to the endpoint class signature.
func (m *Model) Key(e *policy.Endpoint) string {
	k := m.Member(e).Key()
	if m.Member(e).Dataplane == NoDataplane {
		return k
	}
	return k + "|" + m.protocolKey(e)
}

// PolicyLabelKeys returns every label key a mesh policy's workload
// selector reads, sorted.
func (m *Model) PolicyLabelKeys() []string {
	seen := map[string]bool{}
	for _, p := range m.authz {
		for k := range p.Selector {
			seen[k] = true
		}
		if len(p.TargetRefs) > 0 {
			seen[labelGatewayName] = true
		}
	}
	for _, list := range m.peer {
		for _, p := range list {
			for k := range p.Selector {
				seen[k] = true
			}
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
