package fix_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/audit/fix"
	"github.com/netreach/netreach/internal/expect"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

var update = flag.Bool("update", false, "rewrite the golden files of the fixture tests")

// run loads paths, audits them and generates every fix, verifying all of
// them and listing every group.
func run(t *testing.T, exp *expect.Expectations, paths ...string) (*policy.Snapshot, *reachability.Matrix, []audit.Finding, *fix.Result) {
	t.Helper()
	snap, err := policy.Load(policy.LoadOptions{}, paths...)
	if err != nil {
		t.Fatalf("Load(%v): %v", paths, err)
	}
	m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
	if err != nil {
		t.Fatal(err)
	}
	aopts := audit.Options{Shared: []string{"kube-system"}}
	fs := audit.Findings(snap, m, aopts)
	res, err := fix.Generate(context.Background(), snap, m, fs, fix.Options{Audit: aopts, Expect: exp, MaxVerified: -1, MaxGroups: -1})
	if err != nil {
		t.Fatal(err)
	}
	return snap, m, fs, res
}

// dump renders a result as the golden files hold it: every fix with its
// YAML and effect, then every finding without a fix and the reason.
func dump(fs []audit.Finding, r *fix.Result) string {
	var b strings.Builder
	for _, fx := range r.Fixes {
		fmt.Fprintf(&b, "== fix %s (%s)\n%s\n", fx.ID, fx.Kind, fx.Title)
		for _, f := range fx.Findings {
			fmt.Fprintf(&b, "for %s: %s\n", f.ID, fs[f.Index].Message)
		}
		if len(fx.Overlaps) > 0 {
			fmt.Fprintf(&b, "overlaps %s\n", strings.Join(fx.Overlaps, ", "))
		}
		b.WriteString(fx.YAML)
		if fx.Effect == nil {
			fmt.Fprintf(&b, "%s\n", fx.NotVerified)
			continue
		}
		for _, side := range []struct {
			name string
			fl   fix.Flows
		}{{"closes", fx.Effect.Closed}, {"opens", fx.Effect.Opened}} {
			fmt.Fprintf(&b, "%s %d pairs\n", side.name, side.fl.Pairs)
			for _, g := range side.fl.Groups {
				fmt.Fprintf(&b, "  %s -> %s on %s: %d\n", g.Src, g.Dst, g.Ports, g.Pairs)
			}
		}
		for _, br := range fx.Effect.Breaks {
			fmt.Fprintf(&b, "breaks %s: %d violations, e.g. %s\n", br.Rule, br.Violations, br.Example)
		}
	}
	for _, e := range r.Entries {
		if e.NoFix != "" {
			fmt.Fprintf(&b, "== no fix for %s: %s\n  because %s\n", e.Finding.ID, fs[e.Finding.Index].Message, e.NoFix)
		}
		if len(e.NoFixIn) > 0 {
			fmt.Fprintf(&b, "== %s: %s\n  fixed by %s\n", e.Finding.ID, fs[e.Finding.Index].Message, strings.Join(e.Fixes, ", "))
			for _, n := range e.NoFixIn {
				fmt.Fprintf(&b, "  no fix in %s because %s\n", n.Namespace, n.Reason)
			}
		}
	}
	return b.String()
}

// TestFixtures generates the fixes of each case of testdata/fixes and
// compares them with the hand-checked golden file want.txt: the patches
// and the flows each closes and opens.
func TestFixtures(t *testing.T) {
	dirs, err := filepath.Glob("../../../testdata/fixes/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var exp *expect.Expectations
			if _, err := os.Stat(filepath.Join(dir, "expect.yaml")); err == nil {
				if exp, err = expect.Load(filepath.Join(dir, "expect.yaml")); err != nil {
					t.Fatal(err)
				}
			}
			_, _, fs, res := run(t, exp, filepath.Join(dir, "input"))
			got := dump(fs, res)
			golden := filepath.Join(dir, "want.txt")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(string(want), got); d != "" {
				t.Errorf("fixes of %s (-want +got):\n%s", dir, d)
			}
		})
	}
}

// TestIndependentOfWording generates the fixes of the mistakes fixture
// twice, the second time with every finding's message and remedy
// replaced: the builders read the findings' structured fields (Field,
// BlockedAt, Rule, Namespaces), so the fixes are the same.
func TestIndependentOfWording(t *testing.T) {
	snap, m, fs, want := run(t, nil, "../../../testdata/fixes/mistakes/input")
	kinds := map[fix.Kind]bool{}
	for _, fx := range want.Fixes {
		kinds[fx.Kind] = true
	}
	for _, k := range []fix.Kind{fix.MovePorts, fix.AddDNSEgress} {
		if !kinds[k] {
			t.Fatalf("the fixture has no %s fix: the test no longer covers it", k)
		}
	}
	reworded := make([]audit.Finding, len(fs))
	for i, f := range fs {
		f.Message, f.Remedy = "reworded", "reworded"
		reworded[i] = f
	}
	got, err := fix.Generate(context.Background(), snap, m, reworded, fix.Options{Audit: audit.Options{Shared: []string{"kube-system"}}, MaxVerified: -1, MaxGroups: -1})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("fixes after rewording the findings (-want +got):\n%s", d)
	}

	// DNS blocked by the DNS pods' ingress: no fix in the pods' namespace.
	for i, f := range fs {
		if f.Kind != audit.DNSBlocked {
			continue
		}
		in := policy.Ingress
		f.BlockedAt = &in
		res, err := fix.Generate(context.Background(), snap, m, []audit.Finding{f}, fix.Options{Audit: audit.Options{Shared: []string{"kube-system"}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Fixes) != 0 || !strings.Contains(res.Entries[0].NoFix, "ingress policy does not admit") {
			t.Errorf("finding %d blocked at the DNS pods' ingress: fixes %v, entry %+v; want none and the reason", i, res.Fixes, res.Entries[0])
		}
	}
}
