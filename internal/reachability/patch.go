package reachability

import (
	"context"
	"math/bits"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netreach/netreach/internal/bitrow"
	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
)

// inherited is what a class takes over from its parent in the previous
// tensor for one direction, renumbered to the new universe: its groups and
// base rows (pos is nil without conditional rules).
type inherited struct {
	groups   atomGroups
	def, pos bitrow.Row
}

// apply builds the new matrix: it evaluates the dirty bundles, patches
// the re-evaluated columns into the others, and brings the transposed
// ingress rows and their flips up to date.
func (u *updater) apply(ctx context.Context) (*Matrix, error) {
	e := u.e
	ot := u.prev.t
	nC, nU := e.u.nC, e.u.nU
	if u.unchanged || u.identity && !u.portsMoved && e.base == u.pe.base && e.cond == u.pe.cond &&
		u.cols.IsEmpty() && u.dirty[policy.Ingress].IsEmpty() && u.dirty[policy.Egress].IsEmpty() {
		// Nothing the rows read changed: they all stay.
		u.st.RowsCopied = 2 * int64(nC)
		return u.matrix(ot), nil
	}
	workers := e.workers()
	win := windowOf(u.cols)
	u.holesRead = u.identity && u.filledAlike()
	t0 := time.Now()
	// With the same universe and port atoms, the new tensor starts as a
	// copy of the previous one and only the classes the change reaches are
	// visited; otherwise every entry is, its rows renumbered.
	fast := u.identity && !u.portsMoved && e.cond == u.pe.cond
	var nt *tensor
	var todo []int32
	var inhIn []inherited // the ingress rows each class inherited (when renumbered)
	if fast {
		nt = ot.clone()
		for c := 0; c < nC; c++ {
			if e.u.classes[c].hole {
				continue // its rows stay, unread
			}
			if u.dirty[policy.Ingress].Has(c) || u.dirty[policy.Egress].Has(c) || win != nil && !e.u.classes[c].host {
				todo = append(todo, int32(c))
			}
		}
	} else {
		nt = e.newTensor()
		inhIn = make([]inherited, nC)
		todo = make([]int32, nU)
		for i := range todo {
			todo[i] = int32(i)
		}
	}
	var next atomic.Int64
	var cancelled atomic.Bool
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			wk := e.newWorker()
			oldBuf, newBuf := make([]uint64, ot.codec.Words()), make([]uint64, nt.codec.Words())
			var evaluated, groups int64
			for {
				k := int(next.Add(1) - 1)
				if k >= len(todo) {
					break
				}
				if k%256 == 0 && ctx.Err() != nil {
					cancelled.Store(true)
					break
				}
				r := int(todo[k])
				if r >= nC {
					nt.setUnpoliced(r)
					continue
				}
				p := u.parent[r]
				if q := u.colMap[r]; !fast && q >= 0 {
					// The ingress rows the slot had (the parent's, or a
					// filled hole's), to tell which bits of the transposed
					// rows change.
					inhIn[r] = u.inherit(ot, policy.Ingress, q, oldBuf, newBuf)
				}
				if cl := &e.u.classes[r]; cl.hole {
					// Its rows stay as they were, unread; appended holes
					// read as unpoliced.
					if p < 0 {
						nt.unpoliced(r)
					} else {
						nt.store(policy.Ingress, r, inhIn[r])
						nt.store(policy.Egress, r, u.inherit(ot, policy.Egress, p, oldBuf, newBuf))
					}
					continue
				}
				if e.u.classes[r].host {
					nt.unpoliced(r)
					continue
				}
				for d := policy.Ingress; d <= policy.Egress; d++ {
					if u.dirty[d].Has(r) {
						groups += int64(wk.evaluate(nt, d, r))
						evaluated++
						continue
					}
					var inh inherited
					switch {
					case fast:
						inh = u.inherit(ot, d, p, oldBuf, newBuf)
					case d == policy.Ingress:
						inh = inhIn[r]
					case p >= 0:
						inh = u.inherit(ot, d, p, oldBuf, newBuf)
					}
					switch {
					case len(e.applicable[d][r]) == 0 && !(d == policy.Ingress && e.mesh.applies(r)):
						// Not selected in this direction: everything is
						// allowed, new columns included.
						nt.store(d, r, inherited{def: nt.all, pos: nt.all})
					case win != nil && u.columnsMoved(d, r):
						wk.patch(nt, d, r, inh, u.cols, win)
					case !fast:
						nt.store(d, r, inh)
					}
				}
			}
			atomic.AddInt64(&u.st.RowsEvaluated, evaluated)
			atomic.AddInt64(&u.st.RowGroups, groups)
		})
	}
	wg.Wait()
	if cancelled.Load() {
		return nil, ctx.Err()
	}
	u.st.RowsCopied = 2*int64(nC) - u.st.RowsEvaluated
	u.st.Rows = time.Since(t0)

	t0 = time.Now()
	for _, f := range []*factors{nt.def, nt.pos} {
		if f == nil {
			continue
		}
		pos := f == nt.pos
		var old *factors
		if pos && ot.pos != nil || !pos {
			old = ot.kind(pos)
		}
		was := func(j int) bitrow.Row {
			switch {
			case fast:
				return old.in[j]
			case pos:
				return inhIn[j].pos
			}
			return inhIn[j].def
		}
		var visited []int32 // the classes whose rows may have changed (nil: all)
		if fast {
			visited = todo
		}
		u.updateTransposed(nt, ot, f, old, was, visited, pos, workers)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	u.st.Transpose = time.Since(t0)

	return u.matrix(nt), nil
}

