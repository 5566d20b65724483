package audit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/randcluster"
	"github.com/netreach/netreach/internal/reachability"
)

// TestIsolationMatchesEvaluator holds the isolation judgement (an
// endpoint's own side denies some flow) to the reference evaluator on
// random clusters: an endpoint is isolated for ingress iff the evaluator
// does not allow for sure the ingress side of some flow to it (a
// conditional verdict restricts too: the flow passes only under a
// condition), and likewise for egress.
func TestIsolationMatchesEvaluator(t *testing.T) {
	t.Parallel()
	for i := range 90 {
		seed := uint64(i)
		r := rand.New(rand.NewPCG(seed, 0x150))
		cfg := randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(6), Policies: r.IntN(5), Admin: i%3 == 1, Calico: i%3 == 2}
		data := randcluster.Generate(r, cfg)
		l := policy.NewLoader(policy.LoadOptions{})
		l.AddBytes(fmt.Sprintf("seed-%d.yaml", seed), data)
		snap, err := l.Snapshot()
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
		if err != nil {
			t.Fatal(err)
		}
		a := newAnalysis(snap, m, Options{}.withDefaults())
		iso := a.isolation()
		ev := reachability.NewEvaluator(snap, m.Options())
		for j := range m.NumEndpoints() {
			dst := m.Endpoint(j)
			if dst.HostNetwork {
				continue
			}
			var denied [2]bool
			for i := range m.Len() {
				if i == j {
					continue
				}
				for _, ent := range entities(m, i) {
					if !sameFamily(ent, dst) {
						continue
					}
					for _, at := range m.PortAtoms() {
						port := at.Lo
						_, tr := ev.Evaluate(reachability.Flow{Src: ent, Dst: reachability.EndpointEntity(dst), Protocol: at.Protocol, Port: port})
						if tr.Reason == "" && tr.Ingress.Verdict != reachability.Allow {
							denied[policy.Ingress] = true
						}
						_, tr = ev.Evaluate(reachability.Flow{Src: reachability.EndpointEntity(dst), Dst: ent, Protocol: at.Protocol, Port: port})
						if tr.Reason == "" && tr.Egress.Verdict != reachability.Allow {
							denied[policy.Egress] = true
						}
					}
				}
			}
			c := a.classOf[j]
			for d := range 2 {
				if got := iso[d].Has(c); got != denied[d] {
					t.Fatalf("seed %d %+v: %s isolated for %s = %v, but the evaluator denies some flow: %v\n%s",
						seed, cfg, dst.ID(), policy.Direction(d), got, denied[d], data)
				}
			}
		}
	}
}

func entities(m *reachability.Matrix, i int) []reachability.Entity {
	if e := m.Endpoint(i); e != nil {
		return []reachability.Entity{reachability.EndpointEntity(e)}
	}
	at, _ := m.ExternalAtom(i)
	return []reachability.Entity{reachability.IPEntity(at.Range.From()), reachability.IPEntity(at.Range.To())}
}

// sameFamily reports whether the two ends can exchange packets: an
// address and an endpoint with an address of its family (or none at
// all), or two endpoints sharing a family.
func sameFamily(x reachability.Entity, dst *policy.Endpoint) bool {
	has := func(e *policy.Endpoint, f int) bool {
		if len(e.IPs) == 0 {
			return true
		}
		_, ok := e.IP(f)
		return ok
	}
	if x.Endpoint == nil {
		f := 4
		if x.IP.Is6() {
			f = 6
		}
		return has(dst, f)
	}
	return has(x.Endpoint, 4) && has(dst, 4) || has(x.Endpoint, 6) && has(dst, 6)
}
