package policy_test

import (
	"bytes"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/netreach/netreach/internal/bench"
	"github.com/netreach/netreach/internal/policy"
)

// TestFastPathGenerated compares the fast path with the full decoder on a
// generated cluster (with its Calico layer), written as YAML documents, as
// one JSON List (kubectl get -o json) and as that List in YAML (kubectl get
// -o yaml), and requires the fast path to read every document.
func TestFastPathGenerated(t *testing.T) {
	t.Parallel()
	c := bench.Generate(bench.Config{Pods: 500, Namespaces: 20, Policies: 120, Calico: true, Seed: 3})
	var docs bytes.Buffer
	if err := c.WriteYAML(&docs); err != nil {
		t.Fatal(err)
	}
	var listJSON bytes.Buffer
	if err := c.WriteJSONList(&listJSON); err != nil {
		t.Fatal(err)
	}
	listYAML, err := yaml.JSONToYAML(listJSON.Bytes()) // as kubectl get -o yaml prints it
	if err != nil {
		t.Fatal(err)
	}
	objects := bytes.Count(docs.Bytes(), []byte("\n---\n")) + 1
	for _, tc := range []struct {
		name string
		data []byte
		docs int
	}{
		{"cluster.yaml", docs.Bytes(), objects},
		{"list.yaml", listYAML, 1},
		{"list.json", listJSON.Bytes(), objects + 1}, // read item by item, then the List's own document
	} {
		opts := policy.LoadOptions{MaxDocumentBytes: 64 << 20}
		fast, full, n := policy.LoadBothWays(opts, map[string][]byte{tc.name: tc.data})
		if d := policy.SnapshotDiff(full, fast); d != "" {
			t.Errorf("%s: the fast path differs from the full decoder (-full +fast):\n%s", tc.name, d)
		}
		if n != tc.docs {
			t.Errorf("%s: the fast path read %d of %d documents", tc.name, n, tc.docs)
		}
		if len(fast.Endpoints) < 500 {
			t.Errorf("%s: %d endpoints", tc.name, len(fast.Endpoints))
		}
	}
}
