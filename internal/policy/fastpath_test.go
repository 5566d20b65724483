package policy

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	yaml2 "go.yaml.in/yaml/v2"

	"github.com/netreach/netreach/internal/fieldpath"
	"github.com/netreach/netreach/internal/randcluster"
)

// loadBothWays loads the inputs with the fast path and without it, and
// returns both snapshots and how many documents the fast path read.
func loadBothWays(opts LoadOptions, inputs map[string][]byte) (fast, full *Snapshot, fastDocs int) {
	names := make([]string, 0, len(inputs))
	for n := range inputs {
		names = append(names, n)
	}
	sortStrings(names)
	run := func(noFast bool) (*Snapshot, int) {
		l := NewLoader(opts)
		l.noFast, l.noStream = noFast, noFast
		for _, n := range names {
			l.AddBytes(n, inputs[n])
		}
		s, _ := l.Snapshot()
		return s, l.fastDocs
	}
	fast, fastDocs = run(false)
	full, _ = run(true)
	return fast, full, fastDocs
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// snapshotDiff compares two snapshots field by field, unexported fields
// included.
func snapshotDiff(full, fast *Snapshot) string {
	if reflect.DeepEqual(full, fast) {
		return ""
	}
	return cmp.Diff(full, fast, cmp.Exporter(func(reflect.Type) bool { return true }))
}

// checkSameAsFull fails when the fast path changes anything: objects,
// their locations, diagnostics.
func checkSameAsFull(t *testing.T, name string, opts LoadOptions, inputs map[string][]byte) int {
	t.Helper()
	fast, full, n := loadBothWays(opts, inputs)
	if d := snapshotDiff(full, fast); d != "" {
		t.Errorf("%s: the fast path differs from the full decoder (-full +fast):\n%s", name, d)
	}
	return n
}

// manifestFiles returns every manifest under the testdata directories,
// and the CLI scripts (which hold manifests too).
func manifestFiles(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, root := range []string{"../../testdata", "testdata", "../../cmd/netreach/testdata"} {
		maps.Copy(out, readTree(t, root, func(p string, _ int64) bool {
			return isManifestName(p) || strings.HasSuffix(p, ".txtar")
		}))
	}
	return out
}

// txtarFiles splits the files of a txtar archive (the CLI scripts hold
// manifests too), without a dependency for it.
func txtarFiles(data []byte) map[string][]byte {
	out := map[string][]byte{}
	parts := bytes.Split(data, []byte("\n-- "))
	for _, part := range parts[1:] {
		header, body, ok := bytes.Cut(part, []byte("\n"))
		if !ok {
			continue
		}
		name := strings.TrimSuffix(string(header), " --")
		if isManifestName(name) {
			out[name] = body
		}
	}
	return out
}

// TestFastPathTestdata loads every manifest of the repository (the fixtures,
// the bad inputs, the manifests inside the CLI scripts), each file on its
// own, with and without the fast path, and requires the same snapshot and
// diagnostics. It also requires that the fast path reads most documents,
// so that the comparison means something.
func TestFastPathTestdata(t *testing.T) {
	t.Parallel()
	fastDocs, files := 0, 0
	for path, data := range manifestFiles(t) {
		inputs := map[string][]byte{filepath.Base(path): data}
		if strings.HasSuffix(path, ".txtar") {
			inputs = txtarFiles(data)
		}
		for name, data := range inputs {
			files++
			opts := LoadOptions{}
			if strings.Contains(path, "bad/") {
				if c, err := os.ReadFile(filepath.Join(filepath.Dir(path), "expect.txt")); err == nil {
					for _, ln := range strings.Split(string(c), "\n") {
						if o, ok := strings.CutPrefix(ln, "options:"); ok {
							opts, _ = parseBadOptions(o)
						}
					}
				}
			}
			fastDocs += checkSameAsFull(t, path+":"+name, opts, map[string][]byte{name: data})
			if strings.Contains(path, "bad/") {
				strict := opts
				strict.Strict = true
				checkSameAsFull(t, path+":"+name+" (strict)", strict, map[string][]byte{name: data})
			}
		}
	}
	t.Logf("%d files, %d documents read by the fast path", files, fastDocs)
	if fastDocs < 500 {
		t.Errorf("the fast path read only %d documents of the testdata", fastDocs)
	}
}

// TestFastPathRandomClusters compares both ways on random clusters of
// every API.
func TestFastPathRandomClusters(t *testing.T) {
	t.Parallel()
	total := 0
	for seed := range 60 {
		r := rand.New(rand.NewPCG(uint64(seed), 7))
		cfg := randcluster.Config{Admin: seed%2 == 1, Calico: seed%3 == 2}
		data := randcluster.Generate(r, cfg)
		total += checkSameAsFull(t, fmt.Sprintf("seed %d", seed), LoadOptions{}, map[string][]byte{"c.yaml": data})
	}
	if total == 0 {
		t.Error("the fast path read no document of the random clusters")
	}
}

// TestFastPathPositions checks that the fast path's tree places every
// field where the full decoder places it (the YAML parser's positions, the
// JSON walker's offsets), for every field of every document of the
// testdata that the fast path reads, and of a kubectl-style JSON List,
// and for paths going past them (missing fields, as in the diagnostics
// about a missing required field).
func TestFastPathPositions(t *testing.T) {
	t.Parallel()
	checked := 0
	files := manifestFiles(t)
	files["list.json"] = []byte(`{"apiVersion": "v1", "items": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "labels": {"a.b/c": "d"}}}, {"kind": "Namespace", "metadata": {"name": "x"}}], "kind": "List"}`)
	for path, data := range files {
		if strings.HasSuffix(path, ".txtar") {
			continue
		}
		l := NewLoader(LoadOptions{})
		l.AddBytes(filepath.Base(path), data)
		for _, d := range l.batch {
			if d.isJSON {
				tree := parseFastJSON(string(d.text))
				if tree == nil {
					continue
				}
				for _, p := range probePaths(tree) {
					got, want := d.treeLocate(tree, p), d.position(d.jsonLocate(p))
					if got != want {
						t.Errorf("%s document %d: %s at %v, the full decoder says %v", path, d.index, p, got, want)
					}
					checked++
				}
				continue
			}
			tree := parseFastYAML(string(d.text))
			if tree == nil {
				continue
			}
			root := d.node()
			if root == nil {
				t.Errorf("%s document %d: the fast path reads what the YAML parser rejects", path, d.index)
				continue
			}
			for _, p := range probePaths(tree) {
				got := d.treeLocate(tree, p)
				n := fieldpath.Walk(root, p, false)
				if want := d.at(n.Line, n.Column); got != want {
					t.Errorf("%s document %d: %s at %v, the YAML parser says %v", path, d.index, p, got, want)
				}
				checked++
			}
		}
	}
	if checked < 1000 {
		t.Errorf("only %d positions checked", checked)
	}
}

// probePaths lists the field paths of the tree, and paths that go past
// each: a missing field, a missing list item (where diagnostics about a
// missing required field point).
func probePaths(t *ytree) []string {
	out := []string{"missing", "[0]"}
	for _, p := range treePaths(t, 0, "") {
		out = append(out, p, p+".missing", p+"[99]", p+".missing.deeper")
	}
	return out
}

// treePaths lists the field paths of node i and everything inside it.
func treePaths(t *ytree, i int32, prefix string) []string {
	n := &t.nodes[i]
	var out []string
	switch n.kind {
	case yMapping:
		for k := i + 1; k < n.end; k = t.nodes[k+1].end {
			p := t.nodes[k].str
			if prefix != "" {
				p = prefix + "." + p
			}
			out = append(out, p)
			out = append(out, treePaths(t, k+1, p)...)
		}
	case ySequence:
		j := 0
		for k := i + 1; k < n.end; k = t.nodes[k].end {
			p := prefix + "[" + strconv.Itoa(j) + "]"
			out = append(out, p)
			out = append(out, treePaths(t, k, p)...)
			j++
		}
	}
	return out
}

// fastSeeds are literal seeds for FuzzFastPath besides the testdata: the
// corners of the YAML subset.
var fastSeeds = []string{
	"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels: {x: y, 'z': \"w\"}\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: b}\nspec:\n  hostNetwork: yes\n  containers:\n  - name: c\n    ports:\n    - containerPort: 0x50\n      name: http # comment\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {v: 1_0}}\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: \"a\\u0041\", labels: {'k': 'it''s'}}\nstatus: {podIP: 10.0.0.1}\n",
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n    ports:\n    - port: 80\n      endPort: 90\n",
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  creationTimestamp: null\nspec:\n  containers:\n  - name: c\n    resources: {limits: {cpu: 1, memory: 1Gi}}\n",
	"kind: Pod\napiVersion: v1\nmetadata: {name: x, labels: {a: ~, b: null}}\n",
	"a: 1\nb:\n- c\n- d: e\n  f: g\n",
	// string maps: values of other kinds, long values (not interned),
	// labels repeated from pod to pod.
	"kind: Pod\napiVersion: v1\nmetadata: {name: x, labels: {a: [b]}}\n",
	"kind: Pod\napiVersion: v1\nmetadata:\n  name: x\n  labels:\n    a:\n      b: c\n",
	"kind: Pod\napiVersion: v1\nmetadata: {name: x, labels: {a: true}}\n",
	"kind: Pod\napiVersion: v1\nmetadata:\n  name: x\n  labels: {}\n  annotations:\n    long: " + strings.Repeat("v", 100) + "\n    short: \"\"\n",
	// JSON and flow mappings with a required field missing: the
	// diagnostic points at the enclosing member (its key in JSON).
	`{"apiVersion":"v1","kind":"Pod","metadata":{}}`,
	`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"labels":{}}},{"kind":"Namespace","metadata":[]}]}`,
	`{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"n"},"spec":{"ingress":[{"from":[{"ipBlock":{}}],"ports":[{}]}]}}`,
	"{apiVersion: v1, kind: Pod, metadata: {labels: {}}}\n",
	"kind: Pod\napiVersion: v1\nmetadata:\n  name: x\n  labels:\n    app: web\n    tier: ~\n---\nkind: Pod\napiVersion: v1\nmetadata:\n  name: y\n  labels:\n    app: web\n    tier: front\n",
}

// FuzzFastPath checks that the fast path never changes the result: for
// any input, loading with the fast path gives the snapshot and the
// diagnostics (with their locations) of the full decoder alone.
func FuzzFastPath(f *testing.F) {
	for _, s := range append(fastSeeds, loadSeeds...) {
		f.Add([]byte(s))
	}
	for _, root := range []string{"../../testdata", "testdata"} {
		for _, data := range fuzzSeedFiles(f, root) {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := LoadOptions{MaxDocuments: 1000}
		fast, full, _ := loadBothWays(opts, map[string][]byte{"in.yaml": data})
		if d := snapshotDiff(full, fast); d != "" {
			t.Fatalf("the fast path differs from the full decoder on %q (-full +fast):\n%s", data, d)
		}
	})
}

// FuzzResolvePlain checks that the fast path resolves a plain scalar as
// go.yaml.in/yaml/v2 does (the YAML 1.1 rules kubectl uses), or leaves it
// to the full decoder.
func FuzzResolvePlain(f *testing.F) {
	for _, s := range []string{"a", "yes", "No", "on", "y", "~", "null", "NULL", "0", "-1", "+1", "0x1F", "0o17", "017", "1_000",
		"9223372036854775807", "9223372036854775808", "-9223372036854775809", "1.5", "1e3", ".5", "1_0.5", "+.5", "-1.5e-3", "300.1", "1e400", ".inf", "-.inf", ".nan", "0b101",
		"2024-01-01", "2024-01-01T00:00:00Z", "1.15.9", "10.0.0.1", "80:90", "<<", "=", "-", "+", "1_", "_1", "0x", "TRUE", "tRUE"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" || !plainStart(s) || strings.ContainsAny(s, "\n\r\t#:") || strings.TrimSpace(s) != s {
			return
		}
		typ, num := resolvePlain(s)
		if typ == 0 {
			return // left to the full decoder
		}
		var m map[string]any
		if err := yaml2.Unmarshal([]byte("k: "+s+"\n"), &m); err != nil {
			return // not a plain scalar of one line
		}
		got := m["k"]
		var want any
		switch typ {
		case yString:
			want = s
		case yNull:
			want = nil
		case yBool:
			want = num != 0
		case yInt:
			if i, ok := got.(int); ok {
				got = int64(i)
			}
			want = num
		case yFloat:
			want = math.Float64frombits(uint64(num))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("resolvePlain(%q) = %v %v; yaml.v2 reads %#v", s, typ, num, m["k"])
		}
	})
}
