package policy

import (
	"fmt"
	"strings"
)

// Apply returns the snapshot with change applied on top, the way `kubectl
// apply` would leave the cluster: every object of change replaces the
// object of the same kind, namespace and name in s (or is added), and the
// objects named by deletes are removed. A delete is written
// "kind/namespace/name" or, for cluster-scoped kinds, "kind/name"; the kind
// is case-insensitive and may carry an API group ("networkpolicy.projectcalico.org").
// Deleting a namespace deletes every object in it, as Kubernetes does
// (see [Snapshot.DeletedBy]); deleting a workload deletes the endpoints it
// stands for. s and change are not modified.
func (s *Snapshot) Apply(change *Snapshot, deletes []string) (*Snapshot, error) {
	del, err := s.deletion(deletes)
	if err != nil {
		return nil, err
	}
	out := &Snapshot{}
	if change == nil {
		change = &Snapshot{}
	}
	// A namespace the change only refers to (synthesized while loading it)
	// must not replace the declared one.
	var changeNS []*Namespace
	for _, ns := range change.Namespaces {
		if !ns.Synthesized || s.Namespace(ns.Name) == nil {
			changeNS = append(changeNS, ns)
		}
	}
	out.Namespaces = mergeByKey(s.Namespaces, changeNS, del)
	out.Endpoints = mergeEndpoints(s.Endpoints, change.Endpoints, del)
	out.Services = mergeByKey(s.Services, change.Services, del)
	out.ServiceAccounts = mergeByKey(s.ServiceAccounts, change.ServiceAccounts, del)
	out.Nodes = mergeByKey(s.Nodes, change.Nodes, del)
	out.NetworkPolicies = mergeByKey(s.NetworkPolicies, change.NetworkPolicies, del)
	out.Admin.Policies = mergeByKey(s.Admin.Policies, change.Admin.Policies, del)
	out.Calico.Tiers = mergeByKey(s.Calico.Tiers, change.Calico.Tiers, del)
	out.Calico.Policies = mergeByKey(s.Calico.Policies, change.Calico.Policies, del)
	out.Calico.StagedKubernetes = mergeByKey(s.Calico.StagedKubernetes, change.Calico.StagedKubernetes, del)
	out.Calico.NetworkSets = mergeByKey(s.Calico.NetworkSets, change.Calico.NetworkSets, del)
	out.Calico.HostEndpoints = mergeByKey(s.Calico.HostEndpoints, change.Calico.HostEndpoints, del)
	out.Calico.Felix = mergeByKey(s.Calico.Felix, change.Calico.Felix, del)
	out.Routing = s.Routing.merge(&change.Routing, del)
	out.Mesh.AuthorizationPolicies = mergeByKey(s.Mesh.AuthorizationPolicies, change.Mesh.AuthorizationPolicies, del)
	out.Mesh.PeerAuthentications = mergeByKey(s.Mesh.PeerAuthentications, change.Mesh.PeerAuthentications, del)
	out.IPAM.Pools = mergeByKey(s.IPAM.Pools, change.IPAM.Pools, del)
	out.IPAM.EgressGatewayPolicies = mergeByKey(s.IPAM.EgressGatewayPolicies, change.IPAM.EgressGatewayPolicies, del)
	out.Skipped = append(append([]Skipped(nil), s.Skipped...), change.Skipped...)
	out.Diagnostics = append(append(Diagnostics(nil), s.Diagnostics...), change.Diagnostics...)
	// Objects of the change may live in namespaces neither input declares.
	have := map[string]bool{}
	for _, ns := range out.Namespaces {
		have[ns.Name] = true
	}
	for _, e := range out.Endpoints {
		if !have[e.Namespace] {
			have[e.Namespace] = true
			out.Namespaces = append(out.Namespaces, &Namespace{ObjectRef: ObjectRef{Kind: "Namespace", Name: e.Namespace},
				Labels: map[string]string{"kubernetes.io/metadata.name": e.Namespace}, Synthesized: true})
		}
	}
	out.index()
	return out, nil
}

// deletion is what a list of deletes removes: objects by key, and every
// object of the deleted namespaces.
type deletion struct {
	keys       map[string]bool
	namespaces map[string]bool
}

// drops reports whether the deletion removes the object.
func (d deletion) drops(r *ObjectRef) bool {
	return d.keys[r.Key()] || r.Namespace != "" && d.namespaces[r.Namespace]
}

// deletion parses deletes and checks that each names an object of s.
func (s *Snapshot) deletion(deletes []string) (deletion, error) {
	d := deletion{keys: map[string]bool{}, namespaces: map[string]bool{}}
	for _, ref := range deletes {
		key, err := parseDeleteRef(ref)
		if err != nil {
			return d, err
		}
		if !s.has(key) {
			return d, fmt.Errorf("delete %s: no such object in the snapshot", ref)
		}
		d.keys[key] = true
		if ns, ok := strings.CutPrefix(key, "Namespace//"); ok {
			d.namespaces[ns] = true
		}
	}
	return d, nil
}

// DeletedBy lists the objects of s that [Snapshot.Apply] removes for
// deletes, in the order of the snapshot: the objects named, every object
// in a deleted namespace (Kubernetes deletes a namespace's contents with
// it), and the endpoints standing for a deleted workload.
func (s *Snapshot) DeletedBy(deletes []string) ([]ObjectRef, error) {
	del, err := s.deletion(deletes)
	if err != nil {
		return nil, err
	}
	var out []ObjectRef
	seen := map[string]bool{}
	s.each(func(r ObjectRef, workload string) {
		k := r.Key()
		if seen[k] {
			return
		}
		if del.drops(&r) || workload != "" && del.keys[workloadKey(r.Namespace, workload)] {
			seen[k] = true
			out = append(out, r)
		}
	})
	return out, nil
}

