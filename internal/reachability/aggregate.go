package reachability

import (
	"context"
	"encoding/binary"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
)

// The aggregation counts, for every ordered pair of groups (A, B) and
// every port atom p, the member pairs allowed:
//
//	n_p(A, B) = Σ_{a ∈ cells(A)} Σ_{b ∈ cells(B)} w_a·w_b·bit_p(u_a, u_b)  −  self pairs
//
// where a cell is the part of a group in one endpoint class u (weight w:
// its endpoints) and bit_p is the class matrix of atom p. It never looks
// at pairs of endpoints, and barely at pairs of classes:
//
//   - the base atom's class rows are read once per distinct row: a row
//     becomes a short list of (group, Σ w) once, however many classes
//     share it;
//   - every other atom reads as the base but for the sources whose own
//     egress group differs (their rows are read whole and compared with
//     the base row) and the destinations whose ingress group differs at
//     a source (the tensor's flips, read one bit at a time), so its
//     counts are the base counts plus corrections from those bits.
//
// Sources are walked group by group in output order; the column
// differences of a batch of source groups are extracted first, bucketed
// by source class, so memory stays bounded by the batch.

// storeAgg holds what the aggregation reads from one kind of verdicts
// (definite or possible) of the tensor: the base rows are E(i) ∧ Iᵀ(i);
// a port atom's row differs from its class's base row where the class's
// own egress group differs (rmask: the row is read whole) and at the
// destinations whose ingress group differs at that source (the flips:
// column differences, read one bit at a time).
type storeAgg struct {
	t     *tensor
	pos   bool
	reps  []int       // representative non-base atoms
	repOf []int       // per view atom position: index into reps, -1 for base-like atoms
	rmask []graph.Set // per rep: the sources whose egress group differs
	cols  bool        // some ingress group differs somewhere: column differences exist
}

// newStoreAgg prepares the aggregation of one kind of verdicts over the
// view's atoms. Atoms whose egress and ingress groups agree for every
// class read alike and share a rep.
func newStoreAgg(t *tensor, pos bool, atoms []int) *storeAgg {
	sa := &storeAgg{t: t, pos: pos, repOf: make([]int, len(atoms))}
	nC := t.nC
	eg, in := t.groups[policy.Egress], t.groups[policy.Ingress]
	// group returns the class's group of atom a when its row differs
	// from the base, else 0.
	group := func(g *atomGroups, a int) uint16 {
		if g.diff(a, pos) == nil {
			return 0
		}
		return g.group[a]
	}
	seen := map[string]int{}
	key := make([]byte, 0, 4*nC)
	for k, p := range atoms {
		key = key[:0]
		base := true
		for c := 0; c < nC; c++ {
			ge, gi := group(&eg[c], p), group(&in[c], p)
			if ge != 0 || gi != 0 {
				base = false
			}
			key = binary.LittleEndian.AppendUint16(key, ge)
			key = binary.LittleEndian.AppendUint16(key, gi)
		}
		if base {
			sa.repOf[k] = -1
			continue
		}
		if r, ok := seen[string(key)]; ok {
			sa.repOf[k] = r
			continue
		}
		r := len(sa.reps)
		seen[string(key)] = r
		sa.repOf[k] = r
		sa.reps = append(sa.reps, p)
		rm := graph.NewSet(t.nU)
		for c := 0; c < nC; c++ {
			if group(&eg[c], p) != 0 {
				rm.Add(c)
			}
			if group(&in[c], p) != 0 {
				sa.cols = true
			}
		}
		sa.rmask = append(sa.rmask, rm)
	}
	return sa
}

// baseRow writes the base row of source i into dst (tmp is scratch) and
// returns it.
func (sa *storeAgg) baseRow(i int, dst, tmp graph.Set) graph.Set {
	f := sa.t.kind(sa.pos)
	sa.t.codec.Decode(f.eg[i], dst)
	sa.t.codec.Decode(f.inT[i], tmp)
	dst.And(tmp)
	return dst
}

// finalRow writes row i of rep r (a source whose egress group differs)
// into dst.
func (sa *storeAgg) finalRow(r, i int, dst, tmp graph.Set) {
	sa.t.row(sa.reps[r], i, dst, tmp, sa.pos)
}

// diffEntry packs a difference from the base row: the rep (bits 40 and
// up), the destination (bits 1-39) and whether the bit is set on the rep
// (bit 0).
type diffEntry uint64

