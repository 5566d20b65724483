package graph

import (
	"fmt"
	"iter"
	"math/bits"
	"slices"
)

// Matrix is a dense rows×cols bit matrix. Bit (i, j) usually means "node i
// reaches node j". All bits live in one []uint64 in row-major order; each
// row takes Stride() = (cols+63)/64 words, and the bits of a row past cols
// (the padding) are always zero.
//
// The zero Matrix is a valid, empty 0×0 matrix. A Matrix is safe for
// concurrent reads; writes (including writes through a [Matrix.Row] view)
// need exclusive access.
//
// Methods that take an index panic if it is out of range: that is a
// programmer error, as with slices.
type Matrix struct {
	rows, cols, stride int
	w                  []uint64
}

// NewMatrix returns an all-zero rows×cols matrix. It panics if either size
// is negative. NewMatrix is O(rows*cols/64) and allocates once.
func NewMatrix(rows, cols int) *Matrix {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("graph: NewMatrix(%d, %d): negative size", rows, cols))
	}
	stride := Words(cols)
	return &Matrix{rows: rows, cols: cols, stride: stride, w: make([]uint64, rows*stride)}
}

// Rows returns the number of rows.
func (m *Matrix) Rows() int { return m.rows }

// Cols returns the number of columns.
func (m *Matrix) Cols() int { return m.cols }

// Stride returns the number of words per row, (Cols()+63)/64.
func (m *Matrix) Stride() int { return m.stride }

// Row returns row i as a Set of Stride() words. The Set is a view, not a
// copy: writes through it change m, and it sees later changes to m. Its
// capacity is clipped to the row, so appending to it cannot clobber row
// i+1. Callers that write through the view must leave the bits at column
// Cols() and beyond clear. Row panics if i is out of range; it is O(1) and
// does not allocate.
func (m *Matrix) Row(i int) Set {
	if uint(i) >= uint(m.rows) {
		panic("graph: Matrix.Row: index out of range")
	}
	lo, hi := i*m.stride, (i+1)*m.stride
	return Set(m.w[lo:hi:hi])
}

// Has reports whether bit (i, j) is set. It panics if i or j is out of
// range. Has is O(1).
func (m *Matrix) Has(i, j int) bool {
	if uint(i) >= uint(m.rows) || uint(j) >= uint(m.cols) {
		panic("graph: Matrix.Has: index out of range")
	}
	return m.w[i*m.stride+j>>6]&(1<<(uint(j)&63)) != 0
}

// Set sets bit (i, j). It panics if i or j is out of range. Set is O(1).
func (m *Matrix) Set(i, j int) {
	if uint(i) >= uint(m.rows) || uint(j) >= uint(m.cols) {
		panic("graph: Matrix.Set: index out of range")
	}
	m.w[i*m.stride+j>>6] |= 1 << (uint(j) & 63)
}

// Clear clears bit (i, j). It panics if i or j is out of range. Clear is
// O(1).
func (m *Matrix) Clear(i, j int) {
	if uint(i) >= uint(m.rows) || uint(j) >= uint(m.cols) {
		panic("graph: Matrix.Clear: index out of range")
	}
	m.w[i*m.stride+j>>6] &^= 1 << (uint(j) & 63)
}

// Count returns the number of set bits. Count is O(rows*cols/64).
func (m *Matrix) Count() int { return Set(m.w).Count() }

// Equal reports whether m and x have the same shape and the same bits.
// Equal is O(rows*cols/64).
func (m *Matrix) Equal(x *Matrix) bool {
	return m.rows == x.rows && m.cols == x.cols && slices.Equal(m.w, x.w)
}

// Clone returns a deep copy of m. Clone is O(rows*cols/64) and allocates
// once.
func (m *Matrix) Clone() *Matrix {
	c := *m
	c.w = slices.Clone(m.w)
	return &c
}

// Column fills dst with column j: bit i of dst is set iff bit (i, j) of m
// is set, and all other bits of dst are cleared. dst needs at least
// Words(Rows()) words; Column panics if it is shorter or j is out of
// range. It is O(rows) and does not allocate; use
// [Matrix.Transpose] to get every column at once.
func (m *Matrix) Column(j int, dst Set) {
	if uint(j) >= uint(m.cols) {
		panic("graph: Matrix.Column: index out of range")
	}
	if len(dst) < Words(m.rows) {
		panic("graph: Matrix.Column: dst too short")
	}
	dst.Clear()
	word, shift := j>>6, uint(j)&63
	for i := range m.rows {
		dst[i>>6] |= (m.w[i*m.stride+word] >> shift & 1) << (uint(i) & 63)
	}
}

// Pairs returns an iterator over the set bits (i, j) in row-major order.
// Iterating is O(rows*cols/64 + Count()).
func (m *Matrix) Pairs() iter.Seq2[int, int] {
	return func(yield func(int, int) bool) {
		if m.stride == 0 {
			return
		}
		for k, w := range m.w {
			i, j0 := k/m.stride, (k%m.stride)<<6
			for w != 0 {
				if !yield(i, j0+bits.TrailingZeros64(w)) {
					return
				}
				w &= w - 1
			}
		}
	}
}

