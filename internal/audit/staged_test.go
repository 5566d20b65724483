package audit_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/audit"
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// TestStagedChangeOnUnnamedProtocol reports a staged policy whose only
// effect is on a protocol no enforced rule names (ICMP): the enforced
// matrix has no port atom for it (every ICMP flow is allowed), the
// promoted one does, and the flows it closes must still be counted.
func TestStagedChangeOnUnnamedProtocol(t *testing.T) {
	l := policy.NewLoader(policy.LoadOptions{})
	l.AddBytes("staged.yaml", []byte(`
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a, labels: {app: p}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: q, namespace: a, labels: {app: q}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.2}
---
apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata: {name: no-ping, namespace: a}
spec:
  selector: app == 'q'
  types: [Ingress]
  ingress:
  - {action: Deny, protocol: ICMP}
  - {action: Allow}
`))
	snap, err := l.Snapshot()
	require.NoError(t, err)
	ctx := context.Background()
	m, err := reachability.Compute(ctx, snap, reachability.Options{Mode: policy.ModeCalico})
	require.NoError(t, err)
	r, err := audit.New(ctx, snap, m, audit.Options{})
	require.NoError(t, err)
	var msgs []string
	for _, f := range r.Findings {
		if f.Kind == audit.StagedChange {
			msgs = append(msgs, f.Message)
		}
	}
	require.Len(t, msgs, 1, "findings: %v", msgs)
	// a/p -> a/q on ICMP, and every external range -> a/q on ICMP.
	require.True(t, strings.Contains(msgs[0], "promoting Calico StagedNetworkPolicy a/no-ping would close"), msgs[0])
	require.NotContains(t, msgs[0], "open")
}
