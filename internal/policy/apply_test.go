package policy

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestParseDeleteRefSpellings accepts the kind spellings kubectl accepts
// (singular and resource plural, any case, with or without API group) and
// rejects others.
func TestParseDeleteRefSpellings(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"networkpolicy/a/x", "NetworkPolicy/a/x"},
		{"networkpolicies/a/x", "NetworkPolicy/a/x"},
		{"netpol/a/x", "NetworkPolicy/a/x"},
		{"NetworkPolicy.networking.k8s.io/a/x", "NetworkPolicy/a/x"},
		{"globalnetworkpolicies/x", "GlobalNetworkPolicy.projectcalico.org//x"},
		{"stagednetworkpolicies/a/x", "StagedNetworkPolicy.projectcalico.org/a/x"},
		{"adminnetworkpolicies/x", "AdminNetworkPolicy//x"},
		{"baselineadminnetworkpolicies/default", "BaselineAdminNetworkPolicy//default"},
		{"clusternetworkpolicies/x", "ClusterNetworkPolicy//x"},
		{"networkpolicies.projectcalico.org/a/x", "NetworkPolicy.projectcalico.org/a/x"},
		{"pods/a/p", "Pod/a/p"},
		{"tiers/security", "Tier.projectcalico.org//security"},
	} {
		got, err := parseDeleteRef(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
	for _, bad := range []string{"globalnetworkpolicys/x", "widgets/a/x", "networkpolicy", "a/b/c/d"} {
		_, err := parseDeleteRef(bad)
		require.Error(t, err, bad)
	}
}

// TestApplyDeletesNamespaceContents: deleting a namespace deletes every
// object in it, as Kubernetes does, and nothing outside it; DeletedBy
// lists what goes.
func TestApplyDeletesNamespaceContents(t *testing.T) {
	t.Parallel()
	l := NewLoader(LoadOptions{})
	l.AddBytes("c.yaml", []byte(`apiVersion: v1
kind: Namespace
metadata: {name: x}
---
apiVersion: v1
kind: Namespace
metadata: {name: z}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: x}
spec:
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: z}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: x}
spec: {podSelector: {}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: z}
spec: {podSelector: {}}
`))
	s, err := l.Snapshot()
	require.NoError(t, err)
	gone, err := s.DeletedBy([]string{"namespace/x"})
	require.NoError(t, err)
	var keys []string
	for _, r := range gone {
		keys = append(keys, r.Key())
	}
	require.ElementsMatch(t, []string{"Namespace//x", "Pod/x/a", "Deployment/x/web", "NetworkPolicy/x/deny"}, keys)

	after, err := s.Apply(nil, []string{"namespace/x"})
	require.NoError(t, err)
	require.Nil(t, after.Namespace("x"))
	require.NotNil(t, after.Namespace("z"))
	require.Len(t, after.Endpoints, 1)
	require.Equal(t, "z/b", after.Endpoints[0].ID())
	require.Len(t, after.NetworkPolicies, 1)
	require.Equal(t, "z", after.NetworkPolicies[0].Namespace)

	_, err = s.DeletedBy([]string{"namespace/nope"})
	require.ErrorContains(t, err, "no such object")
}
