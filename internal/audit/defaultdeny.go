package audit

import (
	"github.com/netreach/netreach/internal/policy"
	"github.com/netreach/netreach/internal/reachability"
)

// MissingDefaultDeny returns, for every namespace that holds endpoints,
// the directions (indexed by [policy.Direction]) in which no policy
// isolates every pod the namespace holds or will hold: the test behind
// NR003, and the reason behind NR001 and NR002. Package internal/audit/fix builds
// its default-deny patches from it, so that they do not depend on the
// findings' wording.
func MissingDefaultDeny(m *reachability.Matrix, opts Options) map[string][2]bool {
	a := newAnalysis(m.Snapshot(), m, opts.withDefaults())
	out := make(map[string][2]bool, len(a.namespaces))
	for _, ns := range a.namespaces {
		dd := a.defaultDeny(ns)
		out[ns] = [2]bool{!dd[policy.Ingress], !dd[policy.Egress]}
	}
	return out
}