// unpoliced makes entry r unpoliced, with no groups: in a clone of the
// previous tensor, a slot may have held another class.
func (t *tensor) unpoliced(r int) {
	t.setUnpoliced(r)
	if r < t.nC {
		t.groups[policy.Ingress][r], t.groups[policy.Egress][r] = atomGroups{}, atomGroups{}
	}
}

// clone returns a copy of the tensor whose rows and groups can be
// replaced without touching t's.
func (t *tensor) clone() *tensor {
	c := *t
	cloneKind := func(f *factors) *factors {
		if f == nil {
			return nil
		}
		return &factors{eg: slices.Clone(f.eg), in: slices.Clone(f.in), inT: f.inT, flips: f.flips}
	}
	c.def, c.pos = cloneKind(t.def), cloneKind(t.pos)
	for d := range c.groups {
		c.groups[d] = slices.Clone(t.groups[d])
	}
	return &c
}

// matrix wraps the new tensor into the new matrix.
func (u *updater) matrix(t *tensor) *Matrix {
	e, st := u.e, &u.st
	st.Update.Holes = e.u.holes()
	st.Endpoints, st.Classes, st.ExternalAtoms, st.PortAtoms = len(u.snap.Endpoints), e.u.nC-st.Update.Holes, len(e.u.atoms), len(e.ports)
	m := &Matrix{
		snap: u.snap, opts: u.opts, mode: u.mode, u: e.u, classOf: u.classOf, ports: e.ports,
		diags: u.diags, stats: u.st, prog: u.prog, t: t, engine: e, meshMode: MeshOff, input: u.next,
	}
	if e.mesh != nil {
		m.meshMode, m.meshModel = MeshIstio, e.mesh.model
		m.diags = append(m.diags, e.mesh.model.Diagnostics()...)
	}
	return m
}

// inherit returns the groups and base rows of direction d of previous
// class p, renumbered to the new universe and port atoms.
func (u *updater) inherit(ot *tensor, d policy.Direction, p int, oldBuf, newBuf []uint64) inherited {
	inh := inherited{groups: ot.groups[d][p]}
	base := func(f *factors) bitrow.Row {
		if d == policy.Egress {
			return f.eg[p]
		}
		return f.in[p]
	}
	inh.def = base(ot.def)
	switch {
	case !u.e.cond:
		inh.groups.pos = nil
	case ot.pos != nil:
		inh.pos = base(ot.pos)
	default:
		// No rule was conditional before: the possible rows were the
		// definite ones.
		inh.pos = inh.def
		inh.groups.pos = inh.groups.def
	}
	if rm := u.rm; rm != nil {
		inh.def = rm.row(inh.def, oldBuf, newBuf)
		if inh.pos != nil {
			inh.pos = rm.row(inh.pos, oldBuf, newBuf)
		}
		inh.groups = rm.groups(inh.groups)
	}
	if u.portsMoved && inh.groups.group != nil {
		g := make([]uint16, len(u.atomMap))
		for a, o := range u.atomMap {
			g[a] = inh.groups.group[o]
		}
		inh.groups.group = g
	}
	return inh
}

