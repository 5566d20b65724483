package reachability_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// TestUnnamedProtocolsInCalicoMode checks the protocols no rule names: in
// calico mode a pod selected by a TCP-only policy drops them at the end
// of the tier, as the reference evaluator says, and they share one port
// atom; in Kubernetes mode no policy restricts them.
func TestUnnamedProtocolsInCalicoMode(t *testing.T) {
	ctx := context.Background()
	snap := loadString(t, `
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
kind: NetworkPolicy
metadata: {name: tcp-only, namespace: a}
spec:
  selector: app == 'q'
  ingress: [{action: Allow, protocol: TCP}]
`)
	src, dst := entity(t, snap, "a/p"), entity(t, snap, "a/q")
	opts := reachability.Options{Mode: policy.ModeCalico}
	m, err := reachability.Compute(ctx, snap, opts)
	require.NoError(t, err)
	ev := reachability.NewEvaluator(snap, opts)
	icmp := m.PortAtomIndex(policy.Protocol(1), 0)
	require.GreaterOrEqual(t, icmp, 0)
	require.True(t, m.PortAtoms()[icmp].Others)
	require.Equal(t, icmp, m.PortAtomIndex(policy.Protocol(47), 0), "GRE shares the atom of ICMP")
	for _, proto := range []policy.Protocol{1, 47, 58} {
		f := reachability.Flow{Src: src, Dst: dst, Protocol: proto}
		want, _ := ev.Evaluate(f)
		require.Equal(t, reachability.Deny, want, "protocol %d", proto)
		got, err := m.Verdict(f)
		require.NoError(t, err)
		require.Equal(t, want, got, "protocol %d", proto)
		back := reachability.Flow{Src: dst, Dst: src, Protocol: proto}
		got, err = m.Verdict(back)
		require.NoError(t, err)
		require.Equal(t, reachability.Allow, got, "a/p is not selected: protocol %d", proto)
	}

	k8s, err := reachability.Compute(ctx, snap, reachability.Options{Mode: policy.ModeK8s})
	require.NoError(t, err)
	require.Equal(t, -1, k8s.PortAtomIndex(policy.Protocol(1), 0))
	for _, at := range k8s.PortAtoms() {
		require.False(t, at.Others)
	}
}
