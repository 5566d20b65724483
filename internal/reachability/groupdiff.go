package reachability

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/netip"
	"slices"
)

// GroupDiff compares the grouped views of two matrices (before and after
// a change) pair of groups by pair of groups. Groups are matched by name
// and kind; external ranges are compared on the common refinement of both
// matrices' ranges, so two matrices cut differently still compare
// exactly. Build it with [NewGroupDiff].
type GroupDiff struct {
	before, after *GroupedView
	unmatched     []Selection
}

// GroupChange is one ordered pair of groups whose connectivity differs.
type GroupChange struct {
	Src, Dst GroupNode
	// Before and After are what the pair could open; nil when it could
	// open nothing (or one of the groups did not exist).
	Before, After *GroupPair
}

// Gained returns the connections some pair can open after and no pair
// could before.
func (c *GroupChange) Gained() Connections { return reach(c.After).Subtract(reach(c.Before)) }

// Lost returns the connections some pair could open before and no pair
// can after.
func (c *GroupChange) Lost() Connections { return reach(c.Before).Subtract(reach(c.After)) }

// reach returns every connection some pair of p can open (allowed or
// conditional).
func reach(p *GroupPair) Connections {
	if p == nil {
		return NoConnections(ScopeKubernetes)
	}
	c := p.Full
	for _, x := range p.Partial {
		c = c.Union(x.Connections)
	}
	for _, x := range p.Conditional {
		c = c.Union(x.Connections)
	}
	return c
}

// NewGroupDiff builds the grouped views of a and b with opts, cut at the
// external boundaries of both.
func NewGroupDiff(a, b *Matrix, opts GroupOptions) (*GroupDiff, error) {
	starts := func(m *Matrix) []netip.Addr {
		var out []netip.Addr
		for _, at := range m.u.atoms {
			out = append(out, at.Range.From())
		}
		return out
	}
	oa, ob := opts, opts
	oa.cuts, ob.cuts = starts(b), starts(a)
	slices.SortFunc(oa.cuts, netip.Addr.Compare)
	slices.SortFunc(ob.cuts, netip.Addr.Compare)
	if opts.Progress != nil {
		// Both views advance together; report the later one.
		oa.Progress = nil
	}
	va, err := a.Group(oa)
	if err != nil {
		return nil, err
	}
	vb, err := b.Group(ob)
	if err != nil {
		return nil, err
	}
	d := &GroupDiff{before: va, after: vb}
	for _, s := range va.unmatched {
		for _, t := range vb.unmatched {
			if s.String() == t.String() {
				d.unmatched = append(d.unmatched, s)
			}
		}
	}
	return d, nil
}

// Before and After return the two views.
func (d *GroupDiff) Before() *GroupedView { return d.before }

// After returns the view of the matrix after the change.
func (d *GroupDiff) After() *GroupedView { return d.after }

// Unmatched returns the focus selections that pick nothing on either
// side.
func (d *GroupDiff) Unmatched() []Selection { return slices.Clone(d.unmatched) }

var errStopWalk = errors.New("stop")

