package bench_test

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"testing"
	"time"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// updateSizes are the clusters BenchmarkUpdate runs on: 10,000 pods, and
// 150,000 with -bench.large.
var updateSizes = []size{computeSizes[1], computeSizes[3]}

// BenchmarkUpdate measures the incremental path on the realistic clusters,
// one sub-benchmark per kind of change:
//
//	policy            one NetworkPolicy loses its ingress rules
//	pod-add           a pod joins an existing workload (and its class)
//	pod-add-class     a pod with labels no other pod has (a new class)
//	pod-remove        a pod of a workload with other replicas goes
//	pod-remove-class  the only pod of its class goes (the class disappears)
//	namespace-labels  an application namespace moves to another team
//	service           a Service is added (Kubernetes policies do not read Services)
//
// /incremental is reachability.Update from the matrix of the unchanged
// cluster; /full is reachability.Compute of the changed cluster with the
// same options, in the same run, for the ratio. At 150,000 pods /full
// runs for the policy change only (it takes seconds). Besides the usual
// figures it reports how many (class, direction) bundles the update
// evaluated and took over, how many columns it evaluated, and the time of
// each phase of the last update (lower-ms … transpose-ms) and the CPU time
// per update of the whole process (cpu-ms/op).
func BenchmarkUpdate(b *testing.B) {
	for _, s := range updateSizes {
		b.Run(fmt.Sprintf("pods=%d", s.pods), func(b *testing.B) {
			if s.large && !*large {
				b.Skip("skipped without -bench.large")
			}
			benchUpdate(b, s)
		})
	}
}

// updateChanges are the changes BenchmarkUpdate applies, each as a
// function of the cluster returning the objects to apply and delete.
var updateChanges = []struct {
	name  string
	build func(tb testing.TB, s *policy.Snapshot, m *reachability.Matrix) (*policy.Snapshot, []string)
}{
	{"policy", func(tb testing.TB, s *policy.Snapshot, _ *reachability.Matrix) (*policy.Snapshot, []string) {
		// A copy without ingress rules: its pods stay isolated and lose
		// every allowed ingress flow.
		for i := len(s.NetworkPolicies) / 2; i < len(s.NetworkPolicies); i++ {
			if p := s.NetworkPolicies[i]; len(p.Spec.Ingress) > 0 && p.Applies(policy.Ingress) {
				np := *p
				np.Spec.Ingress = nil
				return &policy.Snapshot{NetworkPolicies: []*policy.NetworkPolicy{&np}}, nil
			}
		}
		tb.Fatal("no NetworkPolicy with ingress rules")
		return nil, nil
	}},
	{"pod-add", func(tb testing.TB, s *policy.Snapshot, m *reachability.Matrix) (*policy.Snapshot, []string) {
		e := replica(tb, s)
		pod := *e
		pod.Name += "-extra"
		pod.IPs = []netip.Addr{freeAddress(tb, s, m, e.IPs[0])}
		return &policy.Snapshot{Endpoints: []*policy.Endpoint{&pod}}, nil
	}},
	{"pod-add-class", func(tb testing.TB, s *policy.Snapshot, m *reachability.Matrix) (*policy.Snapshot, []string) {
		e := replica(tb, s)
		pod := *e
		pod.Name += "-canary"
		pod.Labels = maps.Clone(e.Labels)
		pod.Labels["app"] = e.Labels["app"] + "-canary" // a value no selector names
		pod.IPs = []netip.Addr{freeAddress(tb, s, m, e.IPs[0])}
		return &policy.Snapshot{Endpoints: []*policy.Endpoint{&pod}}, nil
	}},
	{"pod-remove", func(tb testing.TB, s *policy.Snapshot, _ *reachability.Matrix) (*policy.Snapshot, []string) {
		e := replica(tb, s)
		return nil, []string{"pod/" + e.Namespace + "/" + e.Name}
	}},
	{"pod-remove-class", func(tb testing.TB, s *policy.Snapshot, m *reachability.Matrix) (*policy.Snapshot, []string) {
		// The only pod of its class: the class disappears.
		members := make([]int, m.NumClasses())
		for i := range s.Endpoints {
			members[m.ClassOf(i)]++
		}
		for i, e := range s.Endpoints {
			if members[m.ClassOf(i)] == 1 && !e.HostNetwork {
				return nil, []string{"pod/" + e.Namespace + "/" + e.Name}
			}
		}
		tb.Fatal("no pod alone in its class")
		return nil, nil
	}},
	{"namespace-labels", func(tb testing.TB, s *policy.Snapshot, _ *reachability.Matrix) (*policy.Snapshot, []string) {
		// The first application namespace whose team another one has not:
		// team selectors of other namespaces now see it differently.
		for _, ns := range s.Namespaces[len(s.Namespaces)/2:] {
			if team := ns.Labels["team"]; team != "" && team != "platform" {
				n := *ns
				n.Labels = maps.Clone(ns.Labels)
				n.Labels["team"] = "platform"
				return &policy.Snapshot{Namespaces: []*policy.Namespace{&n}}, nil
			}
		}
		tb.Fatal("no application namespace")
		return nil, nil
	}},
	{"service", func(tb testing.TB, s *policy.Snapshot, _ *reachability.Matrix) (*policy.Snapshot, []string) {
		e := replica(tb, s)
		svc := &policy.Service{ObjectRef: policy.ObjectRef{Kind: "Service", Namespace: e.Namespace, Name: "bench-extra"},
			Selector: map[string]string{"app": e.Labels["app"]}}
		return &policy.Snapshot{Services: []*policy.Service{svc}}, nil
	}},
}

