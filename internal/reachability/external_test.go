package reachability

import (
	"math/rand/v2"
	"testing"

	"github.com/netreach/netreach/internal/randcluster"
)

// TestExternalReachMatchesConnections holds ExternalReach to
// Matrix.Connections on every endpoint and external atom of random
// clusters (Kubernetes and Calico, with pools, admin policies and mesh).
func TestExternalReachMatchesConnections(t *testing.T) {
	t.Parallel()
	for seed := range uint64(60) {
		r := rand.New(rand.NewPCG(seed, 0xe9e))
		cfg := randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(10), Policies: r.IntN(8),
			Admin: seed%3 == 1, Calico: seed%2 == 1, Pools: seed%4 < 2, Mesh: seed%5 == 3}
		data := randcluster.Generate(r, cfg)
		m := seedMatrix(t, seed, data)
		type ca struct{ c, a int }
		got := map[ca]ExternalReach{}
		sets := map[int]ExternalReach{}
		for x := range m.ExternalReach() {
			if _, dup := got[ca{x.Class, x.Atom}]; dup {
				t.Fatalf("seed %d: class %d atom %d yielded twice", seed, x.Class, x.Atom)
			}
			got[ca{x.Class, x.Atom}] = x
			if s, ok := sets[x.Set]; ok && (!s.Allowed.Equal(x.Allowed) || !s.Conditional.Equal(x.Conditional)) {
				t.Errorf("seed %d: set %d stands for %v/%v and %v/%v", seed, x.Set, s.Allowed, s.Conditional, x.Allowed, x.Conditional)
			}
			sets[x.Set] = x
		}
		nE, nA := m.NumEndpoints(), len(m.ExternalAtoms())
		for i := range nE {
			c := m.ClassOf(i)
			for a := range nA {
				allowed, cond := m.Connections(i, nE+a)
				x, ok := got[ca{c, a}]
				if ok != (!allowed.IsEmpty() || !cond.IsEmpty()) || ok && (!x.Allowed.Equal(allowed) || !x.Conditional.Equal(cond)) {
					t.Errorf("seed %d: ExternalReach(class %d of %s, atom %d) = %v, %v (listed %v), want %v, %v\n%s",
						seed, c, m.Name(i), a, x.Allowed, x.Conditional, ok, allowed, cond, data)
				}
			}
		}
	}
}
