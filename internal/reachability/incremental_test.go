package reachability_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/randcluster"
	"github.com/netreach/netreach/internal/reachability"
)

// TestUpdateEqualsCompute applies random sequences of changes to random
// clusters — policies (Kubernetes, cluster-wide and Calico) added,
// replaced and deleted; pods added, replaced and deleted; namespaces
// relabelled, added and deleted; service accounts, services and nodes
// replaced — and checks that the incremental Update gives exactly the
// matrix a full Compute gives, every flow, after every step, with the
// same classes and atoms. It also checks that most steps were incremental.
func TestUpdateEqualsCompute(t *testing.T) {
	ctx := context.Background()
	var copied, evaluated int64
	reasons := map[reachability.FullReason]int{}
	steps, remapped, columns := 0, 0, 0
	for i := 0; i < *diffClusters/3; i++ {
		seed := *diffSeed + uint64(i)
		r := rand.New(rand.NewPCG(seed, 0x1ac))
		calico := seed%3 == 1 // by seed, so that a rerun from the seed repeats it
		cfg := randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(8), Policies: r.IntN(6), Admin: !calico, Calico: calico}
		snap := load(t, seed, randcluster.Generate(r, cfg))
		opts := reachability.Options{KeepSides: true, IPBlockIgnoresPodIPs: r.IntN(4) == 0, OwnNodeEgressUnpoliced: r.IntN(4) == 0}
		if calico {
			opts.Mode = policy.ModeCalico
			opts.Staged = policy.StagedView(r.IntN(3))
		}
		m, err := reachability.Compute(ctx, snap, opts)
		if err != nil {
			t.Fatal(err)
		}
		for step := 0; step < 4; step++ {
			// Objects of another random cluster over the same names
			// replace or add to ours; some of ours are deleted.
			other := load(t, seed, randcluster.Generate(rand.New(rand.NewPCG(seed, uint64(step+1))), cfg))
			change, deletes := randomChange(r, snap, other)
			next, err := snap.Apply(change, deletes)
			if err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
			rerun := fmt.Sprintf("seed %d step %d (rerun with -run UpdateEqualsCompute -diff.seed=%d -diff.clusters=3)", seed, step, seed)
			got, want := updateEqualsCompute(t, m, next, opts, rerun)
			gs, ws := got.Stats(), want.Stats()
			if gs.Classes != ws.Classes || gs.ExternalAtoms != ws.ExternalAtoms || gs.PortAtoms != ws.PortAtoms {
				t.Fatalf("%s: update has %d classes, %d external and %d port atoms; compute %d, %d, %d",
					rerun, gs.Classes, gs.ExternalAtoms, gs.PortAtoms, ws.Classes, ws.ExternalAtoms, ws.PortAtoms)
			}
			if gs.Update.Full {
				reasons[gs.Update.Reason]++
			} else {
				copied += gs.RowsCopied
				evaluated += gs.RowsEvaluated
				if gs.Update.Remapped {
					remapped++
				}
				if gs.Update.ColumnsEvaluated > 0 {
					columns++
				}
			}
			steps++
			snap, m = next, got
		}
	}
	full := 0
	for _, n := range reasons {
		full += n
	}
	if full > steps/2 {
		t.Errorf("%d of %d updates were computed in full (%v): the incremental path is not exercised enough", full, steps, reasons)
	}
	if copied == 0 || remapped == 0 || columns == 0 {
		t.Errorf("rows copied %d, remapped updates %d, updates evaluating columns %d: some path was never exercised", copied, remapped, columns)
	}
	t.Logf("%d updates: %d full %v; incremental ones copied %d bundles, evaluated %d, remapped the universe %d times, evaluated columns %d times",
		steps, full, reasons, copied, evaluated, remapped, columns)
}

// updateEqualsCompute updates m to next and computes next with opts, and
// fails the test (saying how to rerun it) unless both give the same
// matrix, every flow; it returns both.
func updateEqualsCompute(t *testing.T, m *reachability.Matrix, next *policy.Snapshot, opts reachability.Options, rerun string) (got, want *reachability.Matrix) {
	t.Helper()
	ctx := context.Background()
	got, err := reachability.Update(ctx, m, next)
	if err != nil {
		t.Fatal(err)
	}
	want, err = reachability.Compute(ctx, next, opts)
	if err != nil {
		t.Fatal(err)
	}
	if msg := sameMatrix(got, want); msg != "" {
		t.Fatalf("%s: %s (update stats %+v)", rerun, msg, got.Stats().Update)
	}
	return got, want
}

