package reachability_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/netreach/netreach/internal/randcluster"
	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
)

// TestUpdateEqualsCompute applies random sequences of policy changes
// (additions, replacements, deletions of Kubernetes, cluster-wide and
// Calico policies) and checks that the incremental Update gives exactly the
// matrix a full Compute gives, every flow, after every step.
func TestUpdateEqualsCompute(t *testing.T) {
	ctx := context.Background()
	var copied, evaluated int64
	for i := 0; i < *diffClusters/3; i++ {
		seed := *diffSeed + uint64(i)
		r := rand.New(rand.NewPCG(seed, 0x1ac))
		calico := i%2 == 1
		cfg := randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(8), Policies: r.IntN(6), Admin: i%3 == 0, Calico: calico}
		snap := load(t, seed, randcluster.Generate(r, cfg))
		opts := reachability.Options{KeepSides: true}
		if calico {
			opts.Mode = policy.ModeCalico
		}
		m, err := reachability.Compute(ctx, snap, opts)
		if err != nil {
			t.Fatal(err)
		}
		for step := 0; step < 4; step++ {
			// Policies of another random cluster over the same namespaces
			// replace or add to ours; one policy may be deleted.
			other := load(t, seed, randcluster.Generate(rand.New(rand.NewPCG(seed, uint64(step+1))), cfg))
			change := &policy.Snapshot{}
			if n := len(other.NetworkPolicies); n > 0 {
				change.NetworkPolicies = other.NetworkPolicies[:r.IntN(n+1)]
			}
			if n := len(other.Calico.Policies); n > 0 {
				change.Calico.Policies = other.Calico.Policies[:r.IntN(n+1)]
			}
			if n := len(other.Admin.Policies); n > 0 {
				change.Admin.Policies = other.Admin.Policies[:r.IntN(n+1)]
			}
			var deletes []string
			if n := len(snap.NetworkPolicies); n > 0 && r.IntN(2) == 0 {
				np := snap.NetworkPolicies[r.IntN(n)]
				deletes = append(deletes, "networkpolicy/"+np.Namespace+"/"+np.Name)
			}
			next, err := snap.Apply(change, deletes)
			if err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
			got, err := reachability.Update(ctx, m, next)
			if err != nil {
				t.Fatal(err)
			}
			want, err := reachability.Compute(ctx, next, opts)
			if err != nil {
				t.Fatal(err)
			}
			if msg := sameMatrix(got, want); msg != "" {
				t.Fatalf("seed %d step %d (rerun with -run Update -diff.seed=%d -diff.clusters=3): %s", seed, step, seed, msg)
			}
			st := got.Stats()
			copied += st.RowsCopied
			evaluated += st.RowsEvaluated
			snap, m = next, got
		}
	}
	if copied == 0 {
		t.Errorf("no row was ever copied: the incremental path was not exercised (evaluated %d)", evaluated)
	}
	t.Logf("rows copied %d, evaluated %d", copied, evaluated)
}

func load(t *testing.T, seed uint64, data []byte) *policy.Snapshot {
	t.Helper()
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes(fmt.Sprintf("seed-%d.yaml", seed), data)
	snap, err := l.Snapshot()
	if err != nil {
		t.Fatalf("seed %d: load: %v", seed, err)
	}
	return snap
}

// sameMatrix compares two matrices of the same snapshot flow by flow.
func sameMatrix(a, b *reachability.Matrix) string {
	if a.Len() != b.Len() || len(a.PortAtoms()) != len(b.PortAtoms()) {
		return fmt.Sprintf("shapes differ: %d entries × %d ports vs %d × %d", a.Len(), len(a.PortAtoms()), b.Len(), len(b.PortAtoms()))
	}
	for p, at := range a.PortAtoms() {
		if b.PortAtoms()[p] != at {
			return fmt.Sprintf("port atom %d differs: %v vs %v", p, at, b.PortAtoms()[p])
		}
		for i := 0; i < a.Len(); i++ {
			for j := 0; j < a.Len(); j++ {
				if a.IsPair(i, j) && a.At(i, j, p) != b.At(i, j, p) {
					return fmt.Sprintf("%s -> %s on %s: update says %s, compute says %s", a.Name(i), a.Name(j), at, a.At(i, j, p), b.At(i, j, p))
				}
			}
		}
	}
	return ""
}

