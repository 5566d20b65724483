package reachability

import (
	"github.com/netreach/netreach/internal/bitrow"
	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
)

// The verdict tensor is kept in factored form, never assembled:
//
//	verdict(i → j on atom a) = Eₐ(i)[j] AND Iₐ(j)[i]
//
// where Eₐ(i) is the egress side of source i (over destinations) and Iₐ(j)
// the ingress side of destination j (over sources). Each side of a class
// is stored once for the group of port atoms of the base atom — E by rows,
// I both by rows (kept for updates) and transposed (Iᵀ, by source, so that
// a row of the matrix is one AND of two rows) — and every other group of
// atoms the class's rules tell apart as its XOR difference from that base
// row (a few words: a DNS or metrics port rarely changes more).
//
//	         destinations j
//	source i  E(i)  ∧  Iᵀ(i)   ← both rows compressed (bitrow.Row)
//	            ⊕          ⊕
//	    egress diff     ingress diffs of the destinations whose group on
//	    of i's group    atom a is not the base one, transposed ("flips")
//
// Rows are compressed (runs of zero or one words take two bits each) and
// immutable, so an update builds a new tensor that shares every row it
// did not change with the previous one.

// tensor holds the verdicts of a matrix. It is immutable once built.
type tensor struct {
	nC, nU int
	codec  *bitrow.Codec
	all    bitrow.Row // the row of every entry
	def    *factors   // allowed for sure
	pos    *factors   // possibly allowed; nil without conditional rules
	// groups[d][c] are the port-atom groups of class c in direction d.
	groups [2][]atomGroups
}

// factors are the rows of one kind of verdict (definite or possible).
type factors struct {
	eg  []bitrow.Row // [entry]: egress side of each source, base group; all ones for external atoms and host-network classes
	inT []bitrow.Row // [entry]: Iᵀ, the base ingress rows transposed: bit j of row i is I(j)[i]; ones for external destinations
	in  []bitrow.Row // [class]: base ingress rows; kept only for updates
	// flips[i] lists, as j<<16 | g, the destination classes j whose
	// ingress row of group g ≥ 1 differs from their base row at source i.
	flips [][]uint64
}

// atomGroups are the rows of one class and direction for every port atom:
// group[a] is the group of atom a, 0 being the base atom's group, whose
// row is the class's base row; def[g-1] and pos[g-1] are the XOR
// differences of group g's rows from the base rows. group is nil when
// every atom reads the base row.
type atomGroups struct {
	group    []uint16
	def, pos []bitrow.Diff
}

// diff returns the difference of port atom a's row from the base row.
func (g *atomGroups) diff(a int, pos bool) bitrow.Diff {
	if g.group == nil || g.group[a] == 0 {
		return nil
	}
	if pos {
		return g.pos[g.group[a]-1]
	}
	return g.def[g.group[a]-1]
}

func (t *tensor) kind(pos bool) *factors {
	if pos {
		return t.pos
	}
	return t.def
}

// has reports the verdict bit of source i to destination j on port atom
// a (definite, or possible when pos). It is O(1) plus two binary searches
// in short differences.
func (t *tensor) has(a, i, j int, pos bool) bool {
	f := t.kind(pos)
	e := f.eg[i].Has(j)
	if i < t.nC {
		if d := t.groups[policy.Egress][i].diff(a, pos); d != nil && d.Has(j) {
			e = !e
		}
	}
	if !e {
		return false
	}
	n := f.inT[i].Has(j)
	if j < t.nC {
		if d := t.groups[policy.Ingress][j].diff(a, pos); d != nil && d.Has(i) {
			n = !n
		}
	}
	return n
}

// row writes row i of port atom a into dst; tmp is scratch of the same
// size. It is O(universe/64 + flips of i).
func (t *tensor) row(a, i int, dst, tmp graph.Set, pos bool) {
	f := t.kind(pos)
	t.codec.Decode(f.eg[i], dst)
	if i < t.nC {
		t.groups[policy.Egress][i].diff(a, pos).Apply(dst)
	}
	t.codec.Decode(f.inT[i], tmp)
	t.applyFlips(f.flips[i], a, tmp)
	dst.And(tmp)
}

// applyFlips turns Iᵀ(i) of the base groups into Iᵀ(i) of port atom a.
func (t *tensor) applyFlips(flips []uint64, a int, dst graph.Set) {
	in := t.groups[policy.Ingress]
	for _, x := range flips {
		if j := int(x >> 16); in[j].group[a] == uint16(x) {
			dst[j>>6] ^= 1 << (uint(j) & 63)
		}
	}
}

// rowsOr ORs into dst the rows of source i on the given port atoms.
func (t *tensor) rowsOr(i int, atoms []int, dst, tmp, base graph.Set, pos bool) {
	f := t.kind(pos)
	baseDone := false
	for _, a := range atoms {
		differs := i < t.nC && t.groups[policy.Egress][i].diff(a, pos) != nil
		if !differs {
			in := t.groups[policy.Ingress]
			for _, x := range f.flips[i] {
				if in[int(x>>16)].group[a] == uint16(x) {
					differs = true
					break
				}
			}
		}
		if differs {
			t.row(a, i, base, tmp, pos)
			dst.Or(base)
			continue
		}
		if !baseDone {
			t.codec.Decode(f.eg[i], base)
			t.codec.Decode(f.inT[i], tmp)
			base.And(tmp)
			dst.Or(base)
			baseDone = true
		}
	}
}

// transposeIngress builds Iᵀ and the flips from the ingress rows.
func (t *tensor) transposeIngress(f *factors, pos bool, workers int) {
	nC := t.nC
	f.inT = bitrow.Transpose(f.in, t.codec, t.nU, t.codec, workers, func(_ int, w []uint64) {
		// External destinations accept every source.
		addRange(w, nC, t.nU)
	})
	f.flips = t.buildFlips(pos)
}

// buildFlips lists, per source, the ingress differences that cover it.
func (t *tensor) buildFlips(pos bool) [][]uint64 {
	counts := make([]int32, t.nU)
	total := 0
	in := t.groups[policy.Ingress]
	for j := range in {
		for _, d := range in[j].kindDiffs(pos) {
			for i := range d.Bits() {
				counts[i]++
				total++
			}
		}
	}
	flips := make([][]uint64, t.nU)
	if total == 0 {
		return flips
	}
	backing := make([]uint64, total)
	off := 0
	for i, n := range counts {
		if n > 0 {
			flips[i] = backing[off : off : off+int(n)]
			off += int(n)
		}
	}
	for j := range in {
		for g, d := range in[j].kindDiffs(pos) {
			for i := range d.Bits() {
				flips[i] = append(flips[i], uint64(j)<<16|uint64(g+1))
			}
		}
	}
	return flips
}

func (g *atomGroups) kindDiffs(pos bool) []bitrow.Diff {
	if pos {
		return g.pos
	}
	return g.def
}

// addRange sets the bits lo..hi-1 of s.
func addRange(s []uint64, lo, hi int) {
	for i := lo; i < hi; {
		if i&63 == 0 && i+64 <= hi {
			s[i>>6] = ^uint64(0)
			i += 64
			continue
		}
		s[i>>6] |= 1 << (uint(i) & 63)
		i++
	}
}
