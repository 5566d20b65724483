package reachability

import (
	"math/bits"
	"runtime"
	"slices"
	"sync"

	"github.com/netreach/netreach/internal/policy"
)

// pairCounter counts allowed endpoint pairs from class rows, weighting
// each class by its number of endpoints, without expanding to endpoints.
type pairCounter struct {
	once sync.Once
	size []int64 // endpoints per class
	// The class sizes bit-sliced, per word of classes, keeping only the
	// planes that are not zero: for word k, planes[j] for j in
	// start[k]..start[k+1]-1 has bit i set when bit shift[j] of the size
	// of class 64k+i is, so the weight of a word x of classes is
	// Σ_j popcount(x & planes[j]) << shift[j]. Most sizes are small,
	// so most words have one or two planes.
	planes []uint64
	shift  []uint8
	start  []int32
	// count[a] is the number of allowed ordered endpoint pairs on port
	// atom a (see [Matrix.AllowedPairs]).
	count []int64
}

// atomsByGroup lists, per class with ingress groups, its port atoms sorted
// by group, so that a flip of group g reads only the atoms where the class
// has g: those of class j are atoms[off[j]+start[j][g] :
// off[j]+start[j][g+1]]. It takes about twice the memory of the groups.
type atomsByGroup struct {
	atoms []int32
	off   []int32
	start [][]int32
}

func newAtomsByGroup(groups []atomGroups, nA int) *atomsByGroup {
	ag := &atomsByGroup{off: make([]int32, len(groups)), start: make([][]int32, len(groups))}
	for j := range groups {
		grp := groups[j].group
		if grp == nil {
			continue
		}
		most := 0
		for _, g := range grp[:nA] {
			most = max(most, int(g))
		}
		st := make([]int32, most+2)
		for _, g := range grp[:nA] {
			st[int(g)+1]++
		}
		for g := 1; g < len(st); g++ {
			st[g] += st[g-1]
		}
		base := len(ag.atoms)
		ag.off[j], ag.start[j] = int32(base), st
		ag.atoms = append(ag.atoms, make([]int32, nA)...)
		next := slices.Clone(st[:most+1])
		for a, g := range grp[:nA] {
			ag.atoms[base+int(next[g])] = int32(a)
			next[g]++
		}
	}
	return ag
}

// of returns the port atoms where class j has ingress group g.
func (ag *atomsByGroup) of(j int, g uint16) []int32 {
	st := ag.start[j]
	if int(g)+1 >= len(st) {
		return nil
	}
	o := int(ag.off[j])
	return ag.atoms[o+int(st[g]) : o+int(st[g+1])]
}

// wordWeight returns Σ size_j over the classes j set in x, word k of a
// row.
func (pc *pairCounter) wordWeight(k int, x uint64) int64 {
	if x == 0 {
		return 0
	}
	var w int64
	j0, j1 := pc.start[k], pc.start[k+1]
	ps, sh := pc.planes[j0:j1], pc.shift[j0:j1]
	for j, p := range ps {
		w += int64(bits.OnesCount64(x&p)) << sh[j]
	}
	return w
}

// andWeight returns Σ size_j over the classes j set in both a and b.
func (pc *pairCounter) andWeight(a, b []uint64) int64 {
	var w int64
	b = b[:len(a)]
	for k, x := range a {
		w += pc.wordWeight(k, x&b[k])
	}
	return w
}

