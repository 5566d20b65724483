package safetext

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestWriter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in            string
		visible, json string
	}{
		{"a\tb\nc", "a\tb\nc", "a\tb\nc"},
		{"\x1b[2K\rALL GOOD\n", `\x1b[2K\x0dALL GOOD` + "\n", `\u001b[2K\u000dALL GOOD` + "\n"},
		{"evil\u202eoof", `evil\u202eoof`, `evil\u202eoof`},
		{"del\x7f c1\u0085", `del\x7f c1\u0085`, `del\u007f c1\u0085`},
		{"bad\xff", `bad\xff`, "bad\ufffd"},
		{"日本 → ok", "日本 → ok", "日本 → ok"},
	}
	for _, tc := range tests {
		for _, st := range []struct {
			style Style
			want  string
		}{{Visible, tc.visible}, {JSON, tc.json}} {
			// Whole, and one byte at a time (characters split across writes).
			for _, chunk := range []int{len(tc.in) + 1, 1} {
				var b strings.Builder
				w := NewWriter(&b, st.style)
				for i := 0; i < len(tc.in); i += chunk {
					n, err := w.Write([]byte(tc.in[i:min(len(tc.in), i+chunk)]))
					if err != nil || n != min(len(tc.in), i+chunk)-i {
						t.Fatalf("Write = %d, %v", n, err)
					}
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
				if b.String() != st.want {
					t.Errorf("style %d, chunks of %d: %q gives %q, want %q", st.style, chunk, tc.in, b.String(), st.want)
				}
			}
		}
	}
}

// TestWriterJSONKeepsData: a JSON document written through the JSON style
// decodes to the same value, and its text holds no unsafe character.
func TestWriterJSONKeepsData(t *testing.T) {
	t.Parallel()
	in := map[string]string{"kind": "Evil\x1b[2K\rALL GOOD", "name": "x\u202ey", "c1": "\u0085\u009b", "del": "\x7f", "sep": "\u2028"}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	w := NewWriter(&b, JSON)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if Needs(b.String()) {
		t.Fatalf("escaped JSON still holds unsafe characters: %q", b.String())
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(b.String()), &out); err != nil {
		t.Fatal(err)
	}
	for k, v := range in {
		if out[k] != v {
			t.Errorf("%s: decoded %q, want %q", k, out[k], v)
		}
	}
}
