package policy

import (
	"fmt"
	"strings"
	"testing"
)

// TestPositionNear checks that positionNear, which counts lines, places
// every offset near the start where position, which builds the table of
// line starts, places it.
func TestPositionNear(t *testing.T) {
	text := "a: b\n  c: ü\n\nd: 'é€'\n" + strings.Repeat("x: y\n", 200)
	for _, startCol := range []int{0, 4} {
		for off := 0; off <= 700; off++ {
			near := &document{file: "f", index: 2, startLine: 3, startCol: startCol, text: []byte(text)}
			full := &document{file: "f", index: 2, startLine: 3, startCol: startCol, text: []byte(text)}
			if got, want := near.positionNear(off), full.position(off); got != want {
				t.Fatalf("startCol %d, offset %d: positionNear = %v, position = %v", startCol, off, got, want)
			}
		}
	}
}

// TestFastPathListInParallel loads Lists long enough to be decoded by
// several workers, with labels (string maps), with and without the fast
// path: the same snapshot, and no worker shares another's string cache
// (go test -race).
func TestFastPathListInParallel(t *testing.T) {
	var js, ys strings.Builder
	js.WriteString(`{"apiVersion": "v1", "kind": "List", "items": [`)
	ys.WriteString("apiVersion: v1\nkind: List\nitems:\n")
	for i := range 300 {
		if i > 0 {
			js.WriteString(", ")
		}
		fmt.Fprintf(&js, `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p%d", "namespace": "n%d", "labels": {"app": "a%d", "tier": "t"}}, "status": {"podIP": "10.0.%d.%d"}}`, i, i%3, i%7, i/250, i%250+1)
		fmt.Fprintf(&ys, "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p%d\n    namespace: n%d\n    labels:\n      app: a%d\n      tier: t\n  status:\n    podIP: 10.0.%d.%d\n", i, i%3, i%7, i/250, i%250+1)
	}
	js.WriteString("]}")
	for name, data := range map[string]string{"list.json": js.String(), "list.yaml": ys.String()} {
		if n := checkSameAsFull(t, name, LoadOptions{}, map[string][]byte{name: []byte(data)}); n == 0 {
			t.Errorf("%s: the fast path read nothing", name)
		}
	}
}