// store puts an inherited bundle into t as it is.
func (t *tensor) store(d policy.Direction, s int, inh inherited) {
	t.groups[d][s] = inh.groups
	set := func(f *factors, r bitrow.Row) {
		if d == policy.Egress {
			f.eg[s] = r
		} else {
			f.in[s] = r
		}
	}
	set(t.def, inh.def)
	if t.pos != nil {
		set(t.pos, inh.pos)
	}
}

// patch evaluates the columns cols (in the words of win) of the bundle of
// (direction d, class s) again, takes every other bit from inh, and
// stores the bundle in t. Each group of port atoms the rules tell apart is
// evaluated on the window only; the full rows are rebuilt (and groups
// whose rows became equal merged) only when some bit changed.
func (w *worker) patch(t *tensor, d policy.Direction, s int, inh inherited, cols graph.Set, win window) {
	e := w.e
	reps, cgroup := w.codeGroups(d, s)
	oldWord := func(r bitrow.Row, diffs []bitrow.Diff, a, k int) uint64 {
		x := r.Word(k)
		if g := inh.groups.group; g != nil && g[a] != 0 {
			x ^= diffs[g[a]-1].Word(k)
		}
		return x
	}
	changed := false
	for g, rep := range reps {
		def := w.groupRow(g, false)
		var pos graph.Set
		w.side(d, s, rep, false, 0, 0, def, win)
		if e.cond {
			pos = w.groupRow(g, true)
			w.side(d, s, rep, true, 0, 0, pos, win)
			for _, k := range win {
				x := def[k]
				def[k] &= pos[k]
				pos[k] |= x
			}
		}
		w.ownNodeBits(d, s, def)
		if pos != nil {
			w.ownNodeBits(d, s, pos)
		}
		if d == policy.Ingress && e.mesh.applies(s) {
			if w.mesh == nil {
				w.mesh = newMeshScratch(e.u.nU)
			}
			e.mesh.and(w.mesh, s, rep, def, pos)
		}
	}
	// Every inherited row must read as its atom's group now does on the
	// columns: the inherited groups may split the atoms otherwise (a
	// filled hole's column read differently by another class).
	seen := w.pairs[:0] // (inherited group, group now) pairs checked
	for a, g := range cgroup {
		if changed {
			break
		}
		pair := [2]uint16{0, g}
		if inh.groups.group != nil {
			pair[0] = inh.groups.group[a]
		}
		if slices.Contains(seen, pair) {
			continue
		}
		seen = append(seen, pair)
		def := w.def[g]
		var pos graph.Set
		if e.cond {
			pos = w.pos[g]
		}
		for _, k := range win {
			if (oldWord(inh.def, inh.groups.def, a, int(k))^def[k])&cols[k] != 0 ||
				pos != nil && (oldWord(inh.pos, inh.groups.pos, a, int(k))^pos[k])&cols[k] != 0 {
				changed = true
				break
			}
		}
	}
	w.pairs = seen
	if !changed {
		t.store(d, s, inh)
		return
	}
	// Full rows: the inherited row of each group's representative atom,
	// with the window's columns replaced.
	nW := t.codec.Words()
	full := func(r bitrow.Row, diffs []bitrow.Diff, rep int, ev graph.Set) []uint64 {
		row := make([]uint64, nW)
		t.codec.Decode(r, row)
		if g := inh.groups.group; g != nil && g[rep] != 0 {
			diffs[g[rep]-1].Apply(row)
		}
		for _, k := range win {
			row[k] = row[k]&^cols[k] | ev[k]&cols[k]
		}
		return row
	}
	var keptDef, keptPos [][]uint64
	merged := make([]uint16, len(reps))
	for g, rep := range reps {
		def := full(inh.def, inh.groups.def, rep, w.def[g])
		var pos []uint64
		if e.cond {
			pos = full(inh.pos, inh.groups.pos, rep, w.pos[g])
		}
		k := slices.IndexFunc(keptDef, func(x []uint64) bool { return slices.Equal(x, def) })
		if k >= 0 && pos != nil && !slices.Equal(keptPos[k], pos) {
			k = -1
			for i := range keptDef {
				if slices.Equal(keptDef[i], def) && slices.Equal(keptPos[i], pos) {
					k = i
				}
			}
		}
		if k < 0 {
			k = len(keptDef)
			keptDef = append(keptDef, def)
			keptPos = append(keptPos, pos)
		}
		merged[g] = uint16(k)
	}
	out := atomGroups{}
	if len(keptDef) > 1 {
		out.group = make([]uint16, len(cgroup))
		for a, g := range cgroup {
			out.group[a] = merged[g]
		}
		for k := 1; k < len(keptDef); k++ {
			out.def = append(out.def, bitrow.DiffOf(keptDef[k], keptDef[0]))
			if e.cond {
				out.pos = append(out.pos, bitrow.DiffOf(keptPos[k], keptPos[0]))
			}
		}
	}
	inh = inherited{groups: out, def: t.codec.Encode(keptDef[0])}
	if e.cond {
		inh.pos = t.codec.Encode(keptPos[0])
	}
	t.store(d, s, inh)
}

