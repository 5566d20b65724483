package policy

import (
	"net/netip"
	"sort"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// ObjectRef identifies one input object and where it was read.
type ObjectRef struct {
	// Group is the API group when the kind alone is ambiguous:
	// "projectcalico.org" for Calico objects, "" otherwise.
	Group     string   `json:"group,omitempty"`
	Kind      string   `json:"kind"`
	Namespace string   `json:"namespace,omitempty"` // empty for cluster-scoped objects
	Name      string   `json:"name"`
	Source    Location `json:"source"`
	// Origin is set for objects an admission policy (Kyverno) created or
	// changed; nil for objects exactly as the input gives them.
	Origin *Origin `json:"origin,omitempty"`
}

// String returns "Kind ns/name" (or "Kind name" when cluster-scoped);
// Calico kinds read "Calico Kind ns/name".
func (r ObjectRef) String() string {
	if r.Group == CalicoGroup {
		return "Calico " + r.Kind + " " + objectName(r.Namespace, r.Name)
	}
	return r.Kind + " " + objectName(r.Namespace, r.Name)
}

// Key returns "Kind/ns/name" ("Kind.group/ns/name" with a group), unique
// per object within a snapshot.
func (r ObjectRef) Key() string {
	k := r.Kind
	if r.Group != "" {
		k += "." + r.Group
	}
	return k + "/" + r.Namespace + "/" + r.Name
}

// Namespace is a Kubernetes namespace with its labels.
type Namespace struct {
	ObjectRef
	// Labels always holds kubernetes.io/metadata.name, as the control
	// plane sets it on every namespace.
	Labels map[string]string
	// Synthesized is true for a namespace that objects refer to but the
	// input did not declare; it carries only the name label.
	Synthesized bool
	// CalicoAnnotations keeps the namespace's annotations under
	// cni.projectcalico.org/ and egress.projectcalico.org/.
	CalicoAnnotations map[string]string
}

// ContainerPort is a port a container of an endpoint declares. Named
// ports in policies resolve against these.
type ContainerPort struct {
	Name     string
	Protocol Protocol
	Port     uint16
	// Init is true for ports of init containers (Calico resolves named
	// ports on them too).
	Init bool
}

// Endpoint is one pod, or one workload standing in for its pods when no
// live pod of it was given. Endpoints are what the reachability matrix is
// made of; their names are "namespace/name".
type Endpoint struct {
	ObjectRef
	// Workload names the owning workload, "Deployment/web", when known. For
	// a template endpoint it is the workload itself.
	Workload string
	// Template is true when the endpoint comes from a workload's pod
	// template rather than a live pod.
	Template       bool
	Labels         map[string]string
	ServiceAccount string
	// IPs are the pod's addresses (status.podIPs, else status.podIP),
	// IPv4-mapped IPv6 normalised to IPv4. Template endpoints have none.
	IPs         []netip.Addr
	Node        string
	HostNetwork bool
	Ports       []ContainerPort
	// MeshAnnotations keeps the pod's annotations that decide its place in
	// an Istio mesh (keys under sidecar.istio.io/, traffic.sidecar.istio.io/
	// and ambient.istio.io/); other annotations are not kept.
	MeshAnnotations map[string]string
	// IstioProxy is true when a container or init container is named
	// istio-proxy: the Istio sidecar was injected already.
	IstioProxy bool
	// Host is set for an endpoint that stands for a Calico HostEndpoint
	// (see [Snapshot.WithHostEndpoints]): its Namespace is "host:<node>",
	// its Name the interface, its IPs the expected IPs, and it is not on
	// the pod network.
	Host *HostEndpoint
	// CalicoAnnotations keeps the pod's (or template's) annotations under
	// cni.projectcalico.org/ and egress.projectcalico.org/.
	CalicoAnnotations map[string]string
	// PoolRanges, for a pod on the pod network without an address, are
	// the ranges Calico IPAM would allocate its address from, and Pools
	// the names of their IP pools; PoolSource says why those
	// (docs/calico-ipam.md). Empty when the pod has addresses or the
	// input has no IPPool.
	PoolRanges []netip.Prefix
	Pools      []string
	PoolSource PoolSource
}

// ID returns "namespace/name".
func (e *Endpoint) ID() string { return e.Namespace + "/" + e.Name }

// IP returns the endpoint's first address of the given family (4 or 6).
func (e *Endpoint) IP(family int) (netip.Addr, bool) {
	for _, ip := range e.IPs {
		if (family == 4) == ip.Is4() {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// Service is a Kubernetes Service: its selector and ports, and how it is
// exposed (see [ServiceExposure]). Ports have their defaults applied:
// protocol TCP, targetPort equal to port.
type Service struct {
	ObjectRef
	// Labels are the service's own labels (istio.io/use-waypoint).
	Labels    map[string]string
	Selector  map[string]string
	Ports     []corev1.ServicePort
	ClusterIP []netip.Addr
	ServiceExposure
}

// ServiceAccount is a Kubernetes ServiceAccount; Calico selectors can match
// its labels.
type ServiceAccount struct {
	ObjectRef
	Labels map[string]string
}

// Node is a Kubernetes Node: its labels and addresses. Nodes are needed
// only for node peers and host-network pods.
type Node struct {
	ObjectRef
	Labels    map[string]string
	Addresses []netip.Addr
	// InternalIPs are the addresses of type InternalIP (also in
	// Addresses): what Calico's outgoing NAT translates pod addresses to
	// (docs/calico-ipam.md).
	InternalIPs []netip.Addr
}

// Direction is ingress or egress.
type Direction uint8

// The two directions of a policy.
const (
	Ingress Direction = iota
	Egress
)

// MarshalText returns "ingress" or "egress".
func (d Direction) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// String returns "ingress" or "egress".
func (d Direction) String() string {
	if d == Egress {
		return "egress"
	}
	return "ingress"
}

// NetworkPolicy is a networking.k8s.io/v1 NetworkPolicy after the API
// server's defaulting (policyTypes, port protocols).
type NetworkPolicy struct {
	ObjectRef
	Spec networkingv1.NetworkPolicySpec
	// Invalid marks rules the API server would reject; they are left out
	// of the evaluation (what Calico does when it cannot convert a rule)
	// and reported as errors.
	Invalid map[RuleKey]bool
	// RuleSource locates each rule in the input, for reports.
	RuleSource map[RuleKey]Location
	// DefaultedTypes is true when the input gives no (valid) policyTypes,
	// so that Spec.PolicyTypes holds the defaults: Ingress, plus Egress
	// when the policy has egress rules [docs/semantics.md §2.2].
	DefaultedTypes bool
}

// RuleKey names one rule of a policy by direction and index.
type RuleKey struct {
	Dir   Direction
	Index int
}

// Applies reports whether the policy's defaulted policyTypes include d.
func (np *NetworkPolicy) Applies(d Direction) bool {
	want := networkingv1.PolicyTypeIngress
	if d == Egress {
		want = networkingv1.PolicyTypeEgress
	}
	for _, t := range np.Spec.PolicyTypes {
		if t == want {
			return true
		}
	}
	return false
}

// Skipped is an input object netreach does not evaluate, listed so that
// nothing the user gave disappears silently.
type Skipped struct {
	ObjectRef
	APIVersion string
	Reason     string
}

// Snapshot is everything loaded from the input: the inventory (namespaces,
// endpoints, services) and the policies of every supported API, plus the
// diagnostics found while loading. Slices are sorted (namespaces by name,
// other objects by namespace then name). A Snapshot is immutable once
// returned by [Loader.Snapshot] and safe for concurrent use.
type Snapshot struct {
	Namespaces      []*Namespace
	Endpoints       []*Endpoint
	Services        []*Service
	ServiceAccounts []*ServiceAccount
	Nodes           []*Node
	NetworkPolicies []*NetworkPolicy
	Admin           AdminPolicies
	Calico          CalicoObjects
	Routing         RoutingObjects
	Mesh            MeshObjects
	// IPAM holds Calico's IP pools and egress gateway policies
	// (docs/calico-ipam.md).
	IPAM IPAMObjects
	// Kyverno says how Kyverno policies took part (docs/kyverno.md).
	Kyverno     KyvernoSummary
	Skipped     []Skipped
	Diagnostics Diagnostics

	// hostSettings are the Felix settings per node, set by
	// WithHostEndpoints.
	hostSettings map[string]*HostSettings

	nsByName map[string]*Namespace
	saByName map[string]*ServiceAccount
	nodes    map[string]*Node
	services map[string]*Service // by namespace/name
	// indexed is set once the lookup maps are built (see [Snapshot.Check]).
	indexed bool
	// src is what the loader read, for [Snapshot.With] and
	// [Snapshot.Without]; nil for snapshots made by Apply or a staged view.
	src *sources
}

// Namespace returns the namespace with the given name, or nil.
func (s *Snapshot) Namespace(name string) *Namespace { return s.nsByName[name] }

// ServiceAccountLabels returns the labels of the service account ns/name,
// or nil when it was not given.
func (s *Snapshot) ServiceAccountLabels(ns, name string) map[string]string {
	if sa := s.saByName[ns+"/"+name]; sa != nil {
		return sa.Labels
	}
	return nil
}

// Node returns the node with the given name, or nil.
func (s *Snapshot) Node(name string) *Node { return s.nodes[name] }

// index builds the lookup maps and sorts every list.
func (s *Snapshot) index() {
	sort.Slice(s.Namespaces, func(i, j int) bool { return s.Namespaces[i].Name < s.Namespaces[j].Name })
	sortRefs(s.Endpoints)
	sortRefs(s.Services)
	sortRefs(s.ServiceAccounts)
	sortRefs(s.Nodes)
	sortRefs(s.NetworkPolicies)
	s.Admin.sort()
	s.Calico.sort()
	s.Routing.sort()
	s.Mesh.sort()
	s.IPAM.sort()
	sort.Slice(s.Skipped, func(i, j int) bool { return refLess(&s.Skipped[i].ObjectRef, &s.Skipped[j].ObjectRef) })
	s.nsByName = make(map[string]*Namespace, len(s.Namespaces))
	for _, ns := range s.Namespaces {
		s.nsByName[ns.Name] = ns
	}
	s.saByName = make(map[string]*ServiceAccount, len(s.ServiceAccounts))
	for _, sa := range s.ServiceAccounts {
		s.saByName[sa.Namespace+"/"+sa.Name] = sa
	}
	s.nodes = make(map[string]*Node, len(s.Nodes))
	for _, n := range s.Nodes {
		s.nodes[n.Name] = n
	}
	s.services = make(map[string]*Service, len(s.Services))
	for _, svc := range s.Services {
		s.services[svc.Namespace+"/"+svc.Name] = svc
	}
	s.indexed = true
}

type refHaver interface{ ref() *ObjectRef }

func (r *ObjectRef) ref() *ObjectRef { return r }

func sortRefs[T refHaver](xs []T) {
	sort.SliceStable(xs, func(i, j int) bool { return refLess(xs[i].ref(), xs[j].ref()) })
}

func refLess(a, b *ObjectRef) bool {
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.Kind < b.Kind
}

// Service returns the service ns/name, or nil.
func (s *Snapshot) Service(ns, name string) *Service { return s.services[ns+"/"+name] }