// randomChange picks objects of other to apply on s (each kind with some
// probability, a random subset) and objects of s to delete.
func randomChange(r *rand.Rand, s, other *policy.Snapshot) (*policy.Snapshot, []string) {
	change := &policy.Snapshot{}
	some := func(n int) int {
		if n == 0 || r.IntN(3) != 0 {
			return 0
		}
		return 1 + r.IntN(n)
	}
	pick := func(n int) []int { return r.Perm(n)[:some(n)] }
	for _, k := range pick(len(other.Endpoints)) {
		change.Endpoints = append(change.Endpoints, other.Endpoints[k])
	}
	for _, k := range pick(len(other.Namespaces)) {
		if ns := other.Namespaces[k]; !ns.Synthesized {
			change.Namespaces = append(change.Namespaces, ns)
		}
	}
	for _, k := range pick(len(other.ServiceAccounts)) {
		change.ServiceAccounts = append(change.ServiceAccounts, other.ServiceAccounts[k])
	}
	for _, k := range pick(len(other.Services)) {
		change.Services = append(change.Services, other.Services[k])
	}
	for _, k := range pick(len(other.Nodes)) {
		change.Nodes = append(change.Nodes, other.Nodes[k])
	}
	for _, k := range pick(len(other.NetworkPolicies)) {
		change.NetworkPolicies = append(change.NetworkPolicies, other.NetworkPolicies[k])
	}
	for _, k := range pick(len(other.Admin.Policies)) {
		change.Admin.Policies = append(change.Admin.Policies, other.Admin.Policies[k])
	}
	for _, k := range pick(len(other.Calico.Policies)) {
		change.Calico.Policies = append(change.Calico.Policies, other.Calico.Policies[k])
	}
	if r.IntN(8) == 0 {
		change.Calico.NetworkSets = other.Calico.NetworkSets
	}
	var deletes []string
	for _, k := range pick(len(s.Endpoints)) {
		if e := s.Endpoints[k]; e.Kind == "Pod" {
			deletes = append(deletes, "pod/"+e.Namespace+"/"+e.Name)
		}
	}
	if n := len(s.NetworkPolicies); n > 0 && r.IntN(3) == 0 {
		np := s.NetworkPolicies[r.IntN(n)]
		deletes = append(deletes, "networkpolicy/"+np.Namespace+"/"+np.Name)
	}
	if n := len(s.Namespaces); n > 0 && r.IntN(8) == 0 {
		if ns := s.Namespaces[r.IntN(n)]; !ns.Synthesized {
			deletes = append(deletes, "namespace/"+ns.Name)
		}
	}
	if n := len(s.ServiceAccounts); n > 0 && r.IntN(6) == 0 {
		sa := s.ServiceAccounts[r.IntN(n)]
		deletes = append(deletes, "serviceaccount/"+sa.Namespace+"/"+sa.Name)
	}
	if n := len(s.Services); n > 0 && r.IntN(6) == 0 {
		svc := s.Services[r.IntN(n)]
		deletes = append(deletes, "service/"+svc.Namespace+"/"+svc.Name)
	}
	return change, deletes
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
		checkAllowedPairs(t, fmt.Sprintf("seed %d", seed), m)
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
			after, err := before.Apply(load(t, 2, []byte(tc.change)), nil)
			if err != nil {
				t.Fatal(err)
			}
			m, got, want := updateAndCompute(t, before, after, opts)
			if msg := sameMatrix(got, want); msg != "" {
				t.Fatal(msg)
			}
			if d := reachability.Diff(m, want); d.IsEmpty() {
				t.Fatal("the change should change the matrix; the test would prove nothing")
			}
		})
	}
}