// updateTransposed brings Iᵀ and the flips of one kind of verdict up to
// date: the rows of Iᵀ are the previous ones (renumbered), with the bits
// of every ingress row that changed flipped; the flips are rebuilt.
func (u *updater) updateTransposed(nt, ot *tensor, f, old *factors, inheritedRow func(int) bitrow.Row, visited []int32, pos bool, workers int) {
	e := u.e
	nC, nU := e.u.nC, e.u.nU
	// The bits of each changed ingress row, per source.
	type flip struct{ i, j int32 }
	var mu sync.Mutex
	var flips []flip
	changedRows := 0
	classes := visited
	if classes == nil {
		classes = make([]int32, nC)
		for j := range classes {
			classes[j] = int32(j)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			a, b := make([]uint64, nt.codec.Words()), make([]uint64, nt.codec.Words())
			var local []flip
			n := 0
			for {
				k := int(next.Add(1) - 1)
				if k >= len(classes) {
					break
				}
				j := int(classes[k])
				if j >= nC {
					continue
				}
				was := inheritedRow(j)
				if was != nil && bitrow.Equal(was, f.in[j]) {
					continue
				}
				n++
				nt.codec.Decode(f.in[j], a)
				clear(b)
				if was != nil {
					nt.codec.Decode(was, b)
				}
				for k := range a {
					for x := a[k] ^ b[k]; x != 0; x &= x - 1 {
						local = append(local, flip{int32(k<<6 + bits.TrailingZeros64(x)), int32(j)})
					}
				}
			}
			mu.Lock()
			flips = append(flips, local...)
			changedRows += n
			mu.Unlock()
		})
	}
	wg.Wait()
	if old == nil || changedRows > nC/4 {
		// Much changed (or nothing to start from): transpose anew.
		f.inT = bitrow.Transpose(f.in, nt.codec, nU, nt.codec, workers, func(_ int, w []uint64) { addRange(w, nC, nU) })
		f.flips = nt.buildFlips(pos)
		return
	}
	// Start from the previous rows, renumbered; a new class's row is zero
	// toward classes (its ingress bits arrive as flips) and one toward
	// external destinations.
	f.inT = make([]bitrow.Row, nU)
	var fresh bitrow.Row
	if u.rm != nil {
		w := make([]uint64, nt.codec.Words())
		addRange(w, nC, nU)
		fresh = nt.codec.Encode(w)
	}
	slices.SortFunc(flips, func(x, y flip) int { return int(x.i) - int(y.i) })
	parallelRange(workers, nU, func(lo, hi int) {
		oldBuf, newBuf := make([]uint64, ot.codec.Words()), make([]uint64, nt.codec.Words())
		k := sort.Search(len(flips), func(k int) bool { return int(flips[k].i) >= lo })
		for i := lo; i < hi; i++ {
			var row bitrow.Row
			switch o := u.colMap[i]; {
			case o < 0:
				row = fresh
			case u.rm != nil:
				row = u.rm.row(old.inT[o], oldBuf, newBuf)
			default:
				row = old.inT[o]
			}
			if k < len(flips) && int(flips[k].i) == i {
				nt.codec.Decode(row, newBuf)
				for ; k < len(flips) && int(flips[k].i) == i; k++ {
					j := flips[k].j
					newBuf[j>>6] ^= 1 << (uint(j) & 63)
				}
				row = nt.codec.Encode(newBuf)
			}
			f.inT[i] = row
		}
	})
	if u.rm != nil {
		f.flips = nt.buildFlips(pos)
	} else {
		f.flips = u.updateFlips(nt, ot, old.flips, classes, pos)
	}
}

