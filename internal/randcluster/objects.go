package randcluster

import (
	"bytes"
	"fmt"

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
