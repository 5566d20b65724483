package reachability

import (
	"math/bits"
	"sync"

	"github.com/netreach/netreach/internal/graph"
	"github.com/netreach/netreach/internal/policy"
)

// pairCounter counts allowed endpoint pairs from class rows, weighting
// each class by its number of endpoints, without expanding to endpoints.
type pairCounter struct {
	once    sync.Once
	mu      sync.Mutex
	size    []int64  // endpoints per class
	buckets []bucket // classes grouped by size, for weighted popcounts
	// base[i] is Σ_j size_j over the classes j that class i reaches on
	// its base rows; sum[a] is Σ size_i·size_j over the class pairs
	// allowed on port atom a.
	base []int64
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
	t := m.t
	row, tmp := graph.NewSet(nU), graph.NewSet(nU)
	pc.base = make([]int64, nC)
	for i := 0; i < nC; i++ {
		t.codec.Decode(t.def.eg[i], row)
		t.codec.Decode(t.def.inT[i], tmp)
		row.And(tmp)
		pc.base[i] = pc.weight(row)
	}
	pc.sum = map[int]int64{}
}

// atomSum returns Σ size_i·size_j over the allowed class pairs (i, j) of
// port atom p: each class's base weight, corrected by the ingress groups
// of p that differ at it, or recounted when its own egress group differs.
func (m *Matrix) atomSum(p int) int64 {
	pc := &m.pairs
	if s, ok := pc.sum[p]; ok {
		return s
	}
	t, f := m.t, m.t.def
	in := t.groups[policy.Ingress]
	row, tmp := graph.NewSet(m.u.nU), graph.NewSet(m.u.nU)
	var sum int64
	for i := 0; i < m.u.nC; i++ {
		if pc.size[i] == 0 {
			continue
		}
		w := pc.base[i]
		if t.groups[policy.Egress][i].diff(p, false) != nil {
			t.row(p, i, row, tmp, false)
			w = pc.weight(row)
		} else {
			for _, x := range f.flips[i] {
				j := int(x >> 16)
				if in[j].group[p] != uint16(x) || !f.eg[i].Has(j) {
					continue
				}
				if f.inT[i].Has(j) {
					w -= pc.size[j]
				} else {
					w += pc.size[j]
				}
			}
		}
		sum += pc.size[i] * w
	}
	pc.sum[p] = sum
	return sum
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
		if !m.t.has(p, i, i, false) {
			count += pc.size[i]
		}
	}
	return count
}
