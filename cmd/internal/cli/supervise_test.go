package cli

import (
	"strings"
	"testing"
)

func TestCopyStderrStopsAtOutOfMemory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		oom            bool
	}{
		{"diagnostics pass through", "a.yaml:1:1: warning: x\nnetreach: 1 error\n", "a.yaml:1:1: warning: x\nnetreach: 1 error\n", false},
		{"large allocation", "a.yaml:1:1: warning: x\nruntime: out of memory: cannot allocate 4194304-byte block (7995392 in use)\nfatal error: out of memory\n\ngoroutine 5 [running]:\nruntime.throw()\n", "a.yaml:1:1: warning: x\n", true},
		{"arena", "fatal error: runtime: out of memory\n\nruntime stack:\n", "", true},
		{"thread", "runtime: failed to create new OS thread (have 5 already; errno=12)\nfatal error: newosproc\n", "", true},
		{"another fatal error", "fatal error: concurrent map writes\n\ngoroutine 1\n", "fatal error: concurrent map writes\n\ngoroutine 1\n", false},
		{"a panic", "panic: boom\n\ngoroutine 1 [running]:\n", "panic: boom\n\ngoroutine 1 [running]:\n", false},
		{"no final newline", "netreach: done", "netreach: done", false},
	}
	for _, tc := range tests {
		var b, held strings.Builder
		oom := copyStderr(&b, strings.NewReader(tc.in), &held)
		if b.String()+held.String() != tc.in {
			t.Errorf("%s: copied %q and held %q, want all of %q", tc.name, b.String(), held.String(), tc.in)
		}
		if oom != tc.oom || b.String() != tc.want {
			t.Errorf("%s: copyStderr = %q, oom %v; want %q, oom %v", tc.name, b.String(), oom, tc.want, tc.oom)
		}
	}
}

func TestSoftLimit(t *testing.T) {
	t.Parallel()
	if got := softLimit(nil); got != 0 {
		t.Errorf("no limits: soft limit %d, want 0", got)
	}
	got := softLimit([]memoryLimit{{bytes: 4000, virtual: true}, {bytes: 4000}})
	if got != 3000 {
		t.Errorf("soft limit %d, want 3000 (3/4 of the address-space limit, below 9/10 of the cgroup's)", got)
	}
	if got := softLimit([]memoryLimit{{bytes: 10000, virtual: true}, {bytes: 1000}}); got != 900 {
		t.Errorf("soft limit %d, want 900", got)
	}
}
