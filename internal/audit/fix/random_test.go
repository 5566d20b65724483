package fix_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/audit/fix"
	"github.com/netreach/netreach/internal/bench"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

var rounds = flag.Int("fix.rounds", 6, "generated clusters TestRandomFixes checks (a Calico one every third)")

// TestRandomFixes generates small clusters (bench.Generate), plants the
// mistakes the fixes repair (namespaceSelectors on a label no namespace
// carries, ports: moved under the peers), audits them, writes every fix
// with WriteDir and checks each written file independently: loaded from
// disk, applied to the snapshot, computed again and compared flow by flow
// (reachability.Diff) with the original matrix, the flows it closes and
// opens must be exactly those its Effect lists, group by group.
func TestRandomFixes(t *testing.T) {
	seen := map[fix.Kind]int{}
	for round := range *rounds {
		cfg := bench.Config{Pods: 30 + round*7, Namespaces: 6 + round%3, Policies: 8 + round*2, Seed: uint64(round + 1), Calico: round%3 == 2}
		t.Run(fmt.Sprintf("seed%d", cfg.Seed), func(t *testing.T) {
			dir := t.TempDir()
			r := rand.New(rand.NewPCG(cfg.Seed, 7))
			c := bench.Generate(cfg)
			plantSelectorMistakes(r, c)
			plantEgressDeny(r, c)
			if err := c.WriteDir(filepath.Join(dir, "in")); err != nil {
				t.Fatal(err)
			}
			plantMisplacedPorts(t, r, filepath.Join(dir, "in", "policies.yaml"))
			snap, m, fs, res := run(t, nil, filepath.Join(dir, "in"))
			if err := res.WriteDir(filepath.Join(dir, "fixes")); err != nil {
				t.Fatal(err)
			}
			for _, fx := range res.Fixes {
				if fx.Effect == nil {
					t.Errorf("fix %s: %s", fx.ID, fx.NotVerified)
					continue
				}
				seen[fx.Kind]++
				checkFix(t, snap, m, filepath.Join(dir, "fixes", fx.ID+".yaml"), fx)
			}
			for _, e := range res.Entries {
				if len(e.Fixes) == 0 && e.NoFix == "" {
					t.Errorf("entry for %s has neither a fix nor a reason", fs[e.Finding.Index].Message)
				}
				checkNamespacesCovered(t, fs[e.Finding.Index], e, res)
			}
		})
	}
	t.Logf("fixes checked by kind: %v", seen)
	if *rounds >= 6 {
		for _, k := range []fix.Kind{fix.AddDefaultDeny, fix.CorrectNamespaceSelector, fix.MovePorts, fix.AddDNSEgress} {
			if seen[k] == 0 {
				t.Errorf("no %s fix in %d generated clusters: the test no longer covers it", k, *rounds)
			}
		}
	}
}

// checkFix loads the written patch, applies it, and compares the exact
// flow diff with the fix's Effect.
func checkFix(t *testing.T, snap *policy.Snapshot, before *reachability.Matrix, file string, fx *fix.Fix) {
	t.Helper()
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddPath(file)
	change, err := l.Snapshot()
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	patched, err := snap.Apply(change, nil)
	if err != nil {
		t.Fatal(err)
	}
	after, err := reachability.Compute(context.Background(), patched, before.Options())
	if err != nil {
		t.Fatal(err)
	}
	d := reachability.Diff(before, after)
	if len(d.Added)+len(d.Removed) > 0 {
		t.Fatalf("%s adds or removes endpoints", file)
	}
	ports := reachability.RefinePorts(before.PortAtoms(), after.PortAtoms())
	wantClosed := groupChanges(before, d.Lost, ports)
	wantOpened := groupChanges(before, d.Gained, ports)
	if diff := cmp.Diff(wantClosed, effectGroups(fx.Effect.Closed)); diff != "" {
		t.Errorf("fix %s: closed flows (-diff +effect):\n%s", fx.ID, diff)
	}
	if diff := cmp.Diff(wantOpened, effectGroups(fx.Effect.Opened)); diff != "" {
		t.Errorf("fix %s: opened flows (-diff +effect):\n%s", fx.ID, diff)
	}
}

func effectGroups(f fix.Flows) map[string]int64 {
	out := map[string]int64{}
	var total int64
	for _, g := range f.Groups {
		out[g.Src+" -> "+g.Dst+" on "+g.Ports] += g.Pairs
		total += g.Pairs
	}
	if total != f.Pairs {
		out["total mismatch"] = f.Pairs - total
	}
	return out
}

// groupChanges groups the changes of a Diff by pair, then by the source's
// and destination's workloads and the changed ports, written the way the
// fixes write them.
func groupChanges(m *reachability.Matrix, cs []reachability.Change, ports []reachability.PortAtom) map[string]int64 {
	group := map[string]string{}
	for i := range m.NumEndpoints() {
		e := m.Endpoint(i)
		group[e.ID()] = e.ID()
		if e.Workload != "" {
			group[e.ID()] = e.Namespace + "/" + e.Workload
		}
	}
	type pair struct{ src, dst string }
	byPair := map[pair][]reachability.Change{}
	var order []pair
	for _, c := range cs {
		p := pair{c.Src, c.Dst}
		if _, ok := byPair[p]; !ok {
			order = append(order, p)
		}
		byPair[p] = append(byPair[p], c)
	}
	out := map[string]int64{}
	for _, p := range order {
		name := func(s string) string {
			if g, ok := group[s]; ok {
				return g
			}
			return s // an external range
		}
		out[name(p.src)+" -> "+name(p.dst)+" on "+changedPorts(byPair[p], ports)] += 1
	}
	return out
}