// TestUpdateReasons checks that Update says when, and why, it computed a
// matrix from scratch, and that it is incremental otherwise.
func TestUpdateReasons(t *testing.T) {
	ctx := context.Background()
	base := load(t, 1, []byte(`
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a, labels: {app: web}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.1}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: a}
spec: {podSelector: {}}
`))
	calico := load(t, 2, []byte(`
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: allow-all}
spec: {selector: all(), types: [Ingress], ingress: [{action: Allow}]}
`))
	pod := load(t, 3, []byte(`
apiVersion: v1
kind: Pod
metadata: {name: q, namespace: a, labels: {app: db}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.2}
`))
	withCalico, err := base.Apply(calico, nil)
	if err != nil {
		t.Fatal(err)
	}
	withPod, err := base.Apply(pod, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		opts   reachability.Options
		next   *policy.Snapshot
		reason reachability.FullReason // "" for incremental
	}{
		{"no sides", reachability.Options{}, withPod, reachability.ReasonNoSides},
		{"mode changes", reachability.Options{KeepSides: true}, withCalico, reachability.ReasonMode},
		{"pod added", reachability.Options{KeepSides: true}, withPod, ""},
		{"nothing changed", reachability.Options{KeepSides: true}, base, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := reachability.Compute(ctx, base, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := reachability.Update(ctx, m, tc.next)
			if err != nil {
				t.Fatal(err)
			}
			st := got.Stats().Update
			if st.Full != (tc.reason != "") || st.Reason != tc.reason {
				t.Fatalf("Update: Full %v, Reason %q (%s), want Full %v, Reason %q", st.Full, st.Reason, st.Detail, tc.reason != "", tc.reason)
			}
			want, err := reachability.Compute(ctx, tc.next, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if msg := sameMatrix(got, want); msg != "" {
				t.Fatal(msg)
			}
			if !got.Options().KeepSides {
				t.Fatal("the result of Update does not keep its sides")
			}
			// The next update from the result is incremental.
			again, err := reachability.Update(ctx, got, base)
			if err != nil {
				t.Fatal(err)
			}
			if st := again.Stats().Update; st.Full && st.Reason != reachability.ReasonMode {
				t.Fatalf("second Update computed in full: %s (%s)", st.Reason, st.Detail)
			}
		})
	}
}

// TestUpdateConcurrent updates one matrix into several next versions at
// once: Update only reads prev, so each result must equal a full Compute
// and prev must stay as it was (run with -race to check the sharing).
func TestUpdateConcurrent(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 0xc0))
	cfg := randcluster.Config{Namespaces: 3, Pods: 9, Policies: 5, Admin: true}
	snap := load(t, 7, randcluster.Generate(r, cfg))
	opts := reachability.Options{KeepSides: true}
	prev, err := reachability.Compute(ctx, snap, opts)
	if err != nil {
		t.Fatal(err)
	}
	var nexts []*policy.Snapshot
	for k := range 6 {
		other := load(t, 7, randcluster.Generate(rand.New(rand.NewPCG(7, uint64(k+1))), cfg))
		change, deletes := randomChange(r, snap, other)
		next, err := snap.Apply(change, deletes)
		if err != nil {
			t.Fatal(err)
		}
		nexts = append(nexts, next)
	}
	got := make([]*reachability.Matrix, len(nexts))
	var wg sync.WaitGroup
	for k, next := range nexts {
		wg.Go(func() {
			m, err := reachability.Update(ctx, prev, next)
			if err != nil {
				t.Error(err)
				return
			}
			got[k] = m
		})
	}
	wg.Wait()
	for k, next := range nexts {
		want, err := reachability.Compute(ctx, next, opts)
		if err != nil {
			t.Fatal(err)
		}
		if msg := sameMatrix(got[k], want); msg != "" {
			t.Errorf("update %d: %s", k, msg)
		}
	}
	again, err := reachability.Compute(ctx, snap, opts)
	if err != nil {
		t.Fatal(err)
	}
	if msg := sameMatrix(prev, again); msg != "" {
		t.Errorf("prev changed under the updates: %s", msg)
	}
}

