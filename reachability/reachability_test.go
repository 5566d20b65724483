package reachability_test

import (
	"context"
	"encoding"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/netreach/netreach/internal/bridge"
	ipolicy "github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/randcluster"
	ireach "github.com/netreach/netreach/internal/reachability"
	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
)

func objectsOf(t *testing.T, data []byte) []any {
	t.Helper()
	objs, err := randcluster.Objects(data)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// random returns the objects and the matrix of a random cluster.
func random(t *testing.T, seed uint64) ([]any, *reachability.Matrix) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 0x9b))
	cfg := randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(8), Policies: r.IntN(6), Admin: seed%2 == 0, Calico: seed%3 == 1}
	objs := objectsOf(t, randcluster.Generate(r, cfg))
	s, _ := policy.FromObjects(objs...)
	if s == nil {
		t.Fatalf("seed %d: no snapshot", seed)
	}
	opts := reachability.Options{}
	if r.IntN(4) == 0 {
		opts.IPBlockMatchesPodIPs = reachability.Off
	}
	m, err := reachability.Compute(context.Background(), s, opts)
	if err != nil {
		t.Fatal(err)
	}
	return objs, m
}

// TestQueryAndReachersAgreeWithCells: on random clusters, Query by name
// gives the internal matrix's cell for every pair of entries and every
// port atom, and Reachers and Reachable give exactly the entries whose
// cells allow some connection to (from) another selected endpoint.
func TestQueryAndReachersAgreeWithCells(t *testing.T) {
	t.Parallel()
	for seed := uint64(0); seed < 24; seed++ {
		_, m := random(t, seed)
		im := bridge.Matrix(m)
		atoms := im.PortAtoms()
		n, nE := im.Len(), im.NumEndpoints()
		for i := range n {
			for j := range n {
				if i >= nE && j >= nE {
					continue // two external ranges: not a pair
				}
				for p, a := range atoms {
					got, err := m.Query(im.Name(i), im.Name(j), reachability.Port{Protocol: policy.Protocol(a.Protocol), Port: a.Lo})
					if i < nE && j < nE && im.Name(i) == im.Name(j) {
						continue // an ambiguous name
					}
					if err != nil || got != reachability.Verdict(im.At(i, j, p)) {
						t.Fatalf("seed %d: Query(%s, %s, %s) = %v, %v; the cell says %v", seed, im.Name(i), im.Name(j), a, got, err, im.At(i, j, p))
					}
				}
			}
		}
		for _, ns := range m.Snapshot().Namespaces() {
			sel := reachability.MustParseSelection(ns + "/*")
			selected := func(k int) bool { return k < nE && im.Endpoint(k).Namespace == ns }
			for _, forward := range []bool{false, true} {
				want := map[string][]int{} // name -> atoms
				for i := range n {
					for p := range atoms {
						for j := range nE {
							if !selected(j) || j == i {
								continue
							}
							src, dst := i, j
							if forward {
								src, dst = j, i
							}
							if im.At(src, dst, p) == ireach.Allow {
								want[im.Name(i)] = append(want[im.Name(i)], p)
								break
							}
						}
					}
				}
				ask := m.Reachers
				if forward {
					ask = m.Reachable
				}
				seq, err := ask(sel, reachability.AllConnections())
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]bool{}
				for name, c := range seq {
					got[name] = true
					ps, ok := want[name]
					if !ok {
						t.Fatalf("seed %d forward %v: %s is answered for %s (%s) but no cell allows it", seed, forward, name, sel, c)
					}
					for p, a := range atoms {
						if c.Contains(reachability.Port{Protocol: policy.Protocol(a.Protocol), Port: a.Lo}) != slices.Contains(ps, p) {
							t.Fatalf("seed %d forward %v: %s with %s: connections %s disagree with the cells on %s", seed, forward, name, sel, c, a)
						}
					}
				}
				if len(got) != len(want) {
					t.Fatalf("seed %d forward %v: %d entries answered for %s, the cells say %d", seed, forward, len(got), sel, len(want))
				}
			}
		}
	}
}