// mergeByKey returns base with every object of over replacing (or adding
// to) the one of the same key, without the deleted objects.
func mergeByKey[T interface{ ref() *ObjectRef }](base, over []T, del deletion) []T {
	idx := map[string]int{}
	var out []T
	for _, x := range base {
		k := x.ref().Key()
		if del.drops(x.ref()) {
			continue
		}
		idx[k] = len(out)
		out = append(out, x)
	}
	for _, x := range over {
		k := x.ref().Key()
		if i, ok := idx[k]; ok {
			out[i] = x
			continue
		}
		idx[k] = len(out)
		out = append(out, x)
	}
	return out
}

// mergeEndpoints merges endpoints by key; deleting a workload also deletes
// the endpoints it stands for.
func mergeEndpoints(base, over []*Endpoint, del deletion) []*Endpoint {
	out := mergeByKey(base, over, del)
	kept := out[:0]
	for _, e := range out {
		if e.Workload != "" && del.keys[workloadKey(e.Namespace, e.Workload)] {
			continue
		}
		kept = append(kept, e)
	}
	return kept
}

// has reports whether an object with that key exists (a workload exists
// when an endpoint names it).
func (s *Snapshot) has(key string) bool {
	found := false
	s.each(func(r ObjectRef, workload string) {
		if r.Key() == key || workload != "" && workloadKey(r.Namespace, workload) == key {
			found = true
		}
	})
	return found
}

// each calls visit for every object of the snapshot that Apply can
// delete, with the workload an endpoint stands for ("" for others).
func (s *Snapshot) each(visit func(r ObjectRef, workload string)) {
	for _, x := range s.Namespaces {
		visit(x.ObjectRef, "")
	}
	for _, x := range s.Endpoints {
		visit(x.ObjectRef, x.Workload)
	}
	for _, x := range s.Services {
		visit(x.ObjectRef, "")
	}
	for _, x := range s.ServiceAccounts {
		visit(x.ObjectRef, "")
	}
	for _, x := range s.Nodes {
		visit(x.ObjectRef, "")
	}
	for _, x := range s.NetworkPolicies {
		visit(x.ObjectRef, "")
	}
	for _, x := range s.Admin.Policies {
		visit(x.ObjectRef, "")
	}
	for _, x := range s.Calico.Tiers {
		visit(x.ObjectRef, "")
	}
	for _, x := range s.Calico.Policies {
		visit(x.ObjectRef, "")
	}
	for _, x := range s.Calico.StagedKubernetes {
		visit(x.ObjectRef, "")
	}
	for _, x := range s.Calico.NetworkSets {
		visit(x.ObjectRef, "")
	}
	s.Routing.each(func(r ObjectRef) { visit(r, "") })
	s.Mesh.eachNamespaced(func(r ObjectRef) { visit(r, "") })
}

// kindNames maps lower-case kind names (and plurals) to kinds.
var kindNames = map[string]string{}

func init() {
	for _, k := range []string{"Namespace", "Pod", "Service", "ServiceAccount", "Node", "NetworkPolicy",
		"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob",
		"AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy",
		"GlobalNetworkPolicy", "StagedNetworkPolicy", "StagedGlobalNetworkPolicy", "StagedKubernetesNetworkPolicy",
		"Tier", "NetworkSet", "GlobalNetworkSet", "AuthorizationPolicy", "PeerAuthentication",
		"EndpointSlice", "Ingress", "IngressClass", "Route", "GatewayClass", "Gateway",
		"HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute", "ReferenceGrant"} {
		l := strings.ToLower(k)
		kindNames[l] = k
		if stem, ok := strings.CutSuffix(l, "policy"); ok {
			kindNames[stem+"policies"] = k // globalnetworkpolicies, as kubectl spells the resource
		} else {
			kindNames[l+"s"] = k
		}
	}
	kindNames["netpol"] = "NetworkPolicy"
	kindNames["policies"] = "NetworkPolicy"
}

// calicoOnly are the kinds that exist only in Calico's group.
var calicoOnly = map[string]bool{"GlobalNetworkPolicy": true, "StagedNetworkPolicy": true, "StagedGlobalNetworkPolicy": true,
	"StagedKubernetesNetworkPolicy": true, "Tier": true, "NetworkSet": true, "GlobalNetworkSet": true}

// gatewayKinds are the kinds of the Gateway API group.
var gatewayKinds = map[string]bool{"GatewayClass": true, "Gateway": true, "HTTPRoute": true, "GRPCRoute": true,
	"TLSRoute": true, "TCPRoute": true, "UDPRoute": true, "ReferenceGrant": true}

// parseDeleteRef turns "kind/ns/name" into an object key.
func parseDeleteRef(s string) (string, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return "", fmt.Errorf("delete %q: expected kind/namespace/name or kind/name", s)
	}
	kindGroup := strings.ToLower(parts[0])
	kindPart, group, _ := strings.Cut(kindGroup, ".")
	kind, ok := kindNames[kindPart]
	if !ok {
		return "", fmt.Errorf("delete %q: unknown kind %q", s, parts[0])
	}
	switch {
	case calicoOnly[kind] || strings.HasPrefix(group, "projectcalico") || strings.HasPrefix(group, "crd.projectcalico"):
		group = CalicoGroup
	case kind == "Route":
		group = OpenShiftGroup
	case gatewayKinds[kind]:
		group = GatewayGroup
	case kind == "AuthorizationPolicy" || kind == "PeerAuthentication":
		group = MeshGroup
	default:
		group = ""
	}
	r := ObjectRef{Kind: kind, Group: group}
	if len(parts) == 3 {
		r.Namespace, r.Name = parts[1], parts[2]
	} else {
		r.Name = parts[1]
	}
	return r.Key(), nil
}
