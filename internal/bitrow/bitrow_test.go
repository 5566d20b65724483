package bitrow

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// randomWords returns n words mixing zero, all-one and random words in
// runs, the shapes the engine's rows have.
func randomWords(r *rand.Rand, n int) []uint64 {
	w := make([]uint64, n)
	for k := 0; k < n; {
		run := 1 + r.IntN(200)
		kind := r.IntN(4)
		for ; run > 0 && k < n; run-- {
			switch kind {
			case 0:
				w[k] = 0
			case 1:
				w[k] = ^uint64(0)
			case 2:
				w[k] = r.Uint64()
			default:
				w[k] = 1 << r.IntN(64)
			}
			k++
		}
	}
	return w
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for _, bits := range []int{1, 63, 64, 65, 4095, 4096, 4097, 64 * 64 * 3, 150_000} {
		c := NewCodec(bits)
		for trial := 0; trial < 20; trial++ {
			w := randomWords(r, c.Words())
			row := c.Encode(w)
			got := make([]uint64, c.Words())
			c.Decode(row, got)
			if !slices.Equal(got, w) {
				t.Fatalf("bits=%d: Decode(Encode(w)) != w", bits)
			}
			for k := range w {
				if row.Word(k) != w[k] {
					t.Fatalf("bits=%d: Word(%d) = %x, want %x", bits, k, row.Word(k), w[k])
				}
			}
			for i := 0; i < 64*len(w); i += 1 + r.IntN(7) {
				if want := w[i>>6]>>(i&63)&1 != 0; row.Has(i) != want {
					t.Fatalf("bits=%d: Has(%d) = %v, want %v", bits, i, row.Has(i), want)
				}
			}
			k0 := r.IntN(len(w))
			part := make([]uint64, 1+r.IntN(100))
			c.DecodeRange(row, part, k0)
			for i, x := range part {
				want := uint64(0)
				if k0+i < len(w) {
					want = w[k0+i]
				}
				if x != want {
					t.Fatalf("bits=%d: DecodeRange from %d: word %d = %x, want %x", bits, k0, i, x, want)
				}
			}
			if !Equal(row, c.Encode(slices.Clone(w))) {
				t.Fatalf("bits=%d: encoding is not canonical", bits)
			}
		}
	}
}

func TestUniformRowsAreShared(t *testing.T) {
	t.Parallel()
	c := NewCodec(10_000)
	zero := make([]uint64, c.Words())
	ones := make([]uint64, c.Words())
	for i := range ones {
		ones[i] = ^uint64(0)
	}
	if row := c.Encode(zero); &row[0] != &c.Zero()[0] {
		t.Errorf("Encode(zeros) is not the shared zero row")
	}
	if row := c.Encode(ones); &row[0] != &c.Ones()[0] {
		t.Errorf("Encode(ones) is not the shared ones row")
	}
	if c.Zero().Has(5) || !c.Ones().Has(9_999) {
		t.Errorf("shared rows read wrong")
	}
}

