package reachability

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"go4.org/netipx"

	"github.com/netreach/netreach/internal/policy"
)

// GroupBy says how a grouped view merges endpoints into groups.
type GroupBy uint8

// The groupings of a [GroupedView].
const (
	// ByPod keeps every endpoint (pod, or workload standing in for its
	// pods) a group of its own.
	ByPod GroupBy = iota
	// ByWorkload merges the pods of one workload, following
	// ownerReferences to the outermost controller (Pod → ReplicaSet →
	// Deployment, Pod → Job → CronJob); a bare pod stays a group of its
	// own.
	ByWorkload
	// ByNamespace merges the endpoints of one namespace.
	ByNamespace
	// ByTenant merges the namespaces that share the value of the tenant
	// label ([GroupOptions.TenantLabel]); a namespace without the label
	// stays a group of its own.
	ByTenant
)

var groupByNames = [...]string{"pod", "workload", "namespace", "tenant"}

// String returns "pod", "workload", "namespace" or "tenant".
func (g GroupBy) String() string {
	if int(g) < len(groupByNames) {
		return groupByNames[g]
	}
	return fmt.Sprintf("GroupBy(%d)", g)
}

// ParseGroupBy reads "pod", "workload", "namespace" or "tenant".
func ParseGroupBy(s string) (GroupBy, error) {
	for i, n := range groupByNames {
		if s == n {
			return GroupBy(i), nil
		}
	}
	return 0, fmt.Errorf("ParseGroupBy(%q): expected pod, workload, namespace or tenant", s)
}

// FocusDirection says which flows of the focused entries a view keeps.
type FocusDirection uint8

// The directions of a focus.
const (
	// FocusBoth keeps flows from and to the focused entries.
	FocusBoth FocusDirection = iota
	// FocusIngress keeps flows to the focused entries.
	FocusIngress
	// FocusEgress keeps flows from the focused entries.
	FocusEgress
)

// String returns "both", "ingress" or "egress".
func (d FocusDirection) String() string {
	switch d {
	case FocusIngress:
		return "ingress"
	case FocusEgress:
		return "egress"
	}
	return "both"
}

// ParseFocusDirection reads "both", "ingress" or "egress".
func ParseFocusDirection(s string) (FocusDirection, error) {
	switch s {
	case "both":
		return FocusBoth, nil
	case "ingress":
		return FocusIngress, nil
	case "egress":
		return FocusEgress, nil
	}
	return 0, fmt.Errorf("ParseFocusDirection(%q): expected ingress, egress or both", s)
}

// DefaultTenantLabel is the namespace label that names tenants when
// [GroupOptions.TenantLabel] is empty, as the audit uses it.
const DefaultTenantLabel = "client"

// GroupOptions choose what a [GroupedView] shows and how it groups it.
// The zero value groups by pod, shows every endpoint and external range,
// every connection, and no focus.
type GroupOptions struct {
	// By is the grouping.
	By GroupBy
	// TenantLabel is the namespace label whose value names the tenant of
	// a namespace (ByTenant); empty means [DefaultTenantLabel].
	TenantLabel string
	// Namespaces, when not empty, keeps only the endpoints of these
	// namespaces (external ranges stay).
	Namespaces []string
	// NoExternal leaves the external address ranges out.
	NoExternal bool
	// Focus, when not empty, keeps only the flows from or to (see
	// Direction) the entries some selection picks.
	Focus []Selection
	// Direction says which flows of the focused entries are kept; it
	// matters only with Focus.
	Direction FocusDirection
	// Connections, when not nil, keeps only these connections: port atoms
	// that hold none of them are left out, and the connections a view
	// reports are cut to them.
	Connections *Connections
	// Progress, when not nil, is called as the view's pairs are computed,
	// with the source groups done and the total. It must be cheap.
	Progress func(done, total int)

	// cuts are addresses where external ranges are cut besides the
	// matrix's own boundaries (the other side's, in a diff).
	cuts []netip.Addr
}