// preparePairs counts the allowed pairs of every port atom in one pass
// over the classes, split between workers: per source class, the weight
// of its base row (egress row AND transposed ingress row), corrected per
// egress group by the words its difference touches, then per port atom by
// the destinations whose ingress group flips the bit.
func (m *Matrix) preparePairs() {
	pc := &m.pairs
	nC := m.u.nC
	t := m.t
	nA := len(m.ports)
	pc.size = make([]int64, nC)
	var most int64
	for _, c := range m.classOf {
		pc.size[c]++
		most = max(most, pc.size[c])
	}
	nW := t.codec.Words()
	nb := bits.Len64(uint64(most))
	plane := make([]uint64, nb)
	pc.start = make([]int32, nW+1)
	for k := 0; k < nW; k++ {
		clear(plane)
		for c := k << 6; c < min(nC, (k+1)<<6); c++ {
			for s, b := pc.size[c], 0; s>>b != 0; b++ {
				if s>>b&1 != 0 {
					plane[b] |= 1 << (uint(c) & 63)
				}
			}
		}
		for b, p := range plane {
			if p != 0 {
				pc.planes = append(pc.planes, p)
				pc.shift = append(pc.shift, uint8(b))
			}
		}
		pc.start[k+1] = int32(len(pc.planes))
	}
	workers := m.opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, nC))
	pc.count = make([]int64, nA)
	var mu sync.Mutex
	ag := newAtomsByGroup(t.groups[policy.Ingress], nA)
	inParallel(workers, nC, func(lo, hi int) {
		count := make([]int64, nA)
		pc.countClasses(t, ag, lo, hi, count)
		mu.Lock()
		defer mu.Unlock()
		for a, n := range count {
			pc.count[a] += n
		}
	})
}

// countClasses adds to count, per port atom, the allowed pairs whose
// source lies in classes lo .. hi-1.
func (pc *pairCounter) countClasses(t *tensor, ag *atomsByGroup, lo, hi int, count []int64) {
	nA := len(count)
	f := t.def
	in := t.groups[policy.Ingress]
	eg := make([]uint64, t.codec.Words())
	inT := make([]uint64, t.codec.Words())
	w := make([]int64, nA)
	self := make([]bool, nA)
	var groupW []int64
	for i := lo; i < hi; i++ {
		size := pc.size[i]
		if size == 0 {
			continue
		}
		t.codec.Decode(f.eg[i], eg)
		t.codec.Decode(f.inT[i], inT)
		base := pc.andWeight(eg, inT)
		egGroups := &t.groups[policy.Egress][i]
		// groupW[e] is the weight of the row of egress group e (0: base).
		groupW = append(groupW[:0], base)
		for _, d := range egGroups.def {
			gw := base
			for n := 0; n < len(d); n += 2 {
				k, x := int(d[n]), d[n+1]
				gw += pc.wordWeight(k, (eg[k]^x)&inT[k]) - pc.wordWeight(k, eg[k]&inT[k])
			}
			groupW = append(groupW, gw)
		}
		egHas := func(a, j int) bool {
			b := eg[j>>6]>>(uint(j)&63)&1 != 0
			if d := egGroups.diff(a, false); d != nil && d.Has(j) {
				b = !b
			}
			return b
		}
		inSelf := inT[i>>6]>>(uint(i)&63)&1 != 0
		for a := range w {
			e := 0
			if egGroups.group != nil {
				e = int(egGroups.group[a])
			}
			w[a] = groupW[e]
			self[a] = inSelf
		}
		for _, x := range f.flips[i] {
			j, g := int(x>>16), uint16(x)
			grp := in[j].group
			if grp == nil {
				continue
			}
			var sj int64
			if j < len(pc.size) {
				sj = pc.size[j]
			}
			if inT[j>>6]>>(uint(j)&63)&1 != 0 {
				sj = -sj
			}
			for _, a32 := range ag.of(j, g) {
				a := int(a32)
				if j == i {
					self[a] = !self[a]
				}
				if sj != 0 && egHas(a, j) {
					w[a] += sj
				}
			}
		}
		for a := range w {
			count[a] += size * w[a]
			// A pod always reaches itself; the class bit (i, i) counts
			// the pairs inside a class, self included, only when set.
			if !self[a] || !egHas(a, i) {
				count[a] += size
			}
		}
	}
}

// AllowedPairs returns the number of ordered pairs of endpoints (a pod
// and itself included, external atoms excluded) allowed for sure on port
// atom p. It works on classes and the stored differences, so it stays
// cheap for very large clusters; the first call counts every port atom,
// in O(classes²/64 + differences) split between the workers.
func (m *Matrix) AllowedPairs(p int) int64 {
	m.pairs.once.Do(m.preparePairs)
	return m.pairs.count[p]
}
