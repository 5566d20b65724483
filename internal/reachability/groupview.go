package reachability

import (
	"context"
	"fmt"
	"slices"

	"go4.org/netipx"
)

// GroupedView is a matrix seen by groups of endpoints (see [GroupBy]) and
// external address ranges: for every ordered pair of groups, the
// connections every pair of their members can open ("full"), and those
// only some pairs can open ("partial", with the number of pairs). It is
// an exact aggregation of the matrix's verdicts ([Matrix.At]).
//
// Pairs of endpoints: an ordered pair (a, b) of two different endpoints,
// a in the source group and b in the destination group. An endpoint and
// itself is not a pair (it can always reach itself, which says nothing
// about a policy), so a group of one endpoint has no pair with itself, and
// a group of n endpoints has n×(n−1) pairs with itself. An external range
// counts as one member: a group of n endpoints and a range make n pairs.
// Two external ranges never make a pair. With a focus, only the pairs
// whose source (egress), destination (ingress) or either (both) is
// focused count.
//
// A GroupedView is built by [Matrix.Group]; its pairs are computed as
// they are walked ([GroupedView.Walk]), on endpoint classes and the
// matrix's stored rows, never on pairs of endpoints. It is safe for
// concurrent use.
type GroupedView struct {
	m      *Matrix
	opts   GroupOptions
	groups []GroupNode
	nEG    int // endpoint groups come first, external groups after
	cells  []gcell
	// groupCells[g] is the range of cells of group g in cells.
	groupCells [][2]int32
	// uCells lists, per universe index u, the cells of u (uStart[u] to
	// uStart[u+1]).
	uStart []int32
	uCells []int32
	// wAll and wFocus are the weights of every cell, and of the focused
	// cells, of each group.
	wAll, wFocus []int64
	// members lists the entries of each group (memberStart[g] to
	// memberStart[g+1]) and whether each is focused: the pairs with
	// derived entries are counted on them.
	memberStart []int32
	members     []int32
	memberFocus []bool
	// firstDerived is the first derived group (the last groups).
	firstDerived int
	atoms        []int // port atoms in the view
	filter       *Connections
	focus        bool
	unmatched    []Selection
}

// gcell is the part of a group that lies in one endpoint class (or
// external atom), focused or not.
type gcell struct {
	group  int32
	u      int32 // universe index: class, or nC + external atom
	weight int64 // endpoints; 1 for an external range
	focus  bool
	ext    bool
	// rep and rep2 are two members (entries) for explanations: the first
	// two endpoints, or the atom's entry for an external range; rep2 is
	// -1 when the cell has one member.
	rep, rep2 int32
}

// PartialConnections are connections that only some pairs of a group pair
// can open: Pairs of them.
type PartialConnections struct {
	Connections Connections
	Pairs       int64
}

// GroupPair is the aggregated connectivity of one ordered pair of groups.
type GroupPair struct {
	Src, Dst GroupNode
	// Pairs is the number of member pairs the view counts between them.
	Pairs int64
	// Full holds the connections every pair can open (allowed for sure).
	Full Connections
	// Partial holds the connections only some pairs can open, grouped by
	// the number of pairs that can, in protocol and port order of their
	// first connection.
	Partial []PartialConnections
	// Conditional holds the connections some pairs can open only under a
	// condition netreach cannot decide offline (see [Conditional]), with
	// the number of such pairs.
	Conditional []PartialConnections
}

// IsEmpty reports whether no pair can open any connection.
func (p *GroupPair) IsEmpty() bool {
	return p.Full.IsEmpty() && len(p.Partial) == 0 && len(p.Conditional) == 0
}

// sameResult reports whether two pairs have the same connections and
// counts.
func (p *GroupPair) sameResult(q *GroupPair) bool {
	if p.Pairs != q.Pairs || !p.Full.Equal(q.Full) || len(p.Partial) != len(q.Partial) || len(p.Conditional) != len(q.Conditional) {
		return false
	}
	for i := range p.Partial {
		if p.Partial[i].Pairs != q.Partial[i].Pairs || !p.Partial[i].Connections.Equal(q.Partial[i].Connections) {
			return false
		}
	}
	for i := range p.Conditional {
		if p.Conditional[i].Pairs != q.Conditional[i].Pairs || !p.Conditional[i].Connections.Equal(q.Conditional[i].Connections) {
			return false
		}
	}
	return true
}

