package audit

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/graph/gonumx"
	"github.com/netreach/netreach/internal/policy"
)

// Radius is the lateral-movement reach of one endpoint.
type Radius struct {
	// Endpoint is "namespace/name".
	Endpoint  string `json:"endpoint"`
	Namespace string `json:"namespace"`
	Workload  string `json:"workload,omitempty"`
	// Direct is how many other endpoints it can open connections to.
	Direct int `json:"direct"`
	// Reach is how many other endpoints it can reach transitively, by
	// moving from endpoint to endpoint over allowed connections.
	Reach int `json:"reach"`
}

// lateral holds the results of the lateral-movement analysis, per class.
type lateral struct {
	direct, reach []int
	// groups are the sets of namespaces whose pods can all reach one
	// another (strongly connected components of the namespace graph
	// with more than one namespace).
	groups [][]string
}

// endpointGraph returns the class graph restricted to endpoint classes
// (external atoms are not stepping stones).
func (a *analysis) endpointGraph() *graph.Matrix {
	g := graph.NewMatrix(a.nC, a.nC)
	w := graph.Words(a.nC)
	var tail uint64 = ^uint64(0)
	if r := a.nC % 64; r != 0 {
		tail = 1<<r - 1
	}
	for c := range a.nC {
		row := g.Row(c)
		copy(row, a.cg.Row(c)[:w])
		if w > 0 {
			row[w-1] &= tail
		}
	}
	return g
}

// weightedCounts returns, for each row of m, the number of endpoints in
// the classes of the row (each class weighs its size), minus one when the
// row holds its own class (the endpoint itself does not count). Classes
// are grouped by size so each row costs one AND and popcount per
// distinct size, O(n²/64 · sizes) in all.
func (a *analysis) weightedCounts(m *graph.Matrix) []int {
	bySize := map[int]graph.Set{}
	for c := range a.nC {
		n := len(a.members[c])
		if n == 0 {
			continue
		}
		s, ok := bySize[n]
		if !ok {
			s = graph.NewSet(a.nC)
			bySize[n] = s
		}
		s.Add(c)
	}
	sizes := make([]int, 0, len(bySize))
	for n := range bySize {
		sizes = append(sizes, n)
	}
	slices.Sort(sizes)
	out := make([]int, a.nC)
	tmp := graph.NewSet(a.nC)
	for c := range a.nC {
		row := m.Row(c)
		total := 0
		for _, n := range sizes {
			tmp.CopyFrom(row)
			tmp.And(bySize[n])
			total += n * tmp.Count()
		}
		if row.Has(c) {
			total--
		}
		out[c] = total
	}
	return out
}

// lateralMovement computes every class's direct and transitive reach with
// one bitset closure of the endpoint class graph, and the namespaces that
// form strongly connected groups.
func (a *analysis) lateralMovement() lateral {
	g := a.endpointGraph()
	var l lateral
	l.direct = a.weightedCounts(g)
	l.reach = a.weightedCounts(g.Closure())
	group := make([]int, a.nC)
	copy(group, a.nsOfClass)
	ns := graph.Aggregate(g, group, len(a.namespaces))
	for _, comp := range gonumx.SCC(ns) {
		if len(comp) < 2 {
			continue
		}
		names := make([]string, len(comp))
		for i, n := range comp {
			names[i] = a.namespaces[n]
		}
		l.groups = append(l.groups, names)
	}
	return l
}

// radii returns every endpoint's radius, largest reach first, then by
// name.
func (a *analysis) radii(l lateral) []Radius {
	out := make([]Radius, 0, a.nE)
	for i := range a.nE {
		e := a.m.Endpoint(i)
		c := a.classOf[i]
		out = append(out, Radius{Endpoint: e.ID(), Namespace: e.Namespace, Workload: e.Workload, Direct: l.direct[c], Reach: l.reach[c]})
	}
	slices.SortStableFunc(out, func(x, y Radius) int {
		if c := cmp.Compare(y.Reach, x.Reach); c != 0 {
			return c
		}
		if c := cmp.Compare(y.Direct, x.Direct); c != 0 {
			return c
		}
		return cmp.Compare(x.Endpoint, y.Endpoint)
	})
	return out
}

// blastFindings names the classes with the largest reach, when it is at
// least the configured share of the other endpoints (NR017).
func (a *analysis) blastFindings(l lateral) []Finding {
	if a.opts.BlastRadiusTop < 0 || a.nE < 2 {
		return nil
	}
	classes := make([]int, 0, a.nC)
	for c := range a.nC {
		if a.rep[c] != nil && l.reach[c] > 0 && float64(l.reach[c]) >= a.opts.BlastRadiusShare*float64(a.nE-1) {
			classes = append(classes, c)
		}
	}
	slices.SortStableFunc(classes, func(x, y int) int {
		if c := cmp.Compare(l.reach[y], l.reach[x]); c != 0 {
			return c
		}
		return cmp.Compare(a.members[x][0], a.members[y][0])
	})
	var out []Finding
	for _, c := range classes[:min(len(classes), a.opts.BlastRadiusTop)] {
		e := a.rep[c]
		who := e.ID()
		if n := len(a.members[c]); n > 1 {
			who += fmt.Sprintf(" (and %d other endpoints alike)", n-1)
		}
		f := newFinding(BlastRadius, e.Namespace, fmt.Sprintf("%s can reach %d of %d other endpoints (%.0f%%) by moving from pod to pod; %d of them directly",
			who, l.reach[c], a.nE-1, 100*float64(l.reach[c])/float64(a.nE-1), l.direct[c]),
			fmt.Sprintf("Restrict the egress of %s and the ingress of the endpoints it reaches, so that one compromised pod cannot reach most of the cluster.", e.Namespace))
		refs := make([]policy.ObjectRef, 0, len(a.members[c]))
		for _, i := range a.members[c] {
			refs = append(refs, a.m.Endpoint(i).ObjectRef)
		}
		f.Objects = refs
		out = append(out, f)
	}
	return out
}
