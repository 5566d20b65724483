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
	size    []int64  // endpoints per class
	buckets []bucket // classes grouped by size, for weighted popcounts
	colW    []int64  // per class: weighted sources allowed by the base
	baseSum int64    // Σ_i size_i × W(base row i)
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
	base := m.def.base
	for i := 0; i < nC; i++ {
		pc.baseSum += pc.size[i] * pc.weight(base.Row(i))
	}
	// Column weights of the base, through its transpose.
	bt := base.Transpose()
	pc.colW = make([]int64, nC)
	for c := 0; c < nC; c++ {
		pc.colW[c] = pc.weight(bt.Row(c))
	}
}

// AllowedPairs returns the number of ordered pairs of endpoints (a pod
// and itself included, external atoms excluded) allowed for sure on port
// atom p. It works on classes and the stored differences, so it stays
// cheap for very large clusters; the first call prepares weights in
// O(classes²/64).
func (m *Matrix) AllowedPairs(p int) int64 {
	pc := &m.pairs
	pc.once.Do(m.preparePairs)
	nC := m.u.nC
	st := m.def
	a := &st.atoms[p]
	count := pc.baseSum
	if !a.same {
		var R []int
		if a.rowIdx != nil {
			for i := 0; i < nC; i++ {
				if k := a.rowIdx[i]; k >= 0 {
					R = append(R, i)
					count += pc.size[i] * (pc.weight(a.rows[k]) - pc.weight(st.base.Row(i)))
				}
			}
		}
		if a.colIdx != nil {
			for c := 0; c < nC; c++ {
				k := a.colIdx[c]
				if k < 0 {
					continue
				}
				// Column c outside the replaced rows: new weight minus the
				// base's, both over the sources not in R.
				newW := pc.weight(a.cols[k])
				oldW := pc.colW[c]
				for _, i := range R {
					if a.cols[k].Has(i) {
						newW -= pc.size[i]
					}
					if st.base.Has(i, c) {
						oldW -= pc.size[i]
					}
				}
				count += pc.size[c] * (newW - oldW)
			}
		}
	}
	// A pod always reaches itself; the class bit (i, i) counts the pairs
	// inside a class, self included, only when set.
	for i := 0; i < nC; i++ {
		if !st.has(p, i, i) {
			count += pc.size[i]
		}
	}
	return count
}