// Group builds the grouped view of the matrix that opts describe. It
// costs O(endpoints + external atoms); the pairs are computed by
// [GroupedView.Walk]. It fails only for invalid options.
func (m *Matrix) Group(opts GroupOptions) (*GroupedView, error) {
	if opts.TenantLabel == "" {
		opts.TenantLabel = DefaultTenantLabel
	}
	if opts.By > ByTenant {
		return nil, fmt.Errorf("reachability: Group: invalid grouping %v", opts.By)
	}
	for _, s := range opts.Focus {
		if !s.IsValid() {
			return nil, fmt.Errorf("reachability: Group: invalid focus selection")
		}
	}
	v := &GroupedView{m: m, opts: opts, focus: len(opts.Focus) > 0}
	if opts.Connections != nil {
		f := *opts.Connections
		v.filter = &f
	}
	scope := m.ConnectionScope()
	for p := range m.ports {
		if v.filter == nil || !connectionsOf(m.ports, scope, func(q int) bool { return q == p }).Intersect(*v.filter).IsEmpty() {
			v.atoms = append(v.atoms, p)
		}
	}
	matched := make([]bool, len(opts.Focus))
	picks := func(match func(Selection) bool) bool {
		if !v.focus {
			return true
		}
		any := false
		for k, s := range opts.Focus {
			if match(s) {
				matched[k], any = true, true
			}
		}
		return any
	}

	// Endpoint groups and cells.
	type cellKey struct {
		group, u int32
		focus    bool
	}
	index := map[string]int32{}
	cellIndex := map[cellKey]int32{}
	type member struct {
		group, entry int32
		focus        bool
	}
	var members []member
	for i, e := range m.snap.Endpoints {
		if len(opts.Namespaces) > 0 && !slices.Contains(opts.Namespaces, e.Namespace) {
			continue
		}
		key, g := endpointGroup(m.snap, e, opts.By, opts.TenantLabel)
		gi, ok := index[key]
		if !ok {
			gi = int32(len(v.groups))
			index[key] = gi
			v.groups = append(v.groups, g)
		}
		if v.groups[gi].Tenant != g.Tenant {
			v.groups[gi].Tenant = "" // namespaces of several tenants
		}
		v.groups[gi].Endpoints++
		f := picks(func(s Selection) bool { return s.MatchesEndpoint(e) })
		ck := cellKey{gi, int32(m.classOf[i]), f}
		c, ok := cellIndex[ck]
		if !ok {
			c = int32(len(v.cells))
			cellIndex[ck] = c
			v.cells = append(v.cells, gcell{group: gi, u: ck.u, focus: f, rep: int32(i), rep2: -1})
		} else if v.cells[c].rep2 < 0 {
			v.cells[c].rep2 = int32(i)
		}
		v.cells[c].weight++
		members = append(members, member{gi, int32(i), f})
	}
	// Sort the endpoint groups and renumber the cells.
	order := make([]int32, len(v.groups))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return groupOrder(v.groups[a], v.groups[b]) })
	rank := make([]int32, len(order))
	sorted := make([]GroupNode, len(order))
	for r, g := range order {
		rank[g] = int32(r)
		sorted[r] = v.groups[g]
	}
	v.groups = sorted
	for k := range v.cells {
		v.cells[k].group = rank[v.cells[k].group]
	}
	for k := range members {
		members[k].group = rank[members[k].group]
	}
	v.nEG = len(v.groups)

	// External groups: one per atom, or per piece of an atom inside and
	// outside the focused addresses.
	if !opts.NoExternal {
		set := focusAddresses(opts.Focus)
		for k, a := range m.u.atoms {
			pieces, in := []netipx.IPRange{a.Range}, []bool{!v.focus}
			if set != nil {
				pieces, in = splitRange(a.Range, set)
			}
			if len(opts.cuts) > 0 {
				pieces, in = cutRanges(pieces, in, opts.cuts)
			}
			for x, r := range pieces {
				if in[x] {
					picks(func(s Selection) bool {
						p, ok := s.Prefix()
						return ok && (p.Contains(r.From()) || p.Contains(r.To()) || r.Contains(p.Addr()))
					})
				}
				g := int32(len(v.groups))
				node := externalGroup(r)
				node.focused = in[x] && v.focus
				v.groups = append(v.groups, node)
				entry := int32(len(m.snap.Endpoints) + k)
				v.cells = append(v.cells, gcell{group: g, u: int32(m.u.nC + k), weight: 1, focus: in[x], ext: true, rep: entry, rep2: -1})
				members = append(members, member{g, entry, in[x]})
			}
		}
	}
	// Derived entries (the internet, ingress controllers, Services that a
	// derived layer adds): one group each, with no cell; their pairs are
	// counted on the entries.
	v.firstDerived = len(v.groups)
	for k := 0; k < m.NumDerived(); k++ {
		entry := m.numBase() + k
		d, _ := m.Derived(entry)
		if len(opts.Namespaces) > 0 && d.Namespace != "" && !slices.Contains(opts.Namespaces, d.Namespace) {
			continue
		}
		g := int32(len(v.groups))
		v.groups = append(v.groups, GroupNode{Name: d.Name, Kind: d.Kind, Namespace: d.Namespace, derived: true})
		f := picks(func(s Selection) bool { return s.matchesDerived(d) })
		members = append(members, member{g, int32(entry), f})
	}
	for k, ok := range matched {
		if !ok {
			v.unmatched = append(v.unmatched, opts.Focus[k])
		}
	}
	for g := range v.groups {
		v.groups[g].label = v.groups[g].Label()
	}

	// Index the cells by group and by universe index.
	slices.SortStableFunc(v.cells, func(a, b gcell) int { return int(a.group) - int(b.group) })
	v.groupCells = make([][2]int32, len(v.groups))
	v.wAll = make([]int64, len(v.groups))
	v.wFocus = make([]int64, len(v.groups))
	for k, c := range v.cells {
		gc := &v.groupCells[c.group]
		if gc[1] == 0 {
			gc[0] = int32(k)
		}
		gc[1] = int32(k + 1)
		v.wAll[c.group] += c.weight
		if c.focus {
			v.wFocus[c.group] += c.weight
		}
	}
	v.memberStart = make([]int32, len(v.groups)+1)
	for _, x := range members {
		v.memberStart[x.group+1]++
	}
	for g := range v.groups {
		v.memberStart[g+1] += v.memberStart[g]
	}
	v.members = make([]int32, len(members))
	v.memberFocus = make([]bool, len(members))
	at := slices.Clone(v.memberStart[:len(v.groups)])
	for _, x := range members {
		v.members[at[x.group]], v.memberFocus[at[x.group]] = x.entry, x.focus
		at[x.group]++
	}
	v.uStart = make([]int32, m.u.nU+1)
	for _, c := range v.cells {
		v.uStart[c.u+1]++
	}
	for u := 0; u < m.u.nU; u++ {
		v.uStart[u+1] += v.uStart[u]
	}
	v.uCells = make([]int32, len(v.cells))
	fill := slices.Clone(v.uStart[:m.u.nU])
	for k, c := range v.cells {
		v.uCells[fill[c.u]] = int32(k)
		fill[c.u]++
	}
	return v, nil
}

