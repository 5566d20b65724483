package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	sjson "sigs.k8s.io/json"

	"github.com/netreach/netreach/internal/bench"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/policy/calicov3"
	"github.com/netreach/netreach/internal/reachability"
)

func writeYAML(t *testing.T, c *bench.Cluster) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := c.WriteYAML(&buf); err != nil {
		t.Fatalf("WriteYAML: %v", err)
	}
	return buf.Bytes()
}

func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	for _, distinct := range []bool{false, true} {
		cfg := bench.Config{Pods: 400, Namespaces: 20, Policies: 120, Distinct: distinct, Seed: 7}
		a := writeYAML(t, bench.Generate(cfg))
		b := writeYAML(t, bench.Generate(cfg))
		if !bytes.Equal(a, b) {
			t.Errorf("Generate(%+v) twice: the YAML differs", cfg)
		}
		cfg.Seed = 8
		if c := writeYAML(t, bench.Generate(cfg)); bytes.Equal(a, c) {
			t.Errorf("Generate(%+v) with seeds 7 and 8: the YAML is the same", cfg)
		}
	}
}

func TestGenerateSizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                       string
		cfg                        bench.Config
		pods, namespaces, policies int
	}{
		{"zero", bench.Config{}, 1000, 50, 300},
		{"tiny", bench.Config{Pods: 1, Namespaces: 4, Policies: 1}, 1, 4, 1},
		{"raised namespaces", bench.Config{Pods: 30, Namespaces: 2, Policies: 9}, 30, 4, 9},
		{"fewer pods than platform pods", bench.Config{Pods: 5, Namespaces: 10, Policies: 40}, 5, 10, 40},
		{"more namespaces than pods", bench.Config{Pods: 50, Namespaces: 80, Policies: 10}, 50, 80, 10},
		{"many policies", bench.Config{Pods: 200, Namespaces: 6, Policies: 3000}, 200, 6, 3000},
		{"ladder 1k", bench.Config{Pods: 1000, Namespaces: 50, Policies: 300, Seed: 1}, 1000, 50, 300},
		{"distinct", bench.Config{Pods: 777, Namespaces: 33, Policies: 251, Distinct: true, Seed: 2}, 777, 33, 251},
		{"distinct few pods", bench.Config{Pods: 12, Namespaces: 5, Policies: 100, Distinct: true}, 12, 5, 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := bench.Generate(tc.cfg)
			if got := [3]int{len(c.Pods), len(c.Namespaces), len(c.NetworkPolicies)}; got != [3]int{tc.pods, tc.namespaces, tc.policies} {
				t.Errorf("Generate(%+v): pods, namespaces, policies = %v, want %v", tc.cfg, got, [3]int{tc.pods, tc.namespaces, tc.policies})
			}
			checkUnique(t, c)
		})
	}
}

// checkUnique checks what the API server would enforce (unique names)
// and what the generator promises (unique pod addresses).
func checkUnique(t *testing.T, c *bench.Cluster) {
	t.Helper()
	seen := map[string]bool{}
	once := func(key string) {
		if seen[key] {
			t.Errorf("duplicate %s", key)
		}
		seen[key] = true
	}
	for _, ns := range c.Namespaces {
		once("Namespace " + ns.Name)
	}
	for _, p := range c.Pods {
		once("Pod " + p.Namespace + "/" + p.Name)
		if _, err := netip.ParseAddr(p.Status.HostIP); err != nil {
			t.Errorf("Pod %s/%s: host IP: %v", p.Namespace, p.Name, err)
		}
		for _, ip := range p.Status.PodIPs {
			if _, err := netip.ParseAddr(ip.IP); err != nil {
				t.Errorf("Pod %s/%s: %v", p.Namespace, p.Name, err)
			}
			once("IP " + ip.IP)
		}
	}
	for _, np := range c.NetworkPolicies {
		once("NetworkPolicy " + np.Namespace + "/" + np.Name)
	}
}