// TestExplainAgreesWithQuery: the verdict of an explanation is the
// matrix's.
func TestExplainAgreesWithQuery(t *testing.T) {
	t.Parallel()
	for seed := uint64(0); seed < 12; seed++ {
		_, m := random(t, seed)
		eps := m.Snapshot().Endpoints()
		for k := range 10 {
			from, to := eps[(k*7)%len(eps)], eps[(k*3+1)%len(eps)]
			port := reachability.Port{Protocol: policy.TCP, Port: uint16(80 + k%3)}
			v, err := m.Query(from, to, port)
			if err != nil {
				t.Fatal(err)
			}
			e, err := m.Explain(from, to, port)
			if err != nil {
				t.Fatal(err)
			}
			if e.Verdict != v || e.String() == "" {
				t.Fatalf("seed %d: Explain(%s, %s, %s) = %v, Query says %v", seed, from, to, port, e.Verdict, v)
			}
			for _, side := range []reachability.Side{e.Egress, e.Ingress} {
				if side.Rule != nil && side.Rule.Policy.Name == "" {
					t.Fatalf("seed %d: a deciding rule without its policy: %+v", seed, side.Rule)
				}
			}
		}
	}
}

// TestUpdateEqualsCompute: pods and policies added and removed through
// Snapshot.With and Without; Matrix.Update gives the matrix Compute
// gives (Diff finds nothing), and adding or removing a pod is
// incremental.
func TestUpdateEqualsCompute(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	incremental := 0
	for seed := uint64(0); seed < 12; seed++ {
		objs, m := random(t, seed)
		s := m.Snapshot()
		r := rand.New(rand.NewPCG(seed, 5))
		for step := range 4 {
			var err error
			var next *policy.Snapshot
			if step%2 == 0 {
				ip := fmt.Sprintf("10.9.%d.%d", step, seed)
				next, err = s.With(map[string]any{"apiVersion": "v1", "kind": "Pod",
					"metadata": map[string]any{"name": fmt.Sprintf("new-%d", step), "namespace": s.Namespaces()[0], "labels": map[string]any{"app": []string{"a", "b", "c"}[r.IntN(3)]}},
					"status":   map[string]any{"podIP": ip, "phase": "Running"}})
			} else {
				refs := s.Objects()
				var pods []policy.ObjectRef
				for _, ref := range refs {
					if ref.Kind == "Pod" {
						pods = append(pods, ref)
					}
				}
				if len(pods) == 0 {
					continue
				}
				next, err = s.Without(pods[r.IntN(len(pods))])
			}
			if next == nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
			got, err := m.Update(ctx, next)
			if err != nil {
				t.Fatal(err)
			}
			want, err := reachability.Compute(ctx, next, m.Options())
			if err != nil {
				t.Fatal(err)
			}
			d, err := reachability.Diff(got, want)
			if err != nil {
				t.Fatal(err)
			}
			if !d.IsEmpty() {
				t.Fatalf("seed %d step %d: Update differs from Compute: %+v", seed, step, d)
			}
			st := got.Stats()
			if !st.Updated {
				t.Fatalf("seed %d step %d: Stats of an update: %+v", seed, step, st)
			}
			if !st.Full {
				incremental++
			}
			s, m = next, got
		}
		_ = objs
	}
	if incremental == 0 {
		t.Error("no update was incremental")
	}
}