// Matrix returns the matrix the view aggregates.
func (v *GroupedView) Matrix() *Matrix { return v.m }

// Options returns the options the view was built with (TenantLabel filled
// in).
func (v *GroupedView) Options() GroupOptions { return v.opts }

// NumGroups returns the number of groups: endpoint groups, then external
// ranges (each external atom, cut at the focused addresses).
func (v *GroupedView) NumGroups() int { return len(v.groups) }

// NumEndpointGroups returns the number of endpoint groups (the first
// groups).
func (v *GroupedView) NumEndpointGroups() int { return v.nEG }

// Groups returns a copy of the groups, in the view's order: endpoint
// groups by namespace and name, then external ranges by address.
func (v *GroupedView) Groups() []GroupNode { return slices.Clone(v.groups) }

// Unmatched returns the focus selections that pick no endpoint and no
// external address of the view.
func (v *GroupedView) Unmatched() []Selection { return slices.Clone(v.unmatched) }

// IsEmpty reports whether the view counts no pair at all: no endpoint,
// or nothing focused, so every answer it gives is empty.
func (v *GroupedView) IsEmpty() bool { return v.totalPairs() == 0 }

// totalPairs returns the number of member pairs the view counts.
func (v *GroupedView) totalPairs() int64 {
	var allEP, focusEP int64 // weights of endpoint cells, and of focused ones
	for _, c := range v.cells {
		if !c.ext {
			allEP += c.weight
			if c.focus {
				focusEP += c.weight
			}
		}
	}
	var allExt, focusExt int64
	for _, c := range v.cells {
		if c.ext {
			allExt += c.weight
			if c.focus {
				focusExt += c.weight
			}
		}
	}
	var n int64
	for _, c := range v.cells {
		switch v.mode(c) {
		case modeAll:
			n += c.weight * allEP
			if !c.ext {
				n += c.weight*allExt - c.weight // not with itself
			}
		case modeFocus:
			n += c.weight * focusEP
			if !c.ext {
				n += c.weight * focusExt
				if c.focus {
					n -= c.weight
				}
			}
		}
	}
	// Pairs with derived entries, from and to them.
	for d := v.firstDerived; d < len(v.groups); d++ {
		for b := range v.groups {
			v.derivedPairs(d, b, func(int, int) { n++ })
			if b < v.firstDerived {
				v.derivedPairs(b, d, func(int, int) { n++ })
			}
		}
	}
	return n
}

