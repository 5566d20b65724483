package reachability_test

import (
	"context"
	"errors"
	"testing"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// TestComputeRefusesUnbuiltSnapshots: nil, zero and hand-built snapshots
// are an *InvalidInputError, never a panic.
func TestComputeRefusesUnbuiltSnapshots(t *testing.T) {
	t.Parallel()
	for name, s := range map[string]*policy.Snapshot{
		"nil":     nil,
		"zero":    {},
		"by hand": {Endpoints: []*policy.Endpoint{{ObjectRef: policy.ObjectRef{Kind: "Pod", Namespace: "a", Name: "b"}}}},
	} {
		m, err := reachability.Compute(context.Background(), s, reachability.Options{})
		if m != nil || !errors.As(err, new(*policy.InvalidInputError)) {
			t.Errorf("Compute(%s snapshot) = %v, %v; want an *InvalidInputError", name, m, err)
		}
	}
}
