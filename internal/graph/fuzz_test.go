package graph_test

import (
	"testing"

	"github.com/netreach/netreach/internal/graph"
)

// fuzzMatrix decodes a matrix from fuzz input: the first two bytes give the
// shape (up to 255×255), the rest, cycled, gives the bits.
func fuzzMatrix(rows, cols uint8, data []byte) *graph.Matrix {
	g := graph.NewMatrix(int(rows), int(cols))
	if len(data) == 0 {
		return g
	}
	k := 0
	for i := range int(rows) {
		for j := range int(cols) {
			if data[(k/8)%len(data)]>>(k%8)&1 != 0 {
				g.Set(i, j)
			}
			k++
		}
	}
	return g
}

// FuzzTranspose checks the blocked transpose against the bit-by-bit one,
// and that transposing twice gives the input back.
func FuzzTranspose(f *testing.F) {
	for _, seed := range []struct {
		rows, cols uint8
		data       string
	}{
		{0, 0, ""}, {1, 1, "\x01"}, {63, 65, "\xa5\x5a\xff"}, {64, 64, "\x80"},
		{130, 70, "netreach"}, {255, 3, "\x00\x01"}, {3, 255, "\xff\xfe"},
	} {
		f.Add(seed.rows, seed.cols, []byte(seed.data))
	}
	f.Fuzz(func(t *testing.T, rows, cols uint8, data []byte) {
		g := fuzzMatrix(rows, cols, data)
		got := g.Transpose()
		if !got.Equal(slowTranspose(g)) {
			t.Fatalf("Transpose of %d×%d differs from the bit-by-bit transpose", rows, cols)
		}
		if !got.Transpose().Equal(g) {
			t.Fatalf("Transpose(Transpose(m)) != m for %d×%d", rows, cols)
		}
	})
}

// FuzzClosure checks Closure against the Floyd–Warshall oracle.
func FuzzClosure(f *testing.F) {
	for _, seed := range []struct {
		n    uint8
		data string
	}{
		{0, ""}, {1, "\x01"}, {5, "\x12\x34"}, {65, "\x00\x00\x00\x10"}, {100, "\x01\x00\x00\x00\x00\x00\x00\x80"},
	} {
		f.Add(seed.n, []byte(seed.data))
	}
	f.Fuzz(func(t *testing.T, n uint8, data []byte) {
		g := fuzzMatrix(n, n, data)
		if !g.Closure().Equal(fromBools(slowClosure(g), int(n))) {
			t.Fatalf("Closure of %d nodes differs from Floyd–Warshall", n)
		}
	})
}