// Modes of a source cell: which destination cells it pairs with.
const (
	modeNone  = iota // none: an unfocused source under an egress focus
	modeAll          // every destination
	modeFocus        // the focused destinations only
)

// counted reports whether the view counts a pair whose source and
// destination are focused or not.
func (v *GroupedView) counted(srcFocus, dstFocus bool) bool {
	if !v.focus {
		return true
	}
	switch v.opts.Direction {
	case FocusEgress:
		return srcFocus
	case FocusIngress:
		return dstFocus
	}
	return srcFocus || dstFocus
}

// derivedPairs calls fn for every pair of entries between groups a and b
// that the view counts, one of them derived.
func (v *GroupedView) derivedPairs(a, b int, fn func(i, j int)) {
	for x := v.memberStart[a]; x < v.memberStart[a+1]; x++ {
		for y := v.memberStart[b]; y < v.memberStart[b+1]; y++ {
			i, j := int(v.members[x]), int(v.members[y])
			if v.m.IsPair(i, j) && v.counted(v.memberFocus[x], v.memberFocus[y]) {
				fn(i, j)
			}
		}
	}
}

// mode returns the destinations a source cell pairs with.
func (v *GroupedView) mode(c gcell) int {
	if !v.focus {
		return modeAll
	}
	switch v.opts.Direction {
	case FocusEgress:
		if c.focus {
			return modeAll
		}
		return modeNone
	case FocusIngress:
		return modeFocus
	}
	if c.focus {
		return modeAll
	}
	return modeFocus
}

// Walk computes the pairs of groups that can open some connection and
// calls fn for each, by source group then destination group, in the
// view's order. External ranges are merged per pair: adjacent ranges
// with the same result for the pair are reported as one range (so the
// same address space can be cut differently on two lines). Walk stops at
// the first error fn returns, and returns it, or ctx's error when ctx is
// cancelled.
func (v *GroupedView) Walk(ctx context.Context, fn func(*GroupPair) error) error {
	lm := newLineMerger(fn, func(p *GroupPair) (*GroupNode, *GroupNode) { return &p.Src, &p.Dst },
		(*GroupPair).sameResult, clonePair)
	if err := v.walkRaw(ctx, lm.add); err != nil {
		return err
	}
	return lm.finish()
}

