package reachability_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/policy/calicov3"
	"github.com/netreach/netreach/internal/randcluster"
	"github.com/netreach/netreach/internal/reachability"
)

var (
	diffClusters = flag.Int("diff.clusters", 300, "random clusters per differential test")
	diffSeed     = flag.Uint64("diff.seed", 0, "first seed of the differential tests")
)

// TestDifferentialKubernetes holds the bitset engine to the reference
// evaluator on random clusters of Kubernetes NetworkPolicies (and, in every
// other cluster, AdminNetworkPolicies, a BaselineAdminNetworkPolicy and
// ClusterNetworkPolicies): every pair of
// entries, every port atom (at both ends of its range), every external atom
// (at its first, last and a random address).
func TestDifferentialKubernetes(t *testing.T) {
	for i := 0; i < *diffClusters; i++ {
		seed := *diffSeed + uint64(i)
		r := rand.New(rand.NewPCG(seed, 0x6b38))
		data := randcluster.Generate(r, randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(8), Policies: r.IntN(6), Admin: i%2 == 1, Pools: i%6 == 2})
		l := policy.NewLoader(policy.LoadOptions{})
		l.AddBytes(fmt.Sprintf("seed-%d.yaml", seed), data)
		snap, err := l.Snapshot()
		if err != nil {
			t.Fatalf("seed %d: load: %v\n%s", seed, err, data)
		}
		opts := reachability.Options{IPBlockIgnoresPodIPs: r.IntN(4) == 0}
		if msg := disagreement(snap, opts, r); msg != "" {
			t.Fatalf("seed %d (rerun with -diff.seed=%d -diff.clusters=1): %s\n--- cluster ---\n%s", seed, seed, msg, data)
		}
	}
}

// disagreement compares the engine's matrix with the reference evaluator
// on every flow and returns the first difference, or "".
func disagreement(snap *policy.Snapshot, opts reachability.Options, r *rand.Rand) string {
	m, err := reachability.Compute(context.Background(), snap, opts)
	if err != nil {
		return "compute: " + err.Error()
	}
	ev := reachability.NewEvaluator(snap, opts)
	entity := func(i int) []reachability.Entity {
		if e := m.Endpoint(i); e != nil {
			return []reachability.Entity{reachability.EndpointEntity(e)}
		}
		a, _ := m.ExternalAtom(i)
		return []reachability.Entity{
			reachability.IPEntity(a.Range.From()),
			reachability.IPEntity(a.Range.To()),
			reachability.IPEntity(randomAddr(r, a)),
		}
	}
	for p, at := range m.PortAtoms() {
		ports := []uint16{at.Lo, at.Hi}
		if at.Hi > at.Lo+1 {
			ports = append(ports, at.Lo+uint16(r.IntN(int(at.Hi-at.Lo))))
		}
		for i := 0; i < m.Len(); i++ {
			for j := 0; j < m.Len(); j++ {
				if !m.IsPair(i, j) {
					continue
				}
				got := m.At(i, j, p)
				for _, src := range entity(i) {
					for _, dst := range entity(j) {
						for _, port := range ports {
							f := reachability.Flow{Src: src, Dst: dst, Protocol: at.Protocol, Port: port}
							want, tr := ev.Evaluate(f)
							if got != want {
								return fmt.Sprintf("flow %s: engine says %s, reference says %s\n%s", f, got, want, reachability.FormatTrace(tr))
							}
						}
					}
				}
			}
		}
	}
	return ""
}

// randomAddr returns a random address inside the atom.
func randomAddr(r *rand.Rand, a reachability.ExternalAtom) netip.Addr {
	from, to := a.Range.From(), a.Range.To()
	b := from.As16()
	t := to.As16()
	// Walk down from the most significant differing byte, choosing randomly
	// while staying within [from, to].
	lower, upper := true, true
	for k := 0; k < 16; k++ {
		lo, hi := byte(0), byte(255)
		if lower {
			lo = b[k]
		}
		if upper {
			hi = t[k]
		}
		v := lo + byte(r.IntN(int(hi-lo)+1))
		lower = lower && v == lo
		upper = upper && v == hi
		b[k] = v
	}
	ip := netip.AddrFrom16(b)
	if from.Is4() {
		ip = ip.Unmap()
	}
	return ip
}

