package reachability

import (
	"context"
	"errors"
	"iter"

	"github.com/netreach/netreach/internal/enumtext"
	ireach "github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/policy"
)

// GroupBy says how [Matrix.Group] merges endpoints into groups.
type GroupBy uint8

// The groupings.
const (
	// ByPod keeps every endpoint a group of its own.
	ByPod GroupBy = iota
	// ByWorkload merges the pods of one workload, following
	// ownerReferences to the outermost controller (Pod → ReplicaSet →
	// Deployment); a bare pod stays a group of its own.
	ByWorkload
	// ByNamespace merges the endpoints of one namespace.
	ByNamespace
	// ByTenant merges the namespaces that share the value of the tenant
	// label (GroupOptions.TenantLabel); a namespace without the label
	// stays a group of its own.
	ByTenant
)

// String returns "pod", "workload", "namespace" or "tenant", the values
// of the CLI's --by.
func (g GroupBy) String() string { return ireach.GroupBy(g).String() }

// MarshalText returns the String form.
func (g GroupBy) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (g *GroupBy) UnmarshalText(b []byte) error {
	return enumtext.Unmarshal(g, b, ByPod, ByWorkload, ByNamespace, ByTenant)
}

// GroupOptions choose how [Matrix.Group] groups and what it shows. The
// zero value groups by pod and shows every endpoint, every external range
// and every connection.
type GroupOptions struct {
	// By is the grouping (--by).
	By GroupBy
	// TenantLabel is the namespace label whose value names a namespace's
	// tenant, for ByTenant (--tenant-label); empty means
	// "client".
	TenantLabel string
	// Namespaces, when not empty, keeps only the endpoints of these
	// namespaces (--namespaces).
	Namespaces []string
	// EndpointsOnly leaves the external address ranges out.
	EndpointsOnly bool
	// Focus, when not empty, keeps only the connections from or to the
	// endpoints and addresses some selection picks (--focus).
	Focus []Selection
	// Connections, when not nil, keeps only these connections
	// (--connection).
	Connections *Connections
}

// Group is one group of a [Grouping]: a pod, a workload, a namespace,
// a tenant, or a range of external addresses.
type Group struct {
	// Name is "namespace/name" for a pod or workload, the namespace's
	// name, "label=value" for a tenant, and the CIDR or "first-last"
	// range for external addresses.
	Name string `json:"name"`
	// Kind is the endpoint or workload kind ("Pod", "Deployment"),
	// "Namespace", "Tenant" or "External".
	Kind string `json:"kind"`
	// Namespace is the namespace of a pod, workload or namespace group;
	// empty for tenants and external ranges.
	Namespace string `json:"namespace,omitempty"`
	// Endpoints is the number of endpoints in the group (0 for external
	// ranges).
	Endpoints int `json:"endpoints"`
}

// GroupPair is what the members of one group can open to the members of
// another: the connections every pair of members can open (Full), those
// only some pairs can (Partial) and those some pairs can only under a
// condition netreach cannot decide offline (Conditional). A member and
// itself is not a pair.
type GroupPair struct {
	From, To Group
	// Pairs is the number of member pairs between the groups.
	Pairs                      int64
	Full, Partial, Conditional Connections
}

// Grouping is a matrix seen by groups of endpoints and external address
// ranges: an exact aggregation of its verdicts, computed on classes of
// endpoints as it is walked, never pair by pair. It is safe for
// concurrent use.
type Grouping struct {
	v *ireach.GroupedView
}

// Group returns the matrix seen by groups (see [GroupOptions]). It costs
// O(endpoints + external ranges); the pairs are computed by
// [Grouping.Pairs]. It fails only for invalid options.
func (m *Matrix) Group(opts GroupOptions) (*Grouping, error) {
	im, err := m.get("Matrix.Group")
	if err != nil {
		return nil, err
	}
	in := ireach.GroupOptions{By: ireach.GroupBy(opts.By), TenantLabel: opts.TenantLabel,
		Namespaces: opts.Namespaces, NoExternal: opts.EndpointsOnly}
	for _, s := range opts.Focus {
		if !s.IsValid() {
			return nil, &policy.InvalidInputError{Op: "reachability: Matrix.Group", Reason: "a zero Selection in Focus"}
		}
		in.Focus = append(in.Focus, s.s)
	}
	if opts.Connections != nil {
		c := opts.Connections.c
		in.Connections = &c
	}
	v, err := im.Group(in)
	if err != nil {
		return nil, publicError(err)
	}
	return &Grouping{v}, nil
}

// Groups returns the groups in order: endpoint groups by namespace and
// name, then external ranges by address.
func (g *Grouping) Groups() []Group {
	if g == nil || g.v == nil {
		return nil
	}
	nodes := g.v.Groups()
	out := make([]Group, len(nodes))
	for i, n := range nodes {
		out[i] = groupFrom(n)
	}
	return out
}

func groupFrom(n ireach.GroupNode) Group {
	return Group{Name: n.Name, Kind: n.Kind, Namespace: n.Namespace, Endpoints: n.Endpoints}
}

var errStop = errors.New("stop")

// Pairs iterates over the ordered pairs of groups whose members can open
// some connection, by source group then destination group. Adjacent
// external ranges with the same connections are merged into one. When
// ctx is done the iteration ends with ctx's error (and a zero
// GroupPair).
func (g *Grouping) Pairs(ctx context.Context) iter.Seq2[GroupPair, error] {
	return func(yield func(GroupPair, error) bool) {
		if g == nil || g.v == nil {
			yield(GroupPair{}, &policy.InvalidInputError{Op: "reachability: Grouping.Pairs", Reason: "nil or zero Grouping"})
			return
		}
		if ctx == nil {
			yield(GroupPair{}, &policy.InvalidInputError{Op: "reachability: Grouping.Pairs", Reason: "nil context"})
			return
		}
		err := g.v.Walk(ctx, func(p *ireach.GroupPair) error {
			out := GroupPair{From: groupFrom(p.Src), To: groupFrom(p.Dst), Pairs: p.Pairs, Full: Connections{p.Full}}
			for _, pc := range p.Partial {
				out.Partial.c = out.Partial.c.Union(pc.Connections)
			}
			for _, pc := range p.Conditional {
				out.Conditional.c = out.Conditional.c.Union(pc.Connections)
			}
			if !yield(out, nil) {
				return errStop
			}
			return nil
		})
		if err != nil && err != errStop {
			yield(GroupPair{}, err)
		}
	}
}