func TestCompression(t *testing.T) {
	t.Parallel()
	c := NewCodec(150_000)
	w := make([]uint64, c.Words())
	for k := 1000; k < 1010; k++ {
		w[k] = ^uint64(0)
	}
	w[1500] = 0x5
	if got := c.Encode(w).Size(); got > 256 {
		t.Errorf("a row with one mixed chunk takes %d bytes, want at most 256 (dense: %d)", got, 8*c.Words())
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 50; trial++ {
		n := 1 + r.IntN(300)
		a := randomWords(r, n)
		b := slices.Clone(a)
		for k := 0; k < r.IntN(5); k++ {
			b[r.IntN(n)] ^= r.Uint64()
		}
		d := DiffOf(a, b)
		if slices.Equal(a, b) != (d == nil) {
			t.Fatalf("DiffOf of equal rows must be nil, and only then")
		}
		x := slices.Clone(a)
		d.Apply(x)
		if !slices.Equal(x, b) {
			t.Fatalf("a XOR DiffOf(a, b) != b")
		}
		count := 0
		for i := 0; i < 64*n; i++ {
			want := (a[i>>6]^b[i>>6])>>(i&63)&1 != 0
			if d.Has(i) != want {
				t.Fatalf("Has(%d) = %v, want %v", i, d.Has(i), want)
			}
			if want {
				count++
			}
		}
		var got []int
		for i := range d.Bits() {
			got = append(got, i)
		}
		if len(got) != count || d.Count() != count || !slices.IsSorted(got) {
			t.Fatalf("Bits lists %d positions (Count %d), want %d in order", len(got), d.Count(), count)
		}
	}
}

func TestTranspose(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	for _, sz := range [][2]int{{1, 1}, {3, 70}, {64, 64}, {130, 1100}, {2000, 3000}} {
		nRows, nCols := sz[0], sz[1]
		src := NewCodec(nCols)
		dense := make([][]uint64, nRows)
		rows := make([]Row, nRows)
		for j := range rows {
			dense[j] = randomWords(r, src.Words())
			if rem := nCols % 64; rem != 0 {
				dense[j][len(dense[j])-1] &= 1<<rem - 1
			}
			rows[j] = src.Encode(dense[j])
		}
		dst := NewCodec(nRows + 5)
		out := Transpose(rows, src, nCols, dst, 2, func(i int, w []uint64) {
			w[nRows>>6] |= 1 << (nRows & 63) // a column past the input
		})
		for i := 0; i < nCols; i++ {
			for j := 0; j < nRows; j++ {
				if want := dense[j][i>>6]>>(i&63)&1 != 0; out[i].Has(j) != want {
					t.Fatalf("%dx%d: transpose bit (%d, %d) = %v, want %v", nRows, nCols, i, j, out[i].Has(j), want)
				}
			}
			if !out[i].Has(nRows) {
				t.Fatalf("%dx%d: fill was not applied to row %d", nRows, nCols, i)
			}
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	c := NewCodec(55_000)
	w := randomWords(r, c.Words())
	b.ReportAllocs()
	for b.Loop() {
		c.Encode(w)
	}
}

func BenchmarkDecode(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	c := NewCodec(55_000)
	row := c.Encode(randomWords(r, c.Words()))
	dst := make([]uint64, c.Words())
	b.ReportAllocs()
	for b.Loop() {
		c.Decode(row, dst)
	}
}

// FuzzRow checks Encode, Decode, Word, Has and DiffOf against the dense
// words they stand for, on rows built from the fuzzer's bytes (each byte
// picks a zero, all-one or patterned word, so that runs appear).
func FuzzRow(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3}, uint16(100))
	f.Add(make([]byte, 70), uint16(4500))
	f.Add([]byte{1, 1, 1, 1, 1, 0, 0, 9, 200}, uint16(64*65))
	f.Fuzz(func(t *testing.T, data []byte, bits uint16) {
		n := 1 + int(bits)
		c := NewCodec(n)
		w := make([]uint64, c.Words())
		for k := range w {
			if len(data) == 0 {
				break
			}
			b := data[k%len(data)]
			switch b % 3 {
			case 0:
				w[k] = 0
			case 1:
				w[k] = ^uint64(0)
			default:
				w[k] = uint64(b) * 0x9E3779B97F4A7C15
			}
		}
		row := c.Encode(w)
		got := make([]uint64, len(w))
		c.Decode(row, got)
		if !slices.Equal(got, w) {
			t.Fatalf("Decode(Encode(w)) != w")
		}
		for k := range w {
			if row.Word(k) != w[k] {
				t.Fatalf("Word(%d) = %x, want %x", k, row.Word(k), w[k])
			}
		}
		other := slices.Clone(w)
		if len(other) > 0 {
			other[len(other)/2] ^= 0x10
		}
		d := DiffOf(w, other)
		d.Apply(got)
		if !slices.Equal(got, other) {
			t.Fatalf("w XOR DiffOf(w, other) != other")
		}
	})
}
