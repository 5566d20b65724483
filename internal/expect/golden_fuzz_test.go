package expect

import (
	"os"
	"testing"
)

// FuzzParseGolden: any bytes give a golden or located errors, never a
// panic; a golden that parses compares something and has no overlapping
// port atoms.
func FuzzParseGolden(f *testing.F) {
	seed, err := os.ReadFile("../../testdata/check/shop.golden.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"apiVersion":"netreach.io/v1alpha1","kind":"ReachabilityMatrix","entries":[{"name":"x/a","kind":"Pod","namespace":"x"}],"ports":[{"protocol":"TCP","port":"1-65535","allowed":{"x/a":["x/a"]}},{"protocol":"TCP","port":"80"}]}`))
	f.Add([]byte(`{"apiVersion":"netreach.io/v1alpha1","kind":"ReachabilityMatrix","ports":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ParseGolden("g.json", data)
		if err != nil {
			if g != nil {
				t.Fatal("ParseGolden returned a golden and an error")
			}
			return
		}
		if len(g.ports) == 0 {
			t.Fatal("a golden without port atoms parsed")
		}
		for i, a := range g.ports {
			for _, b := range g.ports[:i] {
				if a.Protocol == b.Protocol && a.Lo <= b.Hi && b.Lo <= a.Hi {
					t.Fatalf("overlapping port atoms %s and %s parsed", a, b)
				}
			}
		}
	})
}
