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

// TestDiffExternalRangeOnPodAddress asserts that an external range whose
// first address is a pod's IP is compared as the range the matrix prints,
// not as that pod: an ipBlock on the pod's /32 replaced by a pod selector
// loses the range's flows and keeps the pod's.
func TestDiffExternalRangeOnPodAddress(t *testing.T) {
	ctx := context.Background()
	pods := `
apiVersion: v1
kind: Namespace
metadata: {name: app}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: app, labels: {app: a}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: app, labels: {app: b}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.0.0.2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-in, namespace: app}
spec:
  podSelector: {matchLabels: {app: b}}
  policyTypes: [Ingress]
  ingress:
`
	before := loadString(t, pods+"  - from: [{ipBlock: {cidr: 10.0.0.1/32}}]\n")
	after := loadString(t, pods+"  - from: [{podSelector: {matchLabels: {app: a}}}]\n")
	a, err := reachability.Compute(ctx, before, reachability.Options{})
	require.NoError(t, err)
	b, err := reachability.Compute(ctx, after, reachability.Options{})
	require.NoError(t, err)

	// The range 10.0.0.1/32 is an external atom of the first matrix, and
	// it may reach app/b there only.
	src := -1
	for k, at := range a.ExternalAtoms() {
		if at.String() == "10.0.0.1/32" {
			src = a.NumEndpoints() + k
		}
	}
	require.GreaterOrEqual(t, src, 0, "10.0.0.1/32 is an atom of the first matrix")
	bi, ok := a.Lookup("app/b")
	require.True(t, ok)
	p := a.PortAtomIndex(policy.TCP, 80)
	require.Equal(t, reachability.Allow, a.At(src, bi, p))

	d := reachability.Diff(a, b)
	require.Empty(t, d.Gained)
	lostFrom := map[string]bool{}
	for _, c := range d.Lost {
		require.Equal(t, "app/b", c.Dst)
		lostFrom[c.Src] = true
	}
	require.True(t, lostFrom["10.0.0.1/32"], "the range loses app/b: %+v", d.Lost)
	require.False(t, lostFrom["app/a"], "app/a keeps app/b through the pod selector")
}
