package reachability

import (
	"math/bits"
	"sync"

	"github.com/netreach/netreach/graph"
)

// pairCounter counts allowed endpoint pairs from class matrices, weighting
// each class by its number of endpoints, without expanding to endpoints.
type pairCounter struct {
	once    sync.Once
	mu      sync.Mutex
	size    []int64  // endpoints per class
	buckets []bucket // classes grouped by size, for weighted popcounts
	// colW[a] holds, per class c, Σ_i size_i over the classes i allowed to
	// reach c on atom a (index -1 is the base); sum[a] is Σ_c size_c·colW.
	colW map[int][]int64
	sum  map[int]int64
}

type bucket struct {
	weight int64
	set    graph.Set
}

// weight returns Σ_j size_j over the classes set in row.
func (pc *pairCounter) weight(row graph.Set) int64 {
	var w int64
	for _, b := range pc.buckets {
		n := 0
		for k, x := range b.set {
			n += bits.OnesCount64(x & row[k])
		}
		w += b.weight * int64(n)
	}
	return w
}

func (m *Matrix) preparePairs() {
	pc := &m.pairs
	nC, nU := m.u.nC, m.u.nU
	pc.size = make([]int64, nC)
	for _, c := range m.classOf {
		pc.size[c]++
	}
	bySize := map[int64]graph.Set{}
	var order []int64
	for c, s := range pc.size {
		set, ok := bySize[s]
		if !ok {
			set = graph.NewSet(nU)
			bySize[s] = set
			order = append(order, s)
		}
		set.Add(c)
	}
	for _, s := range order {
		pc.buckets = append(pc.buckets, bucket{s, bySize[s]})
	}
	bt := m.def.base.Transpose()
	w := make([]int64, nC)
	for c := 0; c < nC; c++ {
		w[c] = pc.weight(bt.Row(c))
	}
	pc.colW = map[int][]int64{-1: w}
	pc.sum = map[int]int64{-1: pc.total(w)}
}

func (pc *pairCounter) total(w []int64) int64 {
	var s int64
	for c, x := range w {
		s += pc.size[c] * x
	}
	return s
}

// atomSum returns Σ size_i·size_j over the allowed class pairs (i, j) of
// port atom p, derived from its reference's column weights.
func (m *Matrix) atomSum(p int) int64 {
	pc := &m.pairs
	st := m.def
	a := &st.atoms[p]
	if a.same {
		return pc.sum[-1]
	}
	if s, ok := pc.sum[p]; ok {
		return s
	}
	ref := a.ref
	if ref >= 0 {
		m.atomSum(ref)
	}
	nC := m.u.nC
	w := append([]int64(nil), pc.colW[ref]...)
	old := graph.NewSet(m.u.nU)
	if a.rowIdx != nil {
		for r := 0; r < nC; r++ {
			k := a.rowIdx[r]
			if k < 0 {
				continue
			}
			if ref >= 0 {
				st.row(ref, r, old)
			} else {
				old.CopyFrom(st.base.Row(r))
			}
			row := a.rows[k]
			for i := range row {
				x := row[i] ^ old[i]
				for x != 0 {
					j := i<<6 + bits.TrailingZeros64(x)
					x &= x - 1
					if j >= nC {
						break
					}
					if row.Has(j) {
						w[j] += pc.size[r]
					} else {
						w[j] -= pc.size[r]
					}
				}
			}
		}
	}
	if a.colIdx != nil {
		for c := 0; c < nC; c++ {
			if k := a.colIdx[c]; k >= 0 {
				w[c] = pc.weight(a.cols[k])
			}
		}
	}
	pc.colW[p] = w
	pc.sum[p] = pc.total(w)
	return pc.sum[p]
}

// AllowedPairs returns the number of ordered pairs of endpoints (a pod
// and itself included, external atoms excluded) allowed for sure on port
// atom p. It works on classes and the stored differences, so it stays
// cheap for very large clusters; the first call prepares weights in
// O(classes²/64).
func (m *Matrix) AllowedPairs(p int) int64 {
	pc := &m.pairs
	pc.once.Do(m.preparePairs)
	pc.mu.Lock()
	count := m.atomSum(p)
	pc.mu.Unlock()
	// A pod always reaches itself; the class bit (i, i) counts the pairs
	// inside a class, self included, only when set.
	for i := 0; i < m.u.nC; i++ {
		if !m.def.has(p, i, i) {
			count += pc.size[i]
		}
	}
	return count
}