func packDiff(r int, j int, set bool) diffEntry {
	e := diffEntry(r)<<40 | diffEntry(j)<<1
	if set {
		e |= 1
	}
	return e
}

func (e diffEntry) rep() int  { return int(e >> 40) }
func (e diffEntry) dst() int  { return int(e>>1) & (1<<39 - 1) }
func (e diffEntry) set() bool { return e&1 != 0 }

// colDiffs calls fn for every column difference of source i (rows read
// whole excepted): for each rep, the destinations j whose ingress group
// at the rep's atom flips Iᵀ(i)[j] where E(i)[j] lets it show.
func (sa *storeAgg) colDiffs(i int, fn func(r, j int, set bool)) {
	t := sa.t
	f := t.kind(sa.pos)
	in := t.groups[policy.Ingress]
	for _, x := range f.flips[i] {
		j, g := int(x>>16), uint16(x)
		if !f.eg[i].Has(j) {
			continue
		}
		for r, p := range sa.reps {
			if in[j].group[p] == g && !sa.rmask[r].Has(i) {
				fn(r, j, !f.inT[i].Has(j))
			}
		}
	}
}

// countColDiffs adds to perRow, per source row, its column differences.
// Workers split the rows, so each writes its own counters.
func (sa *storeAgg) countColDiffs(perRow []int32, workers int) {
	inParallel(workers, len(perRow), func(i0, i1 int) {
		for i := i0; i < i1; i++ {
			sa.colDiffs(i, func(int, int, bool) { perRow[i]++ })
		}
	})
}

// fillColDiffs writes the column differences of the source rows in mask
// (whose words are listed) into ent, at cursor[row] (advanced), tagged
// with the store index si. Workers split the words, so the rows (and
// their cursors) of two workers never meet.
func (sa *storeAgg) fillColDiffs(si int, mask graph.Set, words []int32, cursor []int32, ent []diffEntry, workers int) {
	tag := diffEntry(si) << 62
	inParallel(workers, len(words), func(w0, w1 int) {
		for _, k := range words[w0:w1] {
			for x := mask[k]; x != 0; x &= x - 1 {
				i := int(k)<<6 + bits.TrailingZeros64(x)
				sa.colDiffs(i, func(r, j int, set bool) {
					ent[cursor[i]] = tag | packDiff(r, j, set)
					cursor[i]++
				})
			}
		}
	})
}

// inParallel splits 0..n into one range per worker and runs fn on each
// in its own goroutine.
func inParallel(workers, n int, fn func(lo, hi int)) {
	workers = max(1, min(workers, n))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}

// maxBatchEntries bounds the column differences held at once (8 bytes
// each).
var maxBatchEntries = 1 << 23

// windowPerWorker is how many source groups each worker computes ahead of
// the reported ones.
var windowPerWorker = 16

// aggregator holds what every worker of a walk reads: the stores and the
// column differences of the current batch.
type aggregator struct {
	v       *GroupedView
	stores  []*storeAgg // def, then pos when conditional verdicts exist
	nU      int
	workers int

	// Column differences of the current batch, bucketed by source row
	// (bEnt[bStart[u]:bEnd[u]]), and the batch's rows as a mask.
	bStart, bEnd []int32
	bEnt         []diffEntry
	mask         graph.Set
	words        []int32
}

// aggWorker is one worker's scratch: counts of one source group, dense
// over destination groups.
type aggWorker struct {
	ag      *aggregator
	base    [][]int64   // per store
	delta   [][][]int64 // per store, per rep
	touched []int32
	mark    []int32 // source group + 1 that last touched a destination
	dmark   []int32 // the same, for destinations with corrections
	// corrected lists the destinations with corrections.
	corrected []int32
	row       graph.Set
	diff      graph.Set
	brow      graph.Set // a base row
	tmp       graph.Set

	// Base rows already turned into group weights, and the scratch that
	// builds them.
	vecs    map[uint64][]rowVec
	vecSize int
	vsum    []int64
	vmark   []int32
	vstamp  int32

	conns   connCache
	all     Connections // every atom of the view
	full    []uint64
	buckets []countBucket
	masks   []uint64
	pair    GroupPair
	// allowN and condN are the allowed and conditional pairs per atom of
	// the pair of groups being classified.
	allowN, condN []int64
}

