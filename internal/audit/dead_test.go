package audit

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/randcluster"
	"github.com/netreach/netreach/internal/reachability"
)

var deadClusters = flag.Int("dead.clusters", 100, "random clusters per kind in TestDeadRulesRemovable")

// TestDeadRulesRemovable checks the shadowing analysis against the
// engine on random clusters: removing every rule reported as shadowed or
// redundant, all at once, must not change a single verdict.
func TestDeadRulesRemovable(t *testing.T) {
	t.Parallel()
	reported, later := 0, 0
	for i := range *deadClusters * 3 {
		seed := uint64(i)
		r := rand.New(rand.NewPCG(seed, 0xdead))
		cfg := randcluster.Config{Namespaces: 1 + r.IntN(3), Pods: 2 + r.IntN(8), Policies: 1 + r.IntN(6), Admin: i%3 == 1, Calico: i%3 == 2}
		data := randcluster.Generate(r, cfg)
		l := policy.NewLoader(policy.LoadOptions{})
		l.AddBytes(fmt.Sprintf("seed-%d.yaml", seed), data)
		snap, err := l.Snapshot()
		if err != nil {
			t.Fatalf("seed %d: load: %v", seed, err)
		}
		m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
		if err != nil {
			t.Fatal(err)
		}
		dead := map[string][]RuleRef{}
		for _, f := range Findings(snap, m, Options{}) {
			if f.Kind == RuleShadowed || f.Kind == RuleRedundant {
				dead[f.Objects[0].Key()] = append(dead[f.Objects[0].Key()], *f.Rule)
				reported++
				if strings.Contains(f.Message, "would be decided the same way by the later") {
					later++
				}
			}
		}
		if len(dead) == 0 {
			continue
		}
		pruned := withoutRules(snap, dead)
		m2, err := reachability.Compute(context.Background(), pruned, reachability.Options{Mode: m.Mode()})
		if err != nil {
			t.Fatal(err)
		}
		if d := diffMatrices(newAtomGraphs(m), newAtomGraphs(m2)); d.opened != 0 || d.closed != 0 {
			t.Fatalf("seed %d %+v: removing the dead rules %v opens %d and closes %d flows: %v\n%s", seed, cfg, dead, d.opened, d.closed, d.samples, data)
		}
	}
	if reported == 0 {
		t.Errorf("no shadowed or redundant rule in %d random clusters: the test checks nothing", *deadClusters*3)
	}
	if later == 0 {
		t.Errorf("no rule made redundant by later rules of an ordered tier in %d random clusters", *deadClusters*3)
	}
	t.Logf("%d dead rules removed, %d of them redundant with later rules", reported, later)
}

// withoutRules returns a copy of the snapshot without the given rules
// (by policy key).
func withoutRules(s *policy.Snapshot, dead map[string][]RuleRef) *policy.Snapshot {
	out := *s
	drop := func(key string, d policy.Direction) []int {
		var idx []int
		for _, r := range dead[key] {
			if r.Direction == d {
				idx = append(idx, r.Index)
			}
		}
		slices.Sort(idx)
		slices.Reverse(idx)
		return slices.Compact(idx)
	}
	out.NetworkPolicies = nil
	for _, np := range s.NetworkPolicies {
		if _, ok := dead[np.Key()]; ok {
			c := *np
			c.Spec = *np.Spec.DeepCopy()
			for _, i := range drop(np.Key(), policy.Ingress) {
				c.Spec.Ingress = slices.Delete(slices.Clone(c.Spec.Ingress), i, i+1)
			}
			for _, i := range drop(np.Key(), policy.Egress) {
				c.Spec.Egress = slices.Delete(slices.Clone(c.Spec.Egress), i, i+1)
			}
			c.Invalid = reindex(np.Invalid, drop(np.Key(), policy.Ingress), drop(np.Key(), policy.Egress))
			c.RuleSource = nil
			if c.Spec.Ingress == nil {
				c.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{}
			}
			np = &c
		}
		out.NetworkPolicies = append(out.NetworkPolicies, np)
	}
	out.Admin.Policies = nil
	for _, ap := range s.Admin.Policies {
		if _, ok := dead[ap.Key()]; ok {
			c := *ap
			for _, i := range drop(ap.Key(), policy.Ingress) {
				c.Ingress = slices.Delete(slices.Clone(c.Ingress), i, i+1)
			}
			for _, i := range drop(ap.Key(), policy.Egress) {
				c.Egress = slices.Delete(slices.Clone(c.Egress), i, i+1)
			}
			ap = &c
		}
		out.Admin.Policies = append(out.Admin.Policies, ap)
	}
	out.Calico.Policies = nil
	for _, cp := range s.Calico.Policies {
		if _, ok := dead[cp.Key()]; ok {
			c := *cp
			for _, i := range drop(cp.Key(), policy.Ingress) {
				c.Ingress = slices.Delete(slices.Clone(c.Ingress), i, i+1)
			}
			for _, i := range drop(cp.Key(), policy.Egress) {
				c.Egress = slices.Delete(slices.Clone(c.Egress), i, i+1)
			}
			cp = &c
		}
		out.Calico.Policies = append(out.Calico.Policies, cp)
	}
	return &out
}

// reindex shifts the keys of a rule map past the removed indexes
// (each list sorted in decreasing order).
func reindex(m map[policy.RuleKey]bool, in, eg []int) map[policy.RuleKey]bool {
	out := map[policy.RuleKey]bool{}
	for _, k := range slices.Collect(maps.Keys(m)) {
		removed := in
		if k.Dir == policy.Egress {
			removed = eg
		}
		if slices.Contains(removed, k.Index) {
			continue
		}
		n := k.Index
		for _, r := range removed {
			if r < k.Index {
				n--
			}
		}
		out[policy.RuleKey{Dir: k.Dir, Index: n}] = true
	}
	return out
}
