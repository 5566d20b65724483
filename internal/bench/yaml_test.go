package bench

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// checkYAMLRoundTrip converts the JSON document j to YAML with appendYAML
// and back with sigs.k8s.io/yaml (what the loader uses), and fails unless
// the value is unchanged.
func checkYAMLRoundTrip(t *testing.T, j []byte) {
	t.Helper()
	y, err := appendYAML(nil, j)
	if err != nil {
		t.Fatalf("appendYAML(%s): %v", j, err)
	}
	back, err := yaml.YAMLToJSONStrict(y)
	if err != nil {
		t.Fatalf("YAMLToJSONStrict(appendYAML(%s)): %v\nYAML:\n%s", j, err, y)
	}
	var want, got any
	if err := json.Unmarshal(j, &want); err != nil {
		t.Fatalf("json.Unmarshal(%s): %v", j, err)
	}
	if err := json.Unmarshal(back, &got); err != nil {
		t.Fatalf("json.Unmarshal(%s): %v", back, err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("appendYAML(%s) does not read back (-want +got):\n%s\nYAML:\n%s", j, d, y)
	}
}

// trickyStrings are strings a careless YAML writer gets wrong.
var trickyStrings = []string{
	"", " ", "a b", "y", "Y", "n", "yes", "No", "on", "OFF", "true", "False", "null", "Null", "~",
	"1", "0x1F", "1e3", "1.5", ".5", ".inf", "-.inf", ".NaN", "010", "1_000", "0b101", "1:20", "12:30:00",
	"2001-12-14", "-", "--", "---", "...", "-a", "a:", "a: b", "a:b", "a #b", "#a", "&a", "*a", "!a",
	"|", ">", "%a", "@a", "`a", "'a'", `"a"`, "[a]", "{a}", "a,b", "?", "? a", "<<", "=",
	"a\nb", "a\tb", "\\", "é", "日本", "\u2028", "<>&", "\x00", "10.64.0.2", "fd00::1", "100m", "128Mi",
	"app.kubernetes.io/name", "v1", "v1.2.3", "A", "Infinity", "NaN",
}

func TestAppendYAMLStrings(t *testing.T) {
	t.Parallel()
	for _, s := range trickyStrings {
		j, err := json.Marshal(map[string]any{"k": s, s: []any{s, map[string]any{s: s}, []any{s}}, "e": map[string]any{}, "l": []any{}})
		if err != nil {
			t.Fatal(err)
		}
		checkYAMLRoundTrip(t, j)
	}
}

func TestAppendYAMLShapes(t *testing.T) {
	t.Parallel()
	for _, j := range []string{
		`{}`, `[]`, `"x"`, `1`, `null`, `true`, `[1,"a",null,false]`,
		`[[1,2],[[3]],[{}],[[]]]`, `[{"a":1,"b":[{"c":[1,[2,3]]}]},{"d":{}}]`,
		`{"a":{"b":{"c":[{"d":{"e":[]}}]}},"f":-1.5e-3,"g":[{"h":null}]}`,
	} {
		checkYAMLRoundTrip(t, []byte(j))
	}
}

func TestAppendYAMLCluster(t *testing.T) {
	t.Parallel()
	c := Generate(Config{Pods: 120, Namespaces: 8, Policies: 60, Distinct: true, Seed: 3})
	for _, o := range c.objects() {
		j, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		checkYAMLRoundTrip(t, j)
	}
}

func FuzzAppendYAML(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s, 1.5)
	}
	f.Fuzz(func(t *testing.T, s string, x float64) {
		if len(s) > 100 {
			t.Skip() // used as a key, it could exceed maxKeyLen once escaped
		}
		j, err := json.Marshal(map[string]any{"s": s, s: []any{s, x, map[string]any{s: []any{map[string]any{"x": s}}}}})
		if err != nil {
			t.Skip() // NaN and infinities have no JSON form
		}
		checkYAMLRoundTrip(t, j)
	})
}

func TestAppendYAMLLongKey(t *testing.T) {
	t.Parallel()
	j, _ := json.Marshal(map[string]string{strings.Repeat("k", maxKeyLen+1): "v"})
	if _, err := appendYAML(nil, j); err == nil {
		t.Errorf("appendYAML(key of %d bytes) = nil error, want an error (YAML implicit keys are at most 1024 characters)", maxKeyLen+1)
	}
	j, _ = json.Marshal(map[string]string{strings.Repeat("k", maxKeyLen-2): "v"})
	checkYAMLRoundTrip(t, j)
}
