package audit

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// stagedFindings compares what the cluster enforces with what it would
// enforce once staged policies are promoted (NR016): one staged policy at
// a time when there are few, all at once otherwise.
func (a *analysis) stagedFindings(ctx context.Context) ([]Finding, error) {
	if !a.orig.HasStaged() {
		return nil, nil
	}
	opts := a.m.Options()
	base := a.m
	if opts.Staged != policy.StagedEnforced {
		o := opts
		o.Staged = policy.StagedEnforced
		var err error
		if base, err = reachability.Compute(ctx, a.orig, o); err != nil {
			return nil, err
		}
	}
	type staged struct {
		ref  policy.ObjectRef
		keep func(s *policy.Snapshot)
	}
	var list []staged
	for _, p := range a.orig.Calico.Policies {
		if p.Staged {
			list = append(list, staged{p.ObjectRef, func(s *policy.Snapshot) {
				s.Calico.Policies = slices.DeleteFunc(slices.Clone(s.Calico.Policies), func(x *policy.CalicoPolicy) bool { return x.Staged && x != p })
				s.Calico.StagedKubernetes = nil
			}})
		}
	}
	for _, p := range a.orig.Calico.StagedKubernetes {
		list = append(list, staged{p.ObjectRef, func(s *policy.Snapshot) {
			s.Calico.Policies = slices.DeleteFunc(slices.Clone(s.Calico.Policies), func(x *policy.CalicoPolicy) bool { return x.Staged })
			s.Calico.StagedKubernetes = []*policy.StagedKubernetesNetworkPolicy{p}
		}})
	}
	promote := opts
	promote.Staged = policy.StagedPromote
	baseGraphs := newAtomGraphs(base)
	var out []Finding
	if len(list) > a.opts.MaxStagedCompare {
		after, err := reachability.Compute(ctx, a.orig, promote)
		if err != nil {
			return nil, err
		}
		refs := make([]policy.ObjectRef, len(list))
		for i, s := range list {
			refs[i] = s.ref
		}
		if f, ok := a.stagedFinding(baseGraphs, after, refs, fmt.Sprintf("promoting the %d staged policies", len(list))); ok {
			out = append(out, f)
		}
		return out, nil
	}
	for _, s := range list {
		snap := *a.orig
		s.keep(&snap)
		after, err := reachability.Compute(ctx, &snap, promote)
		if err != nil {
			return nil, err
		}
		if f, ok := a.stagedFinding(baseGraphs, after, []policy.ObjectRef{s.ref}, "promoting "+s.ref.String()); ok {
			out = append(out, f)
		}
	}
	return out, nil
}

// stagedFinding compares two matrices of the same inventory and builds
// the finding when they differ.
func (a *analysis) stagedFinding(before *atomGraphs, after *reachability.Matrix, refs []policy.ObjectRef, what string) (Finding, bool) {
	d := diffMatrices(before, newAtomGraphs(after))
	if d.opened == 0 && d.closed == 0 {
		return Finding{}, false
	}
	ns := ""
	if len(refs) == 1 {
		ns = refs[0].Namespace
	}
	var change []string
	if d.opened > 0 {
		change = append(change, "open "+countOf(d.opened, "flow"))
	}
	if d.closed > 0 {
		change = append(change, "close "+countOf(d.closed, "flow"))
	}
	f := newFinding(StagedChange, ns, fmt.Sprintf("%s would %s (pairs of endpoints, or of an endpoint and an address range, on some port)",
		what, strings.Join(change, " and ")), "Review the flows it would change, then promote it or fix it.")
	f.Objects = refs
	if len(refs) == 1 {
		f.Location = refs[0].Source
	}
	f.Evidence = d.samples
	return f, true
}

type matrixDiff struct {
	opened, closed int
	samples        []string
}