func TestGenerateLoads(t *testing.T) {
	t.Parallel()
	for _, cfg := range []bench.Config{
		{Pods: 500, Namespaces: 25, Policies: 150, Seed: 1},
		{Pods: 500, Namespaces: 25, Policies: 150, Seed: 1, Distinct: true},
		{Pods: 500, Namespaces: 25, Policies: 150, Seed: 1, Calico: true},
	} {
		distinct := cfg.Distinct
		l := policy.NewLoader(policy.LoadOptions{Strict: true})
		l.AddBytes("cluster.yaml", writeYAML(t, bench.Generate(cfg)))
		snap, err := l.Snapshot()
		if cfg.Calico && !snap.Calico.Present() {
			t.Logf("Generate(%+v): not checked: package policy does not load Calico objects yet", cfg)
			continue
		}
		if err != nil {
			t.Fatalf("Generate(%+v): loading: %v", cfg, err)
		}
		for _, d := range snap.Diagnostics {
			if d.Severity >= policy.Warning {
				t.Errorf("Generate(%+v): loading: %s", cfg, d)
			}
		}
		if got := [3]int{len(snap.Endpoints), len(snap.Namespaces), len(snap.NetworkPolicies)}; got != [3]int{cfg.Pods, cfg.Namespaces, cfg.Policies} {
			t.Errorf("Generate(%+v): loaded endpoints, namespaces, policies = %v, want %v", cfg, got, [3]int{cfg.Pods, cfg.Namespaces, cfg.Policies})
		}
		m, err := reachability.Compute(context.Background(), snap, reachability.Options{})
		if err != nil {
			t.Fatalf("Compute(Generate(%+v)): %v", cfg, err)
		}
		for _, d := range m.Diagnostics() {
			if d.Severity >= policy.Warning {
				t.Errorf("Compute(Generate(%+v)): %s", cfg, d)
			}
		}
		switch n := m.NumClasses(); {
		case distinct && n != cfg.Pods:
			t.Errorf("Compute(Generate(%+v)).NumClasses() = %d, want %d (one per pod)", cfg, n, cfg.Pods)
		case !distinct && n >= cfg.Pods:
			t.Errorf("Compute(Generate(%+v)).NumClasses() = %d, want fewer than %d", cfg, n, cfg.Pods)
		}
	}
}

func TestWriteDir(t *testing.T) {
	t.Parallel()
	cfg := bench.Config{Pods: bench.ChunkDocuments + 10, Namespaces: 40, Policies: 50, Seed: 4}
	c := bench.Generate(cfg)
	dir := t.TempDir()
	if err := c.WriteDir(dir); err != nil {
		t.Fatalf("WriteDir: %v", err)
	}
	var files []string
	var all []byte
	// In the order WriteYAML writes the objects: namespaces, pods, policies.
	for _, f := range []string{"namespaces.yaml", "workloads/pods-0001.yaml", "workloads/pods-0002.yaml", "policies.yaml"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, data...)
		files = append(files, f)
	}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			if !slices.Contains(files, filepath.ToSlash(rel)) {
				t.Errorf("WriteDir wrote the unexpected file %s", rel)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(all, writeYAML(t, c)) {
		t.Errorf("WriteDir files, concatenated, differ from WriteYAML")
	}
	if n := bytes.Count(all, []byte("---\n")); n != cfg.Pods+cfg.Namespaces+cfg.Policies {
		t.Errorf("WriteDir wrote %d documents, want %d", n, cfg.Pods+cfg.Namespaces+cfg.Policies)
	}
}

// TestGenerateCalico checks the Calico objects against the types and the
// validation of package calicov3, and that they leave the Kubernetes
// objects unchanged.
func TestGenerateCalico(t *testing.T) {
	t.Parallel()
	cfg := bench.Config{Pods: 300, Namespaces: 40, Policies: 100, Seed: 5}
	plain := writeYAML(t, bench.Generate(cfg))
	cfg.Calico = true
	c := bench.Generate(cfg)
	if !bytes.HasPrefix(writeYAML(t, c), plain) {
		t.Errorf("Generate(%+v): the Kubernetes objects differ from those without Calico", cfg)
	}
	kinds := map[string]int{}
	for _, o := range c.Calico {
		j, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		var head struct {
			APIVersion, Kind string
		}
		if err := json.Unmarshal(j, &head); err != nil || head.APIVersion != "projectcalico.org/v3" {
			t.Errorf("Calico object %s: apiVersion %q, want projectcalico.org/v3 (%v)", j, head.APIVersion, err)
		}
		kinds[head.Kind]++
		var v interface{ Validate() []calicov3.FieldError }
		switch head.Kind {
		case "Tier":
			v = &calicov3.Tier{}
		case "GlobalNetworkPolicy":
			v = &calicov3.GlobalNetworkPolicy{}
		case "NetworkPolicy":
			v = &calicov3.NetworkPolicy{}
		default:
			t.Errorf("Calico object %s: unexpected kind", j)
			continue
		}
		strict, err := sjson.UnmarshalStrict(j, v, sjson.DisallowDuplicateFields, sjson.DisallowUnknownFields)
		if err != nil || len(strict) > 0 {
			t.Errorf("decoding Calico object %s: %v %v", j, err, strict)
			continue
		}
		for _, e := range v.Validate() {
			t.Errorf("Calico object %s: %v", j, e)
		}
	}
	if kinds["Tier"] != 2 || kinds["GlobalNetworkPolicy"] < 5 || kinds["NetworkPolicy"] == 0 {
		t.Errorf("Generate(%+v): Calico kinds = %v, want 2 Tiers, at least 5 GlobalNetworkPolicies and some NetworkPolicies", cfg, kinds)
	}
}
