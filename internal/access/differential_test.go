package access_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/netreach/netreach/internal/access"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/randcluster"
	"github.com/netreach/netreach/internal/reachability"
)

var (
	diffClusters = flag.Int("diff.clusters", 60, "random clusters in the differential test")
	diffSeed     = flag.Uint64("diff.seed", 0, "first seed of the differential test")
)

// TestDifferential holds the Layer's derived verdicts to the reference
// evaluator on random clusters with Services of every type and traffic
// policy, Ingresses, Gateway API routes (with and without ReferenceGrant),
// OpenShift Routes and EndpointSlices: every pair with a derived entry,
// every port atom.
func TestDifferential(t *testing.T) {
	for i := 0; i < *diffClusters; i++ {
		seed := *diffSeed + uint64(i)
		r := rand.New(rand.NewPCG(seed, 0xacce55))
		data := randcluster.Generate(r, randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(6), Policies: r.IntN(6),
			Admin: i%3 == 1, Calico: i%5 == 4, Exposure: true})
		snap := loadCluster(t, seed, data)
		opts := access.Options{SNAT: access.SNAT(r.IntN(2))}
		if r.IntN(3) == 0 {
			c, err := access.ParseController(fmt.Sprintf("%s/app=%s", snap.Namespaces[0].Name, []string{"a", "b"}[r.IntN(2)]))
			if err != nil {
				t.Fatal(err)
			}
			opts.Controllers = []access.Controller{c}
		}
		if msg := disagreement(snap, opts); msg != "" {
			t.Fatalf("seed %d (rerun with -diff.seed=%d -diff.clusters=1): %s\n--- cluster ---\n%s", seed, seed, msg, data)
		}
	}
}

func disagreement(snap *policy.Snapshot, opts access.Options) string {
	ropts := reachability.Options{}
	m, err := access.Compute(context.Background(), snap, ropts, opts)
	if err != nil {
		return "compute: " + err.Error()
	}
	ev := access.NewEvaluator(snap, ropts, opts, m.ExternalAtoms())
	target := func(j int) (access.Target, bool) {
		if e := m.Endpoint(j); e != nil {
			return access.Target{Endpoint: e}, true
		}
		d, ok := m.Derived(j)
		if !ok || d.Kind != access.KindService {
			return access.Target{}, false
		}
		for _, s := range snap.Services {
			if access.ServiceEntry(s.Namespace, s.Name) == d.Name {
				return access.Target{Service: s}, true
			}
		}
		return access.Target{}, false
	}
	for p, a := range m.PortAtoms() {
		if !a.Protocol.HasPorts() || a.Others {
			continue
		}
		for i := 0; i < m.Len(); i++ {
			for j := 0; j < m.Len(); j++ {
				_, di := m.Derived(i)
				_, dj := m.Derived(j)
				if !di && !dj || !m.IsPair(i, j) {
					continue
				}
				to, ok := target(j)
				if !ok {
					return fmt.Sprintf("pair %s -> %s: destination is neither an endpoint nor a Service", m.Name(i), m.Name(j))
				}
				var want reachability.Verdict
				var path *access.Path
				switch m.Name(i) {
				case access.Internet:
					want, path = ev.FromInternet(to, a.Protocol, a.Lo, true)
				case access.IngressController:
					want, path = ev.FromController(to, a.Protocol, a.Lo, true)
				default:
					want, path = ev.FromEndpoint(m.Endpoint(i), to.Service, a.Protocol, a.Lo, true)
				}
				if got := m.At(i, j, p); got != want {
					return fmt.Sprintf("%s -> %s on %s: layer %s, reference %s\n%s", m.Name(i), m.Name(j), a, got, want, path.Format())
				}
			}
		}
	}
	return ""
}
