package bitrow

import (
	"iter"
	"math/bits"
	"sort"
)

// Diff is the XOR difference of two dense rows of the same length: the
// words where they differ, as (index, a XOR b) pairs in increasing index
// order, flattened into one slice. The empty (nil) Diff means "equal". A
// Diff is immutable and safe for concurrent use.
type Diff []uint64

// DiffOf returns the difference of a and b, which must have the same
// length. It is O(words) and allocates only when they differ.
func DiffOf(a, b []uint64) Diff {
	n := 0
	for k, w := range a {
		if w != b[k] {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	d := make(Diff, 0, 2*n)
	for k, w := range a {
		if x := w ^ b[k]; x != 0 {
			d = append(d, uint64(k), x)
		}
	}
	return d
}

// Len returns the number of words that differ.
func (d Diff) Len() int { return len(d) / 2 }

// Apply XORs the difference into dst, turning one side into the other.
// It is O(Len()).
func (d Diff) Apply(dst []uint64) {
	for i := 0; i < len(d); i += 2 {
		dst[d[i]] ^= d[i+1]
	}
}

// Word returns the XOR word at index k (0 where the rows agree). It is
// O(log Len()).
func (d Diff) Word(k int) uint64 {
	n := len(d) / 2
	i := sort.Search(n, func(i int) bool { return d[2*i] >= uint64(k) })
	if i < n && d[2*i] == uint64(k) {
		return d[2*i+1]
	}
	return 0
}

// Has reports whether bit i differs. It is O(log Len()).
func (d Diff) Has(i int) bool { return d.Word(i>>6)>>(uint(i)&63)&1 != 0 }

// Bits iterates over the positions of the bits that differ, in
// increasing order.
func (d Diff) Bits() iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; i < len(d); i += 2 {
			base := int(d[i]) << 6
			for w := d[i+1]; w != 0; w &= w - 1 {
				if !yield(base + bits.TrailingZeros64(w)) {
					return
				}
			}
		}
	}
}

// Count returns the number of bits that differ.
func (d Diff) Count() int {
	n := 0
	for i := 1; i < len(d); i += 2 {
		n += bits.OnesCount64(d[i])
	}
	return n
}

// Size returns the memory the difference takes, in bytes.
func (d Diff) Size() int { return 8 * len(d) }

// EqualDiffs reports whether two differences are the same.
func EqualDiffs(a, b Diff) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
