package reachability

import (
	"encoding/binary"
	"iter"

	"github.com/netreach/netreach/internal/policy"
)

// ExternalReach is what the endpoints of one class may open to one
// external atom: the connections [Matrix.Connections] returns for any
// endpoint of the class and the atom's entry.
type ExternalReach struct {
	// Class is the endpoints' class (see [Matrix.ClassOf]); Atom indexes
	// [Matrix.ExternalAtoms].
	Class, Atom int
	// Set numbers the distinct pairs of connections of one iteration:
	// values with the same Set have the same port atoms allowed and
	// conditional, so equal Allowed and Conditional connections, which
	// share their storage (callers must not modify them).
	Set                  int
	Allowed, Conditional Connections
}

// ExternalReach returns, class by class and atom by atom (both in
// increasing order), the external atoms each class of endpoints may open
// some connection to; atoms with neither allowed nor conditional
// connections are left out. It reads each class's egress rows once per
// group of port atoms its rules tell apart and tests bits, instead of one
// verdict per (atom, port atom) as Connections does: O(classes ×
// (universe/64 + atoms × port atoms/64)), plus one connection set built
// per distinct set of port atoms. The iteration allocates only for new
// sets.
func (m *Matrix) ExternalReach() iter.Seq[ExternalReach] {
	return func(yield func(ExternalReach) bool) {
		t := m.t
		nA, nP := t.nU-t.nC, len(m.ports)
		if nA <= 0 || nP == 0 {
			return
		}
		scope := m.ConnectionScope()
		pw := (nP + 63) / 64
		var defRows, posRows groupRows
		var masks [][]uint64
		def, pos, cond := make([]uint64, pw), make([]uint64, pw), make([]uint64, pw)
		type pair struct{ allowed, conditional Connections }
		sets := map[string]int{}
		var pairs []pair
		key := make([]byte, 0, 16*pw)
		has := func(s []uint64) func(int) bool {
			return func(p int) bool { return s[p>>6]>>(uint(p)&63)&1 != 0 }
		}
		for c := 0; c < t.nC; c++ {
			g := &t.groups[policy.Egress][c]
			defRows.decode(t, c, g, false)
			if t.pos != nil {
				posRows.decode(t, c, g, true)
			}
			defRows.groupMasks(g, nP, &masks)
			for k := range nA {
				j := t.nC + k
				defRows.portsOf(j, masks, def)
				clear(pos)
				if t.pos != nil {
					posRows.portsOf(j, masks, pos)
				}
				some := false
				for w := range cond {
					cond[w] = pos[w] &^ def[w]
					some = some || def[w] != 0 || cond[w] != 0
				}
				if !some {
					continue
				}
				key = key[:0]
				for _, w := range def {
					key = binary.LittleEndian.AppendUint64(key, w)
				}
				for _, w := range cond {
					key = binary.LittleEndian.AppendUint64(key, w)
				}
				id, ok := sets[string(key)]
				if !ok {
					id = len(pairs)
					sets[string(key)] = id
					pairs = append(pairs, pair{connectionsOf(m.ports, scope, has(def)), connectionsOf(m.ports, scope, has(cond))})
				}
				if !yield(ExternalReach{Class: c, Atom: k, Set: id, Allowed: pairs[id].allowed, Conditional: pairs[id].conditional}) {
					return
				}
			}
		}
	}
}

// groupRows holds one class's decoded egress rows of one kind, one per
// group of port atoms: rows[0] is the base row, rows[g] the base row with
// group g's difference applied. Its buffers are reused from class to
// class.
type groupRows struct {
	rows [][]uint64
	n    int // rows in use
}

// decode fills the rows of class c (definite, or possible when pos).
func (r *groupRows) decode(t *tensor, c int, g *atomGroups, pos bool) {
	diffs := g.kindDiffs(pos)
	n := t.codec.Words()
	for len(r.rows) < 1+len(diffs) {
		r.rows = append(r.rows, make([]uint64, n))
	}
	t.codec.Decode(t.kind(pos).eg[c], r.rows[0])
	for i, d := range diffs {
		copy(r.rows[i+1], r.rows[0])
		d.Apply(r.rows[i+1])
	}
	r.n = 1 + len(diffs)
}

// groupMasks sets masks[g] to the port atoms 0..nP-1 of group g of class
// c's port atoms, for every group of decoded rows.
func (r *groupRows) groupMasks(g *atomGroups, nP int, masks *[][]uint64) {
	pw := (nP + 63) / 64
	for len(*masks) < len(r.rows) {
		*masks = append(*masks, make([]uint64, pw))
	}
	for _, m := range *masks {
		clear(m)
	}
	for p := range nP {
		gr := 0
		if g.group != nil {
			gr = int(g.group[p])
		}
		(*masks)[gr][p>>6] |= 1 << (uint(p) & 63)
	}
}

// portsOf sets in dst (cleared first) the port atoms whose row, the row
// of the atom's group, has bit j: the union of the masks of the groups
// whose rows have it. It is O(groups × port atoms/64).
func (r *groupRows) portsOf(j int, masks [][]uint64, dst []uint64) {
	clear(dst)
	w, b := j>>6, uint(j)&63
	for gr, row := range r.rows[:r.n] {
		if row[w]>>b&1 != 0 {
			for k, x := range masks[gr] {
				dst[k] |= x
			}
		}
	}
}