func parseAddr(s string) (netip.Addr, error) { return netip.ParseAddr(s) }

// TestDifferentialCalico does the same on random clusters in calico mode:
// tiers with random orders and default actions, Calico policies with every
// action and rule field, network sets, dual-stack pods, Kubernetes
// NetworkPolicies in the default tier, cluster-wide policies, every Calico
// version profile and staged view.
func TestDifferentialCalico(t *testing.T) {
	versions := []policy.CalicoVersion{policy.Calico332, policy.CalicoPre329, policy.Calico329, policy.Calico330}
	views := []policy.StagedView{policy.StagedEnforced, policy.StagedPending, policy.StagedPromote}
	for i := 0; i < *diffClusters; i++ {
		seed := *diffSeed + uint64(i)
		r := rand.New(rand.NewPCG(seed, 0xca11c0))
		data := randcluster.Generate(r, randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(7), Policies: r.IntN(6), Admin: i%3 == 0, Calico: true, Pools: i%5 == 1})
		l := policy.NewLoader(policy.LoadOptions{})
		l.AddBytes(fmt.Sprintf("seed-%d.yaml", seed), data)
		snap, err := l.Snapshot()
		if err != nil {
			t.Fatalf("seed %d: load: %v\n%s", seed, err, data)
		}
		opts := reachability.Options{Mode: policy.ModeCalico, CalicoVersion: versions[r.IntN(len(versions))], Staged: views[r.IntN(len(views))]}
		if msg := disagreement(snap, opts, r); msg != "" {
			t.Fatalf("seed %d (rerun with -run Calico -diff.seed=%d -diff.clusters=1), %s: %s\n--- cluster ---\n%s", seed, seed, opts.Describe(policy.ModeCalico), msg, data)
		}
	}
}

// TestDifferentialHostEndpoints does the same on random Calico clusters
// with host endpoints (named, "*", by expected IP; default-allow profile or
// none), host endpoint policies (preDNAT, doNotTrack, applyOnForward) and
// FelixConfigurations (failsafe ports, endpoint-to-host action), with
// failsafe overrides from the options in some of them.
func TestDifferentialHostEndpoints(t *testing.T) {
	versions := []policy.CalicoVersion{policy.Calico332, policy.CalicoPre329}
	for i := 0; i < *diffClusters/10; i++ {
		seed := *diffSeed + uint64(i)
		r := rand.New(rand.NewPCG(seed, 0x4e9))
		data := randcluster.Generate(r, randcluster.Config{Namespaces: 1 + r.IntN(2), Pods: 2 + r.IntN(6), Policies: r.IntN(4), Admin: i%4 == 0, Calico: true, HostEndpoints: true})
		l := policy.NewLoader(policy.LoadOptions{})
		l.AddBytes(fmt.Sprintf("seed-%d.yaml", seed), data)
		snap, err := l.Snapshot()
		if err != nil {
			t.Fatalf("seed %d: load: %v\n%s", seed, err, data)
		}
		opts := reachability.Options{Mode: policy.ModeCalico, CalicoVersion: versions[r.IntN(len(versions))], OwnNodeEgressUnpoliced: r.IntN(4) == 0}
		if r.IntN(4) == 0 {
			in, _ := calicov3.ParseProtoPorts("tcp:22,tcp:10.1.0.0/16:8080")
			act := policy.EndpointToHostAccept
			opts.HostEndpoints = policy.HostOptions{FailsafeInbound: &in, EndpointToHost: &act}
		}
		if msg := disagreement(snap, opts, r); msg != "" {
			t.Fatalf("seed %d (rerun with -run HostEndpoints -diff.seed=%d -diff.clusters=2), %s: %s\n--- cluster ---\n%s", seed, seed, opts.Describe(policy.ModeCalico), msg, data)
		}
	}
}