// groupSeq turns a view's walk into a sequence of source groups with
// their pairs; *errp receives the walk's error.
func groupSeq(ctx context.Context, v *GroupedView, errp *error) iter.Seq2[int, []GroupPair] {
	return func(yield func(int, []GroupPair) bool) {
		err := v.walkGroups(ctx, func(g int, ps []GroupPair) error {
			if !yield(g, ps) {
				return errStopWalk
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopWalk) {
			*errp = err
		}
	}
}

// Walk computes the changed pairs of groups and calls fn for each, by
// source then destination, in the views' order. External ranges are
// merged per pair, as [GroupedView.Walk] does. It stops at the first
// error fn returns.
func (d *GroupDiff) Walk(ctx context.Context, fn func(*GroupChange) error) error {
	return d.walk(ctx, true, fn)
}

// walk compares the views; with merge, external ranges are merged per
// pair, else every piece of the common refinement is reported.
func (d *GroupDiff) walk(ctx context.Context, merge bool, fn func(*GroupChange) error) error {
	var errA, errB error
	nextA, stopA := iter.Pull2(groupSeq(ctx, d.before, &errA))
	defer stopA()
	nextB, stopB := iter.Pull2(groupSeq(ctx, d.after, &errB))
	defer stopB()
	ga, pa, okA := nextA()
	gb, pb, okB := nextB()
	emit := fn
	var lm *lineMerger[GroupChange]
	if merge {
		lm = newLineMerger(fn, func(c *GroupChange) (*GroupNode, *GroupNode) { return &c.Src, &c.Dst }, sameChange, cloneChange)
		emit = lm.add
	}
	for okA || okB {
		// The source group of this round, from one side or both; its
		// pairs are read before either side advances (the walk reuses
		// them).
		useA, useB := okA, okB
		if okA && okB {
			switch c := nodeOrder(d.before.groups[ga], d.after.groups[gb]); {
			case c < 0:
				useB = false
			case c > 0:
				useA = false
			}
		}
		var src GroupNode
		var before, after []GroupPair
		if useA {
			src, before = d.before.groups[ga], pa
		}
		if useB {
			src, after = d.after.groups[gb], pb
		}
		if err := d.mergeSource(src, before, after, emit); err != nil {
			return err
		}
		if useA {
			ga, pa, okA = nextA()
		}
		if useB {
			gb, pb, okB = nextB()
		}
	}
	if errA != nil {
		return errA
	}
	if errB != nil {
		return errB
	}
	if lm != nil {
		return lm.finish()
	}
	return nil
}

// mergeSource compares the pairs of one source group on both sides (both
// lists in destination order) and emits the changes.
func (d *GroupDiff) mergeSource(src GroupNode, before, after []GroupPair, emit func(*GroupChange) error) error {
	i, j := 0, 0
	for i < len(before) || j < len(after) {
		c := GroupChange{Src: src}
		switch {
		case i < len(before) && j < len(after):
			switch o := nodeOrder(before[i].Dst, after[j].Dst); {
			case o < 0:
				c.Dst, c.Before = before[i].Dst, &before[i]
				i++
			case o > 0:
				c.Dst, c.After = after[j].Dst, &after[j]
				j++
			default:
				c.Dst, c.Before, c.After = after[j].Dst, &before[i], &after[j]
				i++
				j++
			}
		case i < len(before):
			c.Dst, c.Before = before[i].Dst, &before[i]
			i++
		default:
			c.Dst, c.After = after[j].Dst, &after[j]
			j++
		}
		if c.Before != nil && c.After != nil && c.Before.sameResult(c.After) {
			continue
		}
		if err := emit(&c); err != nil {
			return err
		}
	}
	return nil
}

// sameChange reports whether two changes have the same before and after.
func sameChange(a, b *GroupChange) bool {
	same := func(x, y *GroupPair) bool {
		if x == nil || y == nil {
			return x == nil && y == nil
		}
		return x.sameResult(y)
	}
	return same(a.Before, b.Before) && same(a.After, b.After)
}

func cloneChange(c *GroupChange) GroupChange {
	x := GroupChange{Src: c.Src, Dst: c.Dst}
	if c.Before != nil {
		p := clonePair(c.Before)
		x.Before = &p
	}
	if c.After != nil {
		p := clonePair(c.After)
		x.After = &p
	}
	return x
}

// ChangeGraph is a grouped diff held in memory, for graphs: the nodes
// with some change (external ranges merged once for the whole graph, as
// in [GroupGraph]) and the changes between them.
type ChangeGraph struct {
	Nodes   []GroupNode
	Changes []ChangeEdge
}

// ChangeEdge is one change between two nodes of a ChangeGraph.
type ChangeEdge struct {
	Src, Dst int
	Change   GroupChange
}

// Graph computes the whole diff into a ChangeGraph; it fails when there
// are more than maxChanges changes (maxChanges <= 0: no bound).
func (d *GroupDiff) Graph(ctx context.Context, maxChanges int) (*ChangeGraph, error) {
	var raw []GroupChange
	err := d.walk(ctx, false, func(c *GroupChange) error {
		if maxChanges > 0 && len(raw) >= maxChanges {
			return fmt.Errorf("reachability: the diff has more than %d changed pairs of groups", maxChanges)
		}
		raw = append(raw, cloneChange(c))
		return nil
	})
	if err != nil {
		return nil, err
	}
	var nodes []GroupNode
	index := map[string]int{}
	node := func(n GroupNode) int {
		k := n.Kind + "\x00" + n.Name
		if i, ok := index[k]; ok {
			return i
		}
		index[k] = len(nodes)
		nodes = append(nodes, n)
		return len(nodes) - 1
	}
	type edge struct{ s, d int }
	edges := make([]edge, len(raw))
	keys := make([]string, len(raw))
	for i := range raw {
		edges[i] = edge{node(raw[i].Src), node(raw[i].Dst)}
		keys[i] = changeKey(&raw[i])
	}
	order, nodeOf, merged := mergeNodes(nodes, func(yield func(s, d int, key string)) {
		for i, e := range edges {
			yield(e.s, e.d, keys[i])
		}
	})
	_ = order
	g := &ChangeGraph{Nodes: merged}
	seen := map[[2]int]bool{}
	for i := range raw {
		s, t := nodeOf[edges[i].s], nodeOf[edges[i].d]
		if seen[[2]int{s, t}] {
			continue
		}
		seen[[2]int{s, t}] = true
		c := raw[i]
		c.Src, c.Dst = merged[s], merged[t]
		g.Changes = append(g.Changes, ChangeEdge{Src: s, Dst: t, Change: c})
	}
	slices.SortStableFunc(g.Changes, func(a, b ChangeEdge) int {
		if a.Src != b.Src {
			return a.Src - b.Src
		}
		return a.Dst - b.Dst
	})
	return g, nil
}

// changeKey identifies a change's before and after.
func changeKey(c *GroupChange) string {
	k := "none"
	if c.Before != nil {
		k = resultKey(c.Before)
	}
	k += " -> "
	if c.After != nil {
		k += resultKey(c.After)
	} else {
		k += "none"
	}
	return k
}