// maxVecEntries bounds the cached row weights of a worker.
const maxVecEntries = 1 << 22

// rowVec is a base row turned into destination group weights for one
// destination mode.
type rowVec struct {
	row  graph.Set
	mode int
	ext  bool
	gs   []int32
	ws   []int64
}

func (ag *aggregator) newWorker() *aggWorker {
	v := ag.v
	nG := len(v.groups)
	w := &aggWorker{ag: ag, vecs: map[uint64][]rowVec{}}
	for _, sa := range ag.stores {
		w.base = append(w.base, make([]int64, nG))
		d := make([][]int64, len(sa.reps))
		for r := range d {
			d[r] = make([]int64, nG)
		}
		w.delta = append(w.delta, d)
	}
	w.mark = make([]int32, nG)
	w.dmark = make([]int32, nG)
	w.vsum = make([]int64, nG)
	w.vmark = make([]int32, nG)
	w.row = graph.NewSet(ag.nU)
	w.diff = graph.NewSet(ag.nU)
	w.brow = graph.NewSet(ag.nU)
	w.tmp = graph.NewSet(ag.nU)
	w.conns = connCache{m: v.m, atoms: v.atoms, filter: v.filter, cache: map[string]Connections{}}
	w.full = make([]uint64, graph.Words(len(v.atoms)))
	w.allowN = make([]int64, len(v.atoms))
	w.condN = make([]int64, len(v.atoms))
	for k := range v.atoms {
		w.full[k>>6] |= 1 << (k & 63)
	}
	w.all = w.conns.get(w.full)
	return w
}