// updateFlips derives the flips from the previous ones (over the same
// universe): for a class whose ingress differences changed, the entries of
// the sources where a difference changed are taken out or put in (all of
// its entries, when its groups changed). It is O(changed bits), with no
// maps.
func (u *updater) updateFlips(nt, ot *tensor, old [][]uint64, classes []int32, pos bool) [][]uint64 {
	in, was := nt.groups[policy.Ingress], ot.groups[policy.Ingress]
	type op struct {
		i   int32
		add bool
		x   uint64 // j<<16 | group
	}
	var ops []op
	for _, j32 := range classes {
		j := int(j32)
		if j >= nt.nC {
			continue
		}
		a, b := in[j].kindDiffs(pos), was[j].kindDiffs(pos)
		if sameDiffs(a, b) {
			continue
		}
		if len(a) == len(b) && slices.Equal(in[j].group, was[j].group) {
			// The same groups: only the bits that differ move.
			for g := range a {
				x := uint64(j)<<16 | uint64(g+1)
				xorDiffs(a[g], b[g], func(i int, inA bool) { ops = append(ops, op{int32(i), inA, x}) })
			}
			continue
		}
		for g, d := range b {
			for i := range d.Bits() {
				ops = append(ops, op{int32(i), false, uint64(j)<<16 | uint64(g+1)})
			}
		}
		for g, d := range a {
			for i := range d.Bits() {
				ops = append(ops, op{int32(i), true, uint64(j)<<16 | uint64(g+1)})
			}
		}
	}
	if len(ops) == 0 {
		return old
	}
	slices.SortFunc(ops, func(p, q op) int { return int(p.i) - int(q.i) })
	flips := slices.Clone(old)
	for k := 0; k < len(ops); {
		i := int(ops[k].i)
		list := slices.Clone(old[i])
		for ; k < len(ops) && int(ops[k].i) == i; k++ {
			if o := ops[k]; o.add {
				list = append(list, o.x)
			} else if n := slices.Index(list, o.x); n >= 0 {
				list = slices.Delete(list, n, n+1)
			}
		}
		slices.Sort(list)
		flips[i] = list
	}
	return flips
}

// xorDiffs calls f for every bit set in exactly one of a and b, with inA
// true when a has it.
func xorDiffs(a, b bitrow.Diff, f func(i int, inA bool)) {
	emit := func(k, x, inA uint64) {
		for ; x != 0; x &= x - 1 {
			i := int(k)<<6 | bits.TrailingZeros64(x)
			f(i, inA>>(uint(i)&63)&1 != 0)
		}
	}
	p, q := 0, 0
	for p < len(a) || q < len(b) {
		switch {
		case q == len(b) || p < len(a) && a[p] < b[q]:
			emit(a[p], a[p+1], a[p+1])
			p += 2
		case p == len(a) || b[q] < a[p]:
			emit(b[q], b[q+1], 0)
			q += 2
		default:
			emit(a[p], a[p+1]^b[q+1], a[p+1])
			p, q = p+2, q+2
		}
	}
}

// sameDiffs reports whether two lists of differences are equal.
func sameDiffs(a, b []bitrow.Diff) bool {
	return slices.EqualFunc(a, b, func(x, y bitrow.Diff) bool { return slices.Equal(x, y) })
}

// parallelRange splits [0, n) into one contiguous range per worker and
// runs fn on each, in parallel.
func parallelRange(workers, n int, fn func(lo, hi int)) {
	workers = max(1, min(workers, n))
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Go(func() { fn(lo, hi) })
	}
	wg.Wait()
}
