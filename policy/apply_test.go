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
