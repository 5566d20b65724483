package reachability_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/randcluster"
	"github.com/netreach/netreach/internal/reachability"
)

// FuzzEngineVsReference decodes the fuzzer's bytes into a small random
// cluster (seed, sizes, which APIs, mode, options) and holds the engine to
// the reference evaluator on every flow.
func FuzzEngineVsReference(f *testing.F) {
	for i := uint64(0); i < 8; i++ {
		f.Add(i, uint8(i), uint8(3*i))
		f.Add(i, uint8(0x80|i), uint8(5*i)) // with an Istio mesh
	}
	f.Fuzz(func(t *testing.T, seed uint64, shape, knobs uint8) {
		r := rand.New(rand.NewPCG(seed, uint64(shape)<<8|uint64(knobs)))
		cfg := randcluster.Config{
			Namespaces: 1 + int(shape%3), Pods: 2 + int(shape/3%8), Policies: int(knobs % 6),
			Admin: knobs&0x10 != 0, Calico: knobs&0x20 != 0, Mesh: shape&0x80 != 0,
		}
		l := policy.NewLoader(policy.LoadOptions{})
		data := randcluster.Generate(r, cfg)
		l.AddBytes("fuzz.yaml", data)
		snap, err := l.Snapshot()
		if err != nil {
			t.Skip("generated cluster does not load") // the generator's own validity is tested elsewhere
		}
		opts := reachability.Options{IPBlockIgnoresPodIPs: knobs&0x40 != 0, OwnNodeEgressUnpoliced: knobs&0x80 != 0}
		if cfg.Calico {
			opts.Mode = policy.ModeCalico
			opts.CalicoVersion = policy.CalicoVersion(knobs % 4)
			opts.Staged = policy.StagedView(shape % 3)
		}
		if msg := disagreement(snap, opts, r); msg != "" {
			t.Fatalf("%s\n--- cluster ---\n%s", msg, fmt.Sprint(string(data)))
		}
	})
}
