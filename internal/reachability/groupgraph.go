package reachability

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go4.org/netipx"
)

// GroupGraph is a grouped view held in memory, for outputs that need all
// of it at once (tables, graphs): its nodes and the pairs of nodes that
// can open some connection. Unlike [GroupedView.Walk], external ranges
// are merged once for the whole graph: adjacent ranges merge when every
// other node has the same result with each of them, in both directions,
// so every range is one node.
type GroupGraph struct {
	// Nodes are the endpoint groups, in the view's order, then the
	// external ranges by address.
	Nodes []GroupNode
	// Edges are the pairs of nodes with some connection, by source then
	// destination node.
	Edges []GroupEdge
	v     *GroupedView
	first []int // per node: its first group in the view
}

// GroupEdge is one pair of nodes that can open some connection.
type GroupEdge struct {
	Src, Dst int // node indexes
	Pair     GroupPair
}

// Counted returns the number of member pairs the view counts from node
// src to node dst: 0 when they make no pair at all (an external range and
// itself, a one-endpoint group and itself, or pairs a focus leaves out).
// For a node that merges external ranges, the count is that of one range
// (all of them agree). It costs O(cells of src).
func (g *GroupGraph) Counted(src, dst int) int64 { return g.v.pairsBetween(g.first[src], g.first[dst]) }

// Graph computes the whole view into a GroupGraph. It fails with an error
// when the view has more than maxEdges pairs with some connection
// (maxEdges <= 0: no bound), or when ctx is cancelled.
func (v *GroupedView) Graph(ctx context.Context, maxEdges int) (*GroupGraph, error) {
	var raw []GroupPair
	err := v.walkRaw(ctx, func(p *GroupPair) error {
		if maxEdges > 0 && len(raw) >= maxEdges {
			return fmt.Errorf("reachability: the view has more than %d pairs of groups with connections", maxEdges)
		}
		raw = append(raw, clonePair(p))
		return nil
	})
	if err != nil {
		return nil, err
	}
	idx := make(map[string]int, len(v.groups))
	key := func(n GroupNode) string { return n.Kind + "\x00" + n.Name }
	for g, n := range v.groups {
		idx[key(n)] = g
	}
	_, nodeOf, nodes := mergeNodes(slices.Clone(v.groups), func(yield func(s, d int, key string)) {
		for i := range raw {
			yield(idx[key(raw[i].Src)], idx[key(raw[i].Dst)], resultKey(&raw[i]))
		}
	})
	gr := &GroupGraph{Nodes: nodes, v: v, first: make([]int, len(nodes))}
	for g := len(nodeOf) - 1; g >= 0; g-- {
		gr.first[nodeOf[g]] = g
	}
	seen := map[[2]int]bool{}
	for _, p := range raw {
		s, d := nodeOf[idx[key(p.Src)]], nodeOf[idx[key(p.Dst)]]
		if seen[[2]int{s, d}] {
			continue
		}
		seen[[2]int{s, d}] = true
		p.Src, p.Dst = nodes[s], nodes[d]
		gr.Edges = append(gr.Edges, GroupEdge{Src: s, Dst: d, Pair: p})
	}
	return gr, nil
}

// mergeNodes merges adjacent external nodes (ranges) whose results with
// every other node are the same in both directions (edges gives every
// edge as source, destination and a key of its result), and whose focus
// marks agree. It returns the sorted node order, the merged node of every
// node, and the merged nodes: every endpoint node, in order, then the
// external ranges by address.
func mergeNodes(nodes []GroupNode, edges func(yield func(s, d int, key string))) (order, nodeOf []int, merged []GroupNode) {
	order = make([]int, len(nodes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return nodeOrder(nodes[a], nodes[b]) })
	sig := make([]strings.Builder, len(nodes))
	edges(func(s, d int, key string) {
		if nodes[s].IsExternal() {
			fmt.Fprintf(&sig[s], "out %s %s\n", nodes[d].Kind+"/"+nodes[d].Name, key)
		}
		if nodes[d].IsExternal() {
			fmt.Fprintf(&sig[d], "in %s %s\n", nodes[s].Kind+"/"+nodes[s].Name, key)
		}
	})
	sigs := make([]string, len(nodes))
	for i := range sig {
		lines := strings.Split(sig[i].String(), "\n")
		slices.Sort(lines)
		sigs[i] = strings.Join(lines, "\n")
	}
	nodeOf = make([]int, len(nodes))
	last := -1
	for _, g := range order {
		n := nodes[g]
		if last >= 0 && n.IsExternal() && nodes[last].IsExternal() {
			m := &merged[nodeOf[last]]
			if adjacent(m.Range, n.Range) && m.Range.From().Is4() == n.Range.From().Is4() && sigs[last] == sigs[g] && nodes[last].focused == n.focused {
				m.Range = netipx.IPRangeFrom(m.Range.From(), n.Range.To())
				nodeOf[g] = nodeOf[last]
				last = g
				continue
			}
		}
		nodeOf[g] = len(merged)
		merged = append(merged, n)
		last = g
	}
	for i := range merged {
		if merged[i].IsExternal() {
			f := merged[i].focused
			merged[i] = externalGroup(merged[i].Range)
			merged[i].focused = f
		}
	}
	return order, nodeOf, merged
}

// resultKey identifies what a pair can open.
func resultKey(p *GroupPair) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d|%s", p.Pairs, p.Full)
	for _, x := range p.Partial {
		fmt.Fprintf(&b, "|p%d %s", x.Pairs, x.Connections)
	}
	for _, x := range p.Conditional {
		fmt.Fprintf(&b, "|c%d %s", x.Pairs, x.Connections)
	}
	return b.String()
}

// pairsBetween returns the member pairs the view counts from group a to
// group b.
func (v *GroupedView) pairsBetween(a, b int) int64 {
	var n int64
	if v.groups[a].derived || v.groups[b].derived {
		v.derivedPairs(a, b, func(int, int) { n++ })
		return n
	}
	for x := v.groupCells[a][0]; x < v.groupCells[a][1]; x++ {
		c := v.cells[x]
		mode := v.mode(c)
		if mode == modeNone {
			continue
		}
		w := v.wAll[b]
		if mode == modeFocus {
			w = v.wFocus[b]
		}
		if c.ext && v.groups[b].IsExternal() {
			w = 0
		}
		n += c.weight * w
		if a == b && !c.ext && (mode == modeAll || c.focus) {
			n -= c.weight
		}
	}
	return n
}
