package live

import (
	"encoding/json"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestManifestIsKubectlYAML checks manifest against the conversion kubectl
// uses (sigs.k8s.io/yaml's JSONToYAML on the object's JSON text): the same
// bytes, for values whose YAML form is easy to get wrong.
func TestManifestIsKubectlYAML(t *testing.T) {
	t.Parallel()
	for _, item := range []string{
		`{"metadata":{"name":"a","namespace":"n","managedFields":[{"manager":"x"}]},"spec":{"ports":[{"port":8080,"name":"http"}]}}`,
		`{"metadata":{"name":"b","labels":{"yes":"yes","on":"on","null":"null","num":"0123","exp":"1e3","empty":"","sp":" x ","colon":"a: b","hash":"#c"}}}`,
		`{"metadata":{"name":"c","annotations":{"multi":"line one\nline two\n","tab":"a\tb","esc":"\u001b[2K","bidi":"a\u202eb","uni":"über"}}}`,
		`{"metadata":{"name":"d"},"spec":{"big":9007199254740993,"neg":-12,"float":1.5,"floatInt":2.0,"exp":1e3,"t":true,"f":false,"nil":null,"list":[],"map":{},"nested":[[1,2],[{"a":[]}]]}}`,
		`{"apiVersion":"example.com/v9","kind":"Custom","metadata":{"name":"e"}}`,
	} {
		res := Resource{Version: "v1", Name: "things", Kind: "Thing", Namespaced: true}
		got, err := manifest(res, []byte(item))
		if err != nil {
			t.Fatalf("manifest(%s): %v", item, err)
		}
		want, err := yaml.JSONToYAML(kubectlJSON(t, item))
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Manifest) != string(want) {
			t.Errorf("manifest(%s) =\n%s\nwant (sigs.k8s.io/yaml)\n%s", item, got.Manifest, want)
		}
	}
}

// kubectlJSON returns an item's JSON text as kubectl holds it: apiVersion
// and kind added when missing, metadata.managedFields left out, every
// other value as written.
func kubectlJSON(t *testing.T, item string) []byte {
	t.Helper()
	var m, meta map[string]json.RawMessage
	if err := json.Unmarshal([]byte(item), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["apiVersion"]; !ok {
		m["apiVersion"], m["kind"] = json.RawMessage(`"v1"`), json.RawMessage(`"Thing"`)
	}
	if err := json.Unmarshal(m["metadata"], &meta); err != nil {
		t.Fatal(err)
	}
	delete(meta, "managedFields")
	mj, err := json.Marshal(meta)
	if err != nil {
		t.Fatal(err)
	}
	m["metadata"] = mj
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
