package reachability

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/randcluster"
)

// askMatrix loads and computes a random cluster.
func askMatrix(t *testing.T, seed uint64, calico bool) (*Matrix, []byte) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 0xa5c))
	data := randcluster.Generate(r, randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(8), Policies: r.IntN(6), Admin: seed%2 == 1, Calico: calico})
	return seedMatrix(t, seed, data), data
}

// seedMatrix loads and computes the random cluster of a seed.
func seedMatrix(t *testing.T, seed uint64, data []byte) *Matrix {
	t.Helper()
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes(fmt.Sprintf("seed-%d.yaml", seed), data)
	snap, err := l.Snapshot()
	if err != nil {
		t.Fatalf("seed %d: load: %v", seed, err)
	}
	m, err := Compute(context.Background(), snap, Options{})
	if err != nil {
		t.Fatalf("seed %d: compute: %v", seed, err)
	}
	return m
}

// TestQueryAgreesWithCells asks Query for every pair of named entries and
// every port atom of random clusters and compares with the matrix cells.
func TestQueryAgreesWithCells(t *testing.T) {
	t.Parallel()
	for seed := uint64(0); seed < 40; seed++ {
		m, data := askMatrix(t, seed, seed%3 == 0)
		for i := range m.Len() {
			from := m.Name(i)
			if e := m.Endpoint(i); e == nil {
				a, _ := m.ExternalAtom(i)
				from = a.Range.From().String()
			}
			if k, ok := m.Lookup(from); !ok || k != i {
				continue // a name two entries share, or an atom starting at a pod's address
			}
			for j := range m.Len() {
				to := m.Name(j)
				if m.Endpoint(j) == nil {
					a, _ := m.ExternalAtom(j)
					to = a.Range.To().String()
				}
				if k, ok := m.Lookup(to); !ok || k != j {
					continue
				}
				for p, at := range m.ports {
					if at.Others {
						continue
					}
					got, err := m.Query(from, to, Port{Protocol: at.Protocol, Number: at.Hi})
					if err != nil {
						t.Fatalf("seed %d: Query(%s, %s, %v): %v", seed, from, to, at, err)
					}
					if want := m.At(i, j, p); got != want {
						t.Fatalf("seed %d: Query(%s, %s, %v) = %v, want %v\n%s", seed, from, to, at, got, want, data)
					}
				}
			}
		}
	}
}

// TestReachersAgreeWithCells compares Reachers and Reachable with a
// brute-force reading of the matrix cells on random clusters and
// selections.
func TestReachersAgreeWithCells(t *testing.T) {
	t.Parallel()
	sels := []string{"ns0/*", "ns1/*", "app=a", "tier in (a,b)", "ns0/pod0", "10.0.0.0/8", "0.0.0.0/0", "team!=c"}
	for seed := uint64(0); seed < 60; seed++ {
		m, data := askMatrix(t, seed, seed%3 == 1)
		scope := m.ConnectionScope()
		portSets := []Connections{AllConnections(scope), NoConnections(scope).WithPorts(policy.TCP, 80, 90).WithPorts(policy.UDP, 53, 53)}
		for _, text := range sels {
			sel := MustParseSelection(text)
			var members []int
			for _, g := range m.selected(sel) {
				members = append(members, g...)
			}
			for _, ports := range portSets {
				for _, forward := range []bool{false, true} {
					want := map[string]Connections{}
					for i := range m.Len() {
						c := connectionsOf(m.ports, scope, func(p int) bool {
							for _, j := range members {
								a, b := i, j
								if forward {
									a, b = j, i
								}
								if a != b && m.IsPair(a, b) && m.At(a, b, p) == Allow {
									return true
								}
							}
							return false
						}).Intersect(ports)
						if !c.IsEmpty() {
							want[m.Name(i)] = want[m.Name(i)].Union(c)
						}
					}
					seq, err := m.Reachers(sel, ports)
					if forward {
						seq, err = m.Reachable(sel, ports)
					}
					if err != nil {
						t.Fatal(err)
					}
					got := map[string]Connections{}
					for name, c := range seq {
						got[name] = got[name].Union(c)
					}
					if len(got) != len(want) {
						t.Fatalf("seed %d, %q, %v, forward=%v: got %d entries, want %d\ngot %v\nwant %v\n%s", seed, text, ports, forward, len(got), len(want), got, want, data)
					}
					for name, w := range want {
						if g, ok := got[name]; !ok || !g.Equal(w) {
							t.Fatalf("seed %d, %q, %v, forward=%v: %s: got %v, want %v\n%s", seed, text, ports, forward, name, g, w, data)
						}
					}
				}
			}
		}
	}
}