// And sets m to the element-wise m AND x. It panics if the shapes differ.
// And is O(rows*cols/64).
func (m *Matrix) And(x *Matrix) {
	if m.rows != x.rows || m.cols != x.cols {
		panic("graph: Matrix.And: shape mismatch")
	}
	Set(m.w).And(Set(x.w))
}

// Transpose returns the cols×rows transpose of m. It works on 64×64 bit
// blocks (see [Matrix.TransposeInto]) and is O(rows*cols/64).
func (m *Matrix) Transpose() *Matrix {
	t := NewMatrix(m.cols, m.rows)
	m.TransposeInto(t)
	return t
}

// TransposeInto overwrites dst with the transpose of m. dst must be a
// Cols()×Rows() matrix other than m itself; TransposeInto panics
// otherwise.
//
// The matrix is cut into 64×64 blocks; each block is loaded into 64 words,
// transposed in registers by recursive halving (swap the off-diagonal
// 32×32 quadrants, then the 16×16 quadrants inside each, and so on down to
// single bits: 6 rounds of 32 word swaps) and stored as one word in each
// of 64 rows of dst. Blocks are spread over GOMAXPROCS workers by column
// ranges, so each worker writes its own rows of dst. TransposeInto is
// O(rows*cols/64) and does not allocate beyond starting the workers.
func (m *Matrix) TransposeInto(dst *Matrix) {
	if dst.rows != m.cols || dst.cols != m.rows {
		panic("graph: Matrix.TransposeInto: dst has the wrong shape")
	}
	if dst == m {
		panic("graph: Matrix.TransposeInto: dst is m")
	}
	// Every word of dst is written below, so dst need not be cleared.
	parallel(m.stride, 1+(1<<16)/(m.rows+1), func(lo, hi int) {
		m.transposeCols(dst, lo, hi)
	})
}

// transposeCols transposes the column words [lo, hi) of m into the rows
// [64*lo, 64*hi) of dst.
//
// The column words are taken tile words (one cache line) at a time, and
// for each 64-row band of m the tile's blocks are done together: every
// cache line read from m is used whole, and the 64*tile rows of dst being
// written stay in L1 while bi advances along them.
func (m *Matrix) transposeCols(dst *Matrix, lo, hi int) {
	var b [64]uint64
	for bt := lo; bt < hi; bt += tile {
		for bi := 0; bi < dst.stride; bi++ {
			r0 := bi << 6
			n := min(64, m.rows-r0)
			for bj := bt; bj < min(bt+tile, hi); bj++ {
				for r := range n {
					b[r] = m.w[(r0+r)*m.stride+bj]
				}
				clear(b[n:])
				TransposeBlock(&b)
				c0 := bj << 6
				for c := range min(64, m.cols-c0) {
					dst.w[(c0+c)*dst.stride+bi] = b[c]
				}
			}
		}
	}
}

// tile is the number of 64-bit words in a cache line.
const tile = 8

// AndTransposeOf sets m to the element-wise m AND xᵀ: bit (i, j) stays set
// only if bit (j, i) of x is set. x must be Cols()×Rows(); AndTransposeOf
// panics otherwise. It transposes x one 64×64 block at a time, never
// materialising xᵀ: this is the "egress AND ingress" step of the
// reachability engine. AndTransposeOf is O(rows*cols/64) and does not
// allocate beyond starting the workers.
func (m *Matrix) AndTransposeOf(x *Matrix) {
	if x.rows != m.cols || x.cols != m.rows {
		panic("graph: Matrix.AndTransposeOf: x has the wrong shape")
	}
	if x == m {
		// Blocks (bi, bj) and (bj, bi) would race; work on a copy.
		x = x.Clone()
	}
	parallel(m.stride, 1+(1<<16)/(m.rows+1), func(lo, hi int) {
		var b [64]uint64
		for bt := lo; bt < hi; bt += tile { // as in transposeCols
			for bi := 0; bi < x.stride; bi++ {
				i0 := bi << 6
				for bj := bt; bj < min(bt+tile, hi); bj++ {
					r0 := bj << 6 // rows of x = columns of m
					n := min(64, x.rows-r0)
					for r := range n {
						b[r] = x.w[(r0+r)*x.stride+bi]
					}
					clear(b[n:])
					TransposeBlock(&b)
					for c := range min(64, m.rows-i0) {
						m.w[(i0+c)*m.stride+bj] &= b[c]
					}
				}
			}
		}
	})
}

// TransposeBlock transposes the 64×64 bit matrix a in place, where bit c
// of a[r] is element (r, c), in 6 rounds of 32 word operations. Round j
// swaps, for every row k with bit j of k clear, the high j bits of each
// 2j-bit group of a[k] with the low j bits of the same group of a[k+j]:
//
//	      cols: low  high          low  high
//	row k      [ A  |  B ]        [ A  |  C ]
//	row k+j    [ C  |  D ]   →    [ B  |  D ]
//
// which, repeated for j = 32, 16, …, 1, transposes every block.
func TransposeBlock(a *[64]uint64) {
	m := uint64(0x00000000FFFFFFFF)
	for j := 32; j != 0; j >>= 1 {
		for k := 0; k < 64; k = (k + j + 1) &^ j {
			t := (a[k]>>uint(j) ^ a[k+j]) & m
			a[k+j] ^= t
			a[k] ^= t << uint(j)
		}
		m ^= m << uint(j>>1)
	}
}