// GroupNode is one node of a grouped view: a set of endpoints shown as one
// (a pod, a workload, a namespace, a tenant), or a range of external
// addresses.
type GroupNode struct {
	// Name is "namespace/name" for a pod or workload, the namespace name
	// for a namespace, "label=value" for a tenant, and the CIDR or
	// "first-last" range for external addresses.
	Name string
	// Kind is the endpoint or workload kind ("Pod", "Deployment", ...),
	// "Namespace", "Tenant" or "External".
	Kind string
	// Namespace is the namespace of a pod, workload or namespace group;
	// empty for tenants and external ranges.
	Namespace string
	// Tenant is the value of the tenant label on the group's namespaces,
	// when they all have the same one; empty otherwise.
	Tenant string
	// Endpoints is the number of endpoints in the group (0 for external
	// ranges).
	Endpoints int
	// Range is the address range of an external group.
	Range netipx.IPRange
	// labelled says whether outputs with room print the kind after the
	// name; label caches Label for the groups of a view.
	labelled bool
	label    string
	// focused marks external ranges inside the focus, which never merge
	// with ranges outside it.
	focused bool
	// derived marks the entries a DerivedLayer adds ("{internet}",
	// Services): each is a group of its own.
	derived bool
}

// IsDerived reports whether the group is an entry that a derived layer
// adds to the matrix (see [DerivedEntry]): the internet, an ingress
// controller, a Service.
func (g GroupNode) IsDerived() bool { return g.derived }

// Kinds of groups that are not endpoint kinds.
const (
	KindNamespace = "Namespace"
	KindTenant    = "Tenant"
	KindExternal  = "External"
)

// IsExternal reports whether the group is a range of external addresses.
func (g GroupNode) IsExternal() bool { return g.Kind == KindExternal }

// Label returns the group as outputs with room name it: the name followed
// by the kind in brackets for workloads and bare pods in a workload view
// ("shop/web[Deployment]") and for endpoints of kinds netreach does not
// group, the name alone otherwise.
func (g GroupNode) Label() string {
	if g.label != "" {
		return g.label
	}
	if g.labelled {
		return g.Name + "[" + g.Kind + "]"
	}
	return g.Name
}

// notWorkloads are owner kinds that do not make their pods one workload:
// the static pods of a node (its mirror pods, owned by the Node object)
// are unrelated programs.
var notWorkloads = map[string]bool{"Node": true}

// unknownOwnerKind names the kind of a workload whose ownerReferences do
// not say it.
const unknownOwnerKind = "Workload"

// workloadKinds are the kinds of endpoints that stand for pods: live pods
// and the workloads whose pod templates stand in for theirs. Endpoints of
// any other kind (pseudo-endpoints other layers add) are never merged
// with anything: each stays a group of its own.
var workloadKinds = map[string]bool{
	"Pod": true, "Deployment": true, "StatefulSet": true, "DaemonSet": true, "ReplicaSet": true,
	"ReplicationController": true, "Job": true, "CronJob": true,
}

// endpointGroup returns the key and the group of an endpoint under a
// grouping.
func endpointGroup(s *policy.Snapshot, e *policy.Endpoint, by GroupBy, tenantLabel string) (key string, g GroupNode) {
	tenant := ""
	if ns := s.Namespace(e.Namespace); ns != nil {
		tenant = ns.Labels[tenantLabel]
	}
	own := GroupNode{Name: e.ID(), Kind: e.Kind, Namespace: e.Namespace, Tenant: tenant, labelled: by != ByPod}
	if !workloadKinds[e.Kind] {
		own.labelled = true
		return "e\x00" + e.Kind + "\x00" + e.ID(), own
	}
	switch by {
	case ByWorkload:
		if kind, name, ok := strings.Cut(e.Workload, "/"); ok && !notWorkloads[kind] {
			if kind == "" {
				kind = unknownOwnerKind // an ownerReference without a kind
			}
			g := GroupNode{Name: e.Namespace + "/" + name, Kind: kind, Namespace: e.Namespace, Tenant: tenant, labelled: true}
			return "w\x00" + e.Namespace + "\x00" + e.Workload, g
		}
		return "e\x00" + e.Kind + "\x00" + e.ID(), own
	case ByNamespace:
		return "n\x00" + e.Namespace, GroupNode{Name: e.Namespace, Kind: KindNamespace, Namespace: e.Namespace, Tenant: tenant}
	case ByTenant:
		if tenant == "" {
			return "n\x00" + e.Namespace, GroupNode{Name: e.Namespace, Kind: KindNamespace, Namespace: e.Namespace}
		}
		return "t\x00" + tenant, GroupNode{Name: tenantLabel + "=" + tenant, Kind: KindTenant, Tenant: tenant}
	}
	return "e\x00" + e.Kind + "\x00" + e.ID(), own
}

