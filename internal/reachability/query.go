package reachability

import (
	"iter"

	"github.com/netreach/netreach/internal/graph"
)

// members returns, per class, its entries (endpoints), built once.
func (m *Matrix) members() [][]int32 {
	m.membersOnce.Do(func() {
		m.classMembers = make([][]int32, m.u.nC)
		for i, c := range m.classOf {
			m.classMembers[c] = append(m.classMembers[c], int32(i))
		}
	})
	return m.classMembers
}

// Row returns the entries that src can reach on port atom p (Allow
// verdicts) as a bit set over entries (endpoints, then external atoms).
// src's bit for itself is set when src is an endpoint. It costs
// O(classes/64 + allowed entries).
func (m *Matrix) Row(src, p int) graph.Set {
	n := m.Len()
	out := graph.NewSet(n)
	line := func(j int) (int, int) { return src, j }
	if src >= m.numBase() {
		m.derivedLine(out, p, true, line)
		return out
	}
	defer m.derivedLine(out, p, false, line)
	row, tmp := graph.NewSet(m.u.nU), graph.NewSet(m.u.nU)
	i := m.universeIndex(src)
	m.t.row(p, i, row, tmp, false)
	m.expand(row, out, src >= m.NumEndpoints())
	if src < m.NumEndpoints() {
		out.Add(src)
	}
	return out
}

// Column returns the entries that can reach dst on port atom p, as a bit
// set over entries. It costs O(classes + allowed entries).
func (m *Matrix) Column(dst, p int) graph.Set {
	n := m.Len()
	out := graph.NewSet(n)
	line := func(i int) (int, int) { return i, dst }
	if dst >= m.numBase() {
		m.derivedLine(out, p, true, line)
		return out
	}
	defer m.derivedLine(out, p, false, line)
	col := graph.NewSet(m.u.nU)
	j := m.universeIndex(dst)
	for i := 0; i < m.u.nU; i++ {
		if m.t.has(p, i, j, false) {
			col.Add(i)
		}
	}
	m.expand(col, out, dst >= m.NumEndpoints())
	if dst < m.NumEndpoints() {
		out.Add(dst)
	}
	return out
}

// expand turns a set over the universe (classes, then atoms) into a set
// over entries. Atoms are left out when the other side is an atom too.
func (m *Matrix) expand(u, out graph.Set, fromAtom bool) {
	members := m.members()
	nE := m.NumEndpoints()
	for c := range u.All() {
		if c < m.u.nC {
			for _, e := range members[c] {
				out.Add(int(e))
			}
		} else if !fromAtom {
			out.Add(nE + c - m.u.nC)
		}
	}
}

// FlowIndex is one allowed pair of entries on a port atom.
type FlowIndex struct {
	Src, Dst, Port int
}

// Flows iterates over every allowed flow (Allow verdicts) of the matrix,
// by port atom, source, then destination, expanding classes to endpoints
// as it goes; nothing is built in memory. Pairs of two external atoms are
// left out.
func (m *Matrix) Flows() iter.Seq[FlowIndex] {
	return func(yield func(FlowIndex) bool) {
		for p := range m.ports {
			for src := 0; src < m.Len(); src++ {
				row := m.Row(src, p)
				for dst := range row.All() {
					if !yield(FlowIndex{src, dst, p}) {
						return
					}
				}
			}
		}
	}
}

// derivedLine adds to out every entry k such that the pair pair(k)
// involves a derived entry and is allowed on port atom p. With a derived
// line (from >= numBase) every entry is tried, else only the derived
// ones. It costs what the layer's verdicts cost, per entry tried.
func (m *Matrix) derivedLine(out graph.Set, p int, all bool, pair func(k int) (int, int)) {
	from := m.numBase()
	if all {
		from = 0
	}
	for k := from; k < m.Len(); k++ {
		i, j := pair(k)
		if m.isPolicedPair(i, j) && m.At(i, j, p) == Allow {
			out.Add(k)
		}
	}
}