// TestNilAndZeroNeverPanic: nil and zero values give errors or empty
// answers.
func TestNilAndZeroNeverPanic(t *testing.T) {
	ctx := context.Background()
	isInvalid := func(err error) bool { var e *policy.InvalidInputError; return errors.As(err, &e) }
	for _, s := range []*policy.Snapshot{nil, {}} {
		if _, err := reachability.Compute(ctx, s, reachability.Options{}); !isInvalid(err) {
			t.Errorf("Compute(%v) = %v", s, err)
		}
	}
	for _, m := range []*reachability.Matrix{nil, {}} {
		port := reachability.Port{Protocol: policy.TCP, Port: 80}
		if _, err := m.Query("a/b", "a/c", port); !isInvalid(err) {
			t.Errorf("Query on %v = %v", m, err)
		}
		if _, err := m.Reachers(reachability.MustParseSelection("a/*"), reachability.AllConnections()); !isInvalid(err) {
			t.Errorf("Reachers on %v = %v", m, err)
		}
		if _, err := m.Update(ctx, nil); !isInvalid(err) {
			t.Errorf("Update on %v = %v", m, err)
		}
		if _, err := m.Explain("a/b", "a/c", port); !isInvalid(err) {
			t.Errorf("Explain on %v = %v", m, err)
		}
		if _, err := m.Group(reachability.GroupOptions{}); !isInvalid(err) {
			t.Errorf("Group on %v = %v", m, err)
		}
		if _, err := reachability.Diff(m, m); !isInvalid(err) {
			t.Errorf("Diff on %v = %v", m, err)
		}
		if m.Snapshot() != nil || m.Diagnostics() != nil || m.Stats() != (reachability.Stats{}) {
			t.Errorf("accessors of %v are not empty", m)
		}
	}
	var g *reachability.Grouping
	for _, err := range g.Pairs(ctx) {
		if !isInvalid(err) {
			t.Errorf("Pairs of a nil Grouping = %v", err)
		}
	}
	_, m := random(t, 3)
	if _, err := m.Reachers(reachability.Selection{}, reachability.AllConnections()); !isInvalid(err) {
		t.Errorf("Reachers(zero Selection) = %v", err)
	}
	var unknown *reachability.UnknownEndpointError
	if _, err := m.Query("nowhere/nothing", m.Snapshot().Endpoints()[0], reachability.Port{Protocol: policy.TCP, Port: 1}); !errors.As(err, &unknown) || unknown.Name != "nowhere/nothing" {
		t.Errorf("Query(unknown) = %v", err)
	}
	for _, p := range []reachability.Port{{}, {Protocol: policy.TCP}, {Protocol: policy.SCTP}} {
		eps := m.Snapshot().Endpoints()
		if _, err := m.Query(eps[0], eps[0], p); !isInvalid(err) {
			t.Errorf("Query(%v) = %v", p, err)
		}
		if _, err := m.Explain(eps[0], eps[0], p); !isInvalid(err) {
			t.Errorf("Explain(%v) = %v", p, err)
		}
	}
	for _, o := range []reachability.Options{{Mode: 9}, {CalicoVersion: "2.0"}, {Staged: "x"}, {Mesh: "linkerd"}, {Incremental: 7}} {
		if _, err := reachability.Compute(ctx, m.Snapshot(), o); !isInvalid(err) {
			t.Errorf("Compute(%+v) = %v", o, err)
		}
	}
}

