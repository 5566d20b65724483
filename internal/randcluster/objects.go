package randcluster

import (
	"bytes"
	"fmt"
	"maps"

	"sigs.k8s.io/yaml"
)

// Objects splits the manifests Generate writes into objects as generic
// maps (what policy.FromObjects takes like any value that marshals to an
// object), in order.
func Objects(data []byte) ([]any, error) {
	var out []any
	for i, doc := range bytes.Split(data, []byte("\n---\n")) {
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, fmt.Errorf("randcluster.Objects: document %d: %w", i+1, err)
		}
		if m != nil {
			out = append(out, m)
		}
	}
	return out, nil
}

// Broken returns a copy of an object of [Objects] (a generic map) that a
// loader rejects whole: its spec is a string. Anything else is returned
// as it is.
func Broken(obj any) any {
	m, ok := obj.(map[string]any)
	if !ok {
		return obj
	}
	m = maps.Clone(m)
	m["spec"] = "broken"
	return m
}
