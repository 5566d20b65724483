package graph

import (
	"iter"
	"math/bits"
	"slices"
)

// Set is a fixed-size bitset: bit i lives in word i/64 at position i%64.
// It is a plain slice, so a Set can be a view into a [Matrix] row (see
// [Matrix.Row]) and writes through it change the matrix.
//
// The zero Set (nil) is the empty set over an empty universe. Binary
// operations expect both operands to come from the same universe, that is
// to have the same length; they panic if the argument is shorter than the
// receiver and ignore any extra words. No operation allocates.
//
// A Set is safe for concurrent reads; writes need exclusive access.
type Set []uint64

// Words returns the number of 64-bit words that hold n bits, (n+63)/64.
// n must not be negative.
func Words(n int) int { return (n + 63) >> 6 }

// NewSet returns an empty Set with room for bits 0..n-1. It panics if n is
// negative. NewSet is O(n/64) and allocates once.
func NewSet(n int) Set {
	if n < 0 {
		panic("graph: NewSet: negative size")
	}
	return make(Set, Words(n))
}

// Has reports whether bit i is set. It panics if i is negative or
// i/64 >= len(s). Has is O(1).
func (s Set) Has(i int) bool {
	return s[uint(i)>>6]&(1<<(uint(i)&63)) != 0
}

// Add sets bit i. It panics if i is negative or i/64 >= len(s). Add is O(1).
func (s Set) Add(i int) {
	s[uint(i)>>6] |= 1 << (uint(i) & 63)
}

// Remove clears bit i. It panics if i is negative or i/64 >= len(s).
// Remove is O(1).
func (s Set) Remove(i int) {
	s[uint(i)>>6] &^= 1 << (uint(i) & 63)
}

// Count returns the number of set bits. Count is O(n/64).
func (s Set) Count() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// IsEmpty reports whether no bit is set. IsEmpty is O(n/64) and stops at
// the first non-zero word.
func (s Set) IsEmpty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

// Clear clears every bit. Clear is O(n/64).
func (s Set) Clear() { clear(s) }

// Fill makes s the set {0, …, n-1}: bits below n are set and every other
// bit is cleared. It panics if n is negative or greater than 64*len(s).
// Fill is O(n/64).
func (s Set) Fill(n int) {
	if n < 0 || n > len(s)<<6 {
		panic("graph: Set.Fill: size out of range")
	}
	full := n >> 6
	for i := range full {
		s[i] = ^uint64(0)
	}
	clear(s[full:])
	if r := n & 63; r != 0 {
		s[full] = 1<<r - 1
	}
}

// Or sets s to the union s ∪ x. Or is O(n/64).
func (s Set) Or(x Set) {
	if len(s) == 0 {
		return
	}
	_ = x[len(s)-1]
	for i := range s {
		s[i] |= x[i]
	}
}

// And sets s to the intersection s ∩ x. And is O(n/64).
func (s Set) And(x Set) {
	if len(s) == 0 {
		return
	}
	_ = x[len(s)-1]
	for i := range s {
		s[i] &= x[i]
	}
}

// AndNot sets s to the difference s \ x. AndNot is O(n/64).
func (s Set) AndNot(x Set) {
	if len(s) == 0 {
		return
	}
	_ = x[len(s)-1]
	for i := range s {
		s[i] &^= x[i]
	}
}

// CopyFrom overwrites s with the bits of x. CopyFrom is O(n/64).
func (s Set) CopyFrom(x Set) {
	if len(s) == 0 {
		return
	}
	_ = x[len(s)-1]
	copy(s, x)
}

// Equal reports whether s and x have the same length and the same bits.
// Equal is O(n/64).
func (s Set) Equal(x Set) bool { return slices.Equal(s, x) }

// Intersects reports whether s and x have a set bit in common. Intersects
// is O(n/64) and stops at the first common word.
func (s Set) Intersects(x Set) bool {
	if len(s) == 0 {
		return false
	}
	_ = x[len(s)-1]
	for i := range s {
		if s[i]&x[i] != 0 {
			return true
		}
	}
	return false
}

// Next returns the smallest set bit that is at least i, and true; or 0 and
// false when there is none. A negative i behaves like 0. Next is O(n/64) in
// the worst case.
//
// Loop over the set bits with
//
//	for i, ok := s.Next(0); ok; i, ok = s.Next(i + 1) { … }
//
// or, more simply, with [Set.All].
func (s Set) Next(i int) (int, bool) {
	i = max(i, 0)
	w := i >> 6
	if w >= len(s) {
		return 0, false
	}
	if word := s[w] >> (uint(i) & 63); word != 0 {
		return i + bits.TrailingZeros64(word), true
	}
	for w++; w < len(s); w++ {
		if s[w] != 0 {
			return w<<6 + bits.TrailingZeros64(s[w]), true
		}
	}
	return 0, false
}

// All returns an iterator over the set bits in increasing order. Iterating
// is O(n/64 + Count()). The iterator reads s one word at a time, so bits
// changed during iteration may or may not be seen.
func (s Set) All() iter.Seq[int] {
	return func(yield func(int) bool) {
		for wi, w := range s {
			for w != 0 {
				if !yield(wi<<6 + bits.TrailingZeros64(w)) {
					return
				}
				w &= w - 1
			}
		}
	}
}