// TestUpdatePodInNetworkSet adds a pod whose address lies in a
// GlobalNetworkSet that a rule selects with namespaceSelector global():
// the pod is not in the rule's namespace scope, yet it matches by its
// address [docs/semantics.md §3.5], so its column must be evaluated again
// (found by TestUpdateEqualsCompute, seed 5176).
func TestUpdatePodInNetworkSet(t *testing.T) {
	before := load(t, 1, []byte(`
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: udp-79}
spec:
  selector: all()
  egress:
  - action: Allow
    protocol: UDP
    source: {namespaceSelector: global()}
    destination: {ports: [79]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: everything}
spec: {nets: ["0.0.0.0/0", "fd00::1/128"]}
`))
	pod := load(t, 2, []byte(`
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a, labels: {app: p}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.5}
`))
	after, err := before.Apply(&policy.Snapshot{Endpoints: pod.Endpoints}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, got, want := updateAndCompute(t, before, after, reachability.Options{KeepSides: true, Mode: policy.ModeCalico})
	if got.Stats().Update.Full {
		t.Fatalf("the update was computed in full (%s): the incremental path was not exercised", got.Stats().Update.Reason)
	}
	if msg := sameMatrix(got, want); msg != "" {
		t.Fatal(msg)
	}
}

// TestUpdateNetworkSetNamespaceRelabelled relabels the namespace of a
// NetworkSet that a rule selects with a namespaceSelector: pods whose
// address lies in the set match the rule by that address, whatever their
// own namespace [docs/semantics.md §3.5], so their classes enter or leave
// the compiled sets of a policy that did not change, though neither they
// nor their namespace did (found by TestUpdateEqualsCompute, seed 130279;
// the case is that one, minimised). The pods' columns and their own rows
// must be evaluated again: the rule tests the peer (source) in one case,
// the subject itself (destination of an ingress rule) in the other.
func TestUpdateNetworkSetNamespaceRelabelled(t *testing.T) {
	namespace := func(team string) string {
		return `
apiVersion: v1
kind: Namespace
metadata: {name: sets, labels: {team: ` + team + `}}
`
	}
	base := namespace("b") + `---
apiVersion: projectcalico.org/v3
kind: NetworkSet
metadata: {name: office, namespace: sets}
spec: {nets: ["10.1.1.0/24"]}
---
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: a, labels: {app: client}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.1.1.1}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: a, labels: {app: web}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.1.1.2}
---
`
	for _, tc := range []struct{ name, rule string }{
		{"source", `{action: Allow, source: {namespaceSelector: team == 'b'}}`},
		{"destination", `{action: Allow, destination: {namespaceSelector: team == 'b'}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := load(t, 1, []byte(base+`
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web, namespace: a}
spec:
  selector: app == 'web'
  types: [Ingress]
  ingress: [`+tc.rule+`]
`))
			after, err := before.Apply(load(t, 2, []byte(namespace("c"))), nil)
			if err != nil {
				t.Fatal(err)
			}
			m, got, want := updateAndCompute(t, before, after, reachability.Options{KeepSides: true, Mode: policy.ModeCalico})
			if got.Stats().Update.Full {
				t.Fatalf("the update was computed in full (%s): the incremental path was not exercised", got.Stats().Update.Reason)
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

// updateAndCompute computes the matrix of before, updates it to after, and
// computes after from scratch.
func updateAndCompute(t *testing.T, before, after *policy.Snapshot, opts reachability.Options) (prev, got, want *reachability.Matrix) {
	t.Helper()
	ctx := context.Background()
	prev, err := reachability.Compute(ctx, before, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, err = reachability.Update(ctx, prev, after); err != nil {
		t.Fatal(err)
	}
	if want, err = reachability.Compute(ctx, after, opts); err != nil {
		t.Fatal(err)
	}
	return prev, got, want
}

// TestUpdateHostEndpointsAndPools checks that Update computes from scratch,
// and says why, when Calico host endpoints or pods placed in IP pools are
// in use before or after the change: the incremental path does not follow
// forwarded traffic, Felix settings or pool variants. The result equals
// Compute's either way.
func TestUpdateHostEndpointsAndPools(t *testing.T) {
	ctx := context.Background()
	calico := load(t, 11, []byte(`
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Node
metadata: {name: node-1}
status: {addresses: [{type: InternalIP, address: 192.168.0.11}]}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a, labels: {app: web}}
spec: {nodeName: node-1, containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.1}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: web}
spec:
  selector: app == 'web' || role == 'worker'
  types: [Ingress, Egress]
  ingress: [{action: Allow, source: {nets: [10.0.0.0/8]}}]
  egress: [{action: Allow, destination: {nets: [10.0.0.0/16]}}]
`))
	hep := load(t, 12, []byte(`
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node-1-eth0, labels: {role: worker}}
spec: {node: node-1, interfaceName: eth0, expectedIPs: [192.168.0.11]}
`))
	pooled := load(t, 13, []byte(`
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: one}
spec: {cidr: 10.0.0.0/16}
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: two}
spec: {cidr: 10.1.0.0/16}
---
apiVersion: v1
kind: Pod
metadata: {name: q, namespace: a, labels: {app: web}}
spec: {nodeName: node-1, containers: [{name: c, image: x}]}
`))
	withHEP, err := calico.Apply(hep, nil)
	if err != nil {
		t.Fatal(err)
	}
	withPools, err := calico.Apply(pooled, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(withPools.Endpoints, func(e *policy.Endpoint) bool { return len(e.IPs) == 0 && len(e.PoolRanges) > 1 }) {
		t.Fatal("the pod without an address has no pool ranges; the test would prove nothing")
	}
	for _, tc := range []struct {
		name     string
		from, to *policy.Snapshot
		reason   reachability.FullReason
	}{
		{"host endpoint added", calico, withHEP, reachability.ReasonHostEndpoints},
		{"host endpoint removed", withHEP, calico, reachability.ReasonHostEndpoints},
		{"pooled pod added", calico, withPools, reachability.ReasonPools},
		{"pooled pod removed", withPools, calico, reachability.ReasonPools},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := reachability.Options{KeepSides: true}
			m, err := reachability.Compute(ctx, tc.from, opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := reachability.Update(ctx, m, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			if st := got.Stats().Update; !st.Full || st.Reason != tc.reason {
				t.Fatalf("Update: Full %v, Reason %q (%s), want Full, Reason %q", st.Full, st.Reason, st.Detail, tc.reason)
			}
			want, err := reachability.Compute(ctx, tc.to, opts)
			if err != nil {
				t.Fatal(err)
			}
			if msg := sameMatrix(got, want); msg != "" {
				t.Fatal(msg)
			}
		})
	}
}
