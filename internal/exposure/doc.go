// Package exposure answers what network policies admit beyond the
// endpoints of the input: for every endpoint and direction, the exact set
// of pods that do not exist yet — in any namespace, with any labels — that
// could connect to it or that it could connect to, with the connections,
// and the address ranges outside the cluster likewise.
//
// [Analyze] evaluates the lowered policy program (policy.Program) once per
// class of endpoints with the other end symbolic: every selector becomes a
// predicate over the hypothetical pod's attributes (namespace, labels,
// service account, node, address, named ports), every set of pods a
// reduced ordered binary decision diagram over those predicates, and the
// tiers, Pass, Deny and default actions are walked on sets rather than on
// one pod. Both ends' policies are taken into account — the endpoint's and
// those that would select the new pod — so the result is the new pod's row
// and column of the reachability matrix, exactly.
//
// [Analysis.Predict] gives that row and column for one concrete
// hypothetical [Pod]; the report (see [Analysis.Report]) describes the
// same sets for people: "entire cluster", "any pod in namespaces matching
// {team=x}", "pods matching {app=web} in namespace shop", address ranges.
// docs/exposure.md documents the model: what a hypothetical pod may vary,
// what is assumed, and what "exact" means.
package exposure