// TestAllowedPairs checks the class-level pair count against counting
// endpoint pairs one by one, on random clusters.
func TestAllowedPairs(t *testing.T) {
	for i := 0; i < *diffClusters/10; i++ {
		seed := *diffSeed + uint64(i)
		r := rand.New(rand.NewPCG(seed, 0x9a1))
		snap := load(t, seed, randcluster.Generate(r, randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(12), Policies: r.IntN(6), Admin: i%2 == 0, Calico: i%3 == 0}))
		m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for p := range m.PortAtoms() {
			var want int64
			for a := 0; a < m.NumEndpoints(); a++ {
				for b := 0; b < m.NumEndpoints(); b++ {
					if m.At(a, b, p) == reachability.Allow {
						want++
					}
				}
			}
			if got := m.AllowedPairs(p); got != want {
				t.Fatalf("seed %d: AllowedPairs(%s) = %d, want %d", seed, m.PortAtoms()[p], got, want)
			}
		}
	}
}

// TestRowColumn checks Row, Column and Flows against At.
func TestRowColumn(t *testing.T) {
	for i := 0; i < *diffClusters/20; i++ {
		seed := *diffSeed + uint64(i)
		r := rand.New(rand.NewPCG(seed, 0x7c))
		snap := load(t, seed, randcluster.Generate(r, randcluster.Config{Namespaces: 2, Pods: 3 + r.IntN(10), Policies: r.IntN(6), Admin: i%2 == 0}))
		m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
		if err != nil {
			t.Fatal(err)
		}
		flows := map[reachability.FlowIndex]bool{}
		for f := range m.Flows() {
			flows[f] = true
		}
		for p := range m.PortAtoms() {
			for a := 0; a < m.Len(); a++ {
				row, col := m.Row(a, p), m.Column(a, p)
				for b := 0; b < m.Len(); b++ {
					want := m.IsPair(a, b) && m.At(a, b, p) == reachability.Allow
					if row.Has(b) != want || flows[reachability.FlowIndex{Src: a, Dst: b, Port: p}] != want {
						t.Fatalf("seed %d: Row/Flows(%s)[%s] on %s disagree with At (%v)", seed, m.Name(a), m.Name(b), m.PortAtoms()[p], want)
					}
					wantCol := m.IsPair(b, a) && m.At(b, a, p) == reachability.Allow
					if col.Has(b) != wantCol {
						t.Fatalf("seed %d: Column(%s)[%s] on %s = %v, At says %v", seed, m.Name(a), m.Name(b), m.PortAtoms()[p], col.Has(b), wantCol)
					}
				}
			}
		}
	}
}

// TestUpdateInventoryChange checks Update against Compute when objects
// policies read, not policies, change: a Node's address under a
// cluster-wide nodes peer, and a Service's selector under a Calico
// services rule. The policies themselves are the same objects before and
// after, so their lowering must not be reused blindly.
func TestUpdateInventoryChange(t *testing.T) {
	ctx := context.Background()
	node := func(ip string) string {
		return `
apiVersion: v1
kind: Node
metadata: {name: n1, labels: {role: infra}}
status: {addresses: [{type: InternalIP, address: ` + ip + `}]}
`
	}
	service := func(app string) string {
		return `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: a}
spec: {selector: {app: ` + app + `}, ports: [{port: 80}]}
`
	}
	base := node("10.1.0.1") + "---" + service("web") + `---
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: a, labels: {app: client}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: a, labels: {app: web}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: a, labels: {app: api}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.3}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: no-nodes}
spec:
  priority: 10
  subject: {namespaces: {}}
  egress:
  - {name: deny-infra, action: Deny, to: [{nodes: {matchLabels: {role: infra}}}]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: client-to-web, namespace: a}
spec:
  selector: app == 'client'
  types: [Egress]
  egress:
  - action: Allow
    destination: {services: {name: web}}
`
	v331, err := policy.ParseCalicoVersion("3.31") // enforces AdminNetworkPolicy
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, change string
		mode         policy.Mode
	}{
		{"node address", node("10.1.0.2"), policy.ModeK8s},
		{"node address", node("10.1.0.2"), policy.ModeCalico},
		{"service selector", service("api"), policy.ModeCalico},
	} {
		t.Run(tc.name+"/"+tc.mode.String(), func(t *testing.T) {
			opts := reachability.Options{KeepSides: true, Mode: tc.mode, CalicoVersion: v331}
			before := load(t, 1, []byte(base))
			m, err := reachability.Compute(ctx, before, opts)
			if err != nil {
				t.Fatal(err)
			}
			after, err := before.Apply(load(t, 2, []byte(tc.change)), nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := reachability.Update(ctx, m, after)
			if err != nil {
				t.Fatal(err)
			}
			want, err := reachability.Compute(ctx, after, opts)
			if err != nil {
				t.Fatal(err)
			}
			if msg := sameMatrix(got, want); msg != "" {
				t.Fatal(msg)
			}
			if d := reachability.Diff(m, want); d.IsEmpty() {
				t.Fatal("the change should change the matrix; the test would prove nothing")
			}
		})
	}
}