// groupOrder sorts endpoint groups: by namespace (tenants and other
// groups without one by name), then name, then kind.
func groupOrder(a, b GroupNode) int {
	ka, kb := a.Namespace, b.Namespace
	if ka == "" {
		ka = a.Name
	}
	if kb == "" {
		kb = b.Name
	}
	return cmp.Or(strings.Compare(ka, kb), strings.Compare(a.Name, b.Name), strings.Compare(a.Kind, b.Kind))
}

// nodeOrder sorts the nodes of views: endpoint groups (see groupOrder),
// then external ranges by address, then derived entries by name.
func nodeOrder(a, b GroupNode) int {
	rank := func(n GroupNode) int {
		switch {
		case n.derived:
			return 2
		case n.IsExternal():
			return 1
		}
		return 0
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra - rb
	}
	switch {
	case a.derived:
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Kind, b.Kind))
	case a.IsExternal():
		return rangeOrder(a.Range, b.Range)
	}
	return groupOrder(a, b)
}

// cutRanges cuts each range at the addresses of cuts (sorted) inside it,
// keeping the focus mark of each.
func cutRanges(rs []netipx.IPRange, in []bool, cuts []netip.Addr) ([]netipx.IPRange, []bool) {
	var outR []netipx.IPRange
	var outIn []bool
	for k, r := range rs {
		from := r.From()
		i, _ := slices.BinarySearchFunc(cuts, from, netip.Addr.Compare)
		for ; i < len(cuts) && cuts[i].Compare(r.To()) <= 0; i++ {
			if c := cuts[i]; c.Compare(from) > 0 && c.Is4() == from.Is4() {
				outR, outIn = append(outR, netipx.IPRangeFrom(from, c.Prev())), append(outIn, in[k])
				from = c
			}
		}
		outR, outIn = append(outR, netipx.IPRangeFrom(from, r.To())), append(outIn, in[k])
	}
	return outR, outIn
}

// externalGroup returns the group of an external address range.
func externalGroup(r netipx.IPRange) GroupNode {
	return GroupNode{Name: ExternalAtom{Range: r}.String(), Kind: KindExternal, Range: r}
}

// rangeOrder sorts address ranges: IPv4 first, then by first address.
func rangeOrder(a, b netipx.IPRange) int {
	if a.From().Is4() != b.From().Is4() {
		if a.From().Is4() {
			return -1
		}
		return 1
	}
	return cmp.Or(a.From().Compare(b.From()), a.To().Compare(b.To()))
}

// splitRange cuts r at the boundaries of the ranges of set: the pieces
// inside set (in) and outside it, in address order.
func splitRange(r netipx.IPRange, set *netipx.IPSet) (pieces []netipx.IPRange, in []bool) {
	var b netipx.IPSetBuilder
	b.AddRange(r)
	b.RemoveSet(set)
	outside, _ := b.IPSet()
	b = netipx.IPSetBuilder{}
	b.AddRange(r)
	b.Intersect(set)
	inside, _ := b.IPSet()
	for _, x := range inside.Ranges() {
		pieces, in = append(pieces, x), append(in, true)
	}
	for _, x := range outside.Ranges() {
		pieces, in = append(pieces, x), append(in, false)
	}
	idx := make([]int, len(pieces))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return rangeOrder(pieces[a], pieces[b]) })
	sp, si := make([]netipx.IPRange, len(idx)), make([]bool, len(idx))
	for k, i := range idx {
		sp[k], si[k] = pieces[i], in[i]
	}
	return sp, si
}