func benchUpdate(b *testing.B, s size) {
	snap := snapshot(b, s.config(false))
	ctx := context.Background()
	opts := reachability.Options{KeepSides: true}
	prev, err := reachability.Compute(ctx, snap, opts)
	if err != nil {
		b.Fatal(err)
	}
	for _, ch := range updateChanges {
		change, deletes := ch.build(b, snap, prev)
		changed, err := snap.Apply(change, deletes)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(ch.name+"/incremental", func(b *testing.B) {
			b.ReportAllocs()
			var st reachability.Stats
			cpu0 := cpuTime()
			for b.Loop() {
				m, err := reachability.Update(ctx, prev, changed)
				if err != nil {
					b.Fatal(err)
				}
				st = m.Stats()
			}
			// CPU time of the whole process per update (user + system, all
			// threads): the robust figure on a shared machine.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
			if st.Update.Full {
				b.Fatalf("Update computed the matrix in full: %s (%s)", st.Update.Reason, st.Update.Detail)
			}
			b.ReportMetric(float64(st.RowsEvaluated), "bundles-evaluated")
			b.ReportMetric(float64(st.RowsCopied), "bundles-copied")
			b.ReportMetric(float64(st.Update.ColumnsEvaluated), "columns-evaluated")
			// Where the last update's time went, by phase.
			for _, ph := range []struct {
				name string
				d    time.Duration
			}{{"lower", st.Lower}, {"classify", st.Classify}, {"compile", st.Compile}, {"rows", st.Rows}, {"transpose", st.Transpose}} {
				b.ReportMetric(float64(ph.d)/1e6, ph.name+"-ms")
			}
		})
		if s.large && ch.name != "policy" {
			continue
		}
		b.Run(ch.name+"/full", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := reachability.Compute(ctx, changed, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// replica returns a pod of the snapshot whose workload has other pods.
func replica(tb testing.TB, s *policy.Snapshot) *policy.Endpoint {
	tb.Helper()
	eps := s.Endpoints
	for i := len(eps) / 2; i+1 < len(eps); i++ {
		if e := eps[i]; e.Kind == "Pod" && e.Workload != "" && eps[i+1].Workload == e.Workload && len(e.IPs) == 1 && !e.HostNetwork {
			return e
		}
	}
	tb.Fatal("no pod with a sibling")
	return nil
}

// freeAddress returns an address no endpoint has, in the same external
// atom as ip (so that a pod there is told apart by nothing else).
func freeAddress(tb testing.TB, s *policy.Snapshot, m *reachability.Matrix, ip netip.Addr) netip.Addr {
	tb.Helper()
	used := map[netip.Addr]bool{}
	for _, e := range s.Endpoints {
		for _, a := range e.IPs {
			used[a] = true
		}
	}
	atom := m.ExternalEntry(ip)
	for a := ip.Next(); a.IsValid(); a = a.Next() {
		if m.ExternalEntry(a) != atom {
			break
		}
		if !used[a] {
			return a
		}
	}
	tb.Fatalf("no free address in the atom of %s", ip)
	return netip.Addr{}
}
