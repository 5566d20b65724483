package graph

import (
	"os/exec"
	"regexp"
	"runtime"
	"testing"
)

// TestInlining keeps the hot helpers inlinable, as net/netip's
// inlining_test.go does: a change that pushes one over the inlining budget
// fails here rather than showing up as a slower benchmark.
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package with -gcflags=-m")
	}
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool: %v", err)
	}
	out, err := exec.Command(gotool, "build", "--gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	got := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)can inline (\S+)`).FindAllSubmatch(out, -1) {
		got[string(m[1])] = true
	}
	want := []string{
		"Words", "Set.Has", "Set.Add", "Set.Remove", "Set.Count", "Set.IsEmpty",
		"Set.Or", "Set.And", "Set.AndNot", "Set.CopyFrom", "Set.Intersects", "Set.Next",
		"(*Matrix).Row", "(*Matrix).Has", "(*Matrix).Set", "(*Matrix).Clear",
		"(*Matrix).Rows", "(*Matrix).Cols", "(*Matrix).Stride",
	}
	for _, fn := range want {
		if !got[fn] {
			t.Errorf("%s is not inlinable (GOARCH=%s)", fn, runtime.GOARCH)
		}
	}
}
