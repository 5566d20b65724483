package reachability

import (
	"slices"

	"github.com/netreach/netreach/internal/bitrow"
	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
)

// remapper renumbers rows of a previous universe into a new one: bit j of
// a new row is bit colMap[j] of the old row, 0 where colMap[j] is -1. The
// map is cut into runs of consecutive entries, so a row is renumbered a
// word at a time wherever the universes agree.
type remapper struct {
	runs     []run
	old, new *bitrow.Codec
	// inv[o] lists the new positions that read old position o.
	inv [][]int32
}

// run copies n bits from old position o to new position at (o < 0: zeros).
type run struct{ at, o, n int }

func newRemapper(colMap []int, oldCodec, newCodec *bitrow.Codec) *remapper {
	rm := &remapper{old: oldCodec, new: newCodec}
	for j, o := range colMap {
		if k := len(rm.runs) - 1; k >= 0 {
			last := &rm.runs[k]
			if last.o < 0 && o < 0 || last.o >= 0 && o == last.o+last.n {
				last.n++
				continue
			}
		}
		rm.runs = append(rm.runs, run{at: j, o: o, n: 1})
	}
	rm.inv = make([][]int32, 64*oldCodec.Words())
	for j, o := range colMap {
		if o >= 0 {
			rm.inv[o] = append(rm.inv[o], int32(j))
		}
	}
	return rm
}

// dense renumbers the dense row src into dst (cleared first).
func (rm *remapper) dense(dst, src []uint64) {
	clear(dst)
	for _, r := range rm.runs {
		if r.o >= 0 {
			copyBits(dst, r.at, src, r.o, r.n)
		}
	}
}

// set renumbers a compiled set.
func (rm *remapper) set(old graph.Set) graph.Set {
	s := make(graph.Set, rm.new.Words())
	rm.dense(s, old)
	return s
}

// row renumbers an encoded row; the rows of all zeros or all ones stay
// so. oldBuf and newBuf are scratch rows of the two widths.
func (rm *remapper) row(r bitrow.Row, oldBuf, newBuf []uint64) bitrow.Row {
	switch {
	case bitrow.Equal(r, rm.old.Zero()):
		return rm.new.Zero()
	case bitrow.Equal(r, rm.old.Ones()):
		return rm.new.Ones()
	}
	rm.old.Decode(r, oldBuf)
	rm.dense(newBuf, oldBuf)
	return rm.new.Encode(newBuf)
}

// diff renumbers a difference, bit by bit (differences are sparse).
func (rm *remapper) diff(d bitrow.Diff) bitrow.Diff {
	if d == nil {
		return nil
	}
	var at []int32
	for o := range d.Bits() {
		at = append(at, rm.inv[o]...)
	}
	if len(at) == 0 {
		return nil
	}
	slices.Sort(at)
	var out bitrow.Diff
	for _, j := range at {
		k, bit := uint64(j>>6), uint64(1)<<(uint(j)&63)
		if n := len(out); n > 0 && out[n-2] == k {
			out[n-1] |= bit
		} else {
			out = append(out, k, bit)
		}
	}
	return out
}

// groups renumbers the rows of a class's atom groups.
func (rm *remapper) groups(g atomGroups) atomGroups {
	out := atomGroups{group: g.group}
	if g.def != nil {
		out.def = make([]bitrow.Diff, len(g.def))
		for k, d := range g.def {
			out.def[k] = rm.diff(d)
		}
	}
	if g.pos != nil {
		out.pos = make([]bitrow.Diff, len(g.pos))
		for k, d := range g.pos {
			out.pos[k] = rm.diff(d)
		}
	}
	return out
}

// copyBits copies n bits of src from position so to dst at position do.
func copyBits(dst []uint64, do int, src []uint64, so, n int) {
	for n > 0 {
		k := min(n, 64-do&63)
		x := bitsAt(src, so)
		if k < 64 {
			x &= 1<<uint(k) - 1
		}
		w := do >> 6
		mask := ^uint64(0)
		if k < 64 {
			mask = (1<<uint(k) - 1) << uint(do&63)
		}
		dst[w] = dst[w]&^mask | x<<uint(do&63)
		do, so, n = do+k, so+k, n-k
	}
}

// bitsAt returns the 64 bits of s from position off (past the end: 0).
func bitsAt(s []uint64, off int) uint64 {
	w, b := off>>6, uint(off&63)
	x := s[w] >> b
	if b != 0 && w+1 < len(s) {
		x |= s[w+1] << (64 - b)
	}
	return x
}

// window is a set of word indexes a row evaluation is restricted to; nil
// means every word.
type window []int32

// windowOf returns the words that hold the bits of s.
func windowOf(s graph.Set) window {
	var w window
	for k, x := range s {
		if x != 0 {
			w = append(w, int32(k))
		}
	}
	return w
}

// fill sets the bits 0..n-1 of s inside the window.
func (win window) fill(s graph.Set, n int) {
	if win == nil {
		s.Fill(n)
		return
	}
	for _, k := range win {
		s[k] = fullWord(int(k), n)
	}
}

// fullWord is word k of the set {0, …, n-1}.
func fullWord(k, n int) uint64 {
	switch {
	case (k+1)<<6 <= n:
		return ^uint64(0)
	case k<<6 >= n:
		return 0
	}
	return 1<<uint(n&63) - 1
}

func (win window) clear(s graph.Set) {
	if win == nil {
		s.Clear()
		return
	}
	for _, k := range win {
		s[k] = 0
	}
}

func (win window) or(dst, src graph.Set) {
	if win == nil {
		dst.Or(src)
		return
	}
	for _, k := range win {
		dst[k] |= src[k]
	}
}

func (win window) copy(dst, src graph.Set) {
	if win == nil {
		dst.CopyFrom(src)
		return
	}
	for _, k := range win {
		dst[k] = src[k]
	}
}

func (win window) andNot(dst, src graph.Set) {
	if win == nil {
		dst.AndNot(src)
		return
	}
	for _, k := range win {
		dst[k] &^= src[k]
	}
}

// apply is the windowed form of [apply].
func (win window) apply(action policy.Action, U, out, P, cols, peers, ports graph.Set) {
	for _, k := range win {
		m := U[k] & cols[k] & peers[k]
		if ports != nil {
			m &= ports[k]
		}
		switch action {
		case policy.ActionAllow:
			out[k] |= m
		case policy.ActionPass:
			P[k] |= m
		}
		U[k] &^= m // decided, whatever the action
	}
}
