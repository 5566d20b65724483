// Package audit turns a computed [reachability.Matrix] into findings a
// security reviewer acts on: pods that no policy isolates, namespaces
// without a default deny, cross-tenant flows, egress to the internet and
// ingress from outside the cluster, dead, shadowed or redundant policy
// rules, fields the API server drops, pods that cannot resolve names,
// Calico Pass rules that fall through, staged policies that would change
// reachability, service-mesh gaps, and the lateral-movement blast radius
// of endpoints. It is what `netreach audit` reports.
//
// [Run] audits a matrix and returns a [Report]: the findings ([Finding])
// that count, the ones a [Waiver] covers, and the fixed ones of a
// baseline. Each
// finding has a stable ID ("NR003") and [Kind] ("no-default-deny"), a
// [Risk] level ([Critical], [High], [Medium], [Low], [Info]), the objects
// involved ([policy.ObjectRef]), where to look ([policy.Location], the
// rule as a [policy.RuleRef] for findings about one rule), a one-line
// message and a one-line remedy. [Kinds] lists every kind with its ID,
// default risk, title, description and generic remedy.
//
// The audit's level is called Risk, not Severity: [policy.Severity] grades
// diagnostics of the input (info, warning, error), while Risk grades what
// a finding exposes, from Info (context, no action) to Critical (an
// isolation boundary between tenants is broken).
//
// Results are deterministic: findings are sorted by risk (most serious
// first), then ID, then namespace and objects. Each finding has a
// fingerprint that stays the same while the problem does; passing the
// findings of an earlier run as [Options.Baseline] marks each one new or
// unchanged ([Status]) and lists the gone ones as fixed. Waivers
// ([ParseWaivers], docs/audit-waivers.md) move accepted findings out of
// [Report.Findings] until they expire.
package audit