// TestGroupByNamespace: the pairs of a namespace grouping agree with
// Reachers on each namespace.
func TestGroupByNamespace(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(0); seed < 8; seed++ {
		_, m := random(t, seed)
		g, err := m.Group(reachability.GroupOptions{By: reachability.ByNamespace, EndpointsOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Groups()) != len(m.Snapshot().Namespaces()) {
			// namespaces without endpoints have no group
			for _, gr := range g.Groups() {
				if !slices.Contains(m.Snapshot().Namespaces(), gr.Name) {
					t.Fatalf("seed %d: group %s is no namespace", seed, gr.Name)
				}
			}
		}
		for p, err := range g.Pairs(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if p.Full.IsEmpty() && p.Partial.IsEmpty() && p.Conditional.IsEmpty() {
				t.Fatalf("seed %d: an empty pair %s -> %s", seed, p.From.Name, p.To.Name)
			}
			seq, err := m.Reachers(reachability.MustParseSelection(p.To.Name+"/*"), reachability.AllConnections())
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for name := range seq {
				if len(name) > len(p.From.Name) && name[:len(p.From.Name)+1] == p.From.Name+"/" {
					found = true
				}
			}
			if !found && !p.Full.Union(p.Partial).IsEmpty() {
				t.Fatalf("seed %d: %s -> %s is grouped as %s but Reachers finds no member", seed, p.From.Name, p.To.Name, p.Full.Union(p.Partial))
			}
		}
	}
}

// TestEnumText: every enumeration reads back what it writes.
func TestEnumText(t *testing.T) {
	check := func(v encoding.TextMarshaler, ptr encoding.TextUnmarshaler) {
		t.Helper()
		b, _ := v.MarshalText()
		if err := ptr.UnmarshalText(b); err != nil || reflect.ValueOf(ptr).Elem().Interface() != v {
			t.Errorf("round trip of %v: %v", v, err)
		}
		if ptr.UnmarshalText([]byte("nonsense")) == nil {
			t.Errorf("%T accepts nonsense", ptr)
		}
	}
	for _, v := range []reachability.Verdict{reachability.Deny, reachability.Allow, reachability.Conditional} {
		check(v, new(reachability.Verdict))
	}
	for _, v := range []reachability.Mode{reachability.ModeAuto, reachability.ModeKubernetes, reachability.ModeCalico} {
		check(v, new(reachability.Mode))
	}
	for _, v := range []reachability.Switch{reachability.Default, reachability.On, reachability.Off} {
		check(v, new(reachability.Switch))
	}
	for _, v := range []reachability.GroupBy{reachability.ByPod, reachability.ByWorkload, reachability.ByNamespace, reachability.ByTenant} {
		check(v, new(reachability.GroupBy))
	}
	c, err := reachability.ParseConnections("TCP 80,443,8000-8100; UDP 53")
	if err != nil || c.String() != "TCP 80,443,8000-8100; UDP 53" || !c.Contains(reachability.Port{Protocol: policy.UDP, Port: 53}) || c.Contains(reachability.Port{Protocol: policy.TCP, Port: 81}) {
		t.Errorf("ParseConnections = %v, %v", c, err)
	}
	var ranges []string
	for r := range c.Ranges() {
		ranges = append(ranges, r.String())
	}
	if want := []string{"80/TCP", "443/TCP", "8000-8100/TCP", "53/UDP"}; !slices.Equal(ranges, want) {
		t.Errorf("Ranges() = %v, want %v", ranges, want)
	}
}

// TestValuesMatchInternal: the public enumerations have the internal
// values they are converted to and from.
func TestValuesMatchInternal(t *testing.T) {
	pairs := [][2]int{
		{int(reachability.Deny), int(ireach.Deny)}, {int(reachability.Allow), int(ireach.Allow)}, {int(reachability.Conditional), int(ireach.Conditional)},
		{int(reachability.ModeAuto), int(ipolicy.ModeAuto)}, {int(reachability.ModeKubernetes), int(ipolicy.ModeK8s)}, {int(reachability.ModeCalico), int(ipolicy.ModeCalico)},
		{int(reachability.ByPod), int(ireach.ByPod)}, {int(reachability.ByWorkload), int(ireach.ByWorkload)},
		{int(reachability.ByNamespace), int(ireach.ByNamespace)}, {int(reachability.ByTenant), int(ireach.ByTenant)},
	}
	for i, p := range pairs {
		if p[0] != p[1] {
			t.Errorf("pair %d: public %d, internal %d", i, p[0], p[1])
		}
	}
}

// TestUpdateWithoutSides: a matrix computed with Incremental Off is
// updated from scratch, and Stats says why; the result keeps what the
// next update needs.
func TestUpdateWithoutSides(t *testing.T) {
	ctx := context.Background()
	objs, m := random(t, 5)
	s, _ := policy.FromObjects(objs...)
	lean, err := reachability.Compute(ctx, s, reachability.Options{Incremental: reachability.Off})
	if err != nil {
		t.Fatal(err)
	}
	if lean.Options().Incremental != reachability.Off || m.Options().Incremental != reachability.On {
		t.Fatalf("Options().Incremental = %v and %v", lean.Options().Incremental, m.Options().Incremental)
	}
	next, err := s.With(map[string]any{"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "extra", "namespace": s.Namespaces()[0]}, "status": map[string]any{"podIP": "10.77.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	u, err := lean.Update(ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	if st := u.Stats(); !st.Updated || !st.Full || st.Reason != "no-sides" {
		t.Errorf("Stats() = %+v, want a full update for no-sides", st)
	}
	if u.Options().Incremental != reachability.On {
		t.Errorf("the updated matrix does not keep its sides")
	}
}