// diffMatrices compares two matrices computed from views of the same
// inventory (same endpoints, possibly different external atoms and port
// atoms). Endpoints are grouped by their pair of classes, so the work is
// per joint class; external ranges are compared at every atom boundary of
// either matrix, and ports at every port-atom boundary of either.
func diffMatrices(gx, gy *atomGraphs) matrixDiff {
	x, y := gx.m, gy.m
	nE := x.NumEndpoints()
	type node struct {
		ux, uy int // universe index in x and y
		weight int
		entry  [2]int // an entry in x and y
		ext    bool
	}
	var nodes []node
	cx, cy := gx.classOf, gy.classOf
	index := map[[2]int]int{}
	for i := range nE {
		k := [2]int{cx[i], cy[i]}
		j, ok := index[k]
		if !ok {
			j = len(nodes)
			index[k] = j
			nodes = append(nodes, node{ux: cx[i], uy: cy[i], entry: [2]int{i, i}})
		}
		nodes[j].weight++
	}
	var addrs []netip.Addr
	for _, m := range []*reachability.Matrix{x, y} {
		for _, at := range m.ExternalAtoms() {
			addrs = append(addrs, at.Range.From())
		}
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	addrs = slices.Compact(addrs)
	for _, ip := range addrs {
		ex, ey := x.ExternalEntry(ip), y.ExternalEntry(ip)
		if ex < 0 || ey < 0 {
			continue // a family only one side has
		}
		nodes = append(nodes, node{ux: cx[ex], uy: cy[ey], weight: 1, entry: [2]int{ex, ey}, ext: true})
	}
	n := len(nodes)
	opened := graph.NewMatrix(n, n)
	closed := graph.NewMatrix(n, n)
	var sampleOpen, sampleClose string
	// A protocol one matrix has no atom for is not restricted by any of
	// its policies: every flow is allowed (as reachability.Diff has it).
	for _, p := range reachability.RefinePorts(x.PortAtoms(), y.PortAtoms()) {
		ggx, ggy := gx.at(x.PortAtomIndex(p.Protocol, p.Lo)), gy.at(y.PortAtomIndex(p.Protocol, p.Lo))
		port := p.String()
		for i, s := range nodes {
			for j, t := range nodes {
				if s.ext && t.ext || (i == j && s.weight < 2) {
					continue
				}
				vx, vy := ggx == nil || ggx.Has(s.ux, t.ux), ggy == nil || ggy.Has(s.uy, t.uy)
				if vx == vy {
					continue
				}
				if vy {
					if !opened.Has(i, j) && sampleOpen == "" {
						sampleOpen = fmt.Sprintf("would open: %s → %s on %s", y.Name(s.entry[1]), y.Name(t.entry[1]), port)
					}
					opened.Set(i, j)
				} else {
					if !closed.Has(i, j) && sampleClose == "" {
						sampleClose = fmt.Sprintf("would close: %s → %s on %s", x.Name(s.entry[0]), x.Name(t.entry[0]), port)
					}
					closed.Set(i, j)
				}
			}
		}
	}
	var d matrixDiff
	for i, j := range opened.Pairs() {
		d.opened += pairWeight(nodes[i].weight, nodes[j].weight, i == j)
	}
	for i, j := range closed.Pairs() {
		d.closed += pairWeight(nodes[i].weight, nodes[j].weight, i == j)
	}
	for _, s := range []string{sampleOpen, sampleClose} {
		if s != "" {
			d.samples = append(d.samples, s)
		}
	}
	return d
}

// atomGraphs hands out a matrix's class graph of one port atom, each
// built once.
type atomGraphs struct {
	m       *reachability.Matrix
	classOf []int
	graphs  map[int]*graph.Matrix
}

func newAtomGraphs(m *reachability.Matrix) *atomGraphs {
	g := &atomGraphs{m: m, graphs: map[int]*graph.Matrix{}}
	g.graphs[0], g.classOf = m.ClassGraph([]int{0}, false)
	return g
}

// at returns the class graph of port atom p, or nil when p < 0 (no atom:
// every flow allowed).
func (g *atomGraphs) at(p int) *graph.Matrix {
	if p < 0 {
		return nil
	}
	if cg, ok := g.graphs[p]; ok {
		return cg
	}
	cg, _ := g.m.ClassGraph([]int{p}, false)
	g.graphs[p] = cg
	return cg
}

func pairWeight(a, b int, same bool) int {
	if same {
		return a * (a - 1)
	}
	return a * b
}