// walkRaw computes the pairs with some connection, source group by
// source group, external ranges unmerged.
func (v *GroupedView) walkRaw(ctx context.Context, fn func(*GroupPair) error) error {
	return v.walkGroups(ctx, func(_ int, pairs []GroupPair) error {
		for i := range pairs {
			if err := fn(&pairs[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// walkGroups computes the pairs with some connection of every source
// group, external ranges unmerged, and calls fn once per source group in
// order (with no pairs when it has none). Source groups are computed in
// parallel, a window at a time. fn must not keep pairs.
func (v *GroupedView) walkGroups(ctx context.Context, fn func(src int, pairs []GroupPair) error) error {
	m := v.m
	ag := &aggregator{v: v, nU: m.u.nU, workers: m.opts.Workers}
	if ag.workers <= 0 {
		ag.workers = runtime.GOMAXPROCS(0)
	}
	ag.stores = append(ag.stores, newStoreAgg(m.t, false, v.atoms))
	if m.t.pos != nil {
		ag.stores = append(ag.stores, newStoreAgg(m.t, true, v.atoms))
	}
	nG := len(v.groups)

	// Column differences per source row, to plan batches.
	needCols := false
	for _, sa := range ag.stores {
		if sa.cols {
			needCols = true
		}
	}
	var perRow []int32
	if needCols {
		perRow = make([]int32, ag.nU)
		for _, sa := range ag.stores {
			if sa.cols {
				sa.countColDiffs(perRow, ag.workers)
			}
		}
		ag.bStart = make([]int32, ag.nU)
		ag.bEnd = make([]int32, ag.nU)
		ag.mask = graph.NewSet(ag.nU)
	}

	workers := max(1, min(ag.workers, nG))
	ws := make([]*aggWorker, workers)
	for i := range ws {
		ws[i] = ag.newWorker()
	}
	window := windowPerWorker * workers
	// Two buffers: the workers fill one window while the pairs of the
	// previous one are reported.
	var bufs [2][][]GroupPair
	for i := range bufs {
		bufs[i] = make([][]GroupPair, window)
	}
	compute := func(w0, w1 int, res [][]GroupPair) chan struct{} {
		done := make(chan struct{})
		var next atomic.Int64
		var wg sync.WaitGroup
		for _, w := range ws {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					g := w0 + int(next.Add(1)-1)
					if g >= w1 {
						return
					}
					res[g-w0] = w.group(g, res[g-w0][:0])
				}
			}()
		}
		go func() { wg.Wait(); close(done) }()
		return done
	}
	reported := 0
	report := func(w0, w1 int, res [][]GroupPair) error {
		for g := w0; g < w1; g++ {
			if err := fn(g, res[g-w0]); err != nil {
				return err
			}
			reported++
			if v.opts.Progress != nil {
				v.opts.Progress(reported, nG)
			}
		}
		return nil
	}

	stamp := make([]int32, ag.nU)
	for g0 := 0; g0 < nG; {
		// A batch: source groups whose rows hold at most maxBatchEntries
		// column differences (at least one group).
		g1, entries := g0, 0
		var rows []int32
		for g1 < nG {
			n := 0
			var add []int32
			for k := v.groupCells[g1][0]; k < v.groupCells[g1][1]; k++ {
				u := v.cells[k].u
				if stamp[u] != int32(g0+1) {
					stamp[u] = int32(g0 + 1)
					add = append(add, u)
					if perRow != nil {
						n += int(perRow[u])
					}
				}
			}
			if g1 > g0 && entries+n > maxBatchEntries {
				for _, u := range add {
					stamp[u] = 0
				}
				break
			}
			entries += n
			rows = append(rows, add...)
			g1++
		}
		if needCols {
			ag.extract(rows, entries, perRow)
		}
		var pending func() error // reports the previous window
		for i, w0 := 0, g0; w0 < g1; i, w0 = i+1, w0+window {
			if err := ctx.Err(); err != nil {
				return err
			}
			w1, res := min(g1, w0+window), bufs[i%2]
			done := compute(w0, w1, res)
			if pending != nil {
				if err := pending(); err != nil {
					<-done
					return err
				}
			}
			<-done
			pending = func() error { return report(w0, w1, res) }
		}
		if pending != nil {
			if err := pending(); err != nil {
				return err
			}
		}
		g0 = g1
	}
	return nil
}

// extract buckets the column differences of the batch's source rows:
// those of row u end up in bEnt[bStart[u]:bEnd[u]].
func (ag *aggregator) extract(rows []int32, entries int, perRow []int32) {
	clear(ag.mask)
	off := int32(0)
	for _, u := range rows {
		ag.mask.Add(int(u))
		ag.bStart[u] = off
		ag.bEnd[u] = off
		off += perRow[u]
	}
	words := ag.words[:0]
	for k, w := range ag.mask {
		if w != 0 {
			words = append(words, int32(k))
		}
	}
	ag.words = words
	if cap(ag.bEnt) < entries {
		ag.bEnt = make([]diffEntry, entries)
	}
	ag.bEnt = ag.bEnt[:entries]
	for si, sa := range ag.stores {
		if sa.cols {
			sa.fillColDiffs(si, ag.mask, words, ag.bEnd, ag.bEnt, ag.workers)
		}
	}
}

// touch records destination g as met by source group src.
func (w *aggWorker) touch(src, g int32) {
	if w.mark[g] != src+1 {
		w.mark[g] = src + 1
		w.touched = append(w.touched, g)
	}
}

// group computes the pairs of source group a with some connection and
// appends them to out.
func (w *aggWorker) group(a int, out []GroupPair) []GroupPair {
	v := w.ag.v
	if v.groups[a].derived {
		// A derived source: its pairs with every other group.
		for b := range v.groups {
			if !v.groups[b].IsExternal() && w.derivedPair(a, b, &w.pair) {
				out = append(out, clonePair(&w.pair))
			}
		}
		return out
	}
	out = w.classGroup(a, out)
	// Pairs with the derived destinations come last, in order.
	if !v.groups[a].IsExternal() {
		for b := v.firstDerived; b < len(v.groups); b++ {
			if w.derivedPair(a, b, &w.pair) {
				out = append(out, clonePair(&w.pair))
			}
		}
	}
	return out
}

// classGroup computes the pairs of source group a with the endpoint and
// external groups, on classes, and appends those with some connection to
// out.
func (w *aggWorker) classGroup(a int, out []GroupPair) []GroupPair {
	v := w.ag.v
	src := int32(a)
	w.touched = w.touched[:0]
	w.corrected = w.corrected[:0]
	var sums [4]int64 // source weights by mode (all, focus) and external
	var self int64
	for k := v.groupCells[a][0]; k < v.groupCells[a][1]; k++ {
		c := v.cells[k]
		mode := v.mode(c)
		if mode == modeNone {
			continue
		}
		for si, sa := range w.ag.stores {
			w.addBase(si, sa, src, c, mode)
			w.addDiffs(si, sa, src, int(k), c, mode)
		}
		x := 0
		if mode == modeFocus {
			x = 1
		}
		if c.ext {
			x += 2
		}
		sums[x] += c.weight
		if !c.ext && (mode == modeAll || c.focus) {
			self += c.weight
		}
	}
	slices.Sort(w.touched)
	p := &w.pair
	for _, b := range w.touched {
		t := (sums[0]+sums[2])*v.wAll[b] + (sums[1]+sums[3])*v.wFocus[b]
		if v.groups[b].IsExternal() {
			t -= sums[2]*v.wAll[b] + sums[3]*v.wFocus[b]
		}
		if b == src {
			t -= self
		}
		if w.classify(a, int(b), t, p) {
			out = append(out, clonePair(p))
		}
	}
	for si := range w.ag.stores {
		for _, b := range w.touched {
			w.base[si][b] = 0
		}
		for _, b := range w.corrected {
			for _, d := range w.delta[si] {
				d[b] = 0
			}
		}
	}
	return out
}

// addBase adds the base atom's pairs of one source cell.
func (w *aggWorker) addBase(si int, sa *storeAgg, src int32, c gcell, mode int) {
	row := sa.baseRow(int(c.u), w.brow, w.tmp)
	vec := w.rowVec(row, mode, c.ext)
	base := w.base[si]
	for x, g := range vec.gs {
		base[g] += c.weight * vec.ws[x]
		w.touch(src, g)
	}
	// Not with itself: the class bit counts each member with itself.
	if !c.ext && (mode == modeAll || c.focus) && row.Has(int(c.u)) {
		base[c.group] -= c.weight
	}
}

// rowVec returns the destination group weights of a base row.
func (w *aggWorker) rowVec(row graph.Set, mode int, ext bool) rowVec {
	h := uint64(14695981039346656037)
	for _, x := range row {
		h = (h ^ x) * 1099511628211
	}
	h ^= uint64(mode)<<1 | b2u(ext)
	for _, rv := range w.vecs[h] {
		if rv.mode == mode && rv.ext == ext && rv.row.Equal(row) {
			return rv
		}
	}
	v := w.ag.v
	w.vstamp++
	var order []int32
	for j := range row.All() {
		for x := v.uStart[j]; x < v.uStart[j+1]; x++ {
			d := v.cells[v.uCells[x]]
			if ext && d.ext || mode == modeFocus && !d.focus {
				continue
			}
			if w.vmark[d.group] != w.vstamp {
				w.vmark[d.group] = w.vstamp
				w.vsum[d.group] = 0
				order = append(order, d.group)
			}
			w.vsum[d.group] += d.weight
		}
	}
	rv := rowVec{row: slices.Clone(row), mode: mode, ext: ext, gs: order, ws: make([]int64, len(order))}
	for x, g := range order {
		rv.ws[x] = w.vsum[g]
	}
	if w.vecSize+len(order) > maxVecEntries {
		clear(w.vecs) // bounded: start over
		w.vecSize = 0
	}
	w.vecSize += len(order) + 1
	w.vecs[h] = append(w.vecs[h], rv)
	return rv
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// addDiffs adds the corrections of the other atoms for one source cell.
func (w *aggWorker) addDiffs(si int, sa *storeAgg, src int32, k int, c gcell, mode int) {
	i := int(c.u)
	v := w.ag.v
	apply := func(r, j int, set bool) {
		d := w.delta[si][r]
		for x := v.uStart[j]; x < v.uStart[j+1]; x++ {
			dc := v.uCells[x]
			b := v.cells[dc]
			if c.ext && b.ext || mode == modeFocus && !b.focus {
				continue
			}
			n := c.weight * b.weight
			if int(dc) == k {
				n -= c.weight // not with itself
			}
			if !set {
				n = -n
			}
			d[b.group] += n
			w.touch(src, b.group)
			if w.dmark[b.group] != src+1 {
				w.dmark[b.group] = src + 1
				w.corrected = append(w.corrected, b.group)
			}
		}
	}
	base := sa.baseRow(i, w.brow, w.tmp)
	for r := range sa.reps {
		if !sa.rmask[r].Has(i) {
			continue
		}
		sa.finalRow(r, i, w.row, w.tmp)
		for x := range w.row {
			w.diff[x] = w.row[x] ^ base[x]
		}
		for j := range w.diff.All() {
			apply(r, j, w.row.Has(j))
		}
	}
	if sa.cols {
		ag := w.ag
		for _, e := range ag.bEnt[ag.bStart[c.u]:ag.bEnd[c.u]] {
			if int(e>>62) == si {
				e &^= 3 << 62
				apply(e.rep(), e.dst(), e.set())
			}
		}
	}
}

// classify turns the counts of source group a and destination b into p;
// it reports false when no pair can open any connection. p's slices are
// reused by the next call.
func (w *aggWorker) classify(a, b int, total int64, p *GroupPair) bool {
	v := w.ag.v
	*p = GroupPair{Src: v.groups[a], Dst: v.groups[b], Pairs: total, Partial: p.Partial[:0], Conditional: p.Conditional[:0]}
	if total <= 0 {
		return false
	}
	if w.dmark[b] != int32(a+1) {
		// No correction: every atom counts as the base atom.
		allow := w.base[0][b]
		switch {
		case allow == total:
			p.Full = w.all
		case allow > 0:
			p.Partial = append(p.Partial, PartialConnections{w.all, allow})
		}
		if len(w.ag.stores) > 1 {
			if n := w.base[1][b] - allow; n > 0 {
				p.Conditional = append(p.Conditional, PartialConnections{w.all, n})
			}
		}
		return !p.IsEmpty()
	}
	for k := range v.atoms {
		var counts [2]int64
		for si, sa := range w.ag.stores {
			n := w.base[si][b]
			if r := sa.repOf[k]; r >= 0 {
				n += w.delta[si][r][b]
			}
			counts[si] = n
		}
		w.allowN[k], w.condN[k] = counts[0], 0
		if len(w.ag.stores) > 1 {
			w.condN[k] = counts[1] - counts[0]
		}
	}
	return w.fromCounts(total, p)
}

// derivedPair computes the pair of groups a and b, one of them derived,
// from the verdicts of the matrix on every pair of their entries; it
// reports false when no pair can open any connection.
func (w *aggWorker) derivedPair(a, b int, p *GroupPair) bool {
	v, m := w.ag.v, w.ag.v.m
	clear(w.allowN)
	clear(w.condN)
	var total int64
	v.derivedPairs(a, b, func(i, j int) {
		total++
		for k, at := range v.atoms {
			switch m.At(i, j, at) {
			case Allow:
				w.allowN[k]++
			case Conditional:
				w.condN[k]++
			}
		}
	})
	*p = GroupPair{Src: v.groups[a], Dst: v.groups[b], Pairs: total, Partial: p.Partial[:0], Conditional: p.Conditional[:0]}
	if total == 0 {
		return false
	}
	return w.fromCounts(total, p)
}

// fromCounts fills p's connections from the allowed and conditional pairs
// of each atom (allowN, condN); it reports false when no pair can open
// any connection.
func (w *aggWorker) fromCounts(total int64, p *GroupPair) bool {
	words := graph.Words(len(w.ag.v.atoms))
	clear(w.full)
	w.buckets = w.buckets[:0]
	add := func(n int64, cond bool, k int) {
		for x := range w.buckets {
			if bk := &w.buckets[x]; bk.n == n && bk.cond == cond {
				bk.mask[k>>6] |= 1 << (k & 63)
				return
			}
		}
		x := len(w.buckets)
		if need := (x + 1) * words; len(w.masks) < need {
			w.masks = append(w.masks, make([]uint64, need-len(w.masks))...)
		}
		mask := w.masks[x*words : (x+1)*words]
		clear(mask)
		mask[k>>6] |= 1 << (k & 63)
		w.buckets = append(w.buckets, countBucket{n, cond, mask})
	}
	for k := range w.ag.v.atoms {
		switch allow := w.allowN[k]; {
		case allow == total:
			w.full[k>>6] |= 1 << (k & 63)
		case allow > 0:
			add(allow, false, k)
		}
		if c := w.condN[k]; c > 0 {
			add(c, true, k)
		}
	}
	p.Full = w.conns.get(w.full)
	for _, bk := range w.buckets {
		pc := PartialConnections{Connections: w.conns.get(bk.mask), Pairs: bk.n}
		if bk.cond {
			p.Conditional = append(p.Conditional, pc)
		} else {
			p.Partial = append(p.Partial, pc)
		}
	}
	return !p.IsEmpty()
}

// countBucket gathers the atoms with one count of pairs.
type countBucket struct {
	n    int64
	cond bool
	mask []uint64
}

// connCache turns sets of the view's port atoms into connections, once
// per distinct set.
type connCache struct {
	m      *Matrix
	atoms  []int
	filter *Connections
	cache  map[string]Connections
	key    []byte
}

func (cc *connCache) get(mask []uint64) Connections {
	cc.key = cc.key[:0]
	for _, w := range mask {
		cc.key = binary.LittleEndian.AppendUint64(cc.key, w)
	}
	if c, ok := cc.cache[string(cc.key)]; ok {
		return c
	}
	in := make(map[int]bool)
	for k, p := range cc.atoms {
		if mask[k>>6]&(1<<(k&63)) != 0 {
			in[p] = true
		}
	}
	c := connectionsOf(cc.m.ports, cc.m.ConnectionScope(), func(p int) bool { return in[p] })
	if cc.filter != nil {
		c = c.Intersect(*cc.filter)
	}
	c.text = c.String()
	cc.cache[string(cc.key)] = c
	return c
}

// MinLines returns lower bounds of the pairs of groups [GroupedView.Walk]
// reports and of the bytes of their names (source, destination and a
// short separator each), found without computing them: every pair of
// groups that the base port atom connects is reported (external
// destinations count once per source, as Walk may merge them). It stops
// once past maxLines or maxBytes (when positive): a refusal needs no more.
// It returns zeros when the view leaves the base port atom out. It costs
// one read of each distinct base row and O(cells × groups reached).
func (v *GroupedView) MinLines(ctx context.Context, maxLines, maxBytes int64) (lines, bytes int64, err error) {
	return v.minLines(ctx, 1, maxLines, maxBytes)
}

// EstimateLines estimates [GroupedView.MinLines] from at most samples
// source groups spread evenly over the view (every step-th one), scaled
// up; exact is true when every source group was read (then the results
// are MinLines'). It costs about samples/groups of MinLines.
func (v *GroupedView) EstimateLines(ctx context.Context, samples int) (lines, bytes int64, exact bool, err error) {
	step := max(1, (v.nEG+samples-1)/max(1, samples))
	lines, bytes, err = v.minLines(ctx, step, 0, 0)
	return lines * int64(step), bytes * int64(step), step == 1, err
}

// minLines is MinLines over every step-th source group.
func (v *GroupedView) minLines(ctx context.Context, step int, maxLines, maxBytes int64) (lines, bytes int64, err error) {
	// Atoms that read as the base for every class (no rep of their own).
	sa := newStoreAgg(v.m.t, false, v.atoms)
	if !slices.Contains(sa.repOf, -1) {
		return 0, 0, nil
	}
	ag := &aggregator{v: v, nU: v.m.u.nU}
	w := ag.newWorker()
	mark := make([]int32, len(v.groups))
	const sep = int64(len(" => ") + len(" : ") + len("TCP 1\n"))
	for a := 0; a < v.nEG; a += step {
		if a%256 == 0 {
			if err := ctx.Err(); err != nil {
				return lines, bytes, err
			}
		}
		var self int64
		ext := false
		for k := v.groupCells[a][0]; k < v.groupCells[a][1]; k++ {
			c := v.cells[k]
			mode := v.mode(c)
			if mode == modeNone {
				continue
			}
			row := sa.baseRow(int(c.u), w.brow, w.tmp)
			vec := w.rowVec(row, mode, c.ext)
			for x, g := range vec.gs {
				switch {
				case int(g) == a:
					self += c.weight * vec.ws[x]
				case v.groups[g].IsExternal():
					ext = true
				case mark[g] != int32(a+1):
					mark[g] = int32(a + 1)
					lines++
					bytes += int64(len(v.groups[a].label)+len(v.groups[g].label)) + sep
				}
			}
			if (mode == modeAll || c.focus) && row.Has(int(c.u)) {
				self -= c.weight
			}
		}
		if self > 0 {
			lines++
			bytes += 2*int64(len(v.groups[a].label)) + sep
		}
		if ext {
			lines++
			bytes += int64(len(v.groups[a].label)+len("::/0")) + sep
		}
		if maxLines > 0 && lines > maxLines || maxBytes > 0 && bytes > maxBytes {
			break
		}
	}
	return lines, bytes, nil
}