// changedPorts writes the ports of one pair's changes: "all ports" when
// they cover every port atom, else merged ranges.
func changedPorts(cs []reachability.Change, ports []reachability.PortAtom) string {
	covered := make([]bool, len(ports))
	for _, c := range cs {
		for k, p := range ports {
			if p.Protocol == c.Protocol && (!p.Protocol.HasPorts() || p.Lo >= c.Lo && p.Hi <= c.Hi) {
				covered[k] = true
			}
		}
	}
	if !slices.Contains(covered, false) {
		return "all ports"
	}
	var parts []string
	for k := 0; k < len(ports); k++ {
		if !covered[k] {
			continue
		}
		p := ports[k]
		switch {
		case p.Others:
			parts = append(parts, "other protocols")
		case !p.Protocol.HasPorts():
			parts = append(parts, p.Protocol.String())
		default:
			hi := p.Hi
			for k+1 < len(ports) && covered[k+1] && ports[k+1].Protocol == p.Protocol && !ports[k+1].Others && int(ports[k+1].Lo) == int(hi)+1 {
				k++
				hi = ports[k].Hi
			}
			parts = append(parts, reachability.PortRange{Protocol: p.Protocol, Lo: p.Lo, Hi: hi}.String())
		}
	}
	return strings.Join(parts, ", ")
}

// plantEgressDeny adds a default-deny egress policy to one application
// namespace, so that its pods lose DNS (unless a policy allows it).
func plantEgressDeny(r *rand.Rand, c *bench.Cluster) {
	ns := c.Namespaces[3+r.IntN(len(c.Namespaces)-3)].Name
	c.NetworkPolicies = append(c.NetworkPolicies, &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: "planted-deny-egress", Namespace: ns},
		Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
		},
	})
}

// plantSelectorMistakes rewrites some namespaceSelectors on
// kubernetes.io/metadata.name into the label "namespace", which no
// namespace carries.
func plantSelectorMistakes(r *rand.Rand, c *bench.Cluster) {
	for _, np := range c.NetworkPolicies {
		for i := range np.Spec.Ingress {
			for j := range np.Spec.Ingress[i].From {
				ns := np.Spec.Ingress[i].From[j].NamespaceSelector
				if ns == nil || r.IntN(3) != 0 {
					continue
				}
				if v, ok := ns.MatchLabels["kubernetes.io/metadata.name"]; ok && len(ns.MatchLabels) == 1 {
					ns.MatchLabels = map[string]string{"namespace": v}
				}
			}
		}
	}
}

// plantMisplacedPorts moves the ports of some rules of the policies file
// under each of their peers, where the API server drops them.
func plantMisplacedPorts(t *testing.T, r *rand.Rand, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	docs := bytes.Split(data, []byte("\n---\n"))
	for i, doc := range docs {
		if r.IntN(3) != 0 {
			continue
		}
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			continue
		}
		var obj map[string]any
		if json.Unmarshal(j, &obj) != nil || obj["kind"] != "NetworkPolicy" {
			continue
		}
		spec, _ := obj["spec"].(map[string]any)
		moved := false
		for _, dir := range [][2]string{{"ingress", "from"}, {"egress", "to"}} {
			rules, _ := spec[dir[0]].([]any)
			for _, x := range rules {
				rule, _ := x.(map[string]any)
				peers, _ := rule[dir[1]].([]any)
				ports, ok := rule["ports"]
				if !ok || len(peers) == 0 || moved {
					continue
				}
				for _, p := range peers {
					p.(map[string]any)["ports"] = ports
				}
				delete(rule, "ports")
				moved = true
			}
		}
		if !moved {
			continue
		}
		out, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		docs[i] = bytes.TrimSuffix(out, []byte("\n"))
	}
	if err := os.WriteFile(file, bytes.Join(docs, []byte("\n---\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkNamespacesCovered checks that a finding whose remedy goes into each
// of its namespaces has, for every one of them, a fix in that namespace or
// the reason it has none.
func checkNamespacesCovered(t *testing.T, f audit.Finding, e fix.Entry, res *fix.Result) {
	t.Helper()
	switch f.Kind {
	case audit.IngressNotIsolated, audit.EgressNotIsolated, audit.NoDefaultDeny, audit.DNSBlocked:
	default:
		return
	}
	if len(e.Fixes) == 0 && len(e.NoFixIn) == 0 {
		return // one reason for all of them
	}
	covered := map[string]bool{}
	for _, id := range e.Fixes {
		for _, fx := range res.Fixes {
			if fx.ID == id {
				covered[fx.Object.Namespace] = true
			}
		}
	}
	for _, n := range e.NoFixIn {
		if covered[n.Namespace] {
			t.Errorf("%s: namespace %s has both a fix and a reason for none", f.Message, n.Namespace)
		}
		covered[n.Namespace] = true
	}
	for _, ns := range f.Namespaces {
		if !covered[ns] {
			t.Errorf("%s: namespace %s has neither a fix nor a reason", f.Message, ns)
		}
	}
}
