package audit

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/netreach/netreach/internal/policy"
)

// TestTopRisksGroupShadowedByShadower checks that rules of several
// policies shadowed by one policy make one risk, and that a rule
// shadowed within its own policy stays with that policy.
func TestTopRisksGroupShadowedByShadower(t *testing.T) {
	t.Parallel()
	np := func(ns, name string) policy.ObjectRef {
		return policy.ObjectRef{Kind: "NetworkPolicy", Namespace: ns, Name: name}
	}
	guard := policy.ObjectRef{Group: policy.CalicoGroup, Kind: "GlobalNetworkPolicy", Name: "security.guard"}
	shadowed := func(own policy.ObjectRef, by ...policy.ObjectRef) Finding {
		f := newFinding(RuleShadowed, own.Namespace, "shadowed", "fix")
		f.Rule = &RuleRef{Direction: policy.Ingress}
		f.Objects = append([]policy.ObjectRef{own}, by...)
		f.Affected = 40
		return f
	}
	a := &analysis{nE: 100}
	fs := []Finding{shadowed(np("a", "x"), guard), shadowed(np("b", "y"), guard), shadowed(np("c", "z"), guard), shadowed(np("d", "w"))}
	rs := a.topRisks(fs)
	require.Len(t, rs, 2)
	require.Equal(t, "rules shadowed by Calico GlobalNetworkPolicy security.guard", rs[0].Scope)
	require.Equal(t, []int{0, 1, 2}, rs[0].Findings)
	require.Equal(t, int64(100), rs[0].Affected, "capped at the endpoints of the cluster")
	require.Equal(t, "policy NetworkPolicy d/w", rs[1].Scope)
	require.Equal(t, RiskScore(Medium, 40), rs[1].Score)
}
