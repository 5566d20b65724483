package fix_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/audit/fix"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// misplaced is a namespace with a policy whose ports: sits under its peer
// (NR013, fixed by moving the ports when the source can be read back).
const misplaced = `apiVersion: v1
kind: Namespace
metadata: {name: app}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: app, labels: {app: web}}
spec: {containers: [{name: main, image: example/web}]}
status: {phase: Running, podIP: 10.0.0.1}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-in, namespace: app}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - podSelector: {}
      ports: [{port: 80, protocol: TCP}]
`

// TestUnusualSources checks that a policy whose source cannot be read
// back as it was loaded gets a reason, never a patch: read from standard
// input, from bytes with no file behind them, from a file changed since.
func TestUnusualSources(t *testing.T) {
	moveFix := func(t *testing.T, l *policy.Loader) (*fix.Result, []audit.Finding) {
		t.Helper()
		snap, err := l.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
		if err != nil {
			t.Fatal(err)
		}
		fs := audit.Findings(snap, m, audit.Options{})
		res, err := fix.Generate(context.Background(), snap, m, fs, fix.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return res, fs
	}
	reason := func(t *testing.T, res *fix.Result, fs []audit.Finding) string {
		t.Helper()
		for _, e := range res.Entries {
			if fs[e.Finding.Index].Kind == audit.UnknownField {
				if len(e.Fixes) > 0 {
					t.Fatalf("NR013 got fixes %v, want none", e.Fixes)
				}
				return e.NoFix
			}
		}
		t.Fatal("no NR013 entry")
		return ""
	}

	t.Run("readable file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "in.yaml")
		if err := os.WriteFile(file, []byte(misplaced), 0o644); err != nil {
			t.Fatal(err)
		}
		l := policy.NewLoader(policy.LoadOptions{})
		l.AddPath(file)
		res, _ := moveFix(t, l)
		var kinds []fix.Kind
		for _, fx := range res.Fixes {
			kinds = append(kinds, fx.Kind)
		}
		if len(kinds) == 0 || kinds[0] != fix.MovePorts {
			t.Fatalf("fix kinds = %v, want move-ports first", kinds)
		}
	})
	t.Run("stdin", func(t *testing.T) {
		l := policy.NewLoader(policy.LoadOptions{Stdin: strings.NewReader(misplaced)})
		l.AddPath("-")
		res, fs := moveFix(t, l)
		if r := reason(t, res, fs); !strings.Contains(r, "standard input") {
			t.Errorf("reason = %q, want it to name standard input", r)
		}
	})
	t.Run("bytes without a file", func(t *testing.T) {
		l := policy.NewLoader(policy.LoadOptions{})
		l.AddBytes(filepath.Join(t.TempDir(), "gone.yaml"), []byte(misplaced))
		res, fs := moveFix(t, l)
		if r := reason(t, res, fs); !strings.Contains(r, "cannot read") {
			t.Errorf("reason = %q, want a read failure", r)
		}
	})
	t.Run("file changed since it was loaded", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "in.yaml")
		if err := os.WriteFile(file, []byte(misplaced), 0o644); err != nil {
			t.Fatal(err)
		}
		l := policy.NewLoader(policy.LoadOptions{})
		l.AddPath(file)
		snapText := strings.Replace(misplaced, "podSelector: {}\n      ports", "podSelector: {matchLabels: {x: y}}\n      ports", 1)
		if err := os.WriteFile(file, []byte(snapText), 0o644); err != nil {
			t.Fatal(err)
		}
		res, fs := moveFix(t, l)
		if r := reason(t, res, fs); !strings.Contains(r, "changed since it was loaded") {
			t.Errorf("reason = %q, want the stale-source reason", r)
		}
	})
}

// TestEgressOnly fixes a NetworkPolicy whose defaulted policyTypes isolate
// ingress (NR026, a kind of branch audit-core: the finding is built by
// hand here): the patch writes policyTypes: [Egress] and keeps the rest,
// and it opens exactly web's ingress, from db and from every address.
func TestEgressOnly(t *testing.T) {
	const in = `apiVersion: v1
kind: Namespace
metadata: {name: app}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: app, labels: {app: web}}
spec: {containers: [{name: main, image: example/web}]}
status: {phase: Running, podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: app, labels: {app: db}}
spec: {containers: [{name: main, image: example/db}]}
status: {phase: Running, podIP: 10.0.0.2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-egress, namespace: app, labels: {team: web}}
spec:
  podSelector: {matchLabels: {app: web}}
  egress:
  - to: [{podSelector: {matchLabels: {app: db}}}]
`
	file := filepath.Join(t.TempDir(), "in.yaml")
	if err := os.WriteFile(file, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	snap, err := policy.Load(policy.LoadOptions{}, file)
	if err != nil {
		t.Fatal(err)
	}
	m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
	if err != nil {
		t.Fatal(err)
	}
	np := snap.NetworkPolicies[0]
	f := audit.Finding{ID: "NR026", Kind: "implicit-ingress-isolation", Namespace: "app", Objects: []policy.ObjectRef{np.ObjectRef}}
	res, err := fix.Generate(context.Background(), snap, m, []audit.Finding{f}, fix.Options{MaxGroups: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Fixes) != 1 {
		t.Fatalf("fixes = %+v, want one", res.Entries)
	}
	fx := res.Fixes[0]
	wantYAML := `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  labels:
    team: web
  name: web-egress
  namespace: app
spec:
  egress:
  - to:
    - podSelector:
        matchLabels:
          app: db
  podSelector:
    matchLabels:
      app: web
  policyTypes:
  - Egress
`
	if fx.Kind != fix.EgressOnly || !fx.Replaces || fx.YAML != wantYAML {
		t.Errorf("fix = %s %v\n%s\nwant %s replacing\n%s", fx.Kind, fx.Replaces, fx.YAML, fix.EgressOnly, wantYAML)
	}
	want := fix.Flows{Pairs: 2, Groups: []fix.FlowGroup{
		{Src: "0.0.0.0/0", Dst: "app/web", Ports: "all ports", Pairs: 1},
		{Src: "app/db", Dst: "app/web", Ports: "all ports", Pairs: 1},
	}}
	if fx.Effect == nil || fx.Effect.Closed.Pairs != 0 {
		t.Fatalf("effect = %+v, want nothing closed", fx.Effect)
	}
	if d := cmp.Diff(want, fx.Effect.Opened); d != "" {
		t.Errorf("opened (-want +got):\n%s", d)
	}
}
