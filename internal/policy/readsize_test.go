package policy

import (
	"io"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
)

// TestSmallBuffersReadAlike checks that a small input given with AddBytes,
// read with buffers sized to it, gives the objects and diagnostics that
// the full-size buffers of a reader of unknown length give.
func TestSmallBuffersReadAlike(t *testing.T) {
	t.Parallel()
	ns := "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    x: \"%s\"\n"
	utf16le := func(s string) string {
		b := []byte{0xff, 0xfe}
		for _, u := range utf16.Encode([]rune(s)) {
			b = append(b, byte(u), byte(u>>8))
		}
		return string(b)
	}
	for _, tc := range []struct{ name, in string }{
		{"crlf", strings.ReplaceAll(strings.Replace(ns, "%s", "v", 1), "\n", "\r\n")},
		{"cr", strings.ReplaceAll(strings.Replace(ns, "%s", "v", 1), "\n", "\r")},
		{"utf16 growing into utf8", utf16le(strings.Replace(ns, "%s", strings.Repeat("網", 40), 1) + "  bogus: 1\n")},
		{"separators and ends", strings.Replace(ns, "%s", "v", 1) + "--- # next\n" + strings.Replace(strings.Replace(ns, "name: a", "name: b", 1), "%s", "w", 1) + "... # end\n---   \n"},
		{"json", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"j","bogus":1}}`},
		{"long line", strings.Replace(ns, "%s", strings.Repeat("v", 5000), 1)},
		{"binary", "apiVersion: v1\x00\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			small := NewLoader(LoadOptions{})
			small.AddBytes("in.yaml", []byte(tc.in))
			full := NewLoader(LoadOptions{})
			full.AddReader("in.yaml", struct{ io.Reader }{strings.NewReader(tc.in)})
			a, _ := small.Snapshot()
			b, _ := full.Snapshot()
			if d := cmp.Diff(describe(b), describe(a)); d != "" {
				t.Errorf("AddBytes differs from AddReader (-reader +bytes):\n%s", d)
			}
		})
	}
}

func describe(s *Snapshot) []string {
	var out []string
	for _, n := range s.Namespaces {
		out = append(out, "namespace "+n.Name+" "+n.Labels["x"])
	}
	for _, d := range s.Diagnostics {
		out = append(out, d.String())
	}
	return out
}
