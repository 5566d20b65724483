package reachability_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/policy"
	"github.com/netreach/netreach/reachability"
)

// TestDiffTenantIsolation asserts the flows gained and lost by two changes
// of the tenant-isolation scenario.
func TestDiffTenantIsolation(t *testing.T) {
	ctx := context.Background()
	before := loadDir(t, "tenant-isolation")
	a, err := reachability.Compute(ctx, before, reachability.Options{})
	require.NoError(t, err)

	// Deleting test01-web's egress policy frees its pod's egress: it gains
	// every destination whose ingress allows it (ingress and monitoring
	// accept from anyone, coredns too; test02 namespaces still deny), and
	// nothing is lost.
	after, err := before.Apply(nil, []string{"networkpolicy/test01-web/allow-egress-same-client-and-dns"})
	require.NoError(t, err)
	b, err := reachability.Compute(ctx, after, reachability.Options{})
	require.NoError(t, err)
	d := reachability.Diff(a, b)
	require.Empty(t, d.Lost)
	gainedTo := map[string]bool{}
	for _, c := range d.Gained {
		require.Equal(t, "test01-web/app", c.Src, "only test01-web/app's egress changed")
		require.Equal(t, reachability.Deny, c.Before)
		require.Equal(t, reachability.Allow, c.After)
		gainedTo[c.Dst] = true
	}
	require.True(t, gainedTo["ingress/controller"])
	require.True(t, gainedTo["monitoring/prometheus"])
	require.True(t, gainedTo["kube-system/coredns"], "coredns on ports other than 53")
	require.False(t, gainedTo["test02-web/app"], "test02's ingress still denies test01")
	require.False(t, gainedTo["test01-db/app"], "already allowed before")

	// Replacing test02-web's same-client policy with one that admits
	// nobody loses test02-db -> test02-web on every port, and gains nothing.
	change := loadString(t, `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-same-client, namespace: test02-web}
spec:
  podSelector: {}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {client: nobody}}}]
`)
	after, err = before.Apply(change, nil)
	require.NoError(t, err)
	b, err = reachability.Compute(ctx, after, reachability.Options{})
	require.NoError(t, err)
	d = reachability.Diff(a, b)
	require.Empty(t, d.Gained)
	require.NotEmpty(t, d.Lost)
	for _, g := range reachability.Group(d.Lost) {
		require.Equal(t, "test02-db", g.SrcNamespace)
		require.Equal(t, "test02-web", g.DstNamespace)
	}
	protos := map[policy.Protocol]bool{}
	for _, c := range d.Lost {
		require.Equal(t, uint16(1), c.Lo)
		require.Equal(t, uint16(65535), c.Hi, "adjacent port atoms merge into one range")
		protos[c.Protocol] = true
	}
	require.Len(t, protos, 3, "TCP, UDP and SCTP")

	// A matrix compared with itself has no change.
	require.True(t, reachability.Diff(a, a).IsEmpty())
}