// lineMerger merges the external ranges of a stream of lines (pairs of
// groups, or changes) in source then destination order: adjacent
// destination ranges with the same result for one source become one line
// as they come; lines from external sources are held to the end, where
// adjacent source ranges with the same result for one destination merge,
// and are reported by source range then destination; lines from derived
// sources (which the view walks between the two) follow them.
type lineMerger[T any] struct {
	fn    func(*T) error
	ends  func(*T) (src, dst *GroupNode)
	same  func(a, b *T) bool
	clone func(*T) T
	run   *T // pending external destination range
	ext   []T
	late  []T // lines from derived sources, which come after the external ones
}

func newLineMerger[T any](fn func(*T) error, ends func(*T) (src, dst *GroupNode), same func(a, b *T) bool, clone func(*T) T) *lineMerger[T] {
	return &lineMerger[T]{fn: fn, ends: ends, same: same, clone: clone}
}

// flush reports the pending destination range.
func (lm *lineMerger[T]) flush() error {
	if lm.run == nil {
		return nil
	}
	x := lm.run
	lm.run = nil
	_, dst := lm.ends(x)
	*dst = externalGroup(dst.Range)
	return lm.fn(x)
}

// add takes the next line; it may keep a copy, never x.
func (lm *lineMerger[T]) add(x *T) error {
	src, dst := lm.ends(x)
	if src.IsExternal() {
		lm.ext = append(lm.ext, lm.clone(x))
		return nil
	}
	if src.derived {
		if err := lm.flush(); err != nil {
			return err
		}
		lm.late = append(lm.late, lm.clone(x))
		return nil
	}
	if !dst.IsExternal() {
		if err := lm.flush(); err != nil {
			return err
		}
		return lm.fn(x)
	}
	if lm.run != nil {
		rs, rd := lm.ends(lm.run)
		if rs.Name == src.Name && rs.Kind == src.Kind && adjacent(rd.Range, dst.Range) && lm.same(lm.run, x) {
			rd.Range = netipx.IPRangeFrom(rd.Range.From(), dst.Range.To())
			return nil
		}
	}
	if err := lm.flush(); err != nil {
		return err
	}
	c := lm.clone(x)
	lm.run = &c
	return nil
}

// finish reports the pending range and the lines from external sources.
func (lm *lineMerger[T]) finish() error {
	if err := lm.flush(); err != nil {
		return err
	}
	ext := lm.ext
	// By destination, then source range; merge; then by source range.
	slices.SortStableFunc(ext, func(a, b T) int {
		as, ad := lm.ends(&a)
		bs, bd := lm.ends(&b)
		if c := nodeOrder(*ad, *bd); c != 0 {
			return c
		}
		return rangeOrder(as.Range, bs.Range)
	})
	var merged []T
	for i := range ext {
		if n := len(merged); n > 0 {
			qs, qd := lm.ends(&merged[n-1])
			ps, pd := lm.ends(&ext[i])
			if nodeOrder(*qd, *pd) == 0 && adjacent(qs.Range, ps.Range) && lm.same(&merged[n-1], &ext[i]) {
				qs.Range = netipx.IPRangeFrom(qs.Range.From(), ps.Range.To())
				continue
			}
		}
		merged = append(merged, ext[i])
	}
	for i := range merged {
		src, _ := lm.ends(&merged[i])
		*src = externalGroup(src.Range)
	}
	slices.SortStableFunc(merged, func(a, b T) int {
		as, ad := lm.ends(&a)
		bs, bd := lm.ends(&b)
		if c := rangeOrder(as.Range, bs.Range); c != 0 {
			return c
		}
		return nodeOrder(*ad, *bd)
	})
	for i := range merged {
		if err := lm.fn(&merged[i]); err != nil {
			return err
		}
	}
	for i := range lm.late {
		if err := lm.fn(&lm.late[i]); err != nil {
			return err
		}
	}
	return nil
}

// adjacent reports whether b starts right after a ends.
func adjacent(a, b netipx.IPRange) bool {
	next := a.To().Next()
	return next.IsValid() && next == b.From()
}

func clonePair(p *GroupPair) GroupPair {
	c := *p
	c.Partial = slices.Clone(p.Partial)
	c.Conditional = slices.Clone(p.Conditional)
	return c
}
