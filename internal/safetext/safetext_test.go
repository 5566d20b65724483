package safetext

import (
	"testing"
)

func TestLine(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"web", "web"},
		{"tenant-a/web-7f9c", "tenant-a/web-7f9c"},
		{"naïve/日本", "naïve/日本"},
		{`a\b`, `a\b`}, // nothing to escape: unchanged
		{"\x1b[2K\rALL GOOD", `\x1b[2K\x0dALL GOOD`},
		{"evil\u202eoof", `evil\u202eoof`},
		{"a\nb\tc", `a\x0ab\x09c`},
		{"x\x7f", `x\x7f`},
		{"c1\u0085", `c1\u0085`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"esc\x1b and \\ backslash", `esc\x1b and \\ backslash`},
		{"\u2066iso\u2069", `\u2066iso\u2069`},
		{"sep\u2028", `sep\u2028`},
	}
	for _, tc := range tests {
		if got := Line(tc.in); got != tc.want {
			t.Errorf("Line(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := Needs(tc.in); got != (Line(tc.in) != tc.in) {
			t.Errorf("Needs(%q) = %v, disagrees with Line", tc.in, got)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() { _ = Line("tenant-a/web-7f9c8d6b5-x2x4z") })
	if allocs != 0 {
		t.Errorf("Line on clean text allocates %v times, want 0", allocs)
	}
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"", "web", "\x1b[31m", "\u202e", "\xff\xfe", `\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Line(s)
		if Needs(out) {
			t.Fatalf("Line(%q) = %q still needs escaping", s, out)
		}
		if !Needs(s) && out != s {
			t.Fatalf("Line(%q) = %q changed clean text", s, out)
		}
	})
}