// TestQueriesRefuseWhatTheyCannotResolve: a zero Flow, an unknown name,
// an endpoint no matrix has, and out-of-range cells give errors or Deny,
// never Allow and never a panic; an endpoint of another load of the same
// input names its counterpart.
func TestQueriesRefuseWhatTheyCannotResolve(t *testing.T) {
	t.Parallel()
	m, data := askMatrix(t, 7, false)
	if _, err := m.Verdict(Flow{}); !errors.As(err, new(*policy.InvalidInputError)) {
		t.Errorf("Verdict(Flow{}) error = %v, want *policy.InvalidInputError", err)
	}
	if ok, err := m.Allowed(Flow{}); ok || err == nil {
		t.Errorf("Allowed(Flow{}) = %v, %v; want false and an error", ok, err)
	}
	stranger := &policy.Endpoint{ObjectRef: policy.ObjectRef{Kind: "Pod", Namespace: "nowhere", Name: "x"}}
	f := Flow{Src: EndpointEntity(stranger), Dst: EndpointEntity(stranger), Protocol: policy.TCP, Port: 80}
	var unknown *UnknownEndpointError
	if v, err := m.Verdict(f); !errors.As(err, &unknown) || v != Deny || unknown.Name != "nowhere/x" {
		t.Errorf("Verdict(stranger) = %v, %v; want Deny and *UnknownEndpointError for nowhere/x", v, err)
	}
	if _, err := m.Query("nowhere/x", m.Name(0), Port{policy.TCP, 80}); !errors.As(err, &unknown) {
		t.Errorf("Query(unknown) error = %v, want *UnknownEndpointError", err)
	}
	if _, err := m.Reachers(Selection{}, AllConnections(ScopeKubernetes)); !errors.As(err, new(*policy.InvalidInputError)) {
		t.Errorf("Reachers(Selection{}) error = %v, want *policy.InvalidInputError", err)
	}
	for _, c := range [][3]int{{-1, -1, 0}, {0, m.Len(), 0}, {0, 0, len(m.ports)}, {0, 1, 99}, {m.Len(), m.Len(), -1}} {
		if v := m.At(c[0], c[1], c[2]); v != Deny {
			t.Errorf("At(%d, %d, %d) = %v, want deny (out of range)", c[0], c[1], c[2], v)
		}
	}
	// A reload of the same input: its endpoints name this matrix's.
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes("again.yaml", data)
	again, err := l.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range again.Endpoints {
		for j, d := range again.Endpoints {
			for p, at := range m.ports {
				if at.Others {
					continue
				}
				got, err := m.Verdict(Flow{Src: EndpointEntity(e), Dst: EndpointEntity(d), Protocol: at.Protocol, Port: at.Lo})
				if err != nil {
					t.Fatal(err)
				}
				if want := m.At(i, j, p); got != want {
					t.Fatalf("Verdict(%s -> %s %v) with endpoints of a reload = %v, want %v", e.ID(), d.ID(), at, got, want)
				}
			}
		}
	}
	names := slices.Collect(func(yield func(string) bool) {
		for _, n := range m.Entries() {
			if !yield(n) {
				return
			}
		}
	})
	if len(names) != m.Len() || names[0] != m.Name(0) {
		t.Errorf("Entries() gave %d names, want %d", len(names), m.Len())
	}
}
