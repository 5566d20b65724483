// Package bitrow stores the rows of large, mostly uniform bit matrices
// compactly: a [Row] keeps the 64-bit words that are all zeros or all ones
// as two bits each and only the others ("literal" words) in full, with
// O(1) access to any bit or word. A [Diff] is the sparse XOR difference of
// two rows. [Transpose] turns a matrix of rows around in bounded memory.
//
// The reachability engine keeps its egress and ingress sides in this form:
// at 150,000 endpoint classes a dense row is 18 KB, while a typical
// compressed one holds a few literal words. Rows are immutable once
// encoded, so versions of a matrix share the rows they have in common.
package bitrow

import (
	"math/bits"
	"slices"
)

// chunkWords is the number of words a chunk covers; a chunk's literal
// and ones masks are one word each.
const chunkWords = 64

// Chunk descriptors: a chunk of all-zero words, of all-one words, or
// (non-negative) the offset of the chunk's record in the row.
const (
	chunkZero = -1
	chunkOnes = -2
)

// Row is an encoded bit row. Its layout, in 64-bit words:
//
//	descriptors  one int32 per chunk of 64 words, two per word:
//	             chunkZero, chunkOnes, or the offset of the chunk's record
//	records      per mixed chunk: lit (bit k: word k is literal), ones
//	             (bit k: word k is all ones, when not literal), then the
//	             literal words in order
//
// The length of the row (in words) is known to the [Codec] that encoded
// it, not stored. A Row is immutable and safe for concurrent use.
type Row []uint64

// desc returns the descriptor of chunk c.
func (r Row) desc(c int) int32 {
	return int32(uint32(r[c>>1] >> (uint(c&1) * 32)))
}

// Word returns word k of the row. It is O(1).
func (r Row) Word(k int) uint64 {
	d := r.desc(k / chunkWords)
	switch {
	case d == chunkZero:
		return 0
	case d == chunkOnes:
		return ^uint64(0)
	}
	b := uint(k % chunkWords)
	lit := r[d]
	if lit>>b&1 != 0 {
		return r[int(d)+2+bits.OnesCount64(lit&(1<<b-1))]
	}
	if r[d+1]>>b&1 != 0 {
		return ^uint64(0)
	}
	return 0
}

// Has reports whether bit i is set. It is O(1).
func (r Row) Has(i int) bool { return r.Word(i>>6)>>(uint(i)&63)&1 != 0 }

// Size returns the memory the row takes, in bytes.
func (r Row) Size() int { return 8 * len(r) }

// Codec encodes and decodes the rows of one width. The rows of all zeros
// and of all ones are shared. A Codec is immutable and safe for concurrent
// use.
type Codec struct {
	nW, nChunks int
	zero, ones  Row
}

// NewCodec returns the codec of rows of n bits.
func NewCodec(n int) *Codec {
	c := &Codec{nW: (n + 63) >> 6}
	c.nChunks = (c.nW + chunkWords - 1) / chunkWords
	c.zero = c.fill(chunkZero)
	c.ones = c.fill(chunkOnes)
	return c
}

func (c *Codec) fill(d int32) Row {
	r := make(Row, (c.nChunks+1)/2)
	for ch := 0; ch < c.nChunks; ch++ {
		r[ch>>1] |= uint64(uint32(d)) << (uint(ch&1) * 32)
	}
	return r
}

// Words returns the number of words of a decoded row.
func (c *Codec) Words() int { return c.nW }

// Zero returns the row of all zeros.
func (c *Codec) Zero() Row { return c.zero }

// Ones returns the row whose every word is all ones (bits past the width
// included).
func (c *Codec) Ones() Row { return c.ones }

// Encode returns the encoded form of words, which must hold Words()
// words. A row of only zero (or only all-one) words is the shared one. It
// is O(words) and allocates once, unless shared.
func (c *Codec) Encode(words []uint64) Row {
	words = words[:c.nW]
	nd := (c.nChunks + 1) / 2
	size := nd
	uniform := int32(0)
	for ch := 0; ch < c.nChunks; ch++ {
		d, lits := classify(words[ch*chunkWords : min((ch+1)*chunkWords, c.nW)])
		if d >= 0 {
			size += 2 + lits
		}
		switch {
		case ch == 0:
			uniform = d
		case d != uniform:
			uniform = 0
		}
	}
	switch uniform {
	case chunkZero:
		return c.zero
	case chunkOnes:
		return c.ones
	}
	r := make(Row, size)
	off := nd
	for ch := 0; ch < c.nChunks; ch++ {
		ws := words[ch*chunkWords : min((ch+1)*chunkWords, c.nW)]
		d, _ := classify(ws)
		if d >= 0 {
			d = int32(off)
			var lit, ones uint64
			n := 0
			for k, w := range ws {
				switch w {
				case 0:
				case ^uint64(0):
					ones |= 1 << uint(k)
				default:
					lit |= 1 << uint(k)
					r[off+2+n] = w
					n++
				}
			}
			r[off], r[off+1] = lit, ones
			off += 2 + n
		}
		r[ch>>1] |= uint64(uint32(d)) << (uint(ch&1) * 32)
	}
	return r
}

// classify says whether a chunk's words are all zero, all ones, or mixed
// (0, with the number of literal words).
func classify(ws []uint64) (d int32, lits int) {
	zeros, ones := 0, 0
	for _, w := range ws {
		switch w {
		case 0:
			zeros++
		case ^uint64(0):
			ones++
		default:
			lits++
		}
	}
	switch {
	case zeros == len(ws):
		return chunkZero, 0
	case ones == len(ws):
		return chunkOnes, 0
	}
	return 0, lits
}

// Decode writes the row's words into dst, which must hold Words() words.
// It is O(words).
func (c *Codec) Decode(r Row, dst []uint64) { c.DecodeRange(r, dst[:c.nW], 0) }

// DecodeRange writes words k0 .. k0+len(dst)-1 of the row into dst; words
// past the row's end read as zero.
func (c *Codec) DecodeRange(r Row, dst []uint64, k0 int) {
	end := min(k0+len(dst), c.nW)
	if k0 >= end {
		clear(dst)
		return
	}
	clear(dst[end-k0:])
	for k := k0; k < end; {
		ch := k / chunkWords
		hi := min((ch+1)*chunkWords, end)
		out := dst[k-k0 : hi-k0]
		switch d := r.desc(ch); d {
		case chunkZero:
			clear(out)
		case chunkOnes:
			for i := range out {
				out[i] = ^uint64(0)
			}
		default:
			lit, ones := r[d], r[d+1]
			b := uint(k % chunkWords)
			n := int(d) + 2 + bits.OnesCount64(lit&(1<<b-1))
			for i := range out {
				switch {
				case lit>>b&1 != 0:
					out[i] = r[n]
					n++
				case ones>>b&1 != 0:
					out[i] = ^uint64(0)
				default:
					out[i] = 0
				}
				b++
			}
		}
		k = hi
	}
}

// Equal reports whether two rows of the same codec hold the same bits.
func Equal(a, b Row) bool {
	if len(a) > 0 && len(b) > 0 && &a[0] == &b[0] {
		return true
	}
	return slices.Equal(a, b) // the encoding is canonical
}
