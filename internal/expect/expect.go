package expect

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/internal/selector"
)

// APIVersion and Kind identify the expectations file format.
const (
	APIVersion = "netreach.io/v1alpha1"
	Kind       = "Expectations"
)

// Expectations is a parsed expectations file. It is immutable once returned
// by [Parse] or [Load] and safe for concurrent use.
type Expectations struct {
	// File is the name the file was read under, as given.
	File string
	// Rules are the rules in file order.
	Rules []*Rule
}

// RuleKind says what a rule demands of the flows it selects.
type RuleKind uint8

// Rule kinds.
const (
	// Allow: every selected flow is allowed.
	Allow RuleKind = iota + 1
	// Deny: no selected flow is allowed (conditional counts as allowed).
	Deny
	// Isolate: endpoints of namespaces with different values of a label
	// cannot reach each other, except for the listed flows.
	Isolate
)

// String returns "allow", "deny" or "isolate".
func (k RuleKind) String() string {
	switch k {
	case Allow:
		return "allow"
	case Deny:
		return "deny"
	case Isolate:
		return "isolate"
	}
	return "RuleKind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText returns the kind as String does.
func (k RuleKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Rule is one expectation. For Allow and Deny rules From, To and Ports are
// set; for Isolate rules, Isolate.
type Rule struct {
	Name        string
	Description string
	Kind        RuleKind
	From, To    *Selection
	// Ports restricts the flows checked; empty means every port atom of
	// the matrix (every port of TCP, UDP and SCTP, and in calico mode every
	// other protocol a policy names).
	Ports   []Port
	Isolate *Isolation
	// Layer is the layer of the verdict the rule checks: the combined
	// verdict (the default), network policy alone, or the service mesh
	// alone [docs/mesh.md §5.3].
	Layer reachability.Layer
	// Source is where the rule starts in the expectations file.
	Source policy.Location
}

// Selection picks endpoints (pods, or workloads standing in for their
// pods) and external addresses. Every field that is set must match (AND);
// the values of a list field are alternatives (OR). A selection with any
// field about endpoints (namespace, selectors, pod, workload) never picks
// external addresses.
type Selection struct {
	// Namespaces are namespace names or globs ("tenant-*"), as path.Match
	// reads them.
	Namespaces []string
	// NamespaceSelector matches the labels of the endpoint's namespace
	// (a Kubernetes LabelSelector).
	NamespaceSelector *selector.Selector
	// PodSelector matches the endpoint's labels (a Kubernetes
	// LabelSelector).
	PodSelector *selector.Selector
	// Pods are endpoint names or globs ("web-*"); a workload standing in
	// for its pods has the workload's name.
	Pods []string
	// Workloads are owning workloads, as "Kind/name" or "name", or globs
	// of either ("Deployment/web-*", "web-*").
	Workloads []string
	// Selector is a Calico selector over the endpoint's labels as Calico
	// sees them (with projectcalico.org/namespace and friends).
	Selector *selector.Selector
	// CIDRs select the endpoints that own an address inside, and the
	// external addresses inside; NotCIDRs carve addresses out of them.
	CIDRs, NotCIDRs []netip.Prefix
	// NewPods makes the selection also stand for every pod that could be
	// created in the namespaces it matches (new namespaces too, when it
	// names none), with labels its selectors match: see newpods.go.
	NewPods bool
	// Internet, IngressController and Services select entries of the
	// access model (docs/exposure-outside.md §4) instead of endpoints:
	// "{internet}", "{ingress-controller}", and Services as
	// "namespace/name" names or globs (entries "ns/name[Service]"). One
	// of them is the whole selection.
	Internet, IngressController bool
	Services                    []string
	// Source is where the selection is written.
	Source policy.Location

	text string
}

// selectsDerived reports whether s selects entries of the access model.
func (s *Selection) selectsDerived() bool {
	return s != nil && (s.Internet || s.IngressController || len(s.Services) > 0)
}

// String describes the selection as written, for messages:
// "{namespace: tenant-*, podSelector: app=web}".
func (s *Selection) String() string {
	if s == nil {
		return "{}"
	}
	return "{" + s.text + "}"
}

// selectsEndpointsOnly reports whether a field about endpoints is set.
func (s *Selection) selectsEndpointsOnly() bool {
	return len(s.Namespaces) > 0 || s.NamespaceSelector != nil || s.PodSelector != nil ||
		len(s.Pods) > 0 || len(s.Workloads) > 0 || s.Selector != nil
}

// Isolation is the tenancy shorthand: namespaces are grouped by the value
// of a label (namespaces without the label form one more group), and no
// endpoint may reach an endpoint of another group, except for the flows
// that an Exception lists.
type Isolation struct {
	NamespacesBy string
	Except       []Exception
	// NewPods extends the isolation to every pod that could be created,
	// in any namespace (a new namespace is in the group of its label).
	NewPods bool
}

// Exception exempts flows from an isolation: those from From (any source
// when nil) to To (any destination when nil) on Ports (every port when
// empty). An exception written with `with` sets both From and To to the
// same selection and exempts flows in either direction.
type Exception struct {
	From, To *Selection
	// Either is true for `with`: a flow is exempt when its source or its
	// destination matches From (== To).
	Either bool
	Ports  []Port
	Source policy.Location
}

// Port is a destination port range of a protocol, a whole protocol, or a
// named port resolved per destination endpoint.
type Port struct {
	// Protocol is the protocol; policy.AnyProtocol only for a named port
	// that names no protocol (any protocol with that port name).
	Protocol policy.Protocol
	// Lo and Hi are an inclusive port range; 1-65535 for a whole protocol
	// with ports; 0 for protocols without ports and for named ports.
	Lo, Hi uint16
	// Name is a container port name.
	Name string
}

// String returns the port as the short form of the file reads it: "80/TCP",
// "8000-8080/TCP", "UDP", "http" or "dns/UDP".
func (p Port) String() string {
	if p.Name != "" {
		if p.Protocol == policy.AnyProtocol {
			return p.Name
		}
		return p.Name + "/" + p.Protocol.String()
	}
	if !p.Protocol.HasPorts() || p.Lo == 1 && p.Hi == 65535 {
		return p.Protocol.String()
	}
	if p.Lo == p.Hi {
		return strconv.Itoa(int(p.Lo)) + "/" + p.Protocol.String()
	}
	return strconv.Itoa(int(p.Lo)) + "-" + strconv.Itoa(int(p.Hi)) + "/" + p.Protocol.String()
}

// portsString joins ports for messages; "every port" when there are none.
func portsString(ps []Port) string {
	if len(ps) == 0 {
		return "every port"
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}
