package bitrow

import (
	"sync"
	"sync/atomic"

	"github.com/netreach/netreach/internal/graph"
)

// stripWords is the width, in words of the input rows, of the strip
// Transpose turns at a time: 1,024 output rows.
const stripWords = 16

// Transpose returns the n rows of the transpose of the matrix whose rows
// are rows (encoded by src): bit j of output row i is bit i of rows[j],
// for i < n. The output rows are encoded by dst, whose width must cover
// len(rows) bits; before a row is encoded, fill (when not nil) may set
// more of its words (for the columns past len(rows)).
//
// The matrix is turned a strip of 1,024 output rows at a time, one strip
// per worker, through 64×64 bit blocks ([graph.TransposeBlock]); each worker
// holds len(rows)×16 words of input and 1,024 dense output rows, so the
// memory used beyond the result is bounded by the strip, not the matrix.
// Transpose is O(len(rows)·n/64).
func Transpose(rows []Row, src *Codec, n int, dst *Codec, workers int, fill func(i int, words []uint64)) []Row {
	out := make([]Row, n)
	nStrips := (n + 64*stripWords - 1) / (64 * stripWords)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(workers, nStrips)) {
		wg.Go(func() {
			in := make([]uint64, len(rows)*stripWords)
			dense := make([]uint64, 64*stripWords*dst.nW)
			var b [64]uint64
			for {
				s := int(next.Add(1) - 1)
				if s >= nStrips {
					return
				}
				k0 := s * stripWords
				for j, r := range rows {
					src.DecodeRange(r, in[j*stripWords:(j+1)*stripWords], k0)
				}
				clear(dense)
				for bw := range stripWords {
					for J := 0; J*64 < len(rows); J++ {
						m := min(64, len(rows)-J*64)
						for t := range m {
							b[t] = in[(J*64+t)*stripWords+bw]
						}
						clear(b[m:])
						graph.TransposeBlock(&b)
						for c := range 64 {
							dense[(bw*64+c)*dst.nW+J] = b[c]
						}
					}
				}
				for r := range 64 * stripWords {
					i := k0*64 + r
					if i >= n {
						break
					}
					words := dense[r*dst.nW : (r+1)*dst.nW]
					if fill != nil {
						fill(i, words)
					}
					out[i] = dst.Encode(words)
				}
			}
		})
	}
	wg.Wait()
	return out
}
