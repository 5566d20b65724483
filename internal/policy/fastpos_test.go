package policy

import "testing"

// TestFastPathMissingFields compares the fast path with the full decoder
// on small JSON and YAML documents where a required field is missing at
// several depths (the diagnostic points at the enclosing field), parents
// written as empty or filled objects, flow or block mappings, lists, and
// the items of a List.
func TestFastPathMissingFields(t *testing.T) {
	t.Parallel()
	docs := map[string]string{
		"json metadata {}":       `{"apiVersion":"v1","kind":"Pod","metadata":{}}`,
		"json metadata []":       `{"apiVersion":"v1","kind":"Pod","metadata":[]}`,
		"json metadata spaced":   "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\":   {  }\n}",
		"json metadata filled":   `{"apiVersion":"v1","kind":"Pod","metadata":{"labels":{"a":"b"}}}`,
		"json metadata string":   `{"apiVersion":"v1","kind":"Pod","metadata":"x"}`,
		"json no metadata":       `{"apiVersion":"v1","kind":"Pod"}`,
		"json netpol ipBlock {}": `{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"n"},"spec":{"podSelector":{},"ingress":[{"from":[{"ipBlock":{}}]}]}}`,
		"json netpol ipBlock filled": `{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"n"},` +
			`"spec":{"podSelector":{},"ingress":[{"from":[{"ipBlock":{"except":["10.0.0.0/8"]}}]}]}}`,
		"json netpol ports [{}]": `{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"n"},"spec":{"podSelector":{},"ingress":[{"ports":[{}]}]}}`,
		"json netpol spec {}":    `{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"n"},"spec":{}}`,
		"json list": `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}},` +
			`{"apiVersion":"v1","kind":"Pod","metadata":{}},{"apiVersion":"v1","kind":"Namespace","metadata":{"labels":{}}},` +
			`{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"n"},"spec":{"ingress":[{"from":[{"ipBlock":{}}]}]}}]}`,
		"yaml metadata {}":       "apiVersion: v1\nkind: Pod\nmetadata: {}\n",
		"yaml metadata flow":     "apiVersion: v1\nkind: Pod\nmetadata: {labels: {a: b}}\n",
		"yaml metadata block":    "apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    a: b\n",
		"yaml metadata []":       "apiVersion: v1\nkind: Pod\nmetadata: []\n",
		"yaml metadata null":     "apiVersion: v1\nkind: Pod\nmetadata:\n",
		"yaml flow document":     `{"apiVersion": "v1", "kind": "Pod", "metadata": {}}` + "\n",
		"yaml flow document 2":   "{apiVersion: v1, kind: Pod, metadata: {labels: {}}}\n",
		"yaml netpol ipBlock {}": "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: n\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {}\n",
		"yaml netpol ipBlock":    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: n\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock:\n        except: [10.0.0.0/8]\n",
		"yaml netpol ports [{}]": "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: n\nspec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - {}\n",
		"yaml netpol ports flow": "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n}\nspec: {podSelector: {}, ingress: [{from: [{ipBlock: {}}]}]}\n",
		"yaml list":              "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {}\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    labels: {}\n",
	}
	for name, doc := range docs {
		file := "in.yaml"
		if name[:4] == "json" {
			file = "in.json"
		}
		for _, strict := range []bool{false, true} {
			fast, full, _ := loadBothWays(LoadOptions{Strict: strict}, map[string][]byte{file: []byte(doc)})
			if len(full.Diagnostics) == 0 {
				t.Errorf("%s: no diagnostic, the case tests nothing", name)
			}
			if d := snapshotDiff(full, fast); d != "" {
				t.Errorf("%s (strict %v): the fast path differs from the full decoder (-full +fast):\n%s", name, strict, d)
			}
		}
	}
}
