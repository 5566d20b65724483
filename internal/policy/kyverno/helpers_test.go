package kyverno

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// splitYAML decodes a multi-document YAML stream into objects.
func splitYAML(t *testing.T, text string) []Object {
	t.Helper()
	var out []Object
	for _, doc := range strings.Split("\n"+text, "\n---") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		j, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			t.Fatalf("yaml: %v\n%s", err, doc)
		}
		if bytes.Equal(bytes.TrimSpace(j), []byte("null")) {
			continue
		}
		o, err := DecodeObject(j)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		out = append(out, o)
	}
	return out
}

// input splits a YAML stream into Kyverno policies and other objects.
func input(t *testing.T, text string) Input {
	t.Helper()
	var in Input
	for _, o := range splitYAML(t, text) {
		if g, _ := o.GroupVersion(); g == "kyverno.io" && (o.Kind() == "ClusterPolicy" || o.Kind() == "Policy") {
			var p Policy
			if err := json.Unmarshal(o.JSON(), &p); err != nil {
				t.Fatalf("policy: %v", err)
			}
			in.Policies = append(in.Policies, &p)
			continue
		}
		in.Objects = append(in.Objects, o)
	}
	return in
}

// rendered returns the objects a result changed or generated, by
// identity, without the labels Kyverno adds to every generated object
// (TestGeneratedLabels checks those).
func rendered(res *Result) map[string]Object {
	out := map[string]Object{}
	for _, o := range res.Objects {
		if o != nil {
			out[IDOf(o).String()] = o
		}
	}
	for _, g := range res.Generated {
		if g.Object == nil {
			continue
		}
		o := g.Object.Copy()
		if l, ok := o.meta()["labels"].(map[string]any); ok {
			for k := range l {
				if k == "app.kubernetes.io/managed-by" || strings.HasPrefix(k, "generate.kyverno.io/") && k != "generate.kyverno.io/clone-source" {
					delete(l, k)
				}
			}
			if len(l) == 0 {
				delete(o.meta(), "labels")
			}
		}
		out[IDOf(o).String()] = o
	}
	return out
}

// checkRendered compares the rendered objects with the expected YAML.
func checkRendered(t *testing.T, res *Result, want string) {
	t.Helper()
	w := map[string]Object{}
	for _, o := range splitYAML(t, want) {
		w[IDOf(o).String()] = o
	}
	got := rendered(res)
	if d := cmp.Diff(toGeneric(w), toGeneric(got)); d != "" {
		t.Errorf("rendered objects (-want +got):\n%s", d)
	}
}

func toGeneric(m map[string]Object) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = map[string]any(v)
	}
	return out
}

// diagLines formats diagnostics one per line, for substring checks.
func diagLines(res *Result) []string {
	var out []string
	for _, d := range res.Diagnostics {
		out = append(out, fmt.Sprintf("%d %d %s %s", d.Severity, d.Object, d.Path, d.Msg))
	}
	sort.Strings(out)
	return out
}
