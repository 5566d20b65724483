package reachability_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
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

// TestDiffAddedRemovedEndpoints: an endpoint present on one side only is
// reported as added or removed with its own flows, never as gained or lost
// flows (and never with itself).
func TestDiffAddedRemovedEndpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pods := func(names ...string) *policy.Snapshot {
		var b strings.Builder
		for i, n := range names {
			fmt.Fprintf(&b, "apiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: x}\nstatus: {podIPs: [{ip: 10.0.0.%d}]}\n---\n", n, i+1)
		}
		b.WriteString("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
		return loadString(t, b.String())
	}
	a, err := reachability.Compute(ctx, pods("a", "b"), reachability.Options{})
	require.NoError(t, err)
	b, err := reachability.Compute(ctx, pods("a", "c"), reachability.Options{})
	require.NoError(t, err)
	d := reachability.Diff(a, b)
	require.Empty(t, d.Gained, "x/a's flows did not change")
	require.Empty(t, d.Lost)
	require.Len(t, d.Added, 1)
	require.Len(t, d.Removed, 1)
	added, removed := d.Added[0], d.Removed[0]
	require.Equal(t, "x/c", added.ID)
	require.Equal(t, "x", added.Namespace)
	require.Equal(t, "x/b", removed.ID)
	dsts := map[string]bool{}
	for _, c := range added.Out {
		require.Equal(t, "x/c", c.Src)
		require.Equal(t, reachability.Deny, c.Before)
		require.Equal(t, reachability.Allow, c.After)
		dsts[c.Dst] = true
	}
	require.Equal(t, map[string]bool{"x/a": true, "0.0.0.0/0": true}, dsts, "no policy: x/c reaches x/a and every address, not itself")
	srcs := map[string]bool{}
	for _, c := range added.In {
		require.Equal(t, "x/c", c.Dst)
		srcs[c.Src] = true
	}
	require.Equal(t, map[string]bool{"x/a": true, "0.0.0.0/0": true}, srcs)
	for _, c := range removed.Out {
		require.Equal(t, reachability.Allow, c.Before)
		require.Equal(t, reachability.Deny, c.After)
	}
	require.NotEmpty(t, removed.In)
	require.False(t, d.IsEmpty())
}
